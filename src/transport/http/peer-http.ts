/**
 * Calls from this member to another member's admin API on behalf of an operator request
 * (subscriber aggregation, config listener and client metric queries, smart reload): the caller's credentials (`Authorization` /
 * `accessToken` header, `accessToken` parameter) are passed on, since a token is valid on every
 * member (one shared secret). Failures and timeouts resolve to null: the caller decides.
 */
import type { FastifyRequest } from 'fastify';
import type { HttpDeps } from './kit.js';

function credentials(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of ['authorization', 'accesstoken']) {
    const v = req.headers[h];
    if (typeof v === 'string') out[h] = v;
  }
  return out;
}

/** `method path?query` on `peer` (`ip:port`); the parsed JSON answer of a 2xx, else null. */
export async function callPeer(
  deps: HttpDeps,
  req: FastifyRequest,
  peer: string,
  method: 'GET' | 'POST',
  path: string,
  query: Record<string, string>,
  timeoutMs?: number,
): Promise<unknown> {
  const q = new URLSearchParams(query);
  const token = new URL(req.url, 'http://x').searchParams.get('accessToken');
  if (token) q.set('accessToken', token);
  const wait = timeoutMs ?? deps.cluster?.forwardTimeoutMs ?? 2000;
  try {
    const res = await fetch(`http://${peer}${path}?${q.toString()}`, { method, headers: credentials(req), signal: AbortSignal.timeout(wait) });
    if (!res.ok) return null;
    return (await res.json()) as unknown;
  } catch (e) {
    deps.ctx.log.debug({ err: e, peer, path }, 'call to a peer failed');
    return null;
  }
}

/** One other UP member's answer to a fan-out: `answer` is null when it failed or timed out. */
export interface PeerAnswer<T> {
  readonly peer: string;
  readonly answer: T | null;
}

/**
 * Asks every other UP member at once (cluster mode; none standalone) and waits for all of them:
 * each `ask` is bounded by `callPeer`'s timeout, so a member that does not answer in time
 * contributes null and the caller leaves it out. Peers come in member-list order.
 */
export async function askUpPeers<T>(deps: HttpDeps, ask: (peer: string) => Promise<T | null>): Promise<PeerAnswer<T>[]> {
  const cluster = deps.cluster;
  if (!cluster) return [];
  const peers = cluster
    .members()
    .filter((m) => m.address !== deps.ctx.member.address && m.state === 'UP')
    .map((m) => m.address);
  return Promise.all(peers.map(async (peer) => ({ peer, answer: await ask(peer).catch(() => null) })));
}
