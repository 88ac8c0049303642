import type { Instance } from './instance.js';
import { serviceKeyId, type ServiceKey } from './names.js';

export interface HealthChecker {
  type: 'TCP' | 'HTTP' | 'NONE' | 'MYSQL';
  path?: string;
  headers?: string;
  expectedResponseCode?: number;
}

export interface ClusterMetadata {
  healthChecker: HealthChecker;
  checkPort: number;
  useInstancePort4Check: boolean;
  metadata: Record<string, string>;
}

export interface Selector {
  type: 'none' | 'label';
  expression?: string;
}

/** Durable per-service metadata (Nacos ServiceMetadata). Absent until someone writes metadata. */
export interface ServiceMetadata {
  ephemeral: boolean;
  protectThreshold: number;
  selector: Selector;
  metadata: Record<string, string>;
  clusters: Record<string, ClusterMetadata>;
}

/** Operator overlay on one instance, keyed by `ip:port:cluster`. */
export interface InstanceMetadata {
  weight?: number;
  enabled?: boolean;
  metadata: Record<string, string>;
}

export function defaultClusterMetadata(): ClusterMetadata {
  return { healthChecker: { type: 'TCP' }, checkPort: 80, useInstancePort4Check: true, metadata: {} };
}

export function defaultServiceMetadata(ephemeral: boolean): ServiceMetadata {
  return { ephemeral, protectThreshold: 0, selector: { type: 'none' }, metadata: {}, clusters: {} };
}

export function instanceMetadataId(ip: string, port: number, cluster: string): string {
  return `${ip}:${port}:${cluster}`;
}

/** In-memory view of the durable metadata, fed by the persistent store. */
export class MetadataIndex {
  private readonly services = new Map<string, ServiceMetadata>();
  private readonly instances = new Map<string, Map<string, InstanceMetadata>>();
  private readonly namespaces = new Set<string>();

  getService(key: ServiceKey): ServiceMetadata | undefined {
    return this.services.get(serviceKeyId(key));
  }

  setService(key: ServiceKey, m: ServiceMetadata | null): void {
    const id = serviceKeyId(key);
    if (m) this.services.set(id, m);
    else this.services.delete(id);
  }

  allServiceIds(): IterableIterator<string> {
    return this.services.keys();
  }

  getInstance(key: ServiceKey, metaId: string): InstanceMetadata | undefined {
    return this.instances.get(serviceKeyId(key))?.get(metaId);
  }

  instancesOf(key: ServiceKey): ReadonlyMap<string, InstanceMetadata> | undefined {
    return this.instances.get(serviceKeyId(key));
  }

  /** Service id → its instance overrides, for every service that has some. */
  allInstanceMetadata(): IterableIterator<[string, ReadonlyMap<string, InstanceMetadata>]> {
    return this.instances.entries();
  }

  setInstance(key: ServiceKey, metaId: string, m: InstanceMetadata | null): void {
    const id = serviceKeyId(key);
    let map = this.instances.get(id);
    if (m) {
      if (!map) this.instances.set(id, (map = new Map()));
      map.set(metaId, m);
    } else if (map) {
      map.delete(metaId);
      if (map.size === 0) this.instances.delete(id);
    }
  }

  /** Ids of the custom namespaces in the catalog (the store's `namespace` table). */
  namespaceIds(): ReadonlySet<string> {
    return this.namespaces;
  }

  setNamespace(id: string, exists: boolean): void {
    if (exists) this.namespaces.add(id);
    else this.namespaces.delete(id);
  }

  /** Applies operator overrides: replaces enabled/weight, adds/overrides metadata keys. */
  overlay(key: ServiceKey, list: readonly Instance[]): readonly Instance[] {
    const map = this.instances.get(serviceKeyId(key));
    if (!map || map.size === 0) return list;
    return list.map((i) => {
      const o = map.get(instanceMetadataId(i.ip, i.port, i.clusterName));
      if (!o) return i;
      return {
        ...i,
        weight: o.weight ?? i.weight,
        enabled: o.enabled ?? i.enabled,
        metadata: Object.keys(o.metadata).length ? { ...i.metadata, ...o.metadata } : i.metadata,
      };
    });
  }
}
