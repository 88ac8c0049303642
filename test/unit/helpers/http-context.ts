/**
 * A real AppContext in-process for HTTP and UDP edge tests: registry, metadata, memory store wired
 * to the persistent state machine, subscriptions, view, push engine, naming service and expiry
 * tasks — on a ManualClock unless a clock is given.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { AppContext, Readiness } from '../../../src/app-context.js';
import { configCenterParts, followConfigStore } from '../../../src/app/config-center.js';
import { AuthService } from '../../../src/auth/auth-service.js';
import { Config } from '../../../src/config/config.js';
import { ManualClock, type Clock } from '../../../src/core/clock.js';
import { MetadataIndex } from '../../../src/core/metadata.js';
import { Registry } from '../../../src/core/registry.js';
import { ExpiryTasks } from '../../../src/naming/expiry.js';
import { limitSettings } from '../../../src/naming/limits.js';
import { NamingService } from '../../../src/naming/naming-service.js';
import { PersistentStateMachine } from '../../../src/naming/persistent-state.js';
import { PushEngine, type PushSink } from '../../../src/naming/push-engine.js';
import { ServiceInfoView } from '../../../src/naming/service-info-view.js';
import { SubscriptionRegistry } from '../../../src/naming/subscriptions.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { Metrics } from '../../../src/observability/metrics.js';
import { PushCostWindow } from '../../../src/observability/naming-metrics.js';
import { MemoryStore } from '../../../src/persistence/memory-store.js';
import { createHttpServer } from '../../../src/transport/http/http-server.js';
import { applySwitchWrites } from '../../../src/transport/http/switches.js';
import type { AdminHooks } from '../../../src/transport/http/admin-hooks.js';

export interface HttpContextOptions {
  /** Default: a new ManualClock. */
  clock?: Clock;
  /** Config properties (keys of src/config/keys.ts). */
  properties?: Record<string, string>;
  /** UDP push sink (default: none, pushes to UDP subscribers are dropped). */
  udp?: PushSink;
  ready?: boolean;
  /** Wire an AuthService (bcrypt cost 4); `enabled` is then read from `nacos.core.auth.enabled`. */
  auth?: boolean;
  /** Raft group and SDK connections for the core admin APIs (default: none). */
  admin?: AdminHooks;
  /** Serve Prometheus metrics (naming counts and the config center's series). */
  metrics?: boolean;
}

export function createHttpContext(opts: HttpContextOptions = {}) {
  const clock = opts.clock ?? new ManualClock();
  const log = silentLogger();
  const config = Config.from([{ source: 'test', values: opts.properties ?? {} }]);
  const registry = new Registry();
  const metadata = new MetadataIndex();
  const store = new MemoryStore();
  const subs = new SubscriptionRegistry();
  const view = new ServiceInfoView(registry, metadata, clock, () => config.int('nacos.naming.default.push.cache.millis'));
  const push = new PushEngine(view, subs, opts.udp ? { udp: opts.udp } : {}, clock, log, {
    delayMs: config.int('nacos.naming.push.pushTaskDelay'),
    retryDelayMs: config.int('nacos.naming.push.pushTaskRetryDelay'),
    maxRetries: config.int('nomen.naming.push.max-retries'),
  });
  const naming = new NamingService(registry, metadata, store, subs, view, push, clock, log, {
    clientBeatInterval: config.int('nacos.naming.client.beat.interval'),
    lightBeatEnabled: true,
    metadataLimit: config.int('nacos.naming.service.metadata.length'),
    limits: limitSettings((key) => config.int(key)),
  });
  const sm = new PersistentStateMachine(registry, metadata, clock, log);
  store.onApply((b) => sm.apply(b));
  const expiry = new ExpiryTasks(registry, metadata, subs, view, clock, log, {
    checkIntervalMs: config.int('nomen.naming.heartbeat.check-interval-ms'),
    expireInstance: config.bool('nacos.naming.expireInstance'),
    clientExpiredMs: config.int('nacos.naming.client.expired.time'),
    udpSubscriberExpiredMs: config.int('nomen.naming.udp.subscriber.expired-time'),
    emptyServiceExpiredMs: config.int('nacos.naming.clean.empty-service.expired-time'),
    healthCheckEnabled: () => true,
  });
  const auth = opts.auth
    ? new AuthService({
        store,
        clock,
        log,
        enabled: config.bool('nacos.core.auth.enabled'),
        tokenTtlSeconds: config.int('nacos.core.auth.plugin.nacos.token.expire.seconds'),
        secretKey: config.str('nacos.core.auth.plugin.nacos.token.secret.key'),
        bcryptCost: 4,
      })
    : undefined;
  if (auth) store.onApply((b) => auth.apply(b));
  const configs = configCenterParts(config, store, clock, log, () => true);
  followConfigStore(store, configs.state);
  const readiness: Readiness = { ready: opts.ready ?? true, reason: opts.ready === false ? 'starting' : 'ready' };
  const pushCost = new PushCostWindow(() => clock.monotonic());
  const metrics = opts.metrics
    ? new Metrics({
        services: () => registry.serviceCount(),
        instances: () => naming.instanceCount(),
        subscribers: () => subs.count(),
        connections: () => 0,
        clients: () => naming.clientCounts(),
        push: () => push.stats,
        udp: () => ({ sent: 0, acked: 0, failed: 0, resent: 0 }),
        ready: () => readiness.ready,
        configCenter: () => configs.service,
        namingMonitor: {
          services: () => registry.serviceCount(),
          instances: () => naming.instanceCount(),
          subscribers: () => subs.count(),
          push: () => push.stats,
          pushCost,
          pendingPushes: () => push.pendingCount(),
          leader: () => true,
          pubSub: () => naming.clients.pubSubCounts(),
        },
      })
    : undefined;
  if (metrics) {
    push.onOutcome = (_transport, ok, ms) => {
      if (ok) pushCost.record(ms);
    };
  }
  const ctx: AppContext = {
    config,
    log,
    clock,
    naming,
    readiness,
    member: { ip: '127.0.0.1', port: 8848, address: '127.0.0.1:8848' },
    startedAt: clock.now(),
    version: '0.1.0-test',
    connectionCount: () => 0,
    configCenter: configs.service,
    ...(auth ? { auth } : {}),
    ...(metrics ? { metrics } : {}),
  };
  store.onApply((b) => applySwitchWrites(ctx, b));
  const app: FastifyInstance = createHttpServer(ctx, opts.admin ? { admin: opts.admin } : {});

  /** Everything a request could change, as comparable text. */
  const snapshot = (): string =>
    JSON.stringify({
      services: [...registry.allServices()].map((s) => [s.id, s.ephemeral, s.revision, [...s.publishers].sort()]).sort(),
      clients: [...registry.allClients()].map((c) => [c.id, c.revision, [...c.publishes.entries()]]).sort(),
      store: [...store.entries()].map((e) => [e.table, e.key, e.value]).sort(),
      subscriptions: subs.count(),
      settings: naming.settings,
    });

  return { ctx, app, auth, clock, config, registry, metadata, store, subs, view, push, naming, expiry, readiness, snapshot, configs: configs.service };
}

export type HttpContext = ReturnType<typeof createHttpContext>;

// ------------------------------------------------------------------ request helpers (fastify inject)

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** The headers `nacos-naming@2.6.3` sends (docs/protocol/http.md §5.2). */
export const NODE_SDK_HEADERS = {
  'user-agent': 'Nacos-Java-Client:v1.0.0',
  'client-version': 'Nacos-Java-Client:v1.0.0',
  'request-module': 'Naming',
};

export function qs(params: Record<string, string | number | boolean>): string {
  return new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
}

/** Parameters in the query string (what the Node SDK does for every method). */
export function query(
  app: FastifyInstance,
  method: Method,
  path: string,
  params: Record<string, string | number | boolean> = {},
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  const q = qs(params);
  return app.inject({ method, url: q === '' ? path : `${path}?${q}`, headers });
}

/** Parameters in an x-www-form-urlencoded body. */
export function form(
  app: FastifyInstance,
  method: Method,
  path: string,
  params: Record<string, string | number | boolean>,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({ method, url: path, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: qs(params) });
}

export interface ServiceInfoJson {
  name: string;
  groupName: string;
  clusters: string;
  cacheMillis: number;
  hosts: Array<{ ip: string; port: number; weight: number; healthy: boolean; enabled: boolean; ephemeral: boolean; clusterName: string; metadata: Record<string, string>; instanceId: string; serviceName: string }>;
  lastRefTime: number;
  reachProtectionThreshold: boolean;
  valid: boolean;
}

export function json<T = unknown>(r: LightMyRequestResponse): T {
  return JSON.parse(r.body) as T;
}
