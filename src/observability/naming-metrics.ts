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

/**
 * Nacos' `nacos_monitor` names for the naming module and Nomen's value of each, read once per
 * scrape (the push counters, the cost window and the health stats each once).
 */
function monitorValues(s: NamingMonitorSources): Record<string, number> {
  const push = s.push();
  const cost = s.pushCost.read();
  const checks = s.health?.().checks;
  return {
    serviceCount: s.services(),
    ipCount: s.instances(),
    subscriberCount: s.subscribers(),
    totalPush: push.succeeded + push.failed,
    failedPush: push.failed,
    emptyPush: push.empty,
    maxPushCost: cost.max,
    avgPushCost: cost.avg,
    totalPushCountForAvg: cost.count,
    totalPushCostForAvg: cost.total,
    httpHealthCheck: checks?.HTTP ?? 0,
    tcpHealthCheck: checks?.TCP ?? 0,
    mysqlHealthCheck: checks?.MYSQL ?? 0,
    leaderStatus: s.leader() ? 1 : 0,
    pushPendingTaskCount: s.pendingPushes(),
    // Nacos' event queues between its naming components; Nomen applies those events synchronously.
    serviceSubscribedEventQueueSize: 0,
    serviceChangedEventQueueSize: 0,
  };
}

export function registerNamingMetrics(r: Registry, sources: NamingMonitorSources): void {
  addNacosMonitor(r, (set) => {
    for (const [name, value] of Object.entries(monitorValues(sources))) set('naming', name, value);
  });
  // One O(clients) count per scrape feeds both gauges: the subscriber gauge, registered (hence
  // collected) first, sets the publisher gauge's values too.
  const publishers = new Gauge({
    name: 'nacos_naming_publisher',
    help: 'Published (client, service) pairs by client protocol (v1: HTTP ip:port clients, v2: SDK connections)',
    labelNames: ['version'],
  });
  new Gauge({
    name: 'nacos_naming_subscriber',
    help: 'Naming subscriptions by client protocol (v1: HTTP/UDP ip:port clients, v2: SDK connections)',
    labelNames: ['version'],
    registers: [r],
    collect() {
      const c = sources.pubSub();
      for (const v of ['v1', 'v2'] as const) {
        this.set({ version: v }, c[v].subscribers);
        publishers.set({ version: v }, c[v].publishers);
      }
    },
  });
  r.registerMetric(publishers);
}
