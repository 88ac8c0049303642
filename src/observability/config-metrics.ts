/**
 * Prometheus series of the configuration center (docs/operations.md "Config metrics"): our own
 * `nomen_config_*` series, and the `nacos_monitor{module="config",name=…}` and
 * `nacos_config_subscriber{version=…}` gauges Nacos' config module exports, so a Grafana
 * dashboard built for Nacos shows the same panels. Everything is read at scrape time.
 */
import type { ConfigServiceStats, WriteOutcome } from '../config-center/counted-config-service.js';
import type { ListeningStats } from '../config-center/listening.js';
import { Gauge, type Registry } from 'prom-client';
import { addNacosMonitor } from './nacos-monitor.js';

/** What the config series read (`CountedConfigService` has this shape). */
export interface ConfigCenterMetrics {
  /** Formal configs per namespace id. */
  countsByNamespace(): ReadonlyMap<string, number>;
  /** Formal configs in all. */
  size(): number;
  historySize(): number;
  readonly stats: Readonly<ConfigServiceStats>;
}

const OUTCOMES: readonly WriteOutcome[] = ['ok', 'cas_mismatch', 'rejected', 'failed'];

/**
 * Registers the config series on `r`. `listen` (held long polls, gRPC listeners, pushes) is absent
 * in edge-only set-ups; its Nacos gauges then read 0.
 */
export function registerConfigMetrics(r: Registry, center: () => ConfigCenterMetrics, listen?: () => Readonly<ListeningStats>): void {
  new Gauge({
    name: 'nomen_configs',
    help: 'Formal configs (gray variants not counted) by namespace',
    labelNames: ['namespace'],
    registers: [r],
    collect() {
      this.reset();
      for (const [ns, n] of center().countsByNamespace()) this.set({ namespace: ns }, n);
    },
  });
  new Gauge({
    name: 'nomen_config_history_rows',
    help: 'Config history rows held (until nacos.config.retention.days)',
    registers: [r],
    collect() {
      this.set(center().historySize());
    },
  });
  new Gauge({
    name: 'nomen_config_writes_total',
    help: 'Config publishes and removes served by this member, by outcome (monotonic): ok, cas_mismatch, rejected (bad input, limits), failed (store)',
    labelNames: ['op', 'outcome'],
    registers: [r],
    collect() {
      const s = center().stats;
      for (const outcome of OUTCOMES) {
        this.set({ op: 'publish', outcome }, s.publish[outcome]);
        this.set({ op: 'remove', outcome }, s.remove[outcome]);
      }
    },
  });
  new Gauge({
    name: 'nomen_config_reads_total',
    help: 'Config reads served by this member (HTTP and gRPC client reads, monotonic), by whether a config was served',
    labelNames: ['outcome'],
    registers: [r],
    collect() {
      const s = center().stats.reads;
      this.set({ outcome: 'found' }, s.found);
      this.set({ outcome: 'not_found' }, s.notFound);
    },
  });
  if (listen) {
    new Gauge({
      name: 'nomen_config_notify_pending',
      help: 'Config change pushes to gRPC listeners in flight or waiting for a retry',
      registers: [r],
      collect() {
        this.set(listen().notifyPending);
      },
    });
  }
  // Nacos' names (config module MetricsMonitor). notifyTask and dumpTask count Nacos' queues of
  // cluster notifications and disk dumps; Nomen has neither (every member applies the Raft log
  // itself), so they read 0 rather than being absent from a dashboard.
  addNacosMonitor(r, (setMonitor) => {
    const c = center();
    const l = listen?.();
    const set = (name: string, v: number) => setMonitor('config', name, v);
    set('getConfig', c.stats.reads.found + c.stats.reads.notFound);
    set('publish', c.stats.publish.ok);
    set('longPolling', l?.longPolls ?? 0);
    set('configCount', c.size());
    set('notifyTask', 0);
    set('notifyClientTask', l?.notifyPending ?? 0);
    set('dumpTask', 0);
  });
  new Gauge({
    name: 'nacos_config_subscriber',
    help: 'Nacos-compatible config listeners: version="v1" held HTTP long polls, "v2" SDK connections listening over gRPC',
    labelNames: ['version'],
    registers: [r],
    collect() {
      const l = listen?.();
      this.set({ version: 'v1' }, l?.longPolls ?? 0);
      this.set({ version: 'v2' }, l?.grpcListeners ?? 0);
    },
  });
}
