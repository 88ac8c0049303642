/**
 * Moving SDK connections off this member: one connection on request (`moveConnection`), all of
 * them when the member leaves (`drain`, see drain.ts), or a few per round when it holds more than
 * the cluster average (the optional `ConnectionRebalancer`, rebalance.ts). Every moved connection's
 * client is handed over first (naming/handover.ts), so no subscriber sees its instances disappear.
 * Peers' loads come from their member reports; this member reports its own through
 * `ClusterNode.extraInfo`. docs/operations.md.
 */
import type { Config } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { HandoverStats } from '../naming/handover.js';
import type { Logger } from '../observability/logger.js';
import type { ClusterNode } from './cluster-node.js';
import { drainMember, type DrainReport } from './drain.js';
import { ConnectionRebalancer, newestFirst, planReload, type PeerLoad } from './rebalance.js';

/** What a move needs of the SDK gRPC port. */
export interface SdkConnections {
  readonly isAccepting: boolean;
  stopAccepting(): void;
  connectionCount(): number;
  listConnections(): readonly { readonly id: string; readonly createdAt: number }[];
  /** ConnectResetRequest (towards `serverIp:serverPort` when given), then stream end; false if no such connection. */
  resetConnection(connectionId: string, serverIp?: string, serverPort?: string): boolean;
}

/** What a move needs of the hand-over of clients (naming/handover.ts). */
export interface ClientHandovers {
  mark(connectionId: string): void;
  unmark(connectionId: string): void;
  pending(): number;
  releaseAll(): void;
  stats(): HandoverStats;
}

export interface ConnectionMovesDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  sdk: SdkConnections;
  handover: ClientHandovers;
  /** Cluster mode only; standalone has nowhere to move connections to. */
  cluster: ClusterNode | null;
  /** This member's address (`ip:port`). */
  self: string;
  /** This member's readiness; a drain sets it to not ready. */
  readiness: { ready: boolean; reason: string };
  /** Hand Raft leadership to a peer (resolves when done or given up). */
  transferLeadership(): Promise<unknown>;
}

export class ConnectionMoves {
  /** Cluster mode with `nomen.rebalance.enabled` only. */
  readonly rebalancer: ConnectionRebalancer | null = null;
  /** SDK connections asked to move so far (drain and rebalance). */
  private moved = 0;
  private drainRun: Promise<DrainReport | null> | null = null;

  constructor(private readonly d: ConnectionMovesDeps) {
    const { cluster, config } = d;
    if (!cluster) return;
    cluster.extraInfo = () => ({ sdkConnections: d.sdk.connectionCount(), draining: this.drainRun !== null });
    if (!config.bool('nomen.rebalance.enabled')) return;
    const reportMs = config.int('nomen.cluster.member.report-interval-ms');
    this.rebalancer = new ConnectionRebalancer({
      clock: d.clock,
      intervalMs: config.int('nomen.rebalance.interval-ms'),
      settings: () => ({
        margin: config.float('nomen.rebalance.margin'),
        maxPerRound: config.int('nomen.rebalance.max-per-round'),
        // Reports go to one peer per interval, round-robin: each peer hears from us every n-1 intervals.
        maxReportAgeMs: Math.max(10_000, 3 * reportMs * Math.max(1, cluster.members.peers().length)),
      }),
      active: () => d.readiness.ready && this.drainRun === null,
      connections: () => d.sdk.listConnections().map((c) => ({ id: c.id, createdAt: c.createdAt })),
      peers: () => this.peerLoads(),
      inTransit: () => d.handover.pending(),
      move: (id, target) => this.moveConnection(id, target),
      log: (o, m) => d.log.info(o, m),
    });
  }

  /** Whether a drain has started (or was asked for and declined). */
  get draining(): boolean {
    return this.drainRun !== null;
  }

  /** Hand-over figures plus the connections asked to move (metrics, operators). */
  handoverStats(): HandoverStats & { moved: number } {
    return { ...this.d.handover.stats(), moved: this.moved };
  }

  /**
   * Asks one SDK connection to move (ConnectResetRequest towards `target`, a member address, then
   * stream end) and hands its client over. Returns false if no such connection.
   */
  moveConnection(connectionId: string, target?: string): boolean {
    const { sdk, handover } = this.d;
    handover.mark(connectionId);
    const colon = target ? target.lastIndexOf(':') : -1;
    const ok = target && colon > 0 ? sdk.resetConnection(connectionId, target.slice(0, colon), target.slice(colon + 1)) : sdk.resetConnection(connectionId);
    if (!ok) handover.unmark(connectionId);
    else this.moved++;
    return ok;
  }

  /**
   * `ServerReloadRequest`: keep `keep` SDK connections at most, moving at most a tenth of them per
   * request (rebalance.ts `planReload`), the most recently created first, towards `redirect` (a
   * member address) when given. Answers Nacos' `ok` / `ignore`.
   */
  reload(keep: number, redirect: string | undefined): 'ok' | 'ignore' {
    const conns = this.d.sdk.listConnections();
    const plan = planReload(conns.length, keep);
    const pick = newestFirst(conns).slice(0, plan.move);
    for (const c of pick) this.moveConnection(c.id, redirect);
    if (pick.length > 0) this.d.log.info({ keep, moved: pick.length, redirect: redirect ?? null }, 'server reload: asked connections to move');
    return plan.answer;
  }

  /** Peers' SDK connection counts and states, from their member reports. */
  peerLoads(): PeerLoad[] {
    const cluster = this.d.cluster;
    if (!cluster) return [];
    return cluster
      .memberList()
      .filter((m) => m.address !== this.d.self)
      .map((m) => {
        const n = m.extendInfo['sdkConnections'];
        return {
          address: m.address,
          connections: typeof n === 'number' ? n : null,
          up: m.state === 'UP',
          draining: m.extendInfo['draining'] === true,
          reportedAt: m.lastRefreshTime,
        };
      });
  }

  /**
   * Cluster mode: moves this member's SDK clients to the other members before it leaves (see
   * drain.ts). Idempotent; resolves with null in standalone mode or when disabled.
   */
  drain(): Promise<DrainReport | null> {
    if (this.drainRun) return this.drainRun;
    const { cluster, config, readiness, sdk, handover, log } = this.d;
    if (!cluster || !config.bool('nomen.drain.enabled') || !readiness.ready) {
      this.drainRun = Promise.resolve(null);
      return this.drainRun;
    }
    readiness.ready = false;
    readiness.reason = 'draining';
    this.rebalancer?.stop();
    log.info('draining: moving SDK clients to the other members');
    this.drainRun = drainMember(
      {
        clock: this.d.clock,
        stopAccepting: () => sdk.stopAccepting(),
        connections: () => sdk.listConnections().map((c) => c.id),
        move: (id, target) => this.moveConnection(id, target),
        targets: () =>
          this.peerLoads()
            .filter((p) => p.up && !p.draining)
            .sort((a, b) => (a.connections ?? 0) - (b.connections ?? 0))
            .map((p) => p.address),
        transferLeadership: () => this.d.transferLeadership(),
        pendingHandovers: () => handover.pending(),
        releaseAll: () => handover.releaseAll(),
        pendingSyncs: () => cluster.distro.pendingSyncs(),
        log: (o, m) => log.info(o, m),
      },
      { timeoutMs: config.int('nomen.drain.timeout-ms'), flushTimeoutMs: 3000, pollMs: 20 },
    ).catch((e: unknown) => {
      log.warn({ err: e }, 'drain failed');
      return null;
    });
    return this.drainRun;
  }

  /** Handed-over clients and rebalance figures, for operators. */
  state(): unknown {
    return {
      draining: this.draining,
      accepting: this.d.sdk.isAccepting,
      handover: this.handoverStats(),
      rebalance: this.rebalancer ? { moved: this.rebalancer.moved, lastPlan: this.rebalancer.lastPlan } : null,
    };
  }
}
