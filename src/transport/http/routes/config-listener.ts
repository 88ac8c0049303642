/**
 * The config listener routes (docs/config-center.md "Listening and pushes", docs/protocol/config.md
 * §3.4, §3.5, §4.3):
 *
 *  - `POST /nacos/v1/cs/configs/listener`: the long poll nacos-config and the Java 1.x client use;
 *  - `GET /nacos/v1/cs/configs/listener`, `GET /nacos/v3/admin/cs/config/listener`: who listens to
 *    one config (client IP → md5), long polls and gRPC listeners;
 *  - `GET /nacos/v1/cs/listener`, `GET /nacos/v3/admin/cs/listener`: what the clients at one IP
 *    listen to (groupKey → md5).
 *
 * The queries answer for every UP member unless `aggregation=false` (src/transport/http/config-aggregation.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { normalizeTenant } from '../../../config-center/config-keys.js';
import type { ConfigListening } from '../../../config-center/listening.js';
import { changedEntries, holdTimeMs, parseListeningConfigs, pollAnswer, type PollEntry } from '../../../config-center/long-polling.js';
import type { ClientLabels, ConfigKey } from '../../../config-center/types.js';
import { paramCheck } from '../../../config-center/validation.js';
import { badRequest, NacosError } from '../../../core/errors.js';
import { DEFAULT_GROUP } from '../../../core/names.js';
import { askPeers, mergeListenerStatus, peerQuery, V1ListenerAnswer, V3ListenerAnswer } from '../config-aggregation.js';
import { MissingParamError, TEXT_TYPE } from '../errors.js';
import { sendSpringError } from '../auth-filter.js';
import { lenientBoolOr, parseParams } from '../fields.js';
import { paramsOf, sendJson, sendResult, type HttpDeps } from '../kit.js';
import { lenientBool, type Params } from '../params.js';
import { configMetricsRoutes } from './config-metrics.js';

/** Nacos answers a poll over the holder cap with 503 after a pause, so clients do not spin. */
const BUSY_DELAY_MS = 1000;

export const LONG_POLL_PATH = '/nacos/v1/cs/configs/listener';
const V1_BY_IP = '/nacos/v1/cs/listener';
const V3_BY_CONFIG = '/nacos/v3/admin/cs/config/listener';
const V3_BY_IP = '/nacos/v3/admin/cs/listener';

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The caller's address for gray matching: first `X-Forwarded-For` entry, else `X-Real-IP`, else the peer (docs/protocol/config.md §5.1). */
function callerIp(req: FastifyRequest): string {
  const fwd = header(req, 'x-forwarded-for')?.split(',')[0]?.trim();
  if (fwd) return fwd;
  const real = header(req, 'x-real-ip')?.trim();
  if (real) return real;
  const ip = req.socket.remoteAddress ?? req.ip;
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

function labelsOf(req: FastifyRequest): ClientLabels {
  const clientIp = callerIp(req);
  const tag = header(req, 'vipserver-tag')?.trim();
  return tag ? { clientIp, tag } : { clientIp };
}

function listening(deps: HttpDeps): ConfigListening {
  const l = deps.ctx.configListening;
  if (!l) throw new NacosError(501, 'The configuration center is not enabled.', 30000);
  return l;
}

/** No caching of poll answers (Nacos sets these on every poll answer). */
const POLL_HEADERS = Object.freeze({
  Pragma: 'no-cache',
  Expires: 'Thu, 01 Jan 1970 00:00:00 GMT',
  'Cache-Control': 'no-cache,no-store',
  'content-type': TEXT_TYPE,
});

/** A poll's answer: `body` is `pollAnswer` of the changed entries ('' when none). */
function sendPoll(reply: FastifyReply, body: string): FastifyReply {
  return reply.code(200).headers(POLL_HEADERS).send(body);
}

/** `Long-Pulling-Timeout` as Java's Long.parseLong reads it; a bad value is Nacos' 400. */
function pollTimeout(v: string): number {
  const t = v.trim() === v && /^[+-]?\d{1,18}$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(t)) throw badRequest(`caused: For input string: "${v}";`);
  return t;
}

/**
 * Reads and checks a poll's body: every entry through the parameter checker (its 400 text), so a
 * bad entry refuses the whole poll before anything is held.
 */
function pollEntries(deps: HttpDeps, p: Params): PollEntry[] {
  const entries = parseListeningConfigs(p.raw('Listening-Configs'));
  const chars = deps.ctx.config.bool('nacos.core.param.check.enabled');
  for (const e of entries) {
    const bad = paramCheck({ dataId: e.key.dataId, group: e.key.group, tenant: e.sentTenant }, chars);
    if (bad) throw badRequest(bad);
  }
  return entries;
}

function longPoll(deps: HttpDeps, req: FastifyRequest, reply: FastifyReply): void {
  const l = listening(deps);
  const entries = pollEntries(deps, paramsOf(req));
  const labels = labelsOf(req);
  const center = deps.ctx.configCenter;
  if (!center) throw new NacosError(501, 'The configuration center is not enabled.', 30000);
  const changed = changedEntries(center, entries, labels);
  const timeoutHeader = header(req, 'long-pulling-timeout');
  // Short poll (no timeout header), something already differs, or "no hang-up": answer at once.
  if (timeoutHeader === undefined || changed.length > 0 || header(req, 'long-pulling-timeout-no-hangup') === 'true') {
    sendPoll(reply, pollAnswer(changed));
    return;
  }
  const holdMs = Math.min(holdTimeMs(pollTimeout(timeoutHeader)), deps.ctx.config.int('nomen.config.long-poll.max-hold-ms'));
  const res = reply.raw;
  let forget: () => void;
  const cancel = l.polls.hold(entries, labels, holdMs, (answer) => {
    res.off('close', onClose);
    sendPoll(reply, answer);
  });
  if (cancel) {
    forget = cancel;
  } else {
    const t = deps.ctx.clock.setTimeout(() => {
      res.off('close', onClose);
      reply.code(503).type(TEXT_TYPE).send('too many long polling connections, please try again later');
    }, BUSY_DELAY_MS);
    forget = () => t.cancel();
  }
  // The client went away before the answer: forget the poll (nothing is sent).
  function onClose(): void {
    if (!res.writableEnded) forget();
  }
  res.once('close', onClose);
}

function statusKey(p: Params, tenantParam: string, groupParam: string): ConfigKey {
  const dataId = p.get('dataId');
  if (dataId === undefined) throw new MissingParamError('dataId');
  return { tenant: normalizeTenant(p.get(tenantParam)), group: p.get(groupParam) ?? DEFAULT_GROUP, dataId };
}

/** What one IP listens to, limited to a namespace unless `all` (Nacos: keys without a tenant part; 3.x stores `public`). */
function byIp(deps: HttpDeps, p: Params, tenantParam: string): Record<string, string> {
  const ip = p.get('ip');
  if (ip === undefined) throw new MissingParamError('ip', 'String', true); // @RequestParam("ip")
  const all = lenientBool(p.get('all') ?? 'false');
  const tenant = normalizeTenant(p.get(tenantParam));
  const out: Record<string, string> = {};
  for (const [gk, e] of listening(deps).listenedBy(ip)) {
    if (all || e.key.tenant === tenant) out[gk] = e.md5;
  }
  return out;
}

/** `aggregation` (Nacos 3's `AggregationForm`, default true): also ask the other UP members. */
function aggregation(p: Params): boolean {
  return parseParams(z.object({ aggregation: lenientBoolOr(true) }), p).aggregation;
}

/** Registered always; without a configuration center they answer 501. */
export function configListenerRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const held = deps.ctx.configListening;
  // A stopping server stops the listening first: held polls are answered, so closing does not wait for them.
  if (held) {
    app.addHook('preClose', (done) => {
      held.stop();
      done();
    });
  }
  app.post(LONG_POLL_PATH, (req, reply) => longPoll(deps, req, reply));
  // v1 `@RequestParam`s no config exception handler covers: a missing one is Spring Boot's 400 JSON (docs/protocol/http.md §0.4).
  const springMissing = (req: FastifyRequest, reply: FastifyReply, p: Params, names: readonly string[]): FastifyReply | null => {
    const name = names.find((n) => p.raw(n) === undefined);
    return name === undefined ? null : sendSpringError(reply, req, deps.ctx, 400, `Required request parameter '${name}' for method parameter type String is not present`);
  };
  app.get(LONG_POLL_PATH, async (req, reply) => {
    const p = paramsOf(req);
    const refused = springMissing(req, reply, p, ['dataId', 'group']);
    if (refused) return refused;
    const local = listening(deps).listenersOf(statusKey(p, 'tenant', 'group'));
    const peers = aggregation(p) ? await askPeers(deps, req, LONG_POLL_PATH, peerQuery(p, ['dataId', 'group', 'tenant']), V1ListenerAnswer, (a) => a.lisentersGroupkeyStatus ?? {}) : [];
    // The misspelt field name is Nacos' own (docs/protocol/config.md §3.5).
    return sendJson(reply, { collectStatus: 200, lisentersGroupkeyStatus: mergeListenerStatus(local, peers.map((x) => x.answer)) });
  });
  app.get(V1_BY_IP, async (req, reply) => {
    const p = paramsOf(req);
    const refused = springMissing(req, reply, p, ['ip']);
    if (refused) return refused;
    const local = byIp(deps, p, 'tenant');
    const peers = aggregation(p) ? await askPeers(deps, req, V1_BY_IP, peerQuery(p, ['ip', 'all', 'tenant']), V1ListenerAnswer, (a) => a.lisentersGroupkeyStatus ?? {}) : [];
    return sendJson(reply, { collectStatus: 200, lisentersGroupkeyStatus: mergeListenerStatus(local, peers.map((x) => x.answer)) });
  });
  app.get(V3_BY_CONFIG, async (req, reply) => {
    const p = paramsOf(req);
    if (p.get('groupName') === undefined) throw new MissingParamError('groupName');
    const local = listening(deps).listenersOf(statusKey(p, 'namespaceId', 'groupName'));
    const peers = aggregation(p) ? await askPeers(deps, req, V3_BY_CONFIG, peerQuery(p, ['dataId', 'groupName', 'namespaceId']), V3ListenerAnswer, (a) => a.data.listenersStatus ?? {}) : [];
    return sendResult(reply, { queryType: 'config', listenersStatus: mergeListenerStatus(local, peers.map((x) => x.answer)) });
  });
  app.get(V3_BY_IP, async (req, reply) => {
    const p = paramsOf(req);
    const local = byIp(deps, p, 'namespaceId');
    const peers = aggregation(p) ? await askPeers(deps, req, V3_BY_IP, peerQuery(p, ['ip', 'all', 'namespaceId']), V3ListenerAnswer, (a) => a.data.listenersStatus ?? {}) : [];
    return sendResult(reply, { queryType: 'ip', listenersStatus: mergeListenerStatus(local, peers.map((x) => x.answer)) });
  });
  configMetricsRoutes(app, deps);
}
