/**
 * The read models of the naming state (what Nacos keeps in its catalog and operator services):
 * every query the HTTP, gRPC and console routes answer from the registry and the metadata index —
 * service facts, service lists with paging, all instances with operator overlays, instance
 * statuses, publishers, counts. The routes parse, call this and encode; none of them reads the
 * stores directly (docs/architecture.md "Layer rules"). Errors are Nacos' (docs/protocol/http.md).
 */
import type { Client } from '../core/client.js';
import { notFound } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import {
  defaultClusterMetadata,
  defaultServiceMetadata,
  type ClusterMetadata,
  type InstanceMetadata,
  type MetadataIndex,
  type ServiceMetadata,
} from '../core/metadata.js';
import { groupedName, serviceKeyId, type ServiceKey } from '../core/names.js';
import type { Registry } from '../core/registry.js';
import { reachesProtectThreshold } from '../core/selection.js';

/** A service as the read APIs show it: registry state and stored metadata joined. */
export interface ServiceFacts {
  readonly key: ServiceKey;
  /** The registry knows the service (it was registered into or created); false: metadata only. */
  readonly registered: boolean;
  /** The stored metadata, or defaults when the service was only auto-created by registration. */
  readonly meta: ServiceMetadata;
  readonly hasMetadata: boolean;
  /** Every published instance with operator overlays (enabled or not). */
  readonly instances: readonly Instance[];
}

/** One client's published instances of a service, as published (no operator overlays). */
export interface Publisher {
  readonly clientId: string;
  readonly ephemeral: boolean;
  readonly instances: readonly Instance[];
}

/** A 1-based page of bare service names and the total count. */
export interface ServiceNamePage {
  count: number;
  names: string[];
}

export class NamingCatalog {
  constructor(
    private readonly registry: Registry,
    private readonly metadata: MetadataIndex,
  ) {}

  // ---------------------------------------------------------------- counts

  serviceCount(): number {
    return this.registry.serviceCount();
  }

  instanceCount(): number {
    return this.registry.instanceCount();
  }

  // ---------------------------------------------------------------- services

  /** True when the registry knows the service. */
  hasService(key: ServiceKey): boolean {
    return this.registry.getService(key) !== undefined;
  }

  /** The service as known from the registry and/or its metadata; undefined when neither exists. */
  serviceFacts(key: ServiceKey): ServiceFacts | undefined {
    const state = this.registry.getService(key);
    const stored = this.metadata.getService(key);
    if (!state && !stored) return undefined;
    return {
      key,
      registered: state !== undefined,
      meta: stored ?? defaultServiceMetadata(state?.ephemeral ?? true),
      hasMetadata: stored !== undefined,
      instances: state ? this.metadata.overlay(key, this.registry.instancesOf(state)) : [],
    };
  }

  /** The stored metadata of a service (undefined when none was written). */
  serviceMetadata(key: ServiceKey): ServiceMetadata | undefined {
    return this.metadata.getService(key);
  }

  /** Namespaces that hold services, sorted. */
  namespaces(): string[] {
    return [...this.registry.namespaces()].sort();
  }

  /** All services of a namespace, sorted by group, then name. */
  servicesOf(namespace: string): ServiceKey[] {
    const keys: ServiceKey[] = [];
    for (const s of this.registry.allServices()) if (s.key.namespace === namespace) keys.push(s.key);
    return keys.sort((a, b) => (a.group === b.group ? cmp(a.name, b.name) : cmp(a.group, b.group)));
  }

  /**
   * The facts of a namespace's services (sorted by group, then name) whose name and group contain
   * the given substrings; `withInstancesOnly` drops services without instances (the console's
   * `hasIpCount`).
   */
  findServices(namespace: string, filter: { nameContains: string; groupContains: string; withInstancesOnly: boolean }): ServiceFacts[] {
    const out: ServiceFacts[] = [];
    for (const k of this.servicesOf(namespace)) {
      if (!k.name.includes(filter.nameContains) || !k.group.includes(filter.groupContains)) continue;
      const f = this.serviceFacts(k);
      if (f && (!filter.withInstancesOnly || f.instances.length > 0)) out.push(f);
    }
    return out;
  }

  /** Services of (namespace, group): total count and one 1-based page of bare names. */
  listServices(namespace: string, group: string, pageNo: number, pageSize: number): ServiceNamePage {
    const names: string[] = [];
    for (const s of this.registry.allServices()) {
      if (s.key.namespace === namespace && s.key.group === group) names.push(s.key.name);
    }
    names.sort();
    const start = Math.max(0, (pageNo - 1) * pageSize);
    return { count: names.length, names: names.slice(start, start + pageSize) };
  }

  // ---------------------------------------------------------------- instances

  /** All published instances of a service with operator overlays (enabled or not). */
  allInstances(key: ServiceKey): readonly Instance[] {
    const svc = this.registry.getService(key);
    return svc ? this.metadata.overlay(key, this.registry.instancesOf(svc)) : [];
  }

  /** All published instances of a service as published (no operator overlays). */
  publishedInstances(key: ServiceKey): readonly Instance[] {
    const svc = this.registry.getService(key);
    return svc ? this.registry.instancesOf(svc) : [];
  }

  /** A published instance (with overlays) by ip:port, and cluster when given. */
  findInstance(key: ServiceKey, ip: string, port: number, cluster?: string): Instance | undefined {
    return this.allInstances(key).find((i) => i.ip === ip && i.port === port && (cluster === undefined || i.clusterName === cluster));
  }

  /** Nacos `getInstance0`: 404 `no ips found ...` for an empty service, `no matched ip found!` otherwise. */
  instanceOr404(key: ServiceKey, cluster: string, ip: string, port: number): Instance {
    const all = this.allInstances(key);
    if (all.length === 0) throw notFound(`no ips found for cluster ${cluster} in service ${groupedName(key.group, key.name)}`);
    const hit = all.find((i) => i.clusterName === cluster && i.ip === ip && i.port === port);
    if (!hit) throw notFound('no matched ip found!');
    return hit;
  }

  /** `ip:port_<healthy>` for every instance (v1/v2 `instance/statuses`); 404 for an unknown service. */
  instanceStatuses(key: ServiceKey): string[] {
    if (!this.hasService(key)) throw notFound(`service: ${groupedName(key.group, key.name)} not found.`);
    return this.allInstances(key).map((i) => `${i.ip}:${i.port}_${i.healthy}`);
  }

  /** The operator overlay of one instance (`ip:port:cluster`), if any. */
  instanceOverride(key: ServiceKey, metaId: string): InstanceMetadata | undefined {
    return this.metadata.getInstance(key, metaId);
  }

  /** The clients publishing into a service, each with its own record, in publish order. */
  publishers(key: ServiceKey): Publisher[] {
    const svc = this.registry.getService(key);
    const sid = serviceKeyId(key);
    const out: Publisher[] = [];
    for (const cid of svc?.publishers ?? []) {
      const c = this.registry.getClient(cid);
      const rec = c?.publishes.get(sid);
      if (c && rec) out.push({ clientId: cid, ephemeral: c.ephemeral, instances: rec.instances });
    }
    return out;
  }

  /** A publishing client by id (the persistent-health write looks up its record). */
  getClient(id: string): Client | undefined {
    return this.registry.getClient(id);
  }
}

/** Clusters shown for a service: those that currently hold instances (docs/protocol/persistent.md §4.2). */
export function clusterNames(f: ServiceFacts): string[] {
  return [...new Set(f.instances.map((i) => i.clusterName))].sort();
}

/** A cluster's stored metadata, or the defaults. */
export function clusterMeta(f: ServiceFacts, cluster: string): ClusterMetadata {
  return f.meta.clusters[cluster] ?? defaultClusterMetadata();
}

/** The catalog's `triggerFlag`: the protect-threshold rule over all instances (docs/protocol/persistent.md §5). */
export function triggerFlag(f: ServiceFacts): boolean {
  return reachesProtectThreshold(f.instances, f.meta.protectThreshold);
}

/** One 1-based page of a list. */
export function page<T>(list: readonly T[], pageNo: number, pageSize: number): T[] {
  const start = Math.max(0, (pageNo - 1) * pageSize);
  return list.slice(start, start + Math.max(0, pageSize));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
