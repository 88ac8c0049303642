import { networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppContext, MemberIdentity, Readiness } from './app-context.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import type { Member as ClusterMember } from './cluster/member-manager.js';
import type { HybridLogicalClock } from './distro/hlc.js';
import { selfMember, type Member as HttpMember } from './transport/http/members.js';
import { systemClock, type Clock, type TimerHandle } from './core/clock.js';
import { NacosError } from './core/errors.js';
import { MetadataIndex } from './core/metadata.js';
import { Registry } from './core/registry.js';
import type { Config } from './config/config.js';
import { ExpiryTasks } from './naming/expiry.js';
import { NamingService } from './naming/naming-service.js';
import { PersistentStateMachine } from './naming/persistent-state.js';
import { PushEngine } from './naming/push-engine.js';
import { ServiceInfoView } from './naming/service-info-view.js';
import { SubscriptionRegistry } from './naming/subscriptions.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import type { PersistentStore } from './persistence/persistent-store.js';
import { SqliteStore } from './persistence/sqlite-store.js';
import { grpcPushSink, namingHandlers } from './transport/grpc/naming-handlers.js';
import { SdkGrpcServer } from './transport/grpc/sdk-server.js';
import { createHttpServer } from './transport/http/http-server.js';
import { applyStoredSwitches } from './transport/http/switches.js';
import { UdpPushService } from './transport/udp/udp-push.js';

export const VERSION = '0.1.0';

/** The cluster-mode classes, loaded only in cluster mode (standalone start-up time and memory). */
export interface ClusterModules {
  ClusterNode: typeof ClusterNode;
  HybridLogicalClock: typeof HybridLogicalClock;
}

export async function loadClusterModules(): Promise<ClusterModules> {
  const [{ ClusterNode }, { HybridLogicalClock }] = await Promise.all([import('./cluster/cluster-node.js'), import('./distro/hlc.js')]);
  return { ClusterNode, HybridLogicalClock };
}

/** Request type -> the response type a typed failure must carry (grpc.md §7). */
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
  readonly store: PersistentStore;
  readonly view: ServiceInfoView;
  readonly push: PushEngine;
  readonly naming: NamingService;
  readonly expiry: ExpiryTasks;
  readonly grpc: SdkGrpcServer;
  readonly udp: UdpPushService;
  readonly member: MemberIdentity;
  readonly context: AppContext;
  private http: FastifyInstance | null = null;
  private stopping = false;

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
    this.store = new SqliteStore(resolve(config.str('nomen.data.dir')));
    this.view = new ServiceInfoView(this.registry, this.metadata, clock, () => config.int('nacos.naming.default.push.cache.millis'));
    this.grpc = new SdkGrpcServer({
      host,
      port: port + 1000,
      logger: log.child({ component: 'grpc' }),
      clock,
      maxInboundBytes: config.int('nacos.remote.server.grpc.sdk.max-inbound-message-size'),
      idleEjectMs: config.int('nomen.grpc.client-detection.idle-ms'),
      isReady: () => this.readiness.ready,
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
        metadataLimit: config.int('nacos.naming.service.metadata.length'),
      },
    );
    this.expiry = new ExpiryTasks(this.registry, this.metadata, this.subscriptions, this.view, clock, log.child({ component: 'expiry' }), {
      checkIntervalMs: config.int('nomen.naming.heartbeat.check-interval-ms'),
      expireInstance: config.bool('nacos.naming.expireInstance'),
      clientExpiredMs: config.int('nacos.naming.client.expired.time'),
      udpSubscriberExpiredMs: config.int('nomen.naming.udp.subscriber.expired-time'),
      emptyServiceExpiredMs: config.int('nacos.naming.clean.empty-service.expired-time'),
      healthCheckEnabled: () => true,
    }, this.cluster ? (id) => this.cluster!.distro.isResponsible(id) : undefined);
    const startedAt = clock.now();
    const grpc = this.grpc;
    const cluster = this.cluster;
    const metrics = new Metrics({
      services: () => this.registry.serviceCount(),
      instances: () => this.naming.instanceCount(),
      subscribers: () => this.subscriptions.count(),
      connections: () => grpc.connectionCount(),
      clients: () => this.naming.clientCounts(),
      push: () => this.push.stats,
      udp: () => this.udp.stats,
      ready: () => this.readiness.ready,
      ...(cluster
        ? {
            distro: () => cluster.distro.stats(),
            members: () => cluster.memberList().map((m) => ({ address: m.address, state: m.state })),
          }
        : {}),
    });
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
      metrics,
    };
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    await this.store.open();
    const sm = new PersistentStateMachine(this.registry, this.metadata, this.clock, this.log.child({ component: 'persistent' }));
    const entries = [...this.store.entries()].map((e) => ({ table: e.table, key: e.key, value: e.value }));
    // Service metadata first, so a persistent service's ephemerality is known before its instances.
    entries.sort((a, b) => (a.table === 'service' ? 0 : 1) - (b.table === 'service' ? 0 : 1));
    sm.apply(entries);
    this.store.onApply((batch) => sm.apply(batch));
    applyStoredSwitches(this.context);

    const handlers = namingHandlers(this.context);
    for (const [type, h] of Object.entries(handlers)) {
      const okCount = this.context.metrics?.grpcRequests.labels(type, 'ok');
      const errorCount = this.context.metrics?.grpcRequests.labels(type, 'error');
      const done = (r: Awaited<ReturnType<typeof h>>) => {
        okCount?.inc();
        return r;
      };
      const failed = (e: unknown) => {
        errorCount?.inc();
        // Rejections of the request itself (4xx) are typed failures, as grpc.md §5.3 recommends: the
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
        try {
          const r = h(body, {
            connectionId: conn.id,
            clientIp: rc.clientIp,
            remoteAddress: `${conn.remoteIp}:${conn.remotePort}`,
            appName: conn.appName,
            clientVersion: conn.clientVersion,
          });
          return r instanceof Promise ? r.then(done, failed) : done(r);
        } catch (e) {
          return failed(e);
        }
      });
    }
    this.grpc.onDisconnected((conn) => this.naming.connectionClosed(conn.id));

    await this.udp.start();
    const cluster = this.cluster;
    this.http = createHttpServer(
      this.context,
      cluster
        ? {
            cluster: {
              members: () => cluster.memberList().map((m) => clusterMember(this.context, m)),
              responsibleTag: (t) => cluster.distro.responsibleTag(t),
              mapSrv: (t) => cluster.distro.mapSrv(t),
              distroState: () => cluster.state(),
              forwardTimeoutMs: this.config.int('nomen.cluster.forward.timeout-ms'),
            },
          }
        : {},
    );
    await this.http.listen({ port: this.member.port, host: this.config.str('nomen.server.host') });
    this.expiry.start();
    if (cluster) {
      // Ready only after the Distro snapshot load: no partial reads (spec distro.md §8.B7).
      this.readiness.reason = 'loading distro snapshot';
      await cluster.start();
      await this.waitForLoad(cluster);
    }
    await this.grpc.start();
    this.readiness.ready = true;
    this.readiness.reason = 'ready';
    this.log.info(
      { http: this.member.port, grpc: this.member.port + 1000, member: this.member.address, ms: Date.now() - t0 },
      'nomen member ready',
    );
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

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.readiness.ready = false;
    this.readiness.reason = 'shutting down';
    this.expiry.stop();
    this.push.stop();
    await this.cluster?.stop().catch((e: unknown) => this.log.warn({ err: e }, 'cluster stop'));
    // Drain: ask SDK clients to move (ConnectResetRequest, honoured by Java clients) and end their
    // streams (which makes Rust clients reconnect elsewhere), then close the port.
    for (const c of this.grpc.listConnections()) this.grpc.resetConnection(c.id);
    await this.grpc.stop(2000).catch((e: unknown) => this.log.warn({ err: e }, 'grpc stop'));
    await this.http?.close().catch((e: unknown) => this.log.warn({ err: e }, 'http stop'));
    this.udp.stop();
    await this.store.close();
    this.log.info('nomen member stopped');
  }
}

/** The HTTP core APIs' Member shape for a cluster member. */
function clusterMember(ctx: AppContext, m: ClusterMember): HttpMember {
  const base = selfMember(ctx);
  return {
    ...base,
    ip: m.ip,
    port: m.port,
    address: m.address,
    state: m.state,
    failAccessCnt: m.failAccessCnt,
    extendInfo: { ...base.extendInfo, ...m.extendInfo, lastRefreshTime: m.lastRefreshTime, raftPort: String(m.port - 1000) },
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
