import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../observability/logger.js';
import type { RenderedServiceInfo, ServiceInfoView } from './service-info-view.js';
import type { Subscriber, SubscriptionRegistry } from './subscriptions.js';

/** Delivers one rendered ServiceInfo to one subscriber; resolves (with whatever the ack carried) on the subscriber's ack. */
export interface PushSink {
  push(sub: Subscriber, info: RenderedServiceInfo): Promise<unknown>;
  /**
   * `push` without a promise, when the sink has it (the gRPC sink: a fan-out to 10,000 subscribers
   * then allocates no promise pair per push). `done` runs once: null on the ack, else the failure.
   */
  pushThen?(sub: Subscriber, info: RenderedServiceInfo, done: (err: unknown) => void): void;
}

export interface PushConfig {
  /** Merge window after a change (Nacos: 500 ms). */
  delayMs: number;
  /** Delay before retrying a failed push (Nacos: 1000 ms). */
  retryDelayMs: number;
  /** Retries of a failed push before giving up (the next change pushes again anyway). */
  maxRetries: number;
}

export interface PushStats {
  succeeded: number;
  failed: number;
  retried: number;
  /** Sum and max of change→ack latency, ms. */
  totalCostMs: number;
  maxCostMs: number;
  /** Acknowledged pushes whose instance list was empty (Nacos' `emptyPush`). */
  empty: number;
}

/**
 * Per-service delayed, merged pushes. A change schedules one push round for the service after
 * `delayMs`; further changes within the window merge into it. A round renders the ServiceInfo once
 * per distinct (cluster filter, name style) and sends it to every subscriber of the service.
 */
export class PushEngine {
  private readonly pending = new Map<string, { timer: TimerHandle; since: number }>();
  private readonly pendingOne = new Map<string, TimerHandle>();
  readonly stats: PushStats = { succeeded: 0, failed: 0, retried: 0, totalCostMs: 0, maxCostMs: 0, empty: 0 };
  /** Observer of every push outcome: latency from the change (or subscription) to the ack / failure. */
  onOutcome: ((transport: 'grpc' | 'udp', ok: boolean, costMs: number) => void) | null = null;
  private stopped = false;

  constructor(
    private readonly view: ServiceInfoView,
    private readonly subs: SubscriptionRegistry,
    private readonly sinks: { grpc?: PushSink; udp?: PushSink },
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly cfg: PushConfig,
  ) {}

  /** A service changed: push to all its subscribers after the merge window. */
  serviceChanged(serviceId: string): void {
    if (this.stopped || this.pending.has(serviceId) || this.subs.countOf(serviceId) === 0) return;
    const since = this.clock.monotonic();
    const timer = this.clock.setTimeout(() => {
      this.pending.delete(serviceId);
      this.pushService(serviceId, since);
    }, this.cfg.delayMs);
    this.pending.set(serviceId, { timer, since });
  }

  /** A new (or changed) subscription: push to that subscriber alone after the merge window. */
  subscribed(sub: Subscriber): void {
    if (this.stopped) return;
    const key = `${sub.id}\u0000${sub.serviceId}`;
    if (this.pendingOne.has(key)) return;
    const since = this.clock.monotonic();
    this.pendingOne.set(
      key,
      this.clock.setTimeout(() => {
        this.pendingOne.delete(key);
        const current = this.subs.get(sub.id, sub.serviceId);
        if (current) this.deliver(current, this.renderFor(current, new Map()), since, 0);
      }, this.cfg.delayMs),
    );
  }

  /** Push rounds waiting for their merge window (per service, and per new subscription). */
  pendingCount(): number {
    return this.pending.size + this.pendingOne.size;
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.pending.values()) p.timer.cancel();
    for (const t of this.pendingOne.values()) t.cancel();
    this.pending.clear();
    this.pendingOne.clear();
  }

  private pushService(serviceId: string, since: number): void {
    const rendered = new Map<string, RenderedServiceInfo>();
    // Subscribers of one service mostly share one filter: skip the cache lookup while it repeats.
    let last: Subscriber | null = null;
    let info: RenderedServiceInfo | null = null;
    for (const sub of this.subs.subscribersOf(serviceId)) {
      if (info === null || last === null || sub.clusters !== last.clusters || sub.target.kind !== last.target.kind) info = this.renderFor(sub, rendered);
      last = sub;
      this.deliver(sub, info, since, 0);
    }
  }

  private renderFor(sub: Subscriber, cache: Map<string, RenderedServiceInfo>): RenderedServiceInfo {
    const nameStyle = sub.target.kind === 'grpc' ? 'bare' : 'grouped';
    const key = `${nameStyle}\u0000${sub.clusters}`;
    let r = cache.get(key);
    if (!r) {
      r = this.view.render({ service: sub.service, clusters: sub.clusters, healthyOnly: false, nameStyle });
      cache.set(key, r);
    }
    return r;
  }

  private deliver(sub: Subscriber, info: RenderedServiceInfo, since: number, attempt: number): void {
    const sink = sub.target.kind === 'grpc' ? this.sinks.grpc : this.sinks.udp;
    if (!sink) return;
    // One closure per push; the gRPC sink takes it directly (no promise pair per push).
    const done = (err: unknown): void => {
      if (err === null || err === undefined) this.acked(sub, info, since);
      else this.failed(sub, since, attempt, err);
    };
    if (sink.pushThen) sink.pushThen(sub, info, done);
    else sink.push(sub, info).then(() => done(null), (e: unknown) => done(e ?? new Error('push failed')));
  }

  private acked(sub: Subscriber, info: RenderedServiceInfo, since: number): void {
    const cost = this.clock.monotonic() - since;
    this.onOutcome?.(sub.target.kind === 'grpc' ? 'grpc' : 'udp', true, cost);
    this.stats.succeeded++;
    if (info.hostCount === 0) this.stats.empty++;
    this.stats.totalCostMs += cost;
    if (cost > this.stats.maxCostMs) this.stats.maxCostMs = cost;
  }

  private failed(sub: Subscriber, since: number, attempt: number, err: unknown): void {
    this.onOutcome?.(sub.target.kind === 'grpc' ? 'grpc' : 'udp', false, this.clock.monotonic() - since);
    this.stats.failed++;
    if (this.stopped || attempt >= this.cfg.maxRetries) {
      this.log.debug({ err, subscriber: sub.id, service: sub.serviceId }, 'push failed, giving up');
      return;
    }
    this.stats.retried++;
    this.clock.setTimeout(() => {
      const current = this.subs.get(sub.id, sub.serviceId);
      // Retry with the latest state, not the failed (possibly stale) rendering.
      if (current) this.deliver(current, this.renderFor(current, new Map()), since, attempt + 1);
    }, this.cfg.retryDelayMs);
  }
}
