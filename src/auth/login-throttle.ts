/**
 * Failed-password throttling (docs/auth.md "Failed logins", docs/security.md §4): failures are
 * counted per source address and per user name in a fixed window; reaching the limit locks that
 * source or name for `lockMs`. While locked, password checks are refused before any bcrypt runs,
 * a correct password included. Unknown user names are counted exactly like known ones, so the
 * lockout says nothing about which names exist. A successful check clears the name's count (not
 * the source's: one valid account must not reset the budget of a source guessing others).
 *
 * Deterministic: time comes from the injected clock. Memory is bounded: at most `maxEntries`
 * sources and names each are tracked; beyond that the oldest entry is forgotten.
 */
import type { Clock } from '../core/clock.js';

export interface LoginThrottleOptions {
  readonly clock: Pick<Clock, 'monotonic'>;
  /** Failures from one source address within `windowMs` that lock it; 0 = no source limit. */
  readonly maxFailuresPerSource: number;
  /** Failures for one user name within `windowMs` that lock it; 0 = no user limit. */
  readonly maxFailuresPerUser: number;
  readonly windowMs: number;
  readonly lockMs: number;
  /** Tracked sources (and, separately, names) at most. */
  readonly maxEntries: number;
}

interface Entry {
  windowStart: number;
  failures: number;
  lockedUntil: number;
}

class FailureCounter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly limit: number,
    private readonly o: LoginThrottleOptions,
  ) {}

  /** Milliseconds `key` stays locked; 0 when it is not. */
  lockedFor(key: string, now: number): number {
    const e = this.entries.get(key);
    return e && e.lockedUntil > now ? e.lockedUntil - now : 0;
  }

  fail(key: string, now: number): void {
    if (this.limit <= 0) return;
    let e = this.entries.get(key);
    if (!e || now - e.windowStart >= this.o.windowMs) {
      this.entries.delete(key); // re-insert: the Map's order is the eviction order
      e = { windowStart: now, failures: 0, lockedUntil: 0 };
      this.evictOldest();
      this.entries.set(key, e);
    }
    if (e.lockedUntil > now) return;
    e.failures++;
    if (e.failures >= this.limit) {
      e.lockedUntil = now + this.o.lockMs;
      e.failures = 0;
      e.windowStart = e.lockedUntil; // counting starts again when the lock ends
    }
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Forgets the oldest entry when full. Each new entry costs its creator a bcrypt, so flushing a lock this way takes maxEntries checks. */
  private evictOldest(): void {
    if (this.entries.size < this.o.maxEntries) return;
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }
}

export type LockState = { locked: false } | { locked: true; retryAfterMs: number };

export class LoginThrottle {
  private readonly sources: FailureCounter;
  private readonly users: FailureCounter;

  constructor(private readonly o: LoginThrottleOptions) {
    this.sources = new FailureCounter(o.maxFailuresPerSource, o);
    this.users = new FailureCounter(o.maxFailuresPerUser, o);
  }

  /** Locked when the source or the name is. `source` undefined (no address known): only the name counts. */
  state(username: string, source: string | undefined): LockState {
    const now = this.o.clock.monotonic();
    const ms = Math.max(source === undefined ? 0 : this.sources.lockedFor(source, now), this.users.lockedFor(username, now));
    return ms > 0 ? { locked: true, retryAfterMs: ms } : { locked: false };
  }

  failed(username: string, source: string | undefined): void {
    const now = this.o.clock.monotonic();
    if (source !== undefined) this.sources.fail(source, now);
    this.users.fail(username, now);
  }

  succeeded(username: string): void {
    this.users.clear(username);
  }

  /** Tracked entries (sources, names): for tests and metrics. */
  tracked(): { sources: number; users: number } {
    return { sources: this.sources.size, users: this.users.size };
  }
}
