/** The Prometheus sources of one member: counts, push and health figures, Raft, Distro and members. */
import type { Readiness } from '../app-context.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { ConnectionMoves } from '../cluster/connection-moves.js';
import type { ConfigListening } from '../config-center/listening.js';
import type { Registry } from '../core/registry.js';
import type { SubscriptionRegistry } from '../naming/subscriptions.js';
import type { ConfigCenterMetrics } from '../observability/config-metrics.js';
import { Metrics } from '../observability/metrics.js';
import { PushCostWindow } from '../observability/naming-metrics.js';
import type { RaftStore } from '../persistence/raft-store.js';
import type { UdpPushService } from '../transport/udp/udp-push.js';
import type { NamingParts } from './naming-parts.js';

export interface MetricsInputs {
  registry: Registry;
  subscriptions: SubscriptionRegistry;
  parts: NamingParts;
  udp: UdpPushService;
  store: RaftStore;
  readiness: Readiness;
  moves: ConnectionMoves;
  sdkConnections(): number;
  cluster: ClusterNode | null;
  /** Read at scrape time (built after the metrics). */
  configListening?: () => ConfigListening | undefined;
  /** The config center's counts and counters (absent: no config series). */
  configCenter?: ConfigCenterMetrics;
}

const NO_LISTENING = { longPolls: 0, grpcListeners: 0, grpcListenedKeys: 0, notifySent: 0, notifyFailed: 0, notifyDropped: 0, longPollsReleased: 0, notifyPending: 0 };

export function memberMetrics(p: MetricsInputs): Metrics {
  const { parts, store, cluster, configCenter: center } = p;
  const pushCost = new PushCostWindow(() => performance.now());
  const metrics = new Metrics({
    services: () => p.registry.serviceCount(),
    instances: () => parts.naming.instanceCount(),
    subscribers: () => p.subscriptions.count(),
    connections: () => p.sdkConnections(),
    clients: () => parts.naming.clientCounts(),
    push: () => parts.push.stats,
    udp: () => p.udp.stats,
    health: () => parts.health.stats,
    ready: () => p.readiness.ready,
    handover: () => p.moves.handoverStats(),
    ...(p.configListening ? { configListen: () => p.configListening?.()?.stats() ?? NO_LISTENING } : {}),
    ...(center ? { configCenter: () => center } : {}),
    raft: () => {
      const st = store.status();
      if (!st) return null;
      const { proposed, forwarded, failed, applied, duplicates, rejected } = store.stats();
      return {
        role: st.role,
        term: st.term,
        commitIndex: st.commitIndex,
        appliedIndex: st.appliedIndex,
        lastIndex: st.lastIndex,
        snapshotIndex: st.snapshotIndex,
        voters: st.conf.voters.length,
        counters: { proposed, forwarded, failed, applied, duplicates, rejected },
      };
    },
    namingMonitor: {
      services: () => p.registry.serviceCount(),
      instances: () => parts.naming.instanceCount(),
      subscribers: () => p.subscriptions.count(),
      push: () => parts.push.stats,
      pushCost,
      health: () => parts.health.stats,
      pendingPushes: () => parts.push.pendingCount(),
      leader: () => store.status()?.role === 'leader',
      pubSub: () => parts.naming.clients.pubSubCounts(),
    },
    ...(cluster
      ? {
          distro: () => cluster.distro.stats(),
          members: () => cluster.memberList().map((m) => ({ address: m.address, state: m.state })),
        }
      : {}),
  });
  parts.push.onOutcome = (transport, ok, ms) => {
    metrics.pushSeconds.observe({ transport, outcome: ok ? 'acked' : 'failed' }, ms / 1000);
    if (ok) pushCost.record(ms);
  };
  return metrics;
}
