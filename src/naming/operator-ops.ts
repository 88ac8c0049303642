/**
 * Operator use cases the HTTP admin APIs need beyond NamingService: batch instance-metadata
 * updates and manual health of persistent instances. Both write through the persistent store, so
 * they replicate like every other durable change.
 */
import { badRequest } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import { instanceMetadataId, type InstanceMetadata } from '../core/metadata.js';
import { DEFAULT_CLUSTER, groupedName, serviceKeyId, type ServiceKey } from '../core/names.js';
import type { StoreWrite } from '../persistence/persistent-store.js';
import type { NamingService } from './naming-service.js';
import { persistentHealthWrite, storeKeys } from './persistent-state.js';

export interface InstanceRef {
  ip: string;
  port: number;
  clusterName?: string | undefined;
}

/**
 * Nacos `batchUpdateMetadata` / `batchDeleteMetadata` (docs/protocol/http.md §1.8): for every published
 * instance of the service (or only the listed ones that exist), `put` merges the keys into the
 * operator overlay, `delete` removes them. `ephemeral` selects which kind of instances are touched
 * (`consistencyType=persist` → false). Returns `ip:port:unknown:cluster:ephemeral|persist` per
 * updated instance. One store batch, so it is all-or-nothing.
 */
export async function batchInstanceMetadata(
  naming: NamingService,
  service: ServiceKey,
  targets: readonly InstanceRef[] | null,
  metadata: Readonly<Record<string, string>>,
  mode: 'put' | 'delete',
  ephemeral: boolean,
): Promise<string[]> {
  const all = naming.catalog.publishedInstances(service).filter((i) => i.ephemeral === ephemeral);
  let chosen: Instance[];
  if (targets && targets.length > 0) {
    chosen = [];
    for (const t of targets) {
      const cluster = t.clusterName && t.clusterName !== '' ? t.clusterName : DEFAULT_CLUSTER;
      const hit = all.find((i) => i.ip === t.ip && i.port === t.port && i.clusterName === cluster);
      if (hit && !chosen.includes(hit)) chosen.push(hit);
    }
  } else {
    chosen = [...all];
  }
  const sid = serviceKeyId(service);
  const batch: StoreWrite[] = [];
  const updated: string[] = [];
  for (const i of chosen) {
    const metaId = instanceMetadataId(i.ip, i.port, i.clusterName);
    const cur = naming.catalog.instanceOverride(service, metaId);
    const nextMeta: Record<string, string> = { ...(cur?.metadata ?? {}) };
    if (mode === 'put') Object.assign(nextMeta, metadata);
    else for (const k of Object.keys(metadata)) delete nextMeta[k];
    const next: InstanceMetadata = { metadata: nextMeta };
    if (cur?.weight !== undefined) next.weight = cur.weight;
    if (cur?.enabled !== undefined) next.enabled = cur.enabled;
    batch.push({ table: 'instanceMeta', key: storeKeys.instanceMeta(sid, metaId), value: next });
    updated.push(`${i.ip}:${i.port}:unknown:${i.clusterName}:${i.ephemeral ? 'ephemeral' : 'persist'}`);
  }
  if (batch.length > 0) await naming.store.write(batch);
  return updated;
}

/**
 * Manual health of a persistent instance (docs/protocol/http.md §1.12, docs/protocol/persistent.md §3.2 "NONE"): only
 * allowed when the instance's cluster is configured with the NONE checker; otherwise Nacos' 400
 * `health check is still working, service: g@@s, cluster: c`, which Nacos 2.4 and 3.x raise as a
 * plain NacosException: on v2 it is HTTP 400 with code 30000 "server error"
 * (docs/open-api-fidelity.md, item 6). An unknown instance is a no-op, as in Nacos. Unlike
 * Nacos 3.1 (issue #14600) this works for persistent services.
 */
export async function setPersistentInstanceHealth(
  naming: NamingService,
  service: ServiceKey,
  cluster: string,
  ip: string,
  port: number,
  healthy: boolean,
): Promise<void> {
  const meta = naming.catalog.serviceMetadata(service);
  const checker = meta?.clusters[cluster]?.healthChecker.type;
  if (checker !== 'NONE') {
    throw badRequest(`health check is still working, service: ${groupedName(service.group, service.name)}, cluster: ${cluster}`, 30000);
  }
  const w = persistentHealthWrite(naming.catalog, service, ip, port, healthy, cluster);
  if (w) await naming.store.write([w]);
}
