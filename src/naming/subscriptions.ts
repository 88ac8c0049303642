import { serviceKeyId, type ServiceKey } from '../core/names.js';

/** How a subscriber is reached: over its gRPC connection, or by UDP (v1 HTTP clients). */
export type SubscriberTarget =
  | { readonly kind: 'grpc'; readonly connectionId: string }
  | { readonly kind: 'udp'; readonly ip: string; readonly port: number };

export interface Subscriber {
  /**
   * The subscribing client's id: the connection id for gRPC; for UDP the ip:port client id
   * `ip:udpPort#true`, as Nacos names a v1 subscriber (docs/open-api-fidelity.md, item 5). One
   * subscription per (subscriber, service).
   */
  readonly id: string;
  readonly service: ServiceKey;
  readonly serviceId: string;
  /** Comma-joined cluster filter as the client sent it. */
  readonly clusters: string;
  readonly target: SubscriberTarget;
  readonly app: string;
  readonly agent: string;
  /** Address shown to operators (`ip:port`). */
  readonly address: string;
  lastSeen: number;
}

/** Subscriptions, indexed by service and by subscriber. Local to this member (not replicated). */
export class SubscriptionRegistry {
  private readonly byService = new Map<string, Map<string, Subscriber>>();
  private readonly bySubscriber = new Map<string, Set<string>>();
  private total = 0;

  /** Adds or replaces (latest clusters win). Returns true when it is new for that service. */
  add(s: Omit<Subscriber, 'serviceId'>): { subscriber: Subscriber; isNew: boolean } {
    const serviceId = serviceKeyId(s.service);
    const sub: Subscriber = { ...s, serviceId };
    let m = this.byService.get(serviceId);
    if (!m) this.byService.set(serviceId, (m = new Map()));
    const prev = m.get(s.id);
    m.set(s.id, sub);
    if (!prev) this.total++;
    let set = this.bySubscriber.get(s.id);
    if (!set) this.bySubscriber.set(s.id, (set = new Set()));
    set.add(serviceId);
    return { subscriber: sub, isNew: !prev || prev.clusters !== sub.clusters };
  }

  /** Refreshes lastSeen without changing the subscription. */
  touch(subscriberId: string, service: ServiceKey, now: number): void {
    const s = this.byService.get(serviceKeyId(service))?.get(subscriberId);
    if (s) s.lastSeen = now;
  }

  remove(subscriberId: string, service: ServiceKey): boolean {
    const serviceId = serviceKeyId(service);
    const m = this.byService.get(serviceId);
    if (!m?.delete(subscriberId)) return false;
    this.total--;
    if (m.size === 0) this.byService.delete(serviceId);
    const set = this.bySubscriber.get(subscriberId);
    set?.delete(serviceId);
    if (set && set.size === 0) this.bySubscriber.delete(subscriberId);
    return true;
  }

  removeSubscriber(subscriberId: string): number {
    const set = this.bySubscriber.get(subscriberId);
    if (!set) return 0;
    let n = 0;
    for (const serviceId of set) {
      const m = this.byService.get(serviceId);
      if (m?.delete(subscriberId)) n++;
      if (m && m.size === 0) this.byService.delete(serviceId);
    }
    this.bySubscriber.delete(subscriberId);
    this.total -= n;
    return n;
  }

  subscribersOf(serviceId: string): Iterable<Subscriber> {
    return this.byService.get(serviceId)?.values() ?? [];
  }

  get(subscriberId: string, serviceId: string): Subscriber | undefined {
    return this.byService.get(serviceId)?.get(subscriberId);
  }

  /** Every subscribing client id. */
  subscriberIds(): IterableIterator<string> {
    return this.bySubscriber.keys();
  }

  /** The subscriptions of one subscriber (empty when it has none). */
  *subscriptionsOf(subscriberId: string): Iterable<Subscriber> {
    for (const serviceId of this.bySubscriber.get(subscriberId) ?? []) {
      const s = this.byService.get(serviceId)?.get(subscriberId);
      if (s) yield s;
    }
  }

  countOf(serviceId: string): number {
    return this.byService.get(serviceId)?.size ?? 0;
  }

  /** Total subscriptions (O(1)). */
  count(): number {
    return this.total;
  }

  /** Subscriptions of one subscriber (O(1)). */
  countFor(subscriberId: string): number {
    return this.bySubscriber.get(subscriberId)?.size ?? 0;
  }

  /** UDP subscriptions not refreshed since `before`. */
  *staleUdp(before: number): Iterable<Subscriber> {
    for (const m of this.byService.values()) {
      for (const s of m.values()) if (s.target.kind === 'udp' && s.lastSeen < before) yield s;
    }
  }
}
