/**
 * The one place a (user name, password) pair is checked, for the HTTP filter, the login endpoints
 * and the gRPC authorizer alike (docs/auth.md "Password checks"). In order:
 *
 * 1. **Lockout** (login-throttle.ts): a locked source or name is refused at once, no bcrypt,
 *    whatever the password.
 * 2. **Cache** (credential-cache.ts): a pair verified against the user's current hash within the
 *    TTL passes without bcrypt.
 * 3. **bcrypt in the worker pool** (bcrypt-pool.ts), bounded; a full queue is refused at once.
 *    Concurrent checks of the same pair share one bcrypt. An unknown user is compared against a
 *    dummy hash of the same cost, so it costs the same time and gets the same answer as a wrong
 *    password for a known one.
 * 4. A failure counts against the source and the name; a success clears the name's count and
 *    fills the cache.
 */
import { randomInt } from 'node:crypto';
import { JobDroppedError, PoolBusyError, type PasswordHasher } from './bcrypt-pool.js';
import type { CredentialCache } from './credential-cache.js';
import type { LoginThrottle } from './login-throttle.js';

export type Verdict = { readonly kind: 'ok' } | { readonly kind: 'bad' } | { readonly kind: 'locked'; readonly retryAfterMs: number } | { readonly kind: 'busy' };

export interface PasswordVerifierOptions {
  readonly hasher: PasswordHasher;
  readonly throttle: LoginThrottle;
  readonly cache: CredentialCache;
  /** The stored bcrypt hash of a user, undefined when the user does not exist. */
  readonly storedHash: (username: string) => string | undefined;
  /** bcrypt cost of the dummy hash unknown users are compared against (the cost new hashes get). */
  readonly dummyCost: number;
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A well-formed bcrypt hash of the given cost with a random salt and digest: comparing any
 * password with it costs exactly what a real hash of that cost costs, and never matches
 * (2^-184). Made without running bcrypt.
 */
export function dummyBcryptHash(cost: number): string {
  let tail = '';
  for (let i = 0; i < 53; i++) tail += BCRYPT_ALPHABET[randomInt(BCRYPT_ALPHABET.length)];
  return `$2b$${String(cost).padStart(2, '0')}$${tail}`;
}

const OK: Verdict = { kind: 'ok' };
const BAD: Verdict = { kind: 'bad' };
const BUSY: Verdict = { kind: 'busy' };

export class PasswordVerifier {
  private readonly dummyHash: string;
  /** Checks running now, by (pair digest, stored hash): concurrent identical checks share one bcrypt. */
  private readonly inFlight = new Map<string, Promise<Verdict>>();

  constructor(private readonly o: PasswordVerifierOptions) {
    this.dummyHash = dummyBcryptHash(o.dummyCost);
  }

  async verify(username: string, password: string, source: string | undefined): Promise<Verdict> {
    const lock = this.o.throttle.state(username, source);
    if (lock.locked) return { kind: 'locked', retryAfterMs: lock.retryAfterMs };
    const stored = this.o.storedHash(username);
    const digest = this.o.cache.digest(username, password);
    if (stored !== undefined && this.o.cache.has(digest, stored)) {
      this.o.throttle.succeeded(username);
      return OK;
    }
    const key = `${digest}\u0000${stored ?? ''}`;
    let run = this.inFlight.get(key);
    if (!run) {
      run = this.check(username, password, source, stored, digest).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, run);
    }
    return run;
  }

  private async check(username: string, password: string, source: string | undefined, stored: string | undefined, digest: string): Promise<Verdict> {
    let match: boolean;
    try {
      match = await this.o.hasher.compare(password, stored ?? this.dummyHash, () => !this.o.throttle.state(username, source).locked);
    } catch (e) {
      if (e instanceof PoolBusyError) return BUSY;
      if (e instanceof JobDroppedError) {
        const lock = this.o.throttle.state(username, source);
        return lock.locked ? { kind: 'locked', retryAfterMs: lock.retryAfterMs } : BUSY;
      }
      throw e;
    }
    // The user may have been changed or deleted while bcrypt ran: only the hash still stored counts.
    if (match && stored !== undefined && this.o.storedHash(username) === stored) {
      this.o.cache.add(digest, username, stored);
      this.o.throttle.succeeded(username);
      return OK;
    }
    this.o.throttle.failed(username, source);
    return BAD;
  }
}
