/**
 * Calls from this member to another member's admin API on behalf of an operator request
 * (subscriber aggregation, smart reload): the caller's credentials (`Authorization` /
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
): Promise<unknown> {
  const q = new URLSearchParams(query);
  const token = new URL(req.url, 'http://x').searchParams.get('accessToken');
  if (token) q.set('accessToken', token);
  const timeoutMs = deps.cluster?.forwardTimeoutMs ?? 2000;
  try {
    const res = await fetch(`http://${peer}${path}?${q.toString()}`, { method, headers: credentials(req), signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return (await res.json()) as unknown;
  } catch (e) {
    deps.ctx.log.debug({ err: e, peer, path }, 'call to a peer failed');
    return null;
  }
}
