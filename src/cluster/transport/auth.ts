/**
 * Peer authentication of the cluster port: only members may call it. Spec context: Nacos sends a
 * server-identity header on every cluster request (docs/protocol/distro.md §5.6); we replace that static shared
 * value with a per-request HMAC so a captured request cannot be altered and goes stale quickly.
 *
 * Every request carries, in `Metadata.headers` (never in the JSON body, docs/protocol/grpc.md §1.2):
 *  - `nomen-member`: the sender's member address `ip:mainPort`;
 *  - `nomen-ts`: the sender's clock in ms since the epoch;
 *  - `nomen-sig`: hex HMAC-SHA256(secret, `${type}\n${member}\n${ts}\n${bodyJson}`), computed over
 *    the exact body bytes on the wire.
 *
 * The signature, the timestamp window and the member list are checked on every request. There is
 * no unsigned mode: a cluster member needs `nomen.cluster.secret` (fail closed, docs/security.md §2).
 * The secret proves "a member of this cluster", not which one: any holder may sign as any member
 * (members trust each other equally; the source address is not checked, so NAT and multi-homed
 * hosts work). User access tokens are never used or accepted here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const HEADER_MEMBER = 'nomen-member';
export const HEADER_TS = 'nomen-ts';
export const HEADER_SIG = 'nomen-sig';

/** Default accepted distance between the sender's timestamp and our clock (config key nomen.cluster.auth.max-skew-ms). */
export const DEFAULT_MAX_SKEW_MS = 30_000;

/** Shortest accepted `nomen.cluster.secret` (characters): a guessable secret would let anyone sign. */
export const MIN_SECRET_LENGTH = 32;
const SECRET_HOWTO =
  'Set the same value on every member (--property nomen.cluster.secret=..., env NOMEN_CLUSTER_SECRET, or a --config file), ' +
  'for example one generated with: openssl rand -base64 32   (or: head -c 32 /dev/urandom | base64)';

/**
 * Why `secret` cannot be the cluster secret, or null when it can. A cluster member refuses to
 * start without one: an unsigned cluster port lets any local process act as a member.
 */
export function clusterSecretProblem(secret: string): string | null {
  if (secret === '') {
    return `cluster mode needs a shared secret in nomen.cluster.secret: every request on the cluster port is signed with it. ${SECRET_HOWTO}`;
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    return `nomen.cluster.secret is too short (${secret.length} characters, at least ${MIN_SECRET_LENGTH} needed). ${SECRET_HOWTO}`;
  }
  return null;
}

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
  return { [HEADER_MEMBER]: self, [HEADER_TS]: ts, [HEADER_SIG]: signature(secret, type, self, ts, body) };
}

export type AuthFailure = 'missing-headers' | 'bad-timestamp' | 'stale-timestamp' | 'not-a-member' | 'bad-signature';

export type AuthResult = { ok: true; from: string } | { ok: false; failure: AuthFailure; detail: string };

export interface InboundRequest {
  readonly type: string;
  /** `Metadata.headers` as received. */
  readonly headers: Readonly<Record<string, string>>;
  readonly bodyBytes: Uint8Array;
}

export interface AuthenticatorOptions {
  /** The cluster secret; must pass `clusterSecretProblem`. */
  secret: string;
  maxSkewMs: number;
  now: () => number;
  isMember: (address: string) => boolean;
}

export class ClusterAuthenticator {
  constructor(private readonly o: AuthenticatorOptions) {
    const problem = clusterSecretProblem(o.secret);
    if (problem !== null) throw new Error(problem);
  }

  /** Cheap checks first, the HMAC over a possibly large body last. */
  verify(req: InboundRequest): AuthResult {
    const member = req.headers[HEADER_MEMBER];
    if (member === undefined || member === '') return fail('missing-headers', `no ${HEADER_MEMBER} header`);
    const ts = req.headers[HEADER_TS];
    const sig = req.headers[HEADER_SIG];
    if (ts === undefined || sig === undefined) return fail('missing-headers', `${HEADER_TS} and ${HEADER_SIG} are required`);
    if (!TS_TEXT.test(ts)) return fail('bad-timestamp', 'malformed timestamp');
    // Replay window: a captured request is only good for maxSkewMs either side of our clock. There is
    // no nonce cache, so an exact replay inside the window is accepted: every cluster message is
    // harmless twice (Raft tolerates duplicated messages, a re-proposed write carries the same
    // request id and is applied once, Distro data is versioned, member reports are state);
    // docs/security.md §2.
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
