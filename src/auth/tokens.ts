/**
 * Access tokens: compact JWTs signed with HMAC, as Nacos' default auth plugin issues them
 * (docs/protocol/http.md §4.2): payload `{"sub":"<user>","exp":<epoch s>}`, algorithm by key length (HS256 for
 * 32–47 bytes, HS384 for 48–63, HS512 from 64). Signing and verification use `jose`; time comes
 * from the injected clock. `jose` is loaded on the first token signed or checked: with auth off it
 * never is (idle memory, docs/benchmarks.md "Idle memory").
 */
import type * as Jose from 'jose';
import type { Clock } from '../core/clock.js';
import { AuthError } from './errors.js';

/** Nacos requires a key of at least 32 bytes (after Base64 decoding). */
export const MIN_SECRET_BYTES = 32;

export function algorithmFor(secret: Uint8Array): 'HS256' | 'HS384' | 'HS512' {
  if (secret.length >= 64) return 'HS512';
  if (secret.length >= 48) return 'HS384';
  return 'HS256';
}

/** Decodes a Base64 secret; null when it is not Base64 or shorter than 32 bytes. */
export function decodeSecret(base64: string): Uint8Array | null {
  const t = base64.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(t) || t.length % 4 !== 0) return null;
  const bytes = Buffer.from(t, 'base64');
  return bytes.length >= MIN_SECRET_BYTES ? new Uint8Array(bytes) : null;
}

export interface IssuedToken {
  readonly token: string;
  /** Seconds until expiry. */
  readonly ttlSeconds: number;
}

export interface VerifiedToken {
  readonly username: string;
  /** Expiry, epoch seconds. */
  readonly exp: number;
}

let jose: typeof Jose | null = null;

async function loadJose(): Promise<typeof Jose> {
  jose ??= await import('jose');
  return jose;
}

export class TokenCodec {
  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly ttlSeconds: number,
  ) {}

  async sign(username: string, secret: Uint8Array): Promise<IssuedToken> {
    const { SignJWT } = jose ?? (await loadJose());
    const exp = Math.floor(this.clock.now() / 1000) + this.ttlSeconds;
    const token = await new SignJWT({}).setProtectedHeader({ alg: algorithmFor(secret) }).setSubject(username).setExpirationTime(exp).sign(secret);
    return { token, ttlSeconds: this.ttlSeconds };
  }

  /** Throws AuthError `token expired!` or `token invalid!`. */
  async verify(token: string, secret: Uint8Array): Promise<VerifiedToken> {
    const { errors, jwtVerify } = jose ?? (await loadJose());
    try {
      const { payload } = await jwtVerify(token, secret, {
        algorithms: [algorithmFor(secret)],
        currentDate: new Date(this.clock.now()),
        requiredClaims: ['sub', 'exp'],
      });
      if (typeof payload.sub !== 'string' || payload.sub === '' || typeof payload.exp !== 'number') throw AuthError.identity('token invalid!');
      return { username: payload.sub, exp: payload.exp };
    } catch (e) {
      if (e instanceof AuthError) throw e;
      if (e instanceof errors.JWTExpired) throw AuthError.identity('token expired!');
      throw AuthError.identity('token invalid!');
    }
  }
}
