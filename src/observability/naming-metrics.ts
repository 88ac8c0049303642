/**
 * Nacos' naming-module Prometheus series (docs/operations.md "Naming metrics in Nacos' names"):
 * `nacos_monitor{module="naming",name=…}`, `nacos_naming_subscriber{version}` and
 * `nacos_naming_publisher{version}`, so a Grafana dashboard built for Nacos shows the same naming
 * panels. Everything is read at scrape time except the push cost window, which the push outcomes
 * feed (`PushCostWindow`).
 */
import { Gauge, type Registry } from 'prom-client';
import type { HealthCheckStats } from '../health/health-checker.js';
import { addNacosMonitor } from './nacos-monitor.js';

/** What the naming series read. */
export interface NamingMonitorSources {
  services(): number;
  instances(): number;
  subscribers(): number;
  /** Monotonic push counters: acknowledged, failed, acknowledged with an empty instance list. */
  push(): { succeeded: number; failed: number; empty: number };
  pushCost: PushCostWindow;
  /** Health-check probes started, by checker type (monotonic); absent: none run here. */
  health?(): HealthCheckStats;
  /** Pushes waiting for their merge window or a retry. */
  pendingPushes(): number;
  /** True when this member leads the Raft group of the persistent data. */
  leader(): boolean;
  pubSub(): { v1: { publishers: number; subscribers: number }; v2: { publishers: number; subscribers: number } };
}

/**
 * Max and average push cost (change → ack, ms) over a period, as Nacos' performance logger keeps
 * them: reset every `periodMs` (Nacos: 60 s); -1 when no push was acknowledged in the period.
 * Rolled lazily on each push and read, from the injected monotonic clock.
 */
export class PushCostWindow {
  private start: number;
  private count = 0;
  private total = 0;
  private max = -1;

  constructor(
    private readonly now: () => number,
    private readonly periodMs = 60_000,
  ) {
    this.start = now();
  }

  record(costMs: number): void {
    this.roll();
    this.count++;
    this.total += costMs;
    if (costMs > this.max) this.max = costMs;
  }

  read(): { max: number; avg: number; count: number; total: number } {
    this.roll();
    return { max: this.max < 0 ? -1 : Math.round(this.max), avg: this.count > 0 ? Math.floor(this.total / this.count) : -1, count: this.count, total: Math.round(this.total) };
  }

  private roll(): void {
    const t = this.now();
    if (t - this.start < this.periodMs) return;
    this.start = t - ((t - this.start) % this.periodMs);
    this.count = 0;
    this.total = 0;
    this.max = -1;
  }
}

/** Nacos' `nacos_monitor` names for the naming module, and how Nomen reads each. */
const MONITOR: Record<string, (s: NamingMonitorSources) => number> = {
  serviceCount: (s) => s.services(),
  ipCount: (s) => s.instances(),
  subscriberCount: (s) => s.subscribers(),
  totalPush: (s) => {
    const p = s.push();
    return p.succeeded + p.failed;
  },
  failedPush: (s) => s.push().failed,
  emptyPush: (s) => s.push().empty,
  maxPushCost: (s) => s.pushCost.read().max,
  avgPushCost: (s) => s.pushCost.read().avg,
  totalPushCountForAvg: (s) => s.pushCost.read().count,
  totalPushCostForAvg: (s) => s.pushCost.read().total,
  httpHealthCheck: (s) => s.health?.().checks.HTTP ?? 0,
  tcpHealthCheck: (s) => s.health?.().checks.TCP ?? 0,
  mysqlHealthCheck: (s) => s.health?.().checks.MYSQL ?? 0,
  leaderStatus: (s) => (s.leader() ? 1 : 0),
  pushPendingTaskCount: (s) => s.pendingPushes(),
  // Nacos' event queues between its naming components; Nomen applies those events synchronously.
  serviceSubscribedEventQueueSize: () => 0,
  serviceChangedEventQueueSize: () => 0,
};

export function registerNamingMetrics(r: Registry, sources: NamingMonitorSources): void {
  addNacosMonitor(r, (set) => {
    for (const [name, read] of Object.entries(MONITOR)) set('naming', name, read(sources));
  });
  new Gauge({
    name: 'nacos_naming_subscriber',
    help: 'Naming subscriptions by client protocol (v1: HTTP/UDP ip:port clients, v2: SDK connections)',
    labelNames: ['version'],
    registers: [r],
    collect() {
      const c = sources.pubSub();
      this.set({ version: 'v1' }, c.v1.subscribers);
      this.set({ version: 'v2' }, c.v2.subscribers);
    },
  });
  new Gauge({
    name: 'nacos_naming_publisher',
    help: 'Published (client, service) pairs by client protocol (v1: HTTP ip:port clients, v2: SDK connections)',
    labelNames: ['version'],
    registers: [r],
    collect() {
      const c = sources.pubSub();
      this.set({ version: 'v1' }, c.v1.publishers);
      this.set({ version: 'v2' }, c.v2.publishers);
    },
  });
}
