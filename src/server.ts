import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppContext, MemberIdentity, Readiness } from './app-context.js';
import { AuthService } from './auth/auth-service.js';
import { checkAuthWrite } from './auth/auth-state.js';
import { passwordCheckLimits } from './auth/password-limits.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import { drainMember, type DrainReport } from './cluster/drain.js';
import { ConnectionRebalancer, type PeerLoad } from './cluster/rebalance.js';
import type { Member as ClusterMember } from './cluster/member-manager.js';
import type { HybridLogicalClock } from './distro/hlc.js';
import { selfMember, type Member as HttpMember } from './transport/http/members.js';
import { systemClock, type Clock, type TimerHandle } from './core/clock.js';
import { NacosError } from './core/errors.js';
import { MetadataIndex } from './core/metadata.js';
import { Registry } from './core/registry.js';
import type { Config } from './config/config.js';
import { HealthCheckEngine } from './health/health-checker.js';
import { netProber } from './health/net-prober.js';
import { responsibleTagOf } from './distro/index.js';
import { ExpiredMetadataCleaner, ExpiryTasks } from './naming/expiry.js';
import { ClientHandover } from './naming/handover.js';
import { NamingService } from './naming/naming-service.js';
import { checkNamespaceWrite } from './naming/namespaces.js';
import { checkNamingWrite, PersistentStateMachine } from './naming/persistent-state.js';
import { limitSettings } from './naming/limits.js';
import { PushEngine } from './naming/push-engine.js';
import { ServiceInfoView } from './naming/service-info-view.js';
import { SubscriptionRegistry } from './naming/subscriptions.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { acquireDataDirLock, type DataDirLock } from './persistence/data-dir-lock.js';
import { allChecks } from './persistence/persistent-store.js';
import { RAFT_GROUP, RaftStore } from './persistence/raft-store.js';
import { openRaftLog } from './persistence/raft-log.js';
import { RaftLink } from './cluster/raft-link.js';
import { grpcPushSink, namingHandlers } from './transport/grpc/naming-handlers.js';
import { grpcAuthorizer } from './transport/grpc/authorizer.js';
import { SdkGrpcServer } from './transport/grpc/sdk-server.js';
import { createHttpServer } from './transport/http/http-server.js';
import { applyStoredSwitches, applySwitchWrites } from './transport/http/switches.js';
import { UdpPushService } from './transport/udp/udp-push.js';

export const VERSION = '0.1.0';
/** Raft node id of a standalone member (its one-voter group). */
const STANDALONE_RAFT_ID = 'standalone';

/** The cluster-mode classes, loaded only in cluster mode (standalone start-up time and memory). */
export interface ClusterModules {
  ClusterNode: typeof ClusterNode;
  HybridLogicalClock: typeof HybridLogicalClock;
}

export async function loadClusterModules(): Promise<ClusterModules> {
  const [{ ClusterNode }, { HybridLogicalClock }] = await Promise.all([import('./cluster/cluster-node.js'), import('./distro/hlc.js')]);
  return { ClusterNode, HybridLogicalClock };
}

/** Request type -> the response type a typed failure must carry (docs/protocol/grpc.md §7). */
const RESPONSE_TYPE: Record<string, string> = {
  InstanceRequest: 'InstanceResponse',
  PersistentInstanceRequest: 'InstanceResponse',
  BatchInstanceRequest: 'BatchInstanceResponse',
  ServiceQueryRequest: 'QueryServiceResponse',
  SubscribeServiceRequest: 'SubscribeServiceResponse',
  ServiceListRequest: 'ServiceListResponse',
};

/**
 * The composition root of one member: builds the domain, use cases and edges from the config,
 * starts them in order (store → state → edges → housekeeping) and stops them in reverse.
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
  readonly view: ServiceInfoView;
  readonly push: PushEngine;
  readonly naming: NamingService;
  readonly expiry: ExpiryTasks;
  /** Server-side checks of persistent instances, and deletion of overrides of vanished instances. */
  readonly health: HealthCheckEngine;
  readonly metadataCleaner: ExpiredMetadataCleaner;
  readonly grpc: SdkGrpcServer;
  readonly udp: UdpPushService;
  readonly member: MemberIdentity;
  readonly auth: AuthService;
  readonly context: AppContext;
  /** SDK connections this member closes on purpose keep their instances until re-registered elsewhere. */
  readonly handover: ClientHandover;
  /** Cluster mode with `nomen.rebalance.enabled` only. */
  readonly rebalancer: ConnectionRebalancer | null = null;
  private http: FastifyInstance | null = null;
  /** `<data-dir>`, locked by start() for this process only (docs/security.md §7). */
  private readonly dataDir: string;
  private dataDirLock: DataDirLock | null = null;
  private stopping = false;
  private stopRun: Promise<void> | null = null;
  private drainRun: Promise<DrainReport | null> | null = null;
  /** SDK connections asked to move so far (drain and rebalance). */
  private movedConnections = 0;
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
    const port = config.int('nacos.server.main.port');
    const host = config.str('nomen.server.host');
    const ip = advertisedIp(config.str('nacos.inetutils.ip-address'), host);
    this.member = { ip, port, address: `${ip}:${port}` };
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
    const electionMs = config.int('nacos.core.protocol.raft.data.election_timeout_ms');
    const tickMs = Math.max(10, Math.floor(electionMs / config.int('nacos.core.protocol.raft.data.election_heartbeat_factor')));
    const dataDir = resolve(config.str('nomen.data.dir'));
    this.dataDir = dataDir;
    const fsync = config.bool('nomen.raft.fsync');
    this.store = new RaftStore({
      // Standalone: a fixed id, so the one-voter group survives a change of the advertised address.
      id: standalone ? STANDALONE_RAFT_ID : this.member.address,
      openLog: () => openRaftLog(dataDir, fsync, log.child({ component: 'raft-storage' })),
      clock,
      log: log.child({ component: 'persistent' }),
      tickMs,
      electionTick: Math.max(2, Math.round(electionMs / tickMs)),
      heartbeatTick: 1,
      snapshotEntries: config.int('nomen.raft.snapshot.entries'),
      snapshotIntervalMs: config.int('nacos.core.protocol.raft.data.snapshot_interval_secs') * 1000,
      writeTimeoutMs: config.int('nomen.raft.write.timeout-ms'),
      forwardTimeoutMs: config.int('nacos.core.protocol.raft.data.rpc_request_timeout_ms'),
      noLeaderWaitMs: config.int('nomen.raft.no-leader.wait-ms'),
      catchUpTimeoutMs: config.int('nomen.raft.start.catch-up-timeout-ms'),
      check: allChecks(checkNamingWrite, checkAuthWrite, checkNamespaceWrite),
    });
    if (this.cluster) {
      this.raftLink = new RaftLink(this.cluster.transport, this.store, clock, log.child({ component: 'raft-link' }), Math.max(500, 2 * electionMs));
    }
    this.view = new ServiceInfoView(this.registry, this.metadata, clock, () => config.int('nacos.naming.default.push.cache.millis'));
    this.auth = new AuthService({
      store: this.store,
      clock,
      log: log.child({ component: 'auth' }),
      enabled: config.bool('nacos.core.auth.enabled'),
      tokenTtlSeconds: config.int('nacos.core.auth.plugin.nacos.token.expire.seconds'),
      secretKey: config.str('nacos.core.auth.plugin.nacos.token.secret.key'),
      initialAdminPassword: config.str('nomen.auth.admin.initial-password'),
      passwordChecks: passwordCheckLimits((k) => config.int(k)),
    });
    this.grpc = new SdkGrpcServer({
      host,
      port: port + 1000,
      logger: log.child({ component: 'grpc' }),
      clock,
      maxInboundBytes: config.int('nacos.remote.server.grpc.sdk.max-inbound-message-size'),
      idleEjectMs: config.int('nomen.grpc.client-detection.idle-ms'),
      isReady: () => this.readiness.ready,
      ...(this.auth.enabled ? { authorize: grpcAuthorizer(this.auth, (t) => RESPONSE_TYPE[t] ?? 'ErrorResponse') } : {}),
    });
    this.udp = new UdpPushService({
      log: log.child({ component: 'udp' }),
      clock,
      ackTimeoutMs: config.int('nomen.naming.push.udp.ack-timeout-ms'),
    });
    this.push = new PushEngine(
      this.view,
      this.subscriptions,
      {
        grpc: grpcPushSink((c, t, b, ms) => this.grpc.push(c, t, b, ms), () => config.int('nacos.naming.push.pushTaskTimeout')),
        udp: this.udp,
      },
      clock,
      log.child({ component: 'push' }),
      {
        delayMs: config.int('nacos.naming.push.pushTaskDelay'),
        retryDelayMs: config.int('nacos.naming.push.pushTaskRetryDelay'),
        maxRetries: config.int('nomen.naming.push.max-retries'),
      },
    );
    this.naming = new NamingService(
      this.registry,
      this.metadata,
      this.store,
      this.subscriptions,
      this.view,
      this.push,
      clock,
      log.child({ component: 'naming' }),
      {
        clientBeatInterval: config.int('nacos.naming.client.beat.interval'),
        lightBeatEnabled: true,
        healthCheckEnabled: config.bool('nacos.naming.health.enabled'),
        metadataLimit: config.int('nacos.naming.service.metadata.length'),
        limits: limitSettings((key) => config.int(key)),
      },
    );
    this.expiry = new ExpiryTasks(this.registry, this.metadata, this.subscriptions, this.view, clock, log.child({ component: 'expiry' }), {
      checkIntervalMs: config.int('nomen.naming.heartbeat.check-interval-ms'),
      expireInstance: config.bool('nacos.naming.expireInstance'),
      clientExpiredMs: config.int('nacos.naming.client.expired.time'),
      udpSubscriberExpiredMs: config.int('nomen.naming.udp.subscriber.expired-time'),
      emptyServiceExpiredMs: config.int('nacos.naming.clean.empty-service.expired-time'),
      healthCheckEnabled: () => this.naming.settings.healthCheckEnabled !== false,
    }, this.cluster ? (id) => this.cluster!.distro.isResponsible(id) : undefined);
    // Persistent ip:port clients are not Distro's, but the same hash of `ip:port` picks who probes them.
    const ownsIpPort = this.cluster ? (id: string) => this.cluster!.distro.responsibleTag(responsibleTagOf(id)) : () => true;
    this.health = new HealthCheckEngine(
      {
        registry: this.registry,
        metadata: this.metadata,
        store: this.store,
        prober: netProber,
        clock,
        log: log.child({ component: 'health' }),
        random: Math.random,
        isResponsible: ownsIpPort,
      },
      {
        enabled: () => this.naming.settings.healthCheckEnabled !== false,
        checkTimes: () => config.int('nacos.naming.health.check-times'),
        timeoutMs: config.int('nomen.naming.health.timeout-ms'),
      },
    );
    this.metadataCleaner = new ExpiredMetadataCleaner(this.registry, this.metadata, this.store, clock, log.child({ component: 'expiry' }), {
      intervalMs: config.int('nacos.naming.clean.expired-metadata.interval'),
      expiredMs: config.int('nacos.naming.clean.expired-metadata.expired-time'),
    }, ownsIpPort);
    this.handover = new ClientHandover(
      this.registry,
      clock,
      {
        timeoutMs: config.int('nomen.handover.timeout-ms'),
        checkIntervalMs: 50,
        // Two sync delays and two sync retries, at least 3 s: the new registration reaches every peer
        // before the DELETE, also on a loaded machine (one retry was not always enough in CI-like runs).
        coverGraceMs: Math.max(
          3000,
          2 * config.int('nacos.core.protocol.distro.data.sync.delayMs') + 2 * config.int('nacos.core.protocol.distro.data.sync.retryDelayMs'),
        ),
      },
      (id, reason) => {
        this.log.debug({ client: id, reason }, 'handed-over client released');
        this.naming.connectionClosed(id);
      },
    );
    const startedAt = clock.now();
    const grpc = this.grpc;
    const cluster = this.cluster;
    if (cluster) {
      cluster.extraInfo = () => ({ sdkConnections: grpc.connectionCount(), draining: this.drainRun !== null });
      if (config.bool('nomen.rebalance.enabled')) {
        const reportMs = config.int('nomen.cluster.member.report-interval-ms');
        this.rebalancer = new ConnectionRebalancer({
          clock,
          intervalMs: config.int('nomen.rebalance.interval-ms'),
          settings: () => ({
            margin: config.float('nomen.rebalance.margin'),
            maxPerRound: config.int('nomen.rebalance.max-per-round'),
            // Reports go to one peer per interval, round-robin: each peer hears from us every n-1 intervals.
            maxReportAgeMs: Math.max(10_000, 3 * reportMs * Math.max(1, cluster.members.peers().length)),
          }),
          active: () => this.readiness.ready && this.drainRun === null,
          connections: () => grpc.listConnections().map((c) => ({ id: c.id, createdAt: c.createdAt })),
          peers: () => this.peerLoads(),
          inTransit: () => this.handover.pending(),
          move: (id, target) => this.moveConnection(id, target),
          log: (o, m) => this.log.info(o, m),
        });
      }
    }
    const metrics = new Metrics({
      services: () => this.registry.serviceCount(),
      instances: () => this.naming.instanceCount(),
      subscribers: () => this.subscriptions.count(),
      connections: () => grpc.connectionCount(),
      clients: () => this.naming.clientCounts(),
      push: () => this.push.stats,
      udp: () => this.udp.stats,
      health: () => this.health.stats,
      ready: () => this.readiness.ready,
      handover: () => ({ ...this.handover.stats(), moved: this.movedConnections }),
      raft: () => {
        const st = this.store.status();
        if (!st) return null;
        const { proposed, forwarded, failed, applied, duplicates, rejected } = this.store.stats();
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
      ...(cluster
        ? {
            distro: () => cluster.distro.stats(),
            members: () => cluster.memberList().map((m) => ({ address: m.address, state: m.state })),
          }
        : {}),
    });
    this.push.onOutcome = (transport, ok, ms) => metrics.pushSeconds.observe({ transport, outcome: ok ? 'acked' : 'failed' }, ms / 1000);
    this.context = {
      config,
      log,
      clock,
      naming: this.naming,
      readiness: this.readiness,
      member: this.member,
      startedAt,
      version: VERSION,
      connectionCount: () => grpc.connectionCount(),
      sdkConnection: (id) => grpc.getConnection(id),
      metrics,
      auth: this.auth,
    };
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    // Before anything in the directory is opened: a second process on it refuses to start.
    this.dataDirLock = acquireDataDirLock(this.dataDir, undefined, (h) =>
      this.log.warn({ dir: this.dataDir, pid: h?.pid ?? null }, 'took over the stale lock of a process that is gone'),
    );
    await this.store.open();
    const sm = new PersistentStateMachine(this.registry, this.metadata, this.clock, this.log.child({ component: 'persistent' }));
    const entries = [...this.store.entries()].map((e) => ({ table: e.table, key: e.key, value: e.value }));
    // Service metadata first, so a persistent service's ephemerality is known before its instances.
    entries.sort((a, b) => (a.table === 'service' ? 0 : 1) - (b.table === 'service' ? 0 : 1));
    this.auth.apply(entries);
    this.store.onApply((batch) => this.auth.apply(batch));
    sm.apply(entries);
    this.store.onApply((batch) => sm.apply(batch));
    applyStoredSwitches(this.context);
    this.store.onApply((batch) => applySwitchWrites(this.context, batch));
    if (!this.cluster) await this.store.startConsensus({ voters: [STANDALONE_RAFT_ID], learners: [] }, null);

    const handlers = namingHandlers(this.context);
    for (const [type, h] of Object.entries(handlers)) {
      const okCount = this.context.metrics?.grpcRequests.labels(type, 'ok');
      const errorCount = this.context.metrics?.grpcRequests.labels(type, 'error');
      const latency = this.context.metrics?.grpcSeconds.labels(type);
      const done = (r: Awaited<ReturnType<typeof h>>, t0: number) => {
        okCount?.inc();
        latency?.observe((performance.now() - t0) / 1000);
        return r;
      };
      const failed = (e: unknown, t0: number) => {
        errorCount?.inc();
        latency?.observe((performance.now() - t0) / 1000);
        // Rejections of the request itself (4xx) are typed failures, as docs/protocol/grpc.md §5.3 recommends: the
        // Rust SDK re-sends a typed failure once, but an ErrorResponse every 3 s forever.
        if (e instanceof NacosError && e.status >= 400 && e.status < 500) {
          return {
            type: RESPONSE_TYPE[type] ?? 'ErrorResponse',
            body: { resultCode: 500, errorCode: e.status, message: e.message, requestId: null, success: false },
          };
        }
        throw e;
      };
      // Synchronous handlers stay synchronous (no promise per request on the hot paths).
      this.grpc.registerHandler(type, (body, rc) => {
        const conn = rc.connection;
        const t0 = performance.now();
        try {
          const r = h(body, {
            connectionId: conn.id,
            clientIp: rc.clientIp,
            remoteAddress: `${conn.remoteIp}:${conn.remotePort}`,
            appName: conn.appName,
            clientVersion: conn.clientVersion,
          });
          return r instanceof Promise ? r.then((v) => done(v, t0), (e: unknown) => failed(e, t0)) : done(r, t0);
        } catch (e) {
          return failed(e, t0);
        }
      });
    }
    this.grpc.onDisconnected((conn) => {
      // A connection we asked to move keeps its instances until the SDK registered them elsewhere.
      if (this.handover.onClosed(conn.id)) this.subscriptions.removeSubscriber(conn.id);
      else this.naming.connectionClosed(conn.id);
    });

    await this.udp.start();
    const cluster = this.cluster;
    const ops = {
      state: () => this.handoverState(),
      drain: this.config.bool('nomen.drain.endpoint.enabled') ? () => this.requestDrainAndExit() : null,
    };
    this.http = createHttpServer(
      this.context,
      cluster
        ? {
            cluster: {
              members: () =>
                cluster.memberList().map((m) => clusterMember(this.context, m, m.address === this.member.address ? cluster.members.selfDescription() : {})),
              responsibleTag: (t) => cluster.distro.responsibleTag(t),
              mapSrv: (t) => cluster.distro.mapSrv(t),
              distroState: () => cluster.state(),
              forwardTimeoutMs: this.config.int('nomen.cluster.forward.timeout-ms'),
            },
            raftState: () => this.raftState(),
            ops,
          }
        : { raftState: () => this.raftState(), ops },
    );
    await this.http.listen({ port: this.member.port, host: this.config.str('nomen.server.host') });
    this.expiry.start();
    this.health.start();
    this.metadataCleaner.start();
    if (cluster) {
      // Ready only after the Distro snapshot load: no partial reads (docs/protocol/distro.md §8.B7).
      this.readiness.reason = 'loading distro snapshot';
      await cluster.start();
      // First start of this member: the Raft group is every member of the list (Nacos does the same).
      const voters = cluster.memberList().map((m) => m.address).sort();
      await this.store.startConsensus({ voters, learners: [] }, this.raftLink);
      this.raftLink?.startReconciling(() => cluster.memberList().map((m) => m.address), 2000);
      await this.waitForLoad(cluster);
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
    this.readiness.ready = true;
    this.readiness.reason = 'ready';
    this.rebalancer?.start();
    this.log.info(
      { http: this.member.port, grpc: this.member.port + 1000, member: this.member.address, ms: Date.now() - t0 },
      'nomen member ready',
    );
  }

  /** Raft role, term, indexes and configuration of the persistent store, for operators. */
  raftState(): unknown {
    return { group: RAFT_GROUP, ...this.store.status(), stats: this.store.stats(), link: this.raftLink?.stats ?? null };
  }

  private waitForLoad(cluster: ClusterNode): Promise<void> {
    const t0 = this.clock.now();
    return new Promise((resolve) => {
      let timer: TimerHandle | null = null;
      const check = (): boolean => {
        if (this.stopping || cluster.distro.isLoaded()) {
          timer?.cancel();
          this.log.info({ ms: this.clock.now() - t0 }, 'distro snapshot loaded');
          resolve();
          return true;
        }
        return false;
      };
      if (!check()) timer = this.clock.setInterval(check, 20);
    });
  }

  /**
   * Asks one SDK connection to move (ConnectResetRequest towards `target`, a member address, then
   * stream end) and hands its client over. Returns false if no such connection.
   */
  moveConnection(connectionId: string, target?: string): boolean {
    this.handover.mark(connectionId);
    const colon = target ? target.lastIndexOf(':') : -1;
    const ok = target && colon > 0 ? this.grpc.resetConnection(connectionId, target.slice(0, colon), target.slice(colon + 1)) : this.grpc.resetConnection(connectionId);
    if (!ok) this.handover.unmark(connectionId);
    else this.movedConnections++;
    return ok;
  }

  /** Peers' SDK connection counts and states, from their member reports. */
  peerLoads(): PeerLoad[] {
    const cluster = this.cluster;
    if (!cluster) return [];
    return cluster
      .memberList()
      .filter((m) => m.address !== this.member.address)
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
   * src/cluster/drain.ts). Idempotent; resolves with null in standalone mode or when disabled.
   */
  drain(): Promise<DrainReport | null> {
    if (this.drainRun) return this.drainRun;
    const cluster = this.cluster;
    if (!cluster || !this.config.bool('nomen.drain.enabled') || !this.readiness.ready) {
      this.drainRun = Promise.resolve(null);
      return this.drainRun;
    }
    this.readiness.ready = false;
    this.readiness.reason = 'draining';
    this.rebalancer?.stop();
    this.log.info('draining: moving SDK clients to the other members');
    this.drainRun = drainMember(
      {
        clock: this.clock,
        stopAccepting: () => this.grpc.stopAccepting(),
        connections: () => this.grpc.listConnections().map((c) => c.id),
        move: (id, target) => this.moveConnection(id, target),
        targets: () =>
          this.peerLoads()
            .filter((p) => p.up && !p.draining)
            .sort((a, b) => (a.connections ?? 0) - (b.connections ?? 0))
            .map((p) => p.address),
        transferLeadership: () => this.store.transferLeadershipAway(1000),
        pendingHandovers: () => this.handover.pending(),
        releaseAll: () => this.handover.releaseAll(),
        pendingSyncs: () => cluster.distro.pendingSyncs(),
        log: (o, m) => this.log.info(o, m),
      },
      { timeoutMs: this.config.int('nomen.drain.timeout-ms'), flushTimeoutMs: 3000, pollMs: 20 },
    ).catch((e: unknown) => {
      this.log.warn({ err: e }, 'drain failed');
      return null;
    });
    return this.drainRun;
  }

  /** The operator endpoint: drain, then end the process (through the CLI's hook when there is one). */
  requestDrainAndExit(): void {
    if (this.exitRequested) this.exitRequested();
    // Fire-and-forget (the endpoint answered already): a failure is logged, not left unhandled.
    else this.stop().catch((e: unknown) => this.log.error({ err: e }, 'stop after drain failed'));
  }

  /** Handed-over clients and rebalance figures, for operators. */
  handoverState(): unknown {
    return {
      draining: this.drainRun !== null,
      accepting: this.grpc.isAccepting,
      handover: { ...this.handover.stats(), moved: this.movedConnections },
      rebalance: this.rebalancer ? { moved: this.rebalancer.moved, lastPlan: this.rebalancer.lastPlan } : null,
    };
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
    this.rebalancer?.stop();
    this.handover.stop();
    this.expiry.stop();
    this.health.stop();
    this.metadataCleaner.stop();
    this.push.stop();
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

/** The HTTP core APIs' Member shape for a cluster member. */
function clusterMember(ctx: AppContext, m: ClusterMember, own: Record<string, string | number | boolean>): HttpMember {
  const base = selfMember(ctx);
  return {
    ...base,
    ip: m.ip,
    port: m.port,
    address: m.address,
    state: m.state,
    failAccessCnt: m.failAccessCnt,
    extendInfo: { ...base.extendInfo, ...m.extendInfo, ...own, lastRefreshTime: m.lastRefreshTime, raftPort: String(m.port - 1000) },
  };
}

function advertisedIp(configured: string, host: string): string {
  if (configured !== '') return configured;
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
