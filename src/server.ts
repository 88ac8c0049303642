import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppContext, MemberIdentity, Readiness } from './app-context.js';
import { waitForDistroLoad } from './app/distro-load.js';
import { configCenterParts, configEdges, followConfigStore, type ConfigCenterParts } from './app/config-center.js';
import { adminHooks } from './app/admin-hooks.js';
import { authService, sdkGrpcServer } from './app/edges.js';
import { memberIdentity } from './app/member-identity.js';
import { memberMetrics } from './app/member-metrics.js';
import { namingParts, sdkConnectionClosed, type NamingParts } from './app/naming-parts.js';
import { housekeeping } from './app/housekeeping.js';
import { httpClusterHooks } from './app/http-hooks.js';
import { serverLoader } from './app/server-loader.js';
import { loadClusterModules, type ClusterModules } from './app/cluster-modules.js';
import { persistentStore, raftState, readyGarbage, STANDALONE_RAFT_ID } from './app/persistent-store.js';
import { IdleGarbageRelease } from './app/release-garbage.js';
import { followStore } from './app/store-listeners.js';
import type { AuthService } from './auth/auth-service.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import { ConnectionMoves } from './cluster/connection-moves.js';
import type { DrainReport } from './cluster/drain.js';
import type { RaftLink } from './cluster/raft-link.js';
import type { Config } from './config/config.js';
import { systemClock, type Clock } from './core/clock.js';
import { MetadataIndex } from './core/metadata.js';
import { Registry } from './core/registry.js';
import type { NamingService } from './naming/naming-service.js';
import { SubscriptionRegistry } from './naming/subscriptions.js';
import type { Logger } from './observability/logger.js';
import { acquireDataDirLock, type DataDirLock } from './persistence/data-dir-lock.js';
import type { RaftStore } from './persistence/raft-store.js';
import { bindConfigHandlers } from './transport/grpc/config-binding.js';
import { bindNamingHandlers } from './transport/grpc/naming-binding.js';
import { grpcPushSink } from './transport/grpc/naming-handlers.js';
import type { SdkGrpcServer } from './transport/grpc/sdk-server.js';
import { createHttpServer } from './transport/http/http-server.js';
import { UdpPushService } from './transport/udp/udp-push.js';
import { VERSION } from './version.js';

/**
 * The composition root of one member: builds the domain, use cases and edges from the config
 * (builders in src/app/), starts them in order (store → state → edges → housekeeping) and stops
 * them in reverse.
 */
export class NomenServer {
  readonly registry: Registry;
  /** Cluster mode only: membership, cluster transport and Distro. */
  readonly cluster: ClusterNode | null = null;
  readonly metadata = new MetadataIndex();
  readonly subscriptions = new SubscriptionRegistry();
  readonly readiness: Readiness = { ready: false, reason: 'starting' };
  readonly store: RaftStore;
  /** Cluster mode only: Raft over the cluster transport. */
  readonly raftLink: RaftLink | null = null;
  /** Use cases and housekeeping (push, expiry, health checks, hand-over). */
  readonly parts: NamingParts;
  readonly naming: NamingService;
  readonly grpc: SdkGrpcServer;
  readonly udp: UdpPushService;
  readonly member: MemberIdentity;
  readonly auth: AuthService;
  readonly configs: ConfigCenterParts;
  readonly context: AppContext;
  /** Drain, single moves and the optional rebalance of SDK connections. */
  readonly moves: ConnectionMoves;
  private http: FastifyInstance | null = null;
  /** `<data-dir>`, locked by start() for this process only (docs/security.md §7). */
  private readonly dataDir: string;
  private dataDirLock: DataDirLock | null = null;
  private stopping = false;
  /** Cancels the full GC scheduled after ready (src/app/release-garbage.ts). */
  private cancelReadyGc: () => void = () => undefined;
  private readonly garbage: IdleGarbageRelease;
  private stopRun: Promise<void> | null = null;
  /** Set by the CLI: how an operator-requested drain ends the process. */
  exitRequested: (() => void) | null = null;

  /** Loads what the config's mode needs, then builds the server. */
  static async create(config: Config, log: Logger, clock: Clock = systemClock): Promise<NomenServer> {
    return new NomenServer(config, log, clock, config.bool('nacos.standalone') ? undefined : await loadClusterModules());
  }

  /** Cluster mode needs `modules` (from `loadClusterModules`, or use `create`). */
  constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly clock: Clock = systemClock,
    modules?: ClusterModules,
  ) {
    this.member = memberIdentity(config);
    const standalone = config.bool('nacos.standalone');
    if (standalone) {
      this.registry = new Registry();
    } else {
      if (!modules) throw new Error('cluster mode: build the server with NomenServer.create() (cluster modules not loaded)');
      const { ClusterNode, HybridLogicalClock } = modules;
      // Revisions come from a hybrid logical clock so they stay monotonic across owners and restarts.
      const hlc = new HybridLogicalClock(() => clock.now());
      this.registry = new Registry(hlc.nextRevision);
      this.cluster = new ClusterNode(this.member, config, this.registry, hlc, clock, log, VERSION);
    }
    this.dataDir = resolve(config.str('nomen.data.dir'));
    // Standalone: a fixed Raft id, so the one-voter group survives a change of the advertised address.
    this.garbage = new IdleGarbageRelease({ clock, log });
    this.store = persistentStore(config, standalone ? STANDALONE_RAFT_ID : this.member.address, this.dataDir, clock, log, this.garbage);
    if (this.cluster && modules) {
      const { RaftLink } = modules;
      const electionMs = config.int('nacos.core.protocol.raft.data.election_timeout_ms');
      const mode = config.str('nomen.raft.transport') === 'unary' ? 'unary' : 'stream';
      const snap = { sendTimeoutMs: config.int('nomen.raft.snapshot.send-timeout-ms'), maxImageBytes: config.int('nomen.raft.snapshot.max-bytes') };
      this.raftLink = new RaftLink(this.cluster.transport, this.store, clock, log.child({ component: 'raft-link' }), Math.max(500, 2 * electionMs), mode, undefined, snap);
    }
    this.auth = authService(config, this.store, clock, log);
    const grpc = (this.grpc = sdkGrpcServer(config, this.member, this.auth, () => this.readiness.ready, clock, log));
    this.udp = new UdpPushService({ log: log.child({ component: 'udp' }), clock, ackTimeoutMs: config.int('nomen.naming.push.udp.ack-timeout-ms') });
    const { registry, metadata, subscriptions, store, cluster } = this;
    const sinks = { grpc: grpcPushSink(grpc, () => config.int('nacos.naming.push.pushTaskTimeout')), udp: this.udp };
    const fuzzyPush = (c: string, t: string, b: Record<string, unknown>) => grpc.push(c, t, b, config.int('nacos.naming.push.pushTaskTimeout'));
    this.parts = namingParts({ config, log, clock, registry, metadata, subscriptions, store, cluster, sinks, fuzzyPush });
    this.naming = this.parts.naming;
    const transferLeadership = () => store.transferLeadershipAway(1000);
    const { readiness, parts } = this;
    this.moves = new ConnectionMoves({ config, clock, log, sdk: grpc, handover: parts.handover, cluster, self: this.member.address, readiness, transferLeadership });
    this.configs = configCenterParts(config, store, clock, log, () => store.status()?.role === 'leader');
    const metrics = memberMetrics({ registry, subscriptions, parts, udp: this.udp, store, readiness, moves: this.moves, sdkConnections: () => grpc.connectionCount(), cluster, configListening: () => this.context.configListening, configCenter: this.configs.service });
    this.context = {
      config,
      log,
      clock,
      naming: this.naming,
      readiness,
      member: this.member,
      startedAt: clock.now(),
      version: VERSION,
      connectionCount: () => grpc.connectionCount(),
      sdkConnection: (id) => grpc.getConnection(id),
      metrics,
      auth: this.auth,
      fuzzyWatch: this.parts.fuzzy,
      loader: serverLoader(() => grpc.connectionCount(), this.moves),
      ...configEdges(this.configs, config, grpc, clock, log),
    };
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    // Before anything in the directory is opened: a second process on it refuses to start.
    this.dataDirLock = acquireDataDirLock(this.dataDir, undefined, (h) =>
      this.log.warn({ dir: this.dataDir, pid: h?.pid ?? null }, 'took over the stale lock of a process that is gone'),
    );
    await this.store.open();
    followStore(this.store, this.registry, this.metadata, this.auth, this.context);
    followConfigStore(this.store, this.configs.state);
    if (!this.cluster) await this.store.startConsensus({ voters: [STANDALONE_RAFT_ID], learners: [] }, null);
    bindNamingHandlers(this.grpc, this.context);
    bindConfigHandlers(this.grpc, this.context);
    this.grpc.onDisconnected((conn) => sdkConnectionClosed(this.parts, this.subscriptions, conn.id));

    await this.udp.start();
    const cluster = this.cluster;
    const ops = { state: () => this.moves.state(), drain: this.config.bool('nomen.drain.endpoint.enabled') ? () => this.requestDrainAndExit() : null };
    const raft = () => this.raftState();
    const admin = adminHooks(this.store, this.grpc, this.moves, this.member.address, cluster);
    this.http = createHttpServer(this.context, cluster ? { cluster: httpClusterHooks(this.context, cluster), raftState: raft, ops, admin } : { raftState: raft, ops, admin });
    await this.http.listen({ port: this.member.port, host: this.config.str('nomen.server.host') });
    housekeeping(this.parts, this.configs).start();
    if (cluster) {
      // Ready only after the Distro snapshot load: no partial reads (docs/protocol/distro.md §8.B7).
      this.readiness.reason = 'loading distro snapshot';
      await cluster.start();
      // First start of this member: the Raft group is every member of the list (Nacos does the same).
      const voters = cluster.memberList().map((m) => m.address).sort();
      await this.store.startConsensus({ voters, learners: [] }, this.raftLink);
      this.raftLink?.startReconciling(() => cluster.memberList().map((m) => m.address), 2000);
      await waitForDistroLoad(cluster, this.clock, this.log, () => this.stopping);
    }
    await this.grpc.start();
    // Standalone: the admin exists before the member reports ready. In a cluster the write needs
    // the replicated store to be writable (a Raft leader), so it must not hold up the start; it
    // runs once this member caught up with the group, so it never decides on a stale state.
    const bootstrap = this.store
      .whenCaughtUp()
      .then(() => this.auth.bootstrap())
      .catch((e: unknown) => this.log.error({ err: e }, 'auth bootstrap failed'));
    if (!cluster) await bootstrap;
    const afterReady = readyGarbage(this.config, this.store, this.clock, this.log);
    this.readiness.ready = true;
    this.readiness.reason = 'ready';
    this.moves.rebalancer?.start();
    this.cancelReadyGc = afterReady();
    this.log.info(
      { http: this.member.port, grpc: this.member.port + 1000, member: this.member.address, ms: Date.now() - t0 },
      'nomen member ready',
    );
  }

  /** Raft role, term, indexes and configuration of the persistent store, for operators. */
  raftState(): unknown {
    return raftState(this.store, this.raftLink);
  }

  /** Cluster mode: moves this member's SDK clients to the other members (src/cluster/connection-moves.ts). */
  drain(): Promise<DrainReport | null> {
    return this.moves.drain();
  }

  /** The operator endpoint: drain, then end the process (through the CLI's hook when there is one). */
  requestDrainAndExit(): void {
    if (this.exitRequested) this.exitRequested();
    // Fire-and-forget (the endpoint answered already): a failure is logged, not left unhandled.
    else this.stop().catch((e: unknown) => this.log.error({ err: e }, 'stop after drain failed'));
  }

  /** Drains (cluster mode), then stops everything in reverse start order. Idempotent. */
  stop(): Promise<void> {
    this.stopRun ??= this.doStop();
    return this.stopRun;
  }

  private async doStop(): Promise<void> {
    // Drain first (cluster mode): the member still replicates and verifies while its SDKs move.
    await this.drain();
    this.stopping = true;
    this.readiness.ready = false;
    this.readiness.reason = 'shutting down';
    this.moves.rebalancer?.stop();
    this.cancelReadyGc();
    this.garbage.stop();
    housekeeping(this.parts, this.configs).stop();
    if (this.cluster) {
      // Hand Raft leadership over before leaving, so writes pause for one round trip, not an election.
      const moved = await this.store.transferLeadershipAway(1000).catch(() => false);
      if (moved) this.log.info({ leader: this.store.status()?.leader }, 'raft leadership transferred');
      this.raftLink?.stop();
    }
    await this.cluster?.stop().catch((e: unknown) => this.log.warn({ err: e }, 'cluster stop'));
    // Drain: ask SDK clients to move (ConnectResetRequest, honoured by Java clients) and end their
    // streams (which makes Rust clients reconnect elsewhere), then close the port.
    for (const c of this.grpc.listConnections()) this.grpc.resetConnection(c.id);
    await this.grpc.stop(2000).catch((e: unknown) => this.log.warn({ err: e }, 'grpc stop'));
    await this.http?.close().catch((e: unknown) => this.log.warn({ err: e }, 'http stop'));
    this.udp.stop();
    await this.store.close();
    await this.auth.close();
    this.dataDirLock?.release();
    this.log.info('nomen member stopped');
  }
}
