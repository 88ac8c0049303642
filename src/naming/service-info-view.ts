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

/**
 * The parts of a ServiceInfo that stay the same for one service revision (and one clusters /
 * healthyOnly / name style / cacheMillis): the JSON before and after the `lastRefTime` value.
 * Their UTF-8 bytes are made on first use and kept with them, so byte-level senders (gRPC query,
 * pushes, HTTP list) copy bytes instead of encoding the same text again for every answer.
 */
export class ServiceInfoParts {
  private headBuf: Buffer | null = null;
  private tailBuf: Buffer | null = null;

  constructor(
    readonly rev: number,
    readonly cacheMillis: number,
    /** `{…,"hosts":[…],"lastRefTime":` */
    readonly head: string,
    /** `,"checksum":…}` */
    readonly tail: string,
    readonly hostCount: number,
  ) {}

  get headBytes(): Buffer {
    return (this.headBuf ??= Buffer.from(this.head, 'utf8'));
  }

  get tailBytes(): Buffer {
    return (this.tailBuf ??= Buffer.from(this.tail, 'utf8'));
  }
}

/** A rendered ServiceInfo: the JSON text, plus the host count for metrics. */
export interface RenderedServiceInfo {
  json: string;
  hostCount: number;
  lastRefTime: number;
  /** `json` is `parts.head + lastRefTime + parts.tail`. */
  parts: ServiceInfoParts;
}

/** The UTF-8 pieces of a rendered ServiceInfo's JSON, in order (cached bytes, no copy). */
export function serviceInfoChunks(info: RenderedServiceInfo): [Buffer, string, Buffer] {
  return [info.parts.headBytes, String(info.lastRefTime), info.parts.tailBytes];
}

/** A rendered ServiceInfo's JSON as one Buffer (one copy of the cached bytes). */
export function serviceInfoBytes(info: RenderedServiceInfo): Buffer {
  const [head, ref, tail] = serviceInfoChunks(info);
  const out = Buffer.allocUnsafe(head.length + ref.length + tail.length);
  head.copy(out, 0);
  out.write(ref, head.length, 'latin1');
  tail.copy(out, head.length + ref.length);
  return out;
}

/**
 * Renders ServiceInfo JSON. Everything but `lastRefTime` is encoded once per (service revision,
 * clusters, healthyOnly, name style) and spliced into each answer, so N subscribers of one
 * revision cost one encode. `lastRefTime` is strictly increasing across all renders (SDKs drop
 * pushes that go backwards) and read from the monotonic clock (epoch ms anchored at the process
 * start, `Clock.monotonic`), not the wall clock: a member whose wall clock stepped forward would
 * otherwise hand SDKs a future `lastRefTime`, and both the Java and the Rust SDK then ignore every
 * push from the other members as "out of date" until real time catches up (docs/reliability.md,
 * finding 5).
 */
export class ServiceInfoView {
  private readonly partsCache = new Map<string, ServiceInfoParts>();
  private lastRef = 0;

  constructor(
    private readonly registry: Registry,
    private readonly metadata: MetadataIndex,
    private readonly clock: { monotonic(): number },
    private readonly cacheMillis: () => number,
  ) {}

  nextRefTime(): number {
    const now = Math.floor(this.clock.monotonic());
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
    const svc = this.registry.getService(req.service);
    const cacheMillis = this.cacheMillis();
    let parts: ServiceInfoParts;
    if (svc) {
      const key = `${svc.id}\u0000${req.clusters}\u0000${req.healthyOnly ? 1 : 0}${req.nameStyle === 'grouped' ? 'g' : 'b'}`;
      const c = this.partsCache.get(key);
      if (c && c.rev === svc.revision && c.cacheMillis === cacheMillis) parts = c;
      else {
        parts = this.buildParts(req, cacheMillis, svc);
        this.partsCache.set(key, parts);
      }
    } else {
      parts = this.buildParts(req, cacheMillis, undefined);
    }
    const lastRefTime = this.nextRefTime();
    return { json: parts.head + lastRefTime + parts.tail, hostCount: parts.hostCount, lastRefTime, parts };
  }

  private buildParts(req: ServiceInfoRequest, cacheMillis: number, svc: ServiceState | undefined): ServiceInfoParts {
    const { group, name } = req.service;
    const grouped = groupedName(group, name);
    let hostsJson = '[]';
    let count = 0;
    let reach = false;
    if (svc) {
      const sel = this.selectFrom(svc, req.clusters, req.healthyOnly);
      hostsJson = JSON.stringify(sel.hosts.map((i) => toInstanceJson(i, grouped)));
      count = sel.hosts.length;
      reach = sel.reachProtectionThreshold;
    }
    const head =
      `{"name":${JSON.stringify(req.nameStyle === 'grouped' ? grouped : name)},"groupName":${JSON.stringify(group)}` +
      `,"clusters":${JSON.stringify(req.clusters)},"cacheMillis":${cacheMillis},"hosts":${hostsJson}` +
      `,"lastRefTime":`;
    // Nacos 2.x spells the flag `allIPs` and only that (docs/open-api-fidelity.md, item 7).
    const tail = `,"checksum":"","allIPs":false,"reachProtectionThreshold":${reach},"valid":true}`;
    return new ServiceInfoParts(svc?.revision ?? -1, cacheMillis, head, tail, count);
  }

  /** Drops cached encodings of a service that no longer exists. */
  forget(serviceId: string): void {
    for (const k of this.partsCache.keys()) if (k.startsWith(serviceId + '\u0000')) this.partsCache.delete(k);
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
