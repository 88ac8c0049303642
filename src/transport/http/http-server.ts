/**
 * The HTTP edge (fastify): Nacos' v1/v2 naming Open API, the v3 client API, health probes, core
 * cluster endpoints and console namespaces, on the main port under `/nacos`.
 *
 * Decision (docs/bad-input.md): Nacos 3 answers 410 for the legacy admin/console APIs unless
 * compatibility switches are set (docs/protocol/http.md §0.3 step 2); Nomen serves them all, always.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { notFound } from '../../core/errors.js';
import { NamespaceCatalog } from '../../naming/namespaces.js';
import { familyOf, toErrorResponse } from './errors.js';
import type { HttpDeps } from './kit.js';
import type { HttpClusterHooks } from './cluster-hooks.js';
import { installAuthFilter } from './auth-filter.js';
import { httpLimitsFrom, installConnectionLimits, nodeServerOptions } from './connection-limits.js';
import { installDistroFilter, installReadinessGate } from './distro-filter.js';
import { selfMembers, withRaftMetaData, type MemberSource } from './members.js';
import type { AdminHooks } from './admin-hooks.js';
import { parseFormBody } from './params.js';
import { configListenerRoutes } from './routes/config-listener.js';
import { consoleRoutes } from './routes/console.js';
import { authRoutes } from './routes/auth.js';
import { coreRoutes } from './routes/core.js';
import { healthRoutes } from './routes/health.js';
import { namespaceRoutes } from './routes/namespaces.js';
import { v1InstanceRoutes } from './routes/v1-instance.js';
import { v1ConfigRoutes } from './routes/v1-config.js';
import { v1OperatorRoutes } from './routes/v1-operator.js';
import { v1ServiceRoutes } from './routes/v1-service.js';
import { v2ConfigRoutes } from './routes/v2-config.js';
import { v2NamingRoutes } from './routes/v2-naming.js';
import { v3AdminCoreRoutes } from './routes/v3-admin-core.js';
import { v3AdminNamingRoutes } from './routes/v3-admin-ns.js';
import { v3ClientRoutes } from './routes/v3-client.js';
import { v3ConsoleNamingRoutes } from './routes/v3-console.js';
import { v3ConfigRoutes } from './routes/v3-config.js';

export interface HttpServerOptions {
  /** Cluster members for the core APIs; default: this member alone (or the cluster's). */
  members?: MemberSource;
  /** Cluster mode: forwarding of writes to the responsible member, readiness gate, distro state. */
  cluster?: HttpClusterHooks;
  /** Raft state of the persistent store for operators (`/nacos/v1/ns/operator/raft/state`). */
  raftState?: () => unknown;
  /** Drain and hand-over state (`GET /nacos/v1/core/ops/drain`); `drain` set: `POST` starts a drain and exit. */
  ops?: { state: () => unknown; drain: (() => void) | null };
  /** Raft group and SDK connections for the core admin APIs (absent: none, as in edge-only tests). */
  admin?: AdminHooks;
}

function sendError(reply: FastifyReply, req: FastifyRequest, err: unknown, ctx: AppContext): FastifyReply {
  const r = toErrorResponse(err, familyOf(req.url), ctx.log);
  return reply.code(r.status).type(r.contentType).send(r.body);
}

/** Builds the HTTP app (not listening; the caller listens). */
export function createHttpServer(ctx: AppContext, options: HttpServerOptions = {}): FastifyInstance {
  const limits = httpLimitsFrom(ctx.config);
  const app = Fastify({
    logger: false,
    bodyLimit: ctx.config.int('nomen.http.body-limit'),
    // Slow or silent clients cannot hold connections (connection-limits.ts); fastify sets these two itself.
    http: nodeServerOptions(limits),
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Parameters are read by `Params` from the raw URL (Nacos' merge rules), never from
    // `request.query`: skip fastify's own query-string parse on every request.
    routerOptions: { ignoreTrailingSlash: true, querystringParser: () => ({}) },
    // Router-level failures (malformed URL) in the family's format too.
    frameworkErrors: (err, req, reply) => {
      sendError(reply, req, err, ctx);
    },
  });
  installConnectionLimits(app.server, limits, ctx.log);

  // Parameters come from the query string and form bodies only (docs/protocol/http.md §0.2). Any other body
  // (JSON, text...) is read (so the body limit applies) and ignored, as a Servlet container does.
  app.removeAllContentTypeParsers();
  // Read as bytes: decoding to a string first would turn bytes that are not UTF-8 into U+FFFD.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseFormBody(body as Buffer));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  // Kept as bytes for the few routes that read a body of their own (config import's multipart, clone's JSON).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, req, reply) => sendError(reply, req, err, ctx));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? req.url;
    sendError(reply, req, notFound(`No such API: ${req.method} ${path}`), ctx);
  });

  // No MIME sniffing of any answer (docs/security.md §9); console pages add their own headers too.
  app.addHook('onRequest', (_req, reply, done) => {
    reply.header('x-content-type-options', 'nosniff');
    done();
  });
  installReadinessGate(app, ctx);
  if (ctx.auth) installAuthFilter(app, ctx, ctx.auth);
  const metrics = ctx.metrics;
  if (metrics) {
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      metrics.httpRequests.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
    for (const path of ['/nacos/actuator/prometheus', '/metrics']) {
      app.get(path, async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));
    }
  }
  if (options.cluster) {
    const cluster = options.cluster;
    installDistroFilter(app, ctx, cluster);
    app.get('/nacos/v1/ns/operator/distro/state', async (_req, reply) => reply.type('application/json').send(JSON.stringify(cluster.distroState())));
  }
  const raftState = options.raftState;
  if (raftState) {
    app.get('/nacos/v1/ns/operator/raft/state', async (_req, reply) => reply.type('application/json').send(JSON.stringify(raftState())));
  }
  const ops = options.ops;
  if (ops) {
    app.get('/nacos/v1/core/ops/drain', async (_req, reply) => reply.type('application/json').send(JSON.stringify(ops.state())));
    const drain = ops.drain;
    if (drain) {
      app.post('/nacos/v1/core/ops/drain', async (_req, reply) => {
        ctx.log.info('drain requested through the operator endpoint');
        // Answer first: the drain ends with this process.
        setImmediate(drain);
        return reply.type('application/json').send(JSON.stringify({ draining: true }));
      });
    }
  }
  const admin = options.admin;
  const baseMembers = options.members ?? options.cluster?.members ?? selfMembers(ctx);
  const members = admin ? withRaftMetaData(baseMembers, () => admin.raftGroup()) : baseMembers;
  const deps: HttpDeps = { ctx, members, admin, namespaces: new NamespaceCatalog(ctx.naming.store, (id) => ctx.naming.limits.checkNewNamespace(id)), cluster: options.cluster };
  v1InstanceRoutes(app, deps);
  v1ServiceRoutes(app, deps);
  v1OperatorRoutes(app, deps);
  v2NamingRoutes(app, deps);
  v3ClientRoutes(app, deps);
  v3ConsoleNamingRoutes(app, deps);
  v3AdminNamingRoutes(app, deps);
  v3AdminCoreRoutes(app, deps);
  healthRoutes(app, deps);
  coreRoutes(app, deps);
  namespaceRoutes(app, deps);
  consoleRoutes(app, deps);
  if (ctx.configCenter) {
    v1ConfigRoutes(app, deps);
    v2ConfigRoutes(app, deps);
    v3ConfigRoutes(app, deps);
  }
  configListenerRoutes(app, deps);
  if (ctx.auth) authRoutes(app, ctx.auth);
  return app;
}
