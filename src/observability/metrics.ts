import type { ListeningStats } from '../config-center/listening.js';
import type { DistroStats } from '../distro/stats.js';
import type { HealthCheckStats } from '../health/health-checker.js';
import { registerConfigMetrics, type ConfigCenterMetrics } from './config-metrics.js';
import { registerNamingMetrics, type NamingMonitorSources } from './naming-metrics.js';
import { RequestMetrics } from './request-series.js';
import { Gauge, Histogram, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';

/** What the metrics read at scrape time (no work on hot paths beyond counters). */
export interface MetricsSources {
  services(): number;
  instances(): number;
  subscribers(): number;
  connections(): number;
  clients(): Record<string, number>;
  push(): { succeeded: number; failed: number; retried: number };
  udp(): { sent: number; acked: number; failed: number; resent: number };
  ready(): boolean;
  /** Health checks of persistent instances (counters are monotonic). */
  health?(): HealthCheckStats;
  /** Cluster mode: Distro stats (counters are monotonic). */
  distro?(): DistroStats;
  members?(): { address: string; state: string }[];
  /** Raft of the persistent store (null before it started). */
  raft?(): RaftMetrics | null;
  /** Hand-over of SDK clients moved on purpose (drain, rebalance); counters monotonic. */
  handover?(): { retained: number; handedOver: number; timedOut: number; moved: number };
  /** Config listening: held long polls, gRPC listeners (gauges) and push outcomes (monotonic). */
  configListen?(): ConfigListenMetrics;
  /** Config center: counts and use-case counters (docs/operations.md "Config metrics"). */
  configCenter?(): ConfigCenterMetrics;
  /** Nacos' naming series (docs/operations.md "Naming metrics in Nacos' names"). */
  namingMonitor?: NamingMonitorSources;
}

/** The config listening counters (`ConfigListening.stats()`). */
export type ConfigListenMetrics = Readonly<ListeningStats>;

export interface RaftMetrics {
  role: string;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  voters: number;
  /** Monotonic counters (proposed, forwarded, failed, applied, duplicates...). */
  counters: Record<string, number>;
}

/**
 * Prometheus metrics (prom-client) served at `/nacos/actuator/prometheus` and `/metrics`.
 * Gauges are computed at scrape time from the live state; request latency is observed per route.
 */
export class Metrics {
  readonly registry = new PromRegistry();
  readonly httpRequests: Histogram<'method' | 'route' | 'status'>;
  /** SDK gRPC requests: counts by type and result, handling time by type (src/observability/request-series.ts). */
  readonly grpcRequests: RequestMetrics;
  /** Push latency: from the change (or new subscription) to the subscriber's ack, by transport and outcome. */
  readonly pushSeconds: Histogram<'transport' | 'outcome'>;
  private defaultMetrics = false;

  constructor(sources: MetricsSources) {
    const r = this.registry;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers: [r], collect() { this.set(read()); } });
    gauge('nomen_services', 'Services known to this member', () => sources.services());
    gauge('nomen_instances', 'Instances known to this member (own and replicated)', () => sources.instances());
    gauge('nomen_subscribers', 'Subscriptions served by this member', () => sources.subscribers());
    gauge('nomen_grpc_connections', 'Live SDK gRPC connections', () => sources.connections());
    gauge('nomen_ready', '1 when the member is ready', () => (sources.ready() ? 1 : 0));
    new Gauge({
      name: 'nomen_clients',
      help: 'Clients by kind',
      labelNames: ['kind'],
      registers: [r],
      collect() {
        for (const [k, v] of Object.entries(sources.clients())) this.set({ kind: k }, v);
      },
    });
    const handover = sources.handover;
    if (handover) {
      gauge('nomen_handover_retained', 'Clients of moved SDK connections kept until the SDK registers elsewhere', () => handover().retained);
      new Gauge({
        name: 'nomen_handover_total',
        help: 'SDK connections asked to move (drain, rebalance) and how their clients were released (monotonic)',
        labelNames: ['event'],
        registers: [r],
        collect() {
          const h = handover();
          this.set({ event: 'moved' }, h.moved);
          this.set({ event: 'handed_over' }, h.handedOver);
          this.set({ event: 'timed_out' }, h.timedOut);
        },
      });
    }
    new Gauge({
      name: 'nomen_push_total',
      help: 'Pushes to subscribers by outcome (monotonic)',
      labelNames: ['outcome'],
      registers: [r],
      collect() {
        const p = sources.push();
        this.set({ outcome: 'succeeded' }, p.succeeded);
        this.set({ outcome: 'failed' }, p.failed);
        this.set({ outcome: 'retried' }, p.retried);
      },
    });
    const listen = sources.configListen;
    if (listen) {
      gauge('nomen_config_long_polls', 'HTTP config long polls held by this member', () => listen().longPolls);
      gauge('nomen_config_grpc_listeners', 'SDK connections of this member listening to configs', () => listen().grpcListeners);
      gauge('nomen_config_grpc_listened_keys', 'Listened (connection, config) pairs on this member', () => listen().grpcListenedKeys);
      new Gauge({
        name: 'nomen_config_notifications',
        help: 'Config change notifications (monotonic): gRPC pushes acked / failed tries / connections dropped, long polls released by a change',
        labelNames: ['outcome'],
        registers: [r],
        collect() {
          const l = listen();
          this.set({ outcome: 'acked' }, l.notifySent);
          this.set({ outcome: 'failed' }, l.notifyFailed);
          this.set({ outcome: 'dropped' }, l.notifyDropped);
          this.set({ outcome: 'long-poll-released' }, l.longPollsReleased);
        },
      });
    }
    if (sources.configCenter) registerConfigMetrics(r, sources.configCenter, listen);
    if (sources.namingMonitor) registerNamingMetrics(r, sources.namingMonitor);
    new Gauge({
      name: 'nomen_udp_push_packets',
      help: 'UDP push packets (monotonic)',
      labelNames: ['outcome'],
      registers: [r],
      collect() {
        const u = sources.udp();
        for (const [k, v] of Object.entries(u)) this.set({ outcome: k }, v);
      },
    });
    if (sources.health) {
      const health = sources.health;
      new Gauge({
        name: 'nomen_health_checks_total',
        help: 'Health checks of persistent instances by verdict (monotonic)',
        labelNames: ['verdict'],
        registers: [r],
        collect() {
          const p = health().probes;
          this.set({ verdict: 'success' }, p.success);
          this.set({ verdict: 'fail' }, p.fail);
          this.set({ verdict: 'fail_now' }, p.failNow);
        },
      });
      new Gauge({
        name: 'nomen_health_flips_total',
        help: 'Health changes of persistent instances written by the checks, by new state (monotonic)',
        labelNames: ['to'],
        registers: [r],
        collect() {
          const f = health().flips;
          this.set({ to: 'healthy' }, f.healthy);
          this.set({ to: 'unhealthy' }, f.unhealthy);
        },
      });
    }
    if (sources.distro) {
      const distro = sources.distro;
      new Gauge({
        name: 'nomen_distro_clients',
        help: 'Distro clients held, by role',
        labelNames: ['role'],
        registers: [r],
        collect() {
          const d = distro();
          this.set({ role: 'responsible' }, d.responsible);
          this.set({ role: 'replica' }, d.replicas);
          this.set({ role: 'tombstone' }, d.tombstones);
        },
      });
      new Gauge({
        name: 'nomen_distro_events',
        help: 'Distro counters (monotonic): syncs sent/failed/retried, verifies, applies, load',
        labelNames: ['event'],
        registers: [r],
        collect() {
          for (const [k, v] of Object.entries(distro().counters) as [string, number][]) this.set({ event: k }, v);
        },
      });
      gauge('nomen_distro_verify_last_round_bytes', 'Bytes of the last verify round', () => distro().verify.lastRoundBytes);
      gauge('nomen_distro_load_time_ms', 'Snapshot load time at start (ms; -1 while loading)', () => distro().loadTimeMs ?? -1);
    }
    if (sources.members) {
      const members = sources.members;
      new Gauge({
        name: 'nomen_cluster_member_up',
        help: '1 when a member is UP or SUSPICIOUS in this member\'s view',
        labelNames: ['member', 'state'],
        registers: [r],
        collect() {
          this.reset();
          for (const m of members()) this.set({ member: m.address, state: m.state }, m.state === 'UP' || m.state === 'SUSPICIOUS' ? 1 : 0);
        },
      });
    }
    if (sources.raft) {
      const raft = sources.raft;
      new Gauge({
        name: 'nomen_raft_role',
        help: '1 for this member\'s current Raft role of the persistent store',
        labelNames: ['role'],
        registers: [r],
        collect() {
          const st = raft();
          this.reset();
          for (const role of ['leader', 'follower', 'candidate', 'preCandidate']) this.set({ role }, st?.role === role ? 1 : 0);
        },
      });
      gauge('nomen_raft_term', 'Current Raft term', () => raft()?.term ?? 0);
      gauge('nomen_raft_commit_index', 'Raft commit index', () => raft()?.commitIndex ?? 0);
      gauge('nomen_raft_applied_index', 'Raft applied index', () => raft()?.appliedIndex ?? 0);
      gauge('nomen_raft_last_index', 'Last Raft log index', () => raft()?.lastIndex ?? 0);
      gauge('nomen_raft_snapshot_index', 'Index of the latest Raft snapshot', () => raft()?.snapshotIndex ?? 0);
      gauge('nomen_raft_voters', 'Voters in the Raft configuration', () => raft()?.voters ?? 0);
      new Gauge({
        name: 'nomen_raft_events',
        help: 'Raft store counters (monotonic): proposed, forwarded, failed, applied, duplicates, rejected',
        labelNames: ['event'],
        registers: [r],
        collect() {
          for (const [k, v] of Object.entries(raft()?.counters ?? {})) this.set({ event: k }, v);
        },
      });
    }
    this.httpRequests = new Histogram({
      name: 'nomen_http_request_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5],
      registers: [r],
    });
    this.pushSeconds = new Histogram({
      name: 'nomen_push_seconds',
      help: 'Push latency from the change (merge window included) to the ack, by transport and outcome',
      labelNames: ['transport', 'outcome'],
      buckets: [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10],
      registers: [r],
    });
    this.grpcRequests = new RequestMetrics(r, {
      counterName: 'nomen_grpc_requests_total',
      counterHelp: 'SDK gRPC requests by type and result',
      histogramName: 'nomen_grpc_request_seconds',
      histogramHelp: 'SDK gRPC request handling time by request type (persistent writes include the Raft commit)',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    });
  }

  /**
   * prom-client's process and Node.js metrics start with the first scrape: until then a member
   * keeps neither their objects nor the event-loop delay monitor (its histogram and a timer that
   * wakes the idle process), docs/benchmarks.md "Idle memory". Their counters (GC, event-loop
   * delay) cover the time since that scrape; the process figures (CPU, memory, handles) are
   * absolute either way.
   */
  async text(): Promise<string> {
    if (!this.defaultMetrics) {
      this.defaultMetrics = true;
      collectDefaultMetrics({ register: this.registry, prefix: 'nomen_' });
    }
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
