/**
 * Recently verified (user, password) pairs, so a client that sends `username` + `password` on
 * every request (nacos-naming does) costs one bcrypt per `ttlMs`, not one per request.
 *
 * Entries are keyed by an HMAC-SHA256 of user and password under a random key made for this
 * process: the plain password is never kept, and the keys mean nothing outside this process. An
 * entry also remembers the stored hash it was verified against and only matches while the user
 * still has that hash, so a password change takes effect at once; `forget(user)` (called when a
 * user is changed or deleted in the store) drops the user's entries too. Size is bounded: at
 * `maxEntries` the oldest entry goes.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';

interface Entry {
  readonly username: string;
  readonly storedHash: string;
  readonly expiresAt: number;
}

export class CredentialCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, Entry>();
  /** username → its entry keys, for `forget`. */
  private readonly byUser = new Map<string, Set<string>>();

  constructor(
    private readonly clock: Pick<Clock, 'monotonic'>,
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The keyed digest of a (user, password) pair: what the cache and in-flight checks are keyed by. */
  digest(username: string, password: string): string {
    return createHmac('sha256', this.key).update(username).update('\u0000').update(password).digest('base64');
  }

  /** True when `digest` was verified against `storedHash` less than `ttlMs` ago. */
  has(digest: string, storedHash: string): boolean {
    const e = this.entries.get(digest);
    if (!e) return false;
    if (e.expiresAt > this.clock.monotonic() && e.storedHash === storedHash) return true;
    this.drop(digest, e.username);
    return false;
  }

  add(digest: string, username: string, storedHash: string): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    const old = this.entries.get(digest);
    if (old) this.drop(digest, old.username);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.entries().next();
      if (oldest.done) break;
      this.drop(oldest.value[0], oldest.value[1].username);
    }
    this.entries.set(digest, { username, storedHash, expiresAt: this.clock.monotonic() + this.ttlMs });
    let set = this.byUser.get(username);
    if (!set) this.byUser.set(username, (set = new Set()));
    set.add(digest);
  }

  /** Drops every entry of `username` (its password changed or it was deleted). */
  forget(username: string): void {
    const set = this.byUser.get(username);
    if (!set) return;
    for (const d of set) this.entries.delete(d);
    this.byUser.delete(username);
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(digest: string, username: string): void {
    this.entries.delete(digest);
    const set = this.byUser.get(username);
    set?.delete(digest);
    if (set?.size === 0) this.byUser.delete(username);
  }
}
