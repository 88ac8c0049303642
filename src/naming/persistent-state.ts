import { z } from 'zod';
import { ipPortClientId } from '../core/client.js';
import type { Instance } from '../core/instance.js';
import type { InstanceMetadata, MetadataIndex, ServiceMetadata } from '../core/metadata.js';
import { parseServiceKeyId, serviceKeyId, type ServiceKey } from '../core/names.js';
import type { Registry } from '../core/registry.js';
import type { Logger } from '../observability/logger.js';
import type { StoreWrite } from '../persistence/persistent-store.js';

/** Key layout of the persistent tables (documented in docs/architecture.md). */
export const storeKeys = {
  /** `namespace@@group@@service##ip:port` */
  instance: (svcId: string, ip: string, port: number) => `${svcId}##${ip}:${port}`,
  service: (svcId: string) => svcId,
  /** `namespace@@group@@service##ip:port:cluster` */
  instanceMeta: (svcId: string, metaId: string) => `${svcId}##${metaId}`,
};

/**
 * The store write that sets a persistent instance's `healthy` flag, built from the instance's current
 * record (so nothing else changes); null when the instance is not published (or not in `cluster`) or
 * already has that health. The write is conditional (`onlyIfExists`): if the instance is deregistered
 * before the write applies, it stays deregistered.
 */
export function persistentHealthWrite(
  registry: Registry,
  service: ServiceKey,
  ip: string,
  port: number,
  healthy: boolean,
  cluster?: string,
): StoreWrite | null {
  const sid = serviceKeyId(service);
  const inst = registry.getClient(ipPortClientId(ip, port, false))?.publishes.get(sid)?.instances[0];
  if (!inst || inst.healthy === healthy || (cluster !== undefined && inst.clusterName !== cluster)) return null;
  return { table: 'instance', key: storeKeys.instance(sid, ip, port), value: { ...inst, healthy }, onlyIfExists: true };
}

function splitKey(key: string): [string, string] {
  const i = key.lastIndexOf('##');
  return [key.slice(0, i), key.slice(i + 2)];
}

const strMap = z.record(z.string(), z.string());
export const instanceSchema = z.object({
  instanceId: z.string(),
  ip: z.string(),
  port: z.number().int(),
  weight: z.number(),
  healthy: z.boolean(),
  enabled: z.boolean(),
  ephemeral: z.boolean(),
  clusterName: z.string(),
  metadata: strMap,
});
const checkerSchema = z.object({
  type: z.enum(['TCP', 'HTTP', 'NONE', 'MYSQL']),
  path: z.string().optional(),
  headers: z.string().optional(),
  expectedResponseCode: z.number().optional(),
});
const serviceMetaSchema = z.object({
  ephemeral: z.boolean(),
  protectThreshold: z.number(),
  selector: z.object({ type: z.enum(['none', 'label']), expression: z.string().optional() }),
  metadata: strMap,
  clusters: z.record(
    z.string(),
    z.object({ healthChecker: checkerSchema, checkPort: z.number(), useInstancePort4Check: z.boolean(), metadata: strMap }),
  ),
});
const instanceMetaSchema = z.object({ weight: z.number().optional(), enabled: z.boolean().optional(), metadata: strMap });

/**
 * The persistent state machine: turns applied store writes into registry and metadata changes.
 * Runs on every member for every committed batch (and at start for the stored entries).
 */
export class PersistentStateMachine {
  readonly switches = new Map<string, unknown>();

  constructor(
    private readonly registry: Registry,
    private readonly metadata: MetadataIndex,
    private readonly clock: { now(): number },
    private readonly log: Logger,
  ) {}

  apply(batch: readonly StoreWrite[]): void {
    for (const w of batch) {
      try {
        this.applyOne(w);
      } catch (e) {
        // A stored value that fails validation is a bug or a corrupt store: log loudly, keep serving.
        this.log.error({ err: e, table: w.table, key: w.key }, 'persistent entry could not be applied');
      }
    }
  }

  private applyOne(w: StoreWrite): void {
    const now = this.clock.now();
    switch (w.table) {
      case 'instance': {
        const [svcId, ipPort] = splitKey(w.key);
        const service = parseServiceKeyId(svcId);
        const sep = ipPort.lastIndexOf(':');
        const clientId = ipPortClientId(ipPort.slice(0, sep), Number(ipPort.slice(sep + 1)), false);
        if (w.value === null) this.registry.unpublish(clientId, service, now);
        else {
          const inst: Instance = instanceSchema.parse(w.value);
          this.registry.publish(clientId, 'persistent-ipport', service, [inst], now);
        }
        return;
      }
      case 'service': {
        const service = parseServiceKeyId(w.key);
        const m: ServiceMetadata | null = w.value === null ? null : serviceMetaSchema.parse(w.value);
        this.metadata.setService(service, m);
        if (m) this.registry.ensureService(service, m.ephemeral, now);
        this.registry.touchService(service, now);
        return;
      }
      case 'instanceMeta': {
        const [svcId, metaId] = splitKey(w.key);
        const service: ServiceKey = parseServiceKeyId(svcId);
        const m: InstanceMetadata | null = w.value === null ? null : instanceMetaSchema.parse(w.value);
        this.metadata.setInstance(service, metaId, m);
        this.registry.touchService(service, now);
        return;
      }
      case 'switch':
        if (w.value === null) this.switches.delete(w.key);
        else this.switches.set(w.key, w.value);
        return;
      case 'namespace':
        // The catalog itself reads the store; the index only knows the ids (for the namespace cap).
        this.metadata.setNamespace(w.key, w.value !== null);
        return;
      // Auth tables: applied by src/auth/auth-state.ts.
      case 'user':
      case 'role':
      case 'permission':
      case 'authKey':
        return;
    }
  }
}
