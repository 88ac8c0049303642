/**
 * v1 operator and health APIs (docs/protocol/http.md §1.11, §1.12). Every `/v1/ns/operator/*` path is also
 * served as `/v1/ns/ops/*`.
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { DEFAULT_CLUSTER } from '../../../core/names.js';
import { setPersistentInstanceHealth } from '../../../naming/operator-ops.js';
import { javaBoolOr, optStr, parseParams, reqInt, reqStr, strOr } from '../fields.js';
import { serviceV1 } from '../instance-form.js';
import { ANY_METHOD, namingParams, paramsOf, sendJson, sendText, type HttpDeps } from '../kit.js';
import { lenientBool, type Params } from '../params.js';
import { switchDomain, updateSwitch } from '../switches.js';
import { MissingParamError } from '../errors.js';

const V1 = '/nacos/v1/ns';

const round = (n: number) => Math.round(n * 10000) / 10000;

/** `operator/metrics` body (docs/protocol/http.md §1.11). `status` follows readiness. */
export function metrics(ctx: AppContext, onlyStatus: boolean): Record<string, unknown> {
  const status = ctx.readiness.ready ? 'UP' : 'DOWN';
  if (onlyStatus) return { status };
  const n = ctx.naming;
  const clients = n.clientCounts();
  const instances = n.instanceCount();
  const clientCount = clients.connection + clients['ephemeral-ipport'] + clients['persistent-ipport'];
  const load = loadavg()[0] ?? 0;
  return {
    status,
    serviceCount: n.catalog.serviceCount(),
    instanceCount: instances,
    subscribeCount: n.subscriptions.count(),
    responsibleInstanceCount: instances,
    clientCount,
    connectionBasedClientCount: clients.connection,
    ephemeralIpPortClientCount: clients['ephemeral-ipport'],
    persistentIpPortClientCount: clients['persistent-ipport'],
    responsibleClientCount: clientCount,
    cpu: round(load / Math.max(1, cpus().length)),
    load: round(load),
    mem: round(1 - freemem() / Math.max(1, totalmem())),
  };
}

/** `operator/push/state` (docs/protocol/http.md §1.11); `reset` zeroes the counters after reading them. */
export function pushState(ctx: AppContext, detail: boolean, reset: boolean): Record<string, unknown> {
  const st = ctx.naming.push.stats;
  const total = st.succeeded + st.failed;
  const out: Record<string, unknown> = { succeed: st.succeeded, total, ratio: total === 0 ? 0 : st.succeeded / total, reset };
  if (detail) out['detail'] = { avgPushCost: st.succeeded === 0 ? 0 : Math.round(st.totalCostMs / st.succeeded), maxPushCost: st.maxCostMs };
  if (reset) {
    st.succeeded = 0;
    st.failed = 0;
    st.retried = 0;
    st.totalCostMs = 0;
    st.maxCostMs = 0;
  }
  return out;
}

const PINO_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Nacos' default health checkers by type (`health/checkers`). */
export const DEFAULT_CHECKERS = {
  TCP: { type: 'TCP' },
  HTTP: { type: 'HTTP', path: '', headers: '', expectedResponseCode: 200 },
  MYSQL: { type: 'MYSQL' },
  NONE: { type: 'NONE' },
};

/** Sets this member's log level; names pino does not know are ignored (Nacos ignores unknown levels too). */
export function setLogLevel(ctx: AppContext, logLevel: string): void {
  const level = logLevel.toLowerCase();
  if (PINO_LEVELS.has(level)) ctx.log.level = level;
}

/** The member responsible for an ip:port client (Nacos: `distroMapper.mapSrv(ip:port)`); `ip`, `port` required. */
export function distroResponsible(deps: HttpDeps, p: Params): { responsibleServer: string } {
  // `@RequestParam String ip, port` in Nacos: Spring's "missing" wording.
  const f = parseParams(z.object({ ip: reqStr('ip', true), port: reqStr('port', true) }), p);
  const tag = `${f.ip}:${f.port}`;
  return { responsibleServer: deps.cluster ? deps.cluster.mapSrv(tag) : deps.ctx.member.address };
}

const HealthSchema = z.object({ ip: reqStr('ip'), port: reqInt('port'), clusterName: strOr(DEFAULT_CLUSTER) });

export function v1OperatorRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { ctx } = deps;
  for (const prefix of [`${V1}/operator`, `${V1}/ops`]) {
    app.get(`${prefix}/switches`, async (_req, reply) => sendJson(reply, switchDomain(ctx)));

    app.put(`${prefix}/switches`, async (req, reply) => {
      const f = parseParams(z.object({ entry: reqStr('entry'), value: reqStr('value'), debug: optStr() }), paramsOf(req));
      await updateSwitch(ctx, f.entry, f.value);
      return sendText(reply, 'ok');
    });

    app.get(`${prefix}/metrics`, async (req, reply) => {
      const f = parseParams(z.object({ onlyStatus: javaBoolOr(true) }), paramsOf(req));
      return sendJson(reply, metrics(ctx, f.onlyStatus));
    });

    app.route({
      method: ANY_METHOD,
      url: `${prefix}/push/state`,
      handler: async (req, reply) => {
        const f = parseParams(z.object({ detail: javaBoolOr(false), reset: javaBoolOr(false) }), paramsOf(req));
        return sendJson(reply, pushState(ctx, f.detail, f.reset));
      },
    });

    app.get(`${prefix}/distro/client`, async (req, reply) => sendJson(reply, distroResponsible(deps, paramsOf(req))));

    app.put(`${prefix}/log`, async (req, reply) => {
      // `@RequestParam String logName, logLevel` in Nacos: Spring's "missing" wording.
      const f = parseParams(z.object({ logName: reqStr('logName', true), logLevel: reqStr('logLevel', true) }), paramsOf(req));
      setLogLevel(ctx, f.logLevel);
      return sendText(reply, 'ok');
    });
  }

  app.route({
    method: ANY_METHOD,
    url: `${V1}/health/server`,
    handler: async (_req, reply) =>
      sendJson(reply, {
        msg: `Hello! I am Nacos-Naming and healthy! total services: ${ctx.naming.catalog.serviceCount()}, local port:${ctx.member.port}`,
      }),
  });

  for (const url of [`${V1}/health`, `${V1}/health/instance`]) {
    app.put(url, async (req, reply) => {
      const p = namingParams(deps, req);
      // `healthy` (alias `valid`) is read first (Nacos HealthController.update).
      const healthyText = p.first('healthy', 'valid');
      if (healthyText === undefined) throw new MissingParamError('healthy', 'Boolean');
      const service = serviceV1(p);
      const f = parseParams(HealthSchema, p);
      await setPersistentInstanceHealth(ctx.naming, service, f.clusterName, f.ip, f.port, lenientBool(healthyText));
      return sendText(reply, 'ok');
    });
  }

  app.get(`${V1}/health/checkers`, async (_req, reply) => sendJson(reply, DEFAULT_CHECKERS));
}
