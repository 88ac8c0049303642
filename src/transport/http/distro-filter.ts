/**
 * Nacos' DistroFilter (docs/protocol/distro.md §2.5): an instance write or beat for an `ip:port` client that
 * reaches a member which is not responsible for it is forwarded to the responsible member, once.
 * A request that was already forwarded by a peer (User-Agent `Nacos-Server…`) and is still not
 * ours is refused with 400 — no second hop. If the responsible member cannot be reached, the
 * caller gets an error and nothing is applied here. Persistent instance writes (`ephemeral=false`)
 * are not forwarded: they go through Raft from whichever member takes them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { NacosError } from '../../core/errors.js';
import type { HttpClusterHooks } from './cluster-hooks.js';
import { familyOf, toErrorResponse } from './errors.js';
import { paramsOf } from './kit.js';
import { lenientBool, type Params } from './params.js';

/** `METHOD path` of every handler Nacos marks `@CanDistro`. */
const CAN_DISTRO = new Set<string>();
for (const base of ['/nacos/v1/ns', '/nacos/v2/ns']) {
  for (const m of ['POST', 'DELETE', 'PUT', 'PATCH']) CAN_DISTRO.add(`${m} ${base}/instance`);
  CAN_DISTRO.add(`PUT ${base}/instance/beat`);
  CAN_DISTRO.add(`PUT ${base}/health`);
  CAN_DISTRO.add(`PUT ${base}/health/instance`);
}
CAN_DISTRO.add('POST /nacos/v3/client/ns/instance');
CAN_DISTRO.add('DELETE /nacos/v3/client/ns/instance');

export const PEER_AGENT_PREFIX = 'Nacos-Server';

export function isPeerRequest(req: FastifyRequest): boolean {
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' && ua.includes(PEER_AGENT_PREFIX);
}

/** The `ip:port` tag of a request (DistroIpPortTagGenerator): ip/port params, else the beat JSON. */
export function distroTag(p: Params): string | null {
  let ip = p.get('ip');
  let port = p.get('port');
  if (ip === undefined) {
    const beat = p.get('beat');
    if (beat !== undefined) {
      try {
        const b = JSON.parse(beat) as { ip?: unknown; port?: unknown };
        if (typeof b.ip === 'string') ip = b.ip.trim();
        if (typeof b.port === 'number' || typeof b.port === 'string') port = String(b.port);
      } catch {
        return null;
      }
    }
  }
  if (ip === undefined || ip === '') return null;
  return `${ip}:${port ?? '0'}`;
}

function send(reply: FastifyReply, req: FastifyRequest, ctx: AppContext, err: NacosError): FastifyReply {
  const r = toErrorResponse(err, familyOf(req.url), ctx.log);
  return reply.code(r.status).type(r.contentType).send(r.body);
}

export function installDistroFilter(app: FastifyInstance, ctx: AppContext, cluster: HttpClusterHooks): void {
  app.addHook('preHandler', async (req, reply) => {
    const path = req.url.split('?')[0] ?? req.url;
    if (!CAN_DISTRO.has(`${req.method} ${path.replace(/\/+$/, '')}`)) return;
    let params: Params;
    try {
      params = paramsOf(req);
    } catch {
      return; // the route itself answers malformed parameters
    }
    // A persistent instance write goes through Raft from any member: forwarding it first to the
    // `ip:port`'s Distro member (as Nacos does) would only add an HTTP hop (docs/raft.md).
    const ephemeral = params.get('ephemeral');
    if (ephemeral !== undefined && !lenientBool(ephemeral)) return;
    const tag = distroTag(params);
    if (tag === null || cluster.responsibleTag(tag)) return;
    const target = cluster.mapSrv(tag);
    if (isPeerRequest(req)) {
      return send(reply, req, ctx, new NacosError(400, `receive invalid redirect request from peer ${req.socket.remoteAddress ?? ''}`));
    }
    await forward(req, reply, ctx, target, params, cluster.forwardTimeoutMs);
  });
}

async function forward(req: FastifyRequest, reply: FastifyReply, ctx: AppContext, target: string, params: Params, timeoutMs: number): Promise<FastifyReply> {
  const path = req.url.split('?')[0] ?? req.url;
  const headers: Record<string, string> = {
    'user-agent': `${PEER_AGENT_PREFIX}:${ctx.version}`,
    'content-type': 'application/x-www-form-urlencoded',
    'nomen-forwarded-by': ctx.member.address,
  };
  for (const [k, v] of Object.entries(req.headers)) {
    const lk = k.toLowerCase();
    if (typeof v === 'string' && !['host', 'content-length', 'content-type', 'user-agent', 'connection', 'transfer-encoding'].includes(lk)) headers[lk] = v;
  }
  try {
    const res = await fetch(`http://${target}${path}`, {
      method: req.method,
      headers,
      body: params.toFormBody(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = Buffer.from(await res.arrayBuffer());
    ctx.log.debug({ target, path, status: res.status }, 'forwarded to the responsible member');
    return reply
      .code(res.status)
      .type(res.headers.get('content-type') ?? 'text/plain;charset=UTF-8')
      .send(body);
  } catch (e) {
    ctx.log.warn({ err: e, target, path }, 'forwarding to the responsible member failed');
    return send(reply, req, ctx, new NacosError(500, `failed to forward request to the responsible server ${target}: ${e instanceof Error ? e.message : String(e)}`));
  }
}

/**
 * Before a cluster member has loaded its Distro snapshot it must not answer naming reads with a
 * partial view (docs/protocol/distro.md §8.B7): naming APIs answer 503 in Nacos' words until ready. Config
 * APIs too: until the Raft catch-up barrier passed, a read could serve a stale or missing config
 * (docs/config-center.md). Peer (forwarded) requests pass.
 */
export function installReadinessGate(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onRequest', async (req, reply) => {
    if (ctx.readiness.ready || isPeerRequest(req)) return;
    if (!/^\/nacos\/(v1\/ns|v2\/ns|v3\/client|v1\/cs|v2\/cs)\//.test(req.url)) return;
    return reply.code(503).type('text/plain;charset=UTF-8').send('server is STARTING now, please try again later!');
  });
}
