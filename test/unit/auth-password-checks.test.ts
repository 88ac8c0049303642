/**
 * Password checks (docs/auth.md "Password checks", docs/security.md §3, §4): the bounded bcrypt
 * pool, the cache of verified pairs and its invalidation, lockout per source and per user name,
 * the dummy hash for unknown users, and that bcrypt never runs on the main thread. A counting fake
 * hasher stands in for bcrypt where the test is about what gets compared, not how.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import bcrypt from 'bcryptjs';
import { AuthService, type AuthServiceOptions } from '../../src/auth/auth-service.js';
import { BcryptPool, PoolBusyError, type PasswordHasher } from '../../src/auth/bcrypt-pool.js';
import { CredentialCache } from '../../src/auth/credential-cache.js';
import { AuthError, BAD_CREDENTIALS, LOCKED_OUT } from '../../src/auth/errors.js';
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { dummyBcryptHash } from '../../src/auth/password-verifier.js';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/observability/logger.js';
import { MemoryStore } from '../../src/persistence/memory-store.js';

const SECRET_B64 = Buffer.alloc(32, 7).toString('base64');
const BAD = `Code: 401, Message: ${BAD_CREDENTIALS}.`;
const LOCKED = `Code: 401, Message: ${LOCKED_OUT}.`;

/** "Hashes" are `fake:<password>`; compare is exact. Every call is recorded; `hold` keeps compares pending. */
class FakeHasher implements PasswordHasher {
  readonly compares: { password: string; hash: string }[] = [];
  held: (() => void)[] = [];
  hold = false;

  compare(password: string, hash: string, stillWanted?: () => boolean): Promise<boolean> {
    const run = (): boolean => {
      this.compares.push({ password, hash });
      return hash === `fake:${password}`;
    };
    if (!this.hold) return Promise.resolve(run());
    return new Promise((resolve, reject) =>
      this.held.push(() => {
        if (stillWanted && !stillWanted()) reject(new Error('unexpected drop'));
        else resolve(run());
      }),
    );
  }

  hash(password: string): Promise<string> {
    return Promise.resolve(`fake:${password}`);
  }

  release(): void {
    this.hold = false;
    for (const f of this.held.splice(0)) f();
  }

  async close(): Promise<void> {}
}

async function service(over: Partial<AuthServiceOptions> = {}) {
  const store = new MemoryStore();
  const clock = new ManualClock(1_700_000_000_000);
  const hasher = new FakeHasher();
  const auth = new AuthService({
    store,
    clock,
    log: silentLogger(),
    enabled: true,
    tokenTtlSeconds: 18000,
    secretKey: SECRET_B64,
    bcryptCost: 4,
    hasher,
    ...over,
    passwordChecks: { maxFailuresPerUser: 5, maxFailuresPerSource: 20, lockoutWindowMs: 60_000, lockoutMs: 300_000, refusalDelayMs: 0, ...over.passwordChecks },
  });
  store.onApply((b) => auth.apply(b));
  await auth.initAdmin('adminpw');
  await auth.createUser('alice', 'right');
  return { auth, store, clock, hasher };
}

async function refused(p: Promise<unknown>, message: string, status = 403): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof NacosError, `not a NacosError: ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.status, status);
    return true;
  });
}

const as = (username: string, password: string, source = '127.0.0.9') => ({ username, password, source });

describe('password checks: cache', () => {
  test('a verified pair is not bcrypt-checked again within the TTL, and is after it', async () => {
    const { auth, clock, hasher } = await service({ passwordChecks: { cacheTtlMs: 60_000 } });
    assert.equal((await auth.identify(as('alice', 'right'))).username, 'alice');
    assert.equal((await auth.identify(as('alice', 'right'))).username, 'alice');
    assert.equal(hasher.compares.length, 1);
    clock.advance(60_000);
    await auth.identify(as('alice', 'right'));
    assert.equal(hasher.compares.length, 2);
  });

  test('concurrent checks of one pair share one bcrypt', async () => {
    const { auth, hasher } = await service();
    hasher.hold = true;
    const all = Promise.all(Array.from({ length: 10 }, () => auth.identify(as('alice', 'right'))));
    hasher.release();
    assert.equal((await all).length, 10);
    assert.equal(hasher.compares.length, 1);
  });

  test('a password change or a deletion drops the cached pair at once', async () => {
    const { auth, hasher } = await service();
    await auth.identify(as('alice', 'right'));
    await auth.updatePassword('alice', 'new');
    await refused(auth.identify(as('alice', 'right')), BAD);
    assert.equal((await auth.identify(as('alice', 'new'))).username, 'alice');
    const before = hasher.compares.length;
    await auth.deleteUser('alice');
    await refused(auth.identify(as('alice', 'new')), BAD);
    assert.equal(hasher.compares.length, before + 1, 'the deleted user is checked (against the dummy hash), not served from the cache');
  });

  test('a rewrite of the user entry with the same hash still empties its cache (store apply invalidates)', async () => {
    const { auth, store, hasher } = await service();
    await auth.identify(as('alice', 'right'));
    await store.write([{ table: 'user', key: 'alice', value: { password: 'fake:right' } }]);
    await auth.identify(as('alice', 'right'));
    assert.equal(hasher.compares.length, 2);
  });

  test('the cache is keyed by an HMAC: neither the password nor a plain hash of it is kept', () => {
    const cache = new CredentialCache(new ManualClock(), 60_000, 10);
    const d1 = cache.digest('alice', 'right');
    assert.equal(d1, cache.digest('alice', 'right'));
    assert.notEqual(d1, new CredentialCache(new ManualClock(), 60_000, 10).digest('alice', 'right'), 'a per-process random key');
    assert.notEqual(d1, cache.digest('alic', 'eright'), 'user and password are separated');
    cache.add(d1, 'alice', 'h1');
    assert.equal(cache.has(d1, 'h1'), true);
    assert.equal(cache.has(d1, 'h2'), false, 'only against the hash it was verified with');
    assert.doesNotMatch(JSON.stringify([...(cache as unknown as { entries: Map<string, unknown> }).entries]), /right/);
  });

  test('the cache holds at most max-entries pairs', () => {
    const cache = new CredentialCache(new ManualClock(), 60_000, 3);
    for (let i = 0; i < 10; i++) cache.add(cache.digest(`u${i}`, 'p'), `u${i}`, 'h');
    assert.equal(cache.size, 3);
    assert.equal(cache.has(cache.digest('u9', 'p'), 'h'), true);
    assert.equal(cache.has(cache.digest('u0', 'p'), 'h'), false);
  });
});

describe('password checks: lockout', () => {
  test('300 wrong passwords, then the right one: refused, and without bcrypt once locked', async () => {
    const { auth, hasher } = await service();
    for (let i = 0; i < 300; i++) await refused(auth.identify(as('alice', `wrong${i}`)), i < 5 ? BAD : LOCKED);
    assert.equal(hasher.compares.length, 5, 'only the failures before the lock ran bcrypt');
    await refused(auth.identify(as('alice', 'right')), LOCKED);
    await refused(auth.login('alice', 'right', '127.0.0.9'), LOCKED_OUT);
    assert.equal(hasher.compares.length, 5);
  });

  test('the lock ends after its duration; a success clears the name count', async () => {
    const { auth, clock } = await service();
    for (let i = 0; i < 5; i++) await refused(auth.identify(as('alice', 'x')), BAD);
    await refused(auth.identify(as('alice', 'right')), LOCKED);
    clock.advance(300_000);
    assert.equal((await auth.identify(as('alice', 'right'))).username, 'alice');
    for (let i = 0; i < 4; i++) await refused(auth.identify(as('alice', `y${i}`)), BAD);
    await auth.identify(as('alice', 'right'));
    await refused(auth.identify(as('alice', 'z')), BAD); // the count started again
  });

  test('failures spread over time count within the window only', async () => {
    const { auth, clock } = await service();
    for (let i = 0; i < 10; i++) {
      await refused(auth.identify(as('alice', `w${i}`)), BAD);
      clock.advance(30_000); // 2 failures per 60 s window: never 5
    }
    assert.equal((await auth.identify(as('alice', 'right'))).username, 'alice');
  });

  test('a source guessing many names is locked for every name; other sources are not', async () => {
    const { auth, hasher } = await service({ passwordChecks: { maxFailuresPerSource: 4 } });
    for (let i = 0; i < 4; i++) await refused(auth.identify(as(`user${i}`, 'x', '127.0.0.66')), BAD);
    const n = hasher.compares.length;
    await refused(auth.identify(as('alice', 'right', '127.0.0.66')), LOCKED);
    assert.equal(hasher.compares.length, n);
    assert.equal((await auth.identify(as('alice', 'right', '127.0.0.67'))).username, 'alice');
  });

  test('a lock taken while checks wait for bcrypt drops the waiting ones without bcrypt', async () => {
    const pool = new BcryptPool({ workers: 1, maxQueue: 50 });
    after(() => pool.close());
    const { auth } = await service({ hasher: pool, passwordChecks: { maxFailuresPerUser: 2 } });
    // Real bcrypt at cost 4, 20 distinct wrong passwords at once: the lock is taken after the 2nd failure.
    const answers = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => auth.identify(as('alice', `w${i}`))));
    const messages = answers.map((a) => (a.status === 'rejected' && a.reason instanceof AuthError ? a.reason.message : a.status));
    assert.equal(messages.filter((m) => m === BAD).length, 2);
    assert.equal(messages.filter((m) => m === LOCKED).length, 18);
  });

  test('a password change by the admin unlocks the name', async () => {
    const { auth } = await service();
    for (let i = 0; i < 5; i++) await refused(auth.identify(as('alice', 'x')), BAD);
    await auth.updatePassword('alice', 'fresh');
    assert.equal((await auth.identify(as('alice', 'fresh'))).username, 'alice');
  });

  test('refusals made without bcrypt (locked, queue full) wait refusal-delay-ms; wrong and right passwords do not', async () => {
    const slept: number[] = [];
    const sleep = (ms: number): Promise<void> => {
      slept.push(ms);
      return Promise.resolve();
    };
    const { auth } = await service({ sleep, passwordChecks: { refusalDelayMs: 1000, maxFailuresPerUser: 2 } });
    await auth.identify(as('alice', 'right'));
    await refused(auth.identify(as('alice', 'x')), BAD);
    await refused(auth.identify(as('alice', 'y')), BAD);
    assert.deepEqual(slept, []);
    await refused(auth.identify(as('alice', 'right')), LOCKED);
    await refused(auth.login('alice', 'right'), LOCKED_OUT);
    assert.deepEqual(slept, [1000, 1000]);

    const pool = new BcryptPool({ workers: 1, maxQueue: 0 });
    after(() => pool.close());
    const busy = await service({ sleep, hasher: pool, passwordChecks: { refusalDelayMs: 250 } });
    const first = busy.auth.identify(as('alice', 'a'));
    await refused(busy.auth.identify(as('alice', 'b')), 'Tps Flow restricted:too many password checks in progress, try again later', 503);
    await refused(first, BAD);
    assert.deepEqual(slept, [1000, 1000, 250]);
  });

  test('tracked sources and names are bounded', () => {
    const clock = new ManualClock();
    const t = new LoginThrottle({ clock, maxFailuresPerSource: 3, maxFailuresPerUser: 3, windowMs: 1000, lockMs: 1000, maxEntries: 100 });
    for (let i = 0; i < 1000; i++) t.failed(`name${i}`, `10.0.${i >> 8}.${i & 255}`);
    assert.deepEqual(t.tracked(), { sources: 100, users: 100 });
  });

  test('limits of 0 turn the lockout off', async () => {
    const { auth } = await service({ passwordChecks: { maxFailuresPerUser: 0, maxFailuresPerSource: 0 } });
    for (let i = 0; i < 50; i++) await refused(auth.identify(as('alice', 'x')), BAD);
    assert.equal((await auth.identify(as('alice', 'right'))).username, 'alice');
  });
});

describe('password checks: unknown users', () => {
  test('an unknown user is compared against a dummy hash of the same cost and gets the same answer', async () => {
    const { auth, hasher } = await service();
    let known: unknown;
    let unknown: unknown;
    await auth.identify(as('alice', 'wrong')).catch((e: unknown) => (known = e));
    await auth.identify(as('mallory', 'wrong')).catch((e: unknown) => (unknown = e));
    assert.ok(known instanceof AuthError && unknown instanceof AuthError);
    assert.equal(unknown.message, known.message);
    assert.equal(unknown.status, known.status);
    assert.equal(hasher.compares.length, 2, 'one bcrypt each');
    assert.equal(hasher.compares[0]?.hash, 'fake:right');
    assert.match(hasher.compares[1]?.hash ?? '', /^\$2b\$04\$[./A-Za-z0-9]{53}$/, 'a bcrypt hash of the configured cost');
    await refused(auth.login('mallory', 'wrong'), BAD_CREDENTIALS);
    assert.equal(hasher.compares.length, 3);
  });

  test('unknown names are locked out exactly like known ones', async () => {
    const { auth, hasher } = await service();
    for (let i = 0; i < 5; i++) await refused(auth.identify(as('mallory', `w${i}`)), BAD);
    await refused(auth.identify(as('mallory', 'w')), LOCKED);
    assert.equal(hasher.compares.length, 5);
  });

  test('the dummy hash is a real bcrypt hash that costs a full compare and never matches', () => {
    const h = dummyBcryptHash(4);
    assert.equal(h.length, 60);
    assert.equal(bcrypt.getRounds(h), 4);
    assert.equal(bcrypt.compareSync('', h), false);
    assert.notEqual(dummyBcryptHash(4), h);
  });
});

describe('password checks: the bcrypt pool', () => {
  test('beyond the running jobs and max-queue waiting ones, jobs are refused at once', async () => {
    const pool = new BcryptPool({ workers: 1, maxQueue: 2 });
    after(() => pool.close());
    const hash = await pool.hash('pw', 4);
    const jobs = Array.from({ length: 6 }, () => pool.compare('pw', hash));
    const settled = await Promise.allSettled(jobs);
    // One running, two waiting: the other three are refused before any of them ran.
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason instanceof PoolBusyError ? 'busy' : s.reason)),
      [true, true, true, 'busy', 'busy', 'busy'],
    );
    assert.equal(pool.pending, 0);
  });

  test('a full queue answers 503 Tps Flow restricted, not a failed login', async () => {
    const pool = new BcryptPool({ workers: 1, maxQueue: 0 });
    after(() => pool.close());
    const { auth } = await service({ hasher: pool });
    const first = auth.identify(as('alice', 'a'));
    await refused(auth.identify(as('alice', 'b')), 'Tps Flow restricted:too many password checks in progress, try again later', 503);
    await refused(first, BAD);
  });

  test('garbage instead of a stored hash is a failed check, not a crash', async () => {
    const pool = new BcryptPool({ workers: 1, maxQueue: 1 });
    after(() => pool.close());
    assert.equal(await pool.compare('x', 'not-a-hash'), false);
    assert.equal(await pool.compare('x', `$2b$04$${'!'.repeat(53)}`), false);
  });

  test('bcrypt never runs on the main thread: not for checks, logins, nor new passwords', async () => {
    const main = bcrypt as unknown as Record<string, unknown>;
    const names = ['compare', 'compareSync', 'hash', 'hashSync'] as const;
    const original = names.map((n) => main[n]);
    const calls: string[] = [];
    for (const n of names) {
      const f = main[n] as (...a: unknown[]) => unknown;
      main[n] = (...a: unknown[]) => {
        calls.push(n);
        return f(...a);
      };
    }
    try {
      const { auth } = await service({ hasher: undefined }); // the default: a real worker pool
      await auth.createUser('bob', 'bobpw');
      await refused(auth.identify(as('bob', 'nope')), BAD);
      assert.equal((await auth.identify(as('bob', 'bobpw'))).username, 'bob');
      assert.equal((await auth.login('bob', 'bobpw')).username, 'bob');
      await refused(auth.identify(as('nobody', 'x')), BAD);
      await auth.close();
    } finally {
      names.forEach((n, i) => (main[n] = original[i]));
    }
    assert.deepEqual(calls, []);
  });
});
