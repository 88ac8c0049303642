import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AuthService, AUTH_DISABLED_TOKEN, type AuthServiceOptions } from '../../src/auth/auth-service.js';
import { AuthState, authKeys, SECRET_KEY } from '../../src/auth/auth-state.js';
import { AuthError, BAD_CREDENTIALS } from '../../src/auth/errors.js';
import { BcryptPool } from '../../src/auth/bcrypt-pool.js';
import { namingResource, permits, resourceText } from '../../src/auth/permissions.js';
import { algorithmFor, decodeSecret, TokenCodec } from '../../src/auth/tokens.js';
import { ConfigError } from '../../src/config/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { StoreWrite } from '../../src/persistence/persistent-store.js';
import { MemoryStore } from '../../src/persistence/memory-store.js';

const SECRET_B64 = Buffer.alloc(32, 7).toString('base64');
const SECRET = decodeSecret(SECRET_B64)!;

function service(over: Partial<AuthServiceOptions> = {}) {
  const store = new MemoryStore();
  const clock = new ManualClock();
  const auth = new AuthService({ store, clock, log: silentLogger(), enabled: true, tokenTtlSeconds: 18000, secretKey: SECRET_B64, bcryptCost: 4, ...over });
  store.onApply((b) => auth.apply(b));
  return { auth, store, clock };
}

async function rejectsWith(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof NacosError, `not a NacosError: ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.status, 403);
    return true;
  });
}

describe('passwords', () => {
  const pool = new BcryptPool({ workers: 1, maxQueue: 8 });
  after(() => pool.close());
  const hashPassword = (pw: string, cost: number) => pool.hash(pw, cost);
  const verifyPassword = (pw: string, hash: string) => pool.compare(pw, hash);

  test('a bcrypt hash verifies its password only', async () => {
    const h = await hashPassword('s3cret', 4);
    assert.match(h, /^\$2[ab]\$04\$/);
    assert.equal(await verifyPassword('s3cret', h), true);
    assert.equal(await verifyPassword('s3cret ', h), false);
    assert.equal(await verifyPassword('other', h), false);
  });

  test('a hash from Nacos ($2a$10$) verifies', async () => {
    // bcrypt("nacos") as shipped in Nacos 2.x's schema.
    assert.equal(await verifyPassword('nacos', '$2a$10$EuWPZHzz32dJN7jexM34MOeYirDdFAZm2kuWj7VEOJhhZkDrxfvUu'), true);
  });

  test('garbage instead of a hash is a failed check, not a crash', async () => {
    assert.equal(await verifyPassword('x', 'not-a-hash'), false);
  });
});

describe('tokens', () => {
  test('a signed token carries its subject and the configured expiry', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const codec = new TokenCodec(clock, 100);
    const t = await codec.sign('alice', SECRET);
    assert.equal(t.ttlSeconds, 100);
    const [header, payload] = t.token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    assert.deepEqual(header, { alg: 'HS256' });
    assert.deepEqual(payload, { sub: 'alice', exp: 1_700_000_100 });
    assert.deepEqual(await codec.verify(t.token, SECRET), { username: 'alice', exp: 1_700_000_100 });
  });

  test('expiry follows the injected clock', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const codec = new TokenCodec(clock, 100);
    const t = await codec.sign('alice', SECRET);
    clock.advance(99_000);
    assert.equal((await codec.verify(t.token, SECRET)).username, 'alice');
    clock.advance(1_000);
    await rejectsWith(codec.verify(t.token, SECRET), 'Code: 401, Message: token expired!.');
  });

  test('a tampered token, another key or garbage is invalid', async () => {
    const codec = new TokenCodec(new ManualClock(), 100);
    const t = await codec.sign('alice', SECRET);
    const [h, , s] = t.token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', exp: 9_999_999_999 })).toString('base64url')}.${s}`;
    await rejectsWith(codec.verify(forged, SECRET), 'Code: 401, Message: token invalid!.');
    await rejectsWith(codec.verify(t.token, new Uint8Array(32).fill(1)), 'Code: 401, Message: token invalid!.');
    await rejectsWith(codec.verify('abc', SECRET), 'Code: 401, Message: token invalid!.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"a","exp":9999999999}').toString('base64url')}.`;
    await rejectsWith(codec.verify(none, SECRET), 'Code: 401, Message: token invalid!.');
  });

  test('secrets: Base64 of at least 32 bytes; algorithm by key length as Nacos', () => {
    assert.equal(decodeSecret(Buffer.alloc(31).toString('base64')), null);
    assert.equal(decodeSecret('not base64!'), null);
    assert.equal(decodeSecret(SECRET_B64)?.length, 32);
    assert.equal(algorithmFor(new Uint8Array(32)), 'HS256');
    assert.equal(algorithmFor(new Uint8Array(48)), 'HS384');
    assert.equal(algorithmFor(new Uint8Array(64)), 'HS512');
  });
});

describe('permissions', () => {
  test('naming resources: defaults; the service is taken as resolved (no @@ splitting here)', () => {
    assert.deepEqual(namingResource('', '', 'svc'), { namespace: 'public', group: 'DEFAULT_GROUP', name: 'svc' });
    assert.deepEqual(namingResource('dev', 'G', 'svc'), { namespace: 'dev', group: 'G', name: 'svc' });
    assert.deepEqual(namingResource('dev', 'G', undefined), { namespace: 'dev', group: 'G', name: '*' });
    assert.equal(resourceText(namingResource(' dev ', ' G ', 'svc')), 'dev:G:naming/svc');
  });

  const res = (text: string) => {
    const [namespace, group, rest] = text.split(':') as [string, string, string];
    return { namespace, group, name: rest.slice('naming/'.length) };
  };

  test('wildcards, actions, and literal characters', () => {
    const r = res('public:DEFAULT_GROUP:naming/order.svc');
    assert.equal(permits({ resource: 'public:*:*', action: 'r' }, r, 'r'), true);
    assert.equal(permits({ resource: 'public:*:*', action: 'r' }, r, 'w'), false);
    assert.equal(permits({ resource: 'public:*:*', action: 'rw' }, r, 'w'), true);
    assert.equal(permits({ resource: 'dev:*:*', action: 'rw' }, r, 'r'), false);
    assert.equal(permits({ resource: 'public:DEFAULT_GROUP:naming/order*', action: 'w' }, r, 'w'), true);
    assert.equal(permits({ resource: 'public:DEFAULT_GROUP:naming/order.svc', action: 'w' }, res('public:DEFAULT_GROUP:naming/orderXsvc'), 'w'), false);
    assert.equal(permits({ resource: 'pub', action: 'rw' }, r, 'r'), false, 'a prefix is not a match');
    assert.equal(permits({ resource: '*', action: 'rw' }, r, 'r'), true);
    assert.equal(permits({ resource: 'public:*', action: 'rw' }, r, 'r'), true);
    assert.equal(permits({ resource: 'dev:*', action: 'rw' }, r, 'r'), false);
  });

  test('a pattern is matched part by part: a group holding ":" is not another group', () => {
    // Groups (and service names) may contain ':'. Joined, `public:DEFAULT_GROUP:x:naming/svc`
    // would match `public:DEFAULT_GROUP:*` although the group is `DEFAULT_GROUP:x`.
    const colon = { namespace: 'public', group: 'DEFAULT_GROUP:x', name: 'svc' };
    assert.equal(permits({ resource: 'public:DEFAULT_GROUP:*', action: 'rw' }, colon, 'w'), false);
    assert.equal(permits({ resource: 'public:DEFAULT_GROUP:naming/*', action: 'rw' }, colon, 'r'), false);
    assert.equal(permits({ resource: 'public:*:*', action: 'rw' }, colon, 'w'), true, 'a group wildcard covers it');
    assert.equal(permits({ resource: 'public:DEFAULT_GROUP:naming/a:b', action: 'r' }, { namespace: 'public', group: 'DEFAULT_GROUP', name: 'a:b' }, 'r'), true);
    // A namespace cannot hold ':' (parameter rules), but a pattern never lets it span parts either.
    assert.equal(permits({ resource: 'public:*:*', action: 'r' }, { namespace: 'public:x', group: 'G', name: 's' }, 'r'), false);
  });

  test('list and namespace-wide resources need a wildcard grant', () => {
    const group = namingResource('public', 'DEFAULT_GROUP', '*');
    const everyNamespace = namingResource('*', '*', '*');
    assert.equal(permits({ resource: 'public:DEFAULT_GROUP:naming/order-*', action: 'r' }, group, 'r'), false);
    assert.equal(permits({ resource: 'public:DEFAULT_GROUP:*', action: 'r' }, group, 'r'), true);
    assert.equal(permits({ resource: 'public:*:*', action: 'r' }, everyNamespace, 'r'), false);
    assert.equal(permits({ resource: '*:*:*', action: 'r' }, everyNamespace, 'r'), true);
  });
});

describe('auth state', () => {
  test('the first stored secret wins; later writes are ignored', () => {
    const s = new AuthState(silentLogger());
    const w = (secret: string): StoreWrite => ({ table: 'authKey', key: SECRET_KEY, value: { secret } });
    s.apply([w('first'), w('second')]);
    assert.equal(s.storedSecret(), 'first');
  });

  test('a malformed entry is skipped, the rest of the batch applies', () => {
    const s = new AuthState(silentLogger());
    s.apply([
      { table: 'role', key: 'not json', value: {} },
      { table: 'user', key: 'bob', value: { password: 'h' } },
    ]);
    assert.equal(s.user('bob')?.password, 'h');
  });
});

describe('auth service', () => {
  test('admin initialisation works once, and only while no admin exists', async () => {
    const { auth } = service();
    assert.equal(auth.adminRequest(), true);
    const first = await auth.initAdmin('pw1');
    assert.deepEqual(first, { username: 'nacos', password: 'pw1' });
    assert.equal(auth.adminRequest(), false);
    assert.equal(await auth.initAdmin('pw2'), null);
    const login = await auth.login('nacos', 'pw1');
    assert.equal(login.globalAdmin, true);
    await assert.rejects(auth.login('nacos', 'pw2'));
  });

  test('concurrent initialisations: exactly one succeeds', async () => {
    const { auth } = service();
    const results = await Promise.all([auth.initAdmin('a'), auth.initAdmin('b'), auth.initAdmin()]);
    assert.equal(results.filter((r) => r !== null).length, 1);
  });

  test('without a password a random one is generated and returned', async () => {
    const { auth } = service();
    const r = await auth.initAdmin();
    assert.ok(r && r.password.length >= 10);
    assert.equal((await auth.login('nacos', r.password)).username, 'nacos');
  });

  test('bootstrap creates the admin from the configured initial password, once', async () => {
    const { auth, store } = service({ initialAdminPassword: 'boot' });
    await auth.bootstrap();
    assert.equal((await auth.login('nacos', 'boot')).globalAdmin, true);
    const writes = [...store.entries()].length;
    await auth.bootstrap();
    assert.equal([...store.entries()].length, writes);
  });

  test('identify: bearer, accessToken, user name + password; failures in Nacos words', async () => {
    const { auth, clock } = service();
    await auth.createUser('alice', 'pw');
    const { accessToken, tokenTtl, globalAdmin } = await auth.login('alice', 'pw');
    assert.equal(tokenTtl, 18000);
    assert.equal(globalAdmin, false);
    assert.equal((await auth.identify({ authorization: `Bearer ${accessToken}` })).username, 'alice');
    assert.equal((await auth.identify({ accessToken })).username, 'alice');
    assert.equal((await auth.identify({ username: 'alice', password: 'pw' })).username, 'alice');
    await rejectsWith(auth.identify({}), 'Code: 401, Message: user not found!.');
    await rejectsWith(auth.identify({ username: 'alice', password: 'nope' }), `Code: 401, Message: ${BAD_CREDENTIALS}.`);
    await rejectsWith(auth.identify({ accessToken: 'x.y.z' }), 'Code: 401, Message: token invalid!.');
    clock.advance(18_000_000);
    await rejectsWith(auth.identify({ accessToken }), 'Code: 401, Message: token expired!.');
  });

  test('a password change and a deleted user take effect at once, caches notwithstanding', async () => {
    const { auth } = service();
    await auth.createUser('alice', 'pw');
    const { accessToken } = await auth.login('alice', 'pw');
    await auth.identify({ username: 'alice', password: 'pw' });
    await auth.updatePassword('alice', 'pw2');
    await rejectsWith(auth.identify({ username: 'alice', password: 'pw' }), `Code: 401, Message: ${BAD_CREDENTIALS}.`);
    assert.equal((await auth.identify({ username: 'alice', password: 'pw2' })).username, 'alice');
    await auth.identify({ accessToken });
    await auth.deleteUser('alice');
    await rejectsWith(auth.identify({ accessToken }), 'Code: 401, Message: user not found!.');
  });

  test('authorize: admin passes, roles grant r / w per namespace', async () => {
    const { auth } = service();
    await auth.initAdmin('a');
    await auth.createUser('reader', 'pw');
    await auth.addRole('readers', 'reader');
    await auth.addPermission('readers', 'public:*:*', 'r');
    await auth.addPermission('readers', 'dev:*:*', 'rw');
    const admin = await auth.identify({ username: 'nacos', password: 'a' });
    const reader = await auth.identify({ username: 'reader', password: 'pw' });
    const pub = namingResource('public', 'G', 's');
    auth.authorize(admin, 'admin');
    auth.authorize(admin, 'write', pub);
    auth.authorize(reader, 'read', pub);
    auth.authorize(reader, 'write', namingResource('dev', 'G', 's'));
    auth.authorize(reader, 'user');
    const denied = (f: () => void) => assert.throws(f, (e: unknown) => e instanceof AuthError && e.message === 'Code: 403, Message: authorization failed!.');
    denied(() => auth.authorize(reader, 'write', pub));
    denied(() => auth.authorize(reader, 'read', namingResource('prod', 'G', 's')));
    denied(() => auth.authorize(reader, 'admin'));
    await auth.deletePermission('readers', 'public:*:*', 'r');
    denied(() => auth.authorize(reader, 'read', pub));
  });

  test('management refuses what Nacos refuses, and writes nothing then', async () => {
    const { auth, store } = service();
    await auth.initAdmin('a');
    await auth.createUser('bob', 'pw');
    const before = JSON.stringify([...store.entries()]);
    const bad = async (p: Promise<unknown>, msg: RegExp) => assert.rejects(p, (e: unknown) => e instanceof NacosError && e.status === 400 && msg.test(e.message));
    await bad(auth.createUser('bob', 'x'), /already exist/);
    await bad(auth.createUser('has space', 'x'), /username/);
    await bad(auth.createUser('carol', ''), /password/);
    await bad(auth.createUser('carol', 'x'.repeat(73)), /password/);
    await bad(auth.deleteUser('nacos'), /cannot delete admin/);
    await bad(auth.addRole('ROLE_ADMIN', 'bob'), /not permitted/);
    await bad(auth.addRole('r1', 'ghost'), /not found/);
    await bad(auth.addPermission('nobody', 'public:*:*', 'r'), /not found/);
    await auth.addRole('r1', 'bob');
    await bad(auth.addPermission('r1', 'public:*:*', 'x'), /action/);
    await bad(auth.deleteRole('ROLE_ADMIN'), /cannot be deleted/);
    await auth.deleteRole('r1', 'bob');
    assert.equal(JSON.stringify([...store.entries()]), before);
  });

  test('deleting a role removes its grants and permissions', async () => {
    const { auth } = service();
    await auth.createUser('bob', 'pw');
    await auth.addRole('r1', 'bob');
    await auth.addPermission('r1', 'public:*:*', 'rw');
    await auth.deleteRole('r1');
    assert.deepEqual(auth.listRoles(1, 10, undefined, undefined, false).pageItems, []);
    assert.deepEqual(auth.listPermissions(1, 10, undefined, false).pageItems, []);
  });

  test('pages and searches', async () => {
    const { auth } = service();
    for (const u of ['ann', 'bob', 'bobby']) await auth.createUser(u, 'pw');
    assert.deepEqual(auth.listUsers(1, 2, undefined, false), { totalCount: 3, pageNumber: 1, pagesAvailable: 2, pageItems: [{ username: 'ann' }, { username: 'bob' }] });
    assert.equal(auth.listUsers(1, 10, 'bob', false).totalCount, 1);
    assert.equal(auth.listUsers(1, 10, 'bob', true).totalCount, 2);
    assert.deepEqual(auth.searchUsers('bo'), ['bob', 'bobby']);
  });

  test('the token secret: configured, else generated at the first login and stored once', async () => {
    const { auth, store } = service({ secretKey: '' });
    await auth.createUser('alice', 'pw');
    const [a, b] = await Promise.all([auth.login('alice', 'pw'), auth.login('alice', 'pw')]);
    const secrets = [...store.entries()].filter((e) => e.table === 'authKey');
    assert.equal(secrets.length, 1);
    assert.equal((await auth.identify({ accessToken: a.accessToken })).username, 'alice');
    assert.equal((await auth.identify({ accessToken: b.accessToken })).username, 'alice');
  });

  test('auth off and no secret: login answers AUTH_DISABLED and writes no secret', async () => {
    const { auth, store } = service({ enabled: false, secretKey: '' });
    await auth.createUser('alice', 'pw');
    const r = await auth.login('alice', 'pw');
    assert.equal(r.accessToken, AUTH_DISABLED_TOKEN);
    assert.equal([...store.entries()].filter((e) => e.table === 'authKey').length, 0);
  });

  test('a configured secret that is too short refuses to start', () => {
    assert.throws(() => service({ secretKey: Buffer.alloc(16).toString('base64') }), ConfigError);
  });

  test('store keys are JSON tuples so any name round-trips', () => {
    assert.equal(authKeys.role('a"b', 'c'), '["a\\"b","c"]');
  });
});

/** A member's store that has not yet applied writes acknowledged through another member. */
class LaggingStore extends MemoryStore {
  readonly elsewhere: StoreWrite[][] = [];
  syncs = 0;
  async sync(): Promise<void> {
    this.syncs++;
    for (const b of this.elsewhere.splice(0)) await super.write(b);
  }
}

describe('management writes read their dependencies across members (issue 11 defect 6)', () => {
  test('a role for a user, and a permission for a role, just created through another member are found after a sync', async () => {
    const store = new LaggingStore();
    const auth = new AuthService({ store, clock: new ManualClock(), log: silentLogger(), enabled: true, tokenTtlSeconds: 18000, secretKey: SECRET_B64, bcryptCost: 4 });
    store.onApply((b) => auth.apply(b));
    try {
      // The user was created on another member: acknowledged there, not yet applied here.
      store.elsewhere.push([{ table: 'user', key: authKeys.user('crashuser'), value: { password: 'x' } }]);
      await auth.addRole('crashrole', 'crashuser');
      assert.equal(store.syncs, 1, 'the missing user made the member catch up once');
      store.elsewhere.push([{ table: 'role', key: authKeys.role('other', 'crashuser'), value: {} }]);
      await auth.addPermission('other', 'ns:*:*', 'rw');
      assert.equal(store.syncs, 2);
      // Found locally: no sync.
      await auth.addPermission('crashrole', 'ns:*:*', 'r');
      assert.equal(store.syncs, 2);
      // Missing everywhere: still refused, after one sync.
      await assert.rejects(auth.addRole('r2', 'nobody'), /user 'nobody' not found!/);
      assert.equal(store.syncs, 3);
    } finally {
      await auth.close();
    }
  });
});
