import { toInstanceJson, type Instance } from '../core/instance.js';
import type { MetadataIndex } from '../core/metadata.js';
import { groupedName, type ServiceKey } from '../core/names.js';
import type { Registry, ServiceState } from '../core/registry.js';
import { selectInstances } from '../core/selection.js';

export type NameStyle = 'bare' | 'grouped';

export interface ServiceInfoRequest {
  service: ServiceKey;
  /** Comma-joined filter as given; echoed back in `clusters`. */
  clusters: string;
  healthyOnly: boolean;
  /** gRPC answers the bare name; HTTP v1/v2 and UDP answer `group@@name`. */
  nameStyle: NameStyle;
}

/** A rendered ServiceInfo: the JSON text, plus the host count for metrics. */
export interface RenderedServiceInfo {
  json: string;
  hostCount: number;
  lastRefTime: number;
}

/**
 * Renders ServiceInfo JSON. The `hosts` array is encoded once per (service revision, clusters,
 * healthyOnly) and spliced into each answer, so N subscribers of one revision cost one encode.
 * `lastRefTime` is strictly increasing across all renders (SDKs drop pushes that go backwards).
 */
export class ServiceInfoView {
  private readonly hostsCache = new Map<string, { rev: number; json: string; count: number; reach: boolean }>();
  private lastRef = 0;

  constructor(
    private readonly registry: Registry,
    private readonly metadata: MetadataIndex,
    private readonly clock: { now(): number },
    private readonly cacheMillis: () => number,
  ) {}

  nextRefTime(): number {
    const now = this.clock.now();
    this.lastRef = now > this.lastRef ? now : this.lastRef + 1;
    return this.lastRef;
  }

  /** The selected instances (for APIs that need objects, not JSON). */
  select(req: Omit<ServiceInfoRequest, 'nameStyle'>): { hosts: readonly Instance[]; reachProtectionThreshold: boolean } {
    const svc = this.registry.getService(req.service);
    if (!svc) return { hosts: [], reachProtectionThreshold: false };
    return this.selectFrom(svc, req.clusters, req.healthyOnly);
  }

  render(req: ServiceInfoRequest): RenderedServiceInfo {
    const { group, name } = req.service;
    const grouped = groupedName(group, name);
    const svc = this.registry.getService(req.service);
    let hostsJson = '[]';
    let count = 0;
    let reach = false;
    if (svc) {
      const key = `${svc.id}\u0000${req.clusters}\u0000${req.healthyOnly ? 1 : 0}`;
      let c = this.hostsCache.get(key);
      if (!c || c.rev !== svc.revision) {
        const sel = this.selectFrom(svc, req.clusters, req.healthyOnly);
        c = {
          rev: svc.revision,
          json: JSON.stringify(sel.hosts.map((i) => toInstanceJson(i, grouped))),
          count: sel.hosts.length,
          reach: sel.reachProtectionThreshold,
        };
        this.hostsCache.set(key, c);
      }
      hostsJson = c.json;
      count = c.count;
      reach = c.reach;
    }
    const lastRefTime = this.nextRefTime();
    const json =
      `{"name":${JSON.stringify(req.nameStyle === 'grouped' ? grouped : name)},"groupName":${JSON.stringify(group)}` +
      `,"clusters":${JSON.stringify(req.clusters)},"cacheMillis":${this.cacheMillis()},"hosts":${hostsJson}` +
      `,"lastRefTime":${lastRefTime},"checksum":"","allIPs":false,"allIps":false` +
      `,"reachProtectionThreshold":${reach},"valid":true}`;
    return { json, hostCount: count, lastRefTime };
  }

  /** Drops cached encodings of a service that no longer exists. */
  forget(serviceId: string): void {
    for (const k of this.hostsCache.keys()) if (k.startsWith(serviceId + '\u0000')) this.hostsCache.delete(k);
  }

  private selectFrom(svc: ServiceState, clusters: string, healthyOnly: boolean) {
    const all = this.metadata.overlay(svc.key, this.registry.instancesOf(svc));
    return selectInstances(all, this.metadata.getService(svc.key), {
      clusters: clusters === '' ? [] : clusters.split(',').map((c) => c.trim()).filter(Boolean),
      healthyOnly,
      enabledOnly: true,
    });
  }
}
