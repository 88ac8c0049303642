/**
 * Peer authentication of the cluster port: only members may call it. Spec context: Nacos sends a
 * server-identity header on every cluster request (docs/protocol/distro.md §5.6); we replace that static shared
 * value with a per-request HMAC so a captured request cannot be altered and goes stale quickly.
 *
 * Every request carries, in `Metadata.headers` (never in the JSON body, docs/protocol/grpc.md §1.2):
 *  - `nomen-member`: the sender's member address `ip:mainPort`;
 *  - `nomen-ts`: the sender's clock in ms since the epoch;
 *  - `nomen-sig` (secret mode only): hex HMAC-SHA256(secret, `${type}\n${member}\n${ts}\n${bodyJson}`),
 *    computed over the exact body bytes on the wire.
 *
 * Secret mode: the signature, the timestamp window and the member list are checked. Without a secret
 * the only protection is the TCP source address (must be a member IP) plus the claimed member
 * address; that is weak (any process on a member host can call) and the transport warns about it.
 * User access tokens are never used or accepted here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const HEADER_MEMBER = 'nomen-member';
export const HEADER_TS = 'nomen-ts';
export const HEADER_SIG = 'nomen-sig';

/** Default accepted distance between the sender's timestamp and our clock (config key nomen.cluster.auth.max-skew-ms). */
export const DEFAULT_MAX_SKEW_MS = 30_000;

const SIG_HEX = /^[0-9a-f]{64}$/i;
const TS_TEXT = /^\d{1,16}$/;

/** HMAC-SHA256 over `${type}\n${member}\n${ts}\n` followed by the body bytes (UTF-8 JSON), as hex. */
export function signature(secret: string, type: string, member: string, ts: string, body: Uint8Array | string): string {
  const h = createHmac('sha256', secret);
  h.update(`${type}\n${member}\n${ts}\n`, 'utf8');
  if (typeof body === 'string') h.update(body, 'utf8');
  else h.update(body);
  return h.digest('hex');
}

/** The auth headers of an outbound request. `body` must be the exact bytes that will be sent. */
export function authHeaders(secret: string, self: string, now: number, type: string, body: Uint8Array): Record<string, string> {
  const ts = String(Math.trunc(now));
  const headers: Record<string, string> = { [HEADER_MEMBER]: self, [HEADER_TS]: ts };
  if (secret !== '') headers[HEADER_SIG] = signature(secret, type, self, ts, body);
  return headers;
}

export type AuthFailure =
  | 'missing-headers'
  | 'bad-timestamp'
  | 'stale-timestamp'
  | 'not-a-member'
  | 'bad-signature'
  | 'source-not-member';

export type AuthResult = { ok: true; from: string } | { ok: false; failure: AuthFailure; detail: string };

export interface InboundRequest {
  readonly type: string;
  /** `Metadata.headers` as received. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyBytes: Uint8Array;
  /** TCP source address of the call (IPv4-mapped IPv6 already unwrapped). */
  readonly sourceIp: string;
}

export interface AuthenticatorOptions {
  /** '' = no secret: source-address mode. */
  secret: string;
  maxSkewMs: number;
  now: () => number;
  isMember: (address: string) => boolean;
  memberIps: () => ReadonlySet<string>;
}

export class ClusterAuthenticator {
  constructor(private readonly o: AuthenticatorOptions) {}

  get mode(): 'secret' | 'source-address' {
    return this.o.secret === '' ? 'source-address' : 'secret';
  }

  /** Cheap checks first, the HMAC over a possibly large body last. */
  verify(req: InboundRequest): AuthResult {
    const member = req.headers[HEADER_MEMBER];
    if (member === undefined || member === '') return fail('missing-headers', `no ${HEADER_MEMBER} header`);
    if (this.o.secret === '') {
      if (!this.o.memberIps().has(req.sourceIp)) return fail('source-not-member', `source address ${req.sourceIp} is not a member`);
      if (!this.o.isMember(member)) return fail('not-a-member', `${member} is not a member`);
      return { ok: true, from: member };
    }
    const ts = req.headers[HEADER_TS];
    const sig = req.headers[HEADER_SIG];
    if (ts === undefined || sig === undefined) return fail('missing-headers', `${HEADER_TS} and ${HEADER_SIG} are required`);
    if (!TS_TEXT.test(ts)) return fail('bad-timestamp', 'malformed timestamp');
    // Replay window: a captured request is only good for maxSkewMs either side of our clock. There is
    // no nonce cache, so an exact replay inside the window is accepted (cluster messages are
    // idempotent state transfers: CHANGE/VERIFY/SNAPSHOT, member reports).
    if (Math.abs(this.o.now() - Number(ts)) > this.o.maxSkewMs) return fail('stale-timestamp', `timestamp ${ts} outside the ${this.o.maxSkewMs} ms window`);
    if (!this.o.isMember(member)) return fail('not-a-member', `${member} is not a member`);
    if (!SIG_HEX.test(sig)) return fail('bad-signature', 'malformed signature');
    const expected = Buffer.from(signature(this.o.secret, req.type, member, ts, req.bodyBytes), 'hex');
    const given = Buffer.from(sig, 'hex');
    // Both are 32 bytes here (SIG_HEX), as timingSafeEqual requires.
    if (!timingSafeEqual(expected, given)) return fail('bad-signature', 'signature mismatch');
    return { ok: true, from: member };
  }
}

function fail(failure: AuthFailure, detail: string): AuthResult {
  return { ok: false, failure, detail };
}

/** `::ffff:10.0.0.1` (dual-stack listener) → `10.0.0.1`; anything else unchanged. */
export function normalizeIp(ip: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;
}

/** The address part of grpc-js' `call.getPeer()` (`ip:port`, IPv6 unbracketed as `::1:port`). */
export function sourceIpOfPeer(peer: string): string {
  const i = peer.lastIndexOf(':');
  let ip = i > 0 && /^\d+$/.test(peer.slice(i + 1)) ? peer.slice(0, i) : peer;
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  return normalizeIp(ip);
}
