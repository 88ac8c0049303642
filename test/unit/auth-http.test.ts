import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../src/core/clock.js';
import { ENDPOINT_RULES, hasRule, renderRulesTable } from '../../src/transport/http/auth-rules.js';
import { createHttpServer } from '../../src/transport/http/http-server.js';
import { createHttpContext, form, json, qs, query, type HttpContext, type ServiceInfoJson } from './helpers/http-context.js';

const SECRET = Buffer.alloc(32, 9).toString('base64');
const AUTH_ON = { 'nacos.core.auth.enabled': 'true', 'nacos.core.auth.plugin.nacos.token.secret.key': SECRET };

interface SpringError {
  status: number;
  error: string;
  message: string;
  path: string;
  timestamp: string;
}

async function loginToken(app: FastifyInstance, username: string, password: string): Promise<string> {
  const r = await query(app, 'POST', '/nacos/v1/auth/login', { username, password });
  assert.equal(r.statusCode, 200, r.body);
  return json<{ accessToken: string }>(r).accessToken;
}

/** Auth on, admin `nacos/adminpw`, user `reader/pw` with `r` on public and `rw` on dev. */
async function setup(): Promise<HttpContext & { admin: string; reader: string; manual: ManualClock }> {
  const manual = new ManualClock();
  const h = createHttpContext({ auth: true, properties: AUTH_ON, clock: manual });
  await h.auth!.initAdmin('adminpw');
  await h.auth!.createUser('reader', 'pw');
  await h.auth!.addRole('readers', 'reader');
  await h.auth!.addPermission('readers', 'public:*:*', 'r');
  await h.auth!.addPermission('readers', 'dev:*:*', 'rw');
  return { ...h, manual, admin: await loginToken(h.app, 'nacos', 'adminpw'), reader: await loginToken(h.app, 'reader', 'pw') };
}

const LIST = '/nacos/v1/ns/instance/list';

/** `METHOD path` of every route, from fastify's route tree print-out (HEAD/OPTIONS left out). */
function registeredRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+?)(?: \(([^)]*)\))?$/u.exec(line);
    if (!m) continue;
    const depth = [...m[1]!].length / 4;
    stack.length = depth;
    const full = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = full;
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== '' && x !== 'HEAD' && x !== 'OPTIONS')) out.push(`${method} ${full}`);
  }
  return out;
}
const REG = { serviceName: 'svc', ip: '127.0.0.1', port: 8080 };

describe('the endpoint list', () => {
  test('names every registered route, and every listed route exists', async () => {
    const h = createHttpContext({ auth: true });
    await h.app.ready();
    const routes = registeredRoutes(h.app);
    assert.ok(routes.length > 50, `parsed only ${routes.length} routes`);
    const missing = routes.filter((r) => !hasRule(r.split(' ')[0]!, r.split(' ')[1]!));
    assert.deepEqual(missing, [], 'routes without an auth rule (add them to src/transport/http/auth-rules.ts)');
    const unregistered = ENDPOINT_RULES.filter((r) => !r.when)
      .flatMap((r) => r.methods.map((m) => `${m} ${r.path}`))
      .filter((k) => !routes.includes(k));
    assert.deepEqual(unregistered, [], 'rules for routes that do not exist');
  });

  test('docs/auth.md holds the table generated from the list', () => {
    const doc = readFileSync(new URL('../../docs/auth.md', import.meta.url), 'utf8');
    assert.ok(doc.includes(renderRulesTable()), 'docs/auth.md is stale: run npm run build && node scripts/auth-table.mjs');
  });
});

describe('auth off (default)', () => {
  test('no credentials needed; the state says so; login still works', async () => {
    const h = createHttpContext({ auth: true });
    assert.equal((await query(h.app, 'GET', LIST, { serviceName: 'svc' })).statusCode, 200);
    assert.equal((await query(h.app, 'POST', '/nacos/v1/ns/instance', REG)).statusCode, 200);
    assert.equal((await query(h.app, 'GET', '/nacos/v1/ns/operator/switches')).statusCode, 200);
    const state = json<Record<string, string>>(await query(h.app, 'GET', '/nacos/v1/console/server/state'));
    assert.equal(state['auth_enabled'], 'false');
    assert.equal(state['auth_admin_request'], 'false');
    await h.auth!.initAdmin('pw');
    const r = json<{ accessToken: string; tokenTtl: number }>(await query(h.app, 'POST', '/nacos/v1/auth/login', { username: 'nacos', password: 'pw' }));
    assert.equal(r.accessToken, 'AUTH_DISABLED');
    assert.equal(r.tokenTtl, 18000);
  });
});

describe('auth on', () => {
  let h: Awaited<ReturnType<typeof setup>>;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.app.close();
  });

  test('no credentials: 403 with Spring error JSON for every family; nothing applied', async () => {
    const before = h.snapshot();
    for (const [method, path, params] of [
      ['GET', LIST, { serviceName: 'svc' }],
      ['POST', '/nacos/v1/ns/instance', REG],
      ['POST', '/nacos/v2/ns/instance', REG],
      ['POST', '/nacos/v3/client/ns/instance', REG],
      ['GET', '/nacos/v3/admin/core/namespace/list', {}],
      ['GET', '/nacos/v1/auth/users', {}],
    ] as const) {
      const r = await query(h.app, method, path, params);
      assert.equal(r.statusCode, 403, `${method} ${path}`);
      const e = json<SpringError>(r);
      assert.equal(e.status, 403);
      assert.equal(e.error, 'Forbidden');
      assert.equal(e.message, 'Code: 401, Message: user not found!.');
      assert.equal(e.path, path);
      assert.match(e.timestamp, /^\d{4}-\d\d-\d\dT.*\+00:00$/);
    }
    assert.equal(h.snapshot(), before);
  });

  test('open endpoints stay open', async () => {
    for (const path of ['/nacos/v1/console/health/liveness', '/nacos/v3/admin/core/state/readiness', '/nacos/v1/ns/operator/metrics', '/nacos/v1/console/server/state']) {
      assert.equal((await query(h.app, 'GET', path)).statusCode, 200, path);
    }
    const state = json<Record<string, string>>(await query(h.app, 'GET', '/nacos/v1/console/server/state'));
    assert.equal(state['auth_enabled'], 'true');
    assert.equal(state['login_page_enabled'], 'true');
    assert.equal(state['auth_admin_request'], 'false');
  });

  test('every way of presenting credentials works', async () => {
    const ok = async (r: Promise<{ statusCode: number; body: string }>, what: string) => assert.equal((await r).statusCode, 200, what);
    await ok(query(h.app, 'GET', LIST, { serviceName: 'svc' }, { authorization: `Bearer ${h.reader}` }), 'Authorization: Bearer');
    await ok(query(h.app, 'GET', LIST, { serviceName: 'svc' }, { accessToken: h.reader }), 'accessToken header');
    await ok(query(h.app, 'GET', LIST, { serviceName: 'svc', accessToken: h.reader }), 'accessToken parameter');
    await ok(form(h.app, 'POST', '/nacos/v1/ns/instance', { ...REG, accessToken: h.admin }), 'accessToken form field');
    await ok(query(h.app, 'GET', LIST, { serviceName: 'svc', username: 'reader', password: 'pw' }), 'username + password');
    await ok(query(h.app, 'GET', LIST, { serviceName: 'svc', accessToken: h.reader }, { accessToken: 'bad' }), 'a parameter overrides a header');
    const bad = await query(h.app, 'GET', LIST, { serviceName: 'svc', accessToken: `${h.reader}x` });
    assert.equal(json<SpringError>(bad).message, 'Code: 401, Message: token invalid!.');
    const wrongPw = await query(h.app, 'GET', LIST, { serviceName: 'svc', username: 'reader', password: 'nope' });
    assert.equal(wrongPw.statusCode, 403);
  });

  test('an expired token is refused with token expired!', async () => {
    const own = await setup();
    own.manual.advance(17_999_000);
    assert.equal((await query(own.app, 'GET', LIST, { serviceName: 'svc', accessToken: own.reader })).statusCode, 200);
    own.manual.advance(1_000);
    const r = await query(own.app, 'GET', LIST, { serviceName: 'svc', accessToken: own.reader });
    assert.equal(json<SpringError>(r).message, 'Code: 401, Message: token expired!.');
  });

  test('permissions per namespace: r reads, w writes, admin endpoints need ROLE_ADMIN', async () => {
    const t = { accessToken: h.reader };
    assert.equal((await query(h.app, 'GET', LIST, { serviceName: 'svc', ...t })).statusCode, 200);
    const denied = await query(h.app, 'POST', '/nacos/v1/ns/instance', { ...REG, ...t });
    assert.equal(denied.statusCode, 403);
    assert.equal(json<SpringError>(denied).message, 'Code: 403, Message: authorization failed!.');
    assert.equal((await query(h.app, 'POST', '/nacos/v1/ns/instance', { ...REG, namespaceId: 'dev', ...t })).statusCode, 200);
    assert.equal((await query(h.app, 'GET', LIST, { serviceName: 'svc', namespaceId: 'prod', ...t })).statusCode, 403);
    assert.equal((await query(h.app, 'GET', '/nacos/v1/ns/operator/switches', t)).statusCode, 403);
    assert.equal((await query(h.app, 'GET', '/nacos/v1/ns/operator/switches', { accessToken: h.admin })).statusCode, 200);
    // Namespace-wide reads need a namespace-wide permission.
    assert.equal((await query(h.app, 'GET', '/nacos/v1/ns/catalog/services', t)).statusCode, 200);
    // Any user may list namespaces.
    assert.equal((await query(h.app, 'GET', '/nacos/v1/console/namespaces', t)).statusCode, 200);
  });

  test('a user changes its own password, not another one', async () => {
    await h.auth!.createUser('bob', 'pw');
    const t = { accessToken: h.reader };
    assert.equal((await query(h.app, 'PUT', '/nacos/v1/auth/users', { username: 'bob', newPassword: 'x', ...t })).statusCode, 403);
    const own = await query(h.app, 'PUT', '/nacos/v1/auth/users', { username: 'reader', newPassword: 'pw2', ...t });
    assert.equal(own.statusCode, 200, own.body);
    assert.deepEqual(json(own), { code: 200, message: null, data: 'update user ok!' });
    await loginToken(h.app, 'reader', 'pw2');
    await h.auth!.updatePassword('reader', 'pw');
  });

  test('v3 management in Result shapes; v1 pages bare', async () => {
    const a = { accessToken: h.admin };
    const created = await query(h.app, 'POST', '/nacos/v3/auth/user', { username: 'carol', password: 'pw', ...a });
    assert.deepEqual(json(created), { code: 0, message: 'success', data: 'create user ok!' });
    const dup = await query(h.app, 'POST', '/nacos/v3/auth/user', { username: 'carol', password: 'pw', ...a });
    assert.equal(dup.statusCode, 400);
    assert.equal(json<{ data: string }>(dup).data, "user 'carol' already exist!");
    assert.equal((await query(h.app, 'POST', '/nacos/v3/auth/role', { role: 'ops', username: 'carol', ...a })).statusCode, 200);
    assert.equal((await query(h.app, 'POST', '/nacos/v3/auth/permission', { role: 'ops', resource: 'dev:*:*', action: 'rw', ...a })).statusCode, 200);
    const perms = json<{ data: { pageItems: unknown[] } }>(await query(h.app, 'GET', '/nacos/v3/auth/permission/list', { role: 'ops', pageNo: 1, pageSize: 10, ...a }));
    assert.deepEqual(perms.data.pageItems, [{ role: 'ops', resource: 'dev:*:*', action: 'rw' }]);
    const users = json<{ totalCount: number; pageItems: { username: string }[] }>(await query(h.app, 'GET', '/nacos/v1/auth/users', { pageNo: 1, pageSize: 100, ...a }));
    assert.ok(users.pageItems.some((u) => u.username === 'carol'));
    assert.ok(!JSON.stringify(users).includes('$2'), 'no password hashes in listings');
    assert.deepEqual(json(await query(h.app, 'GET', '/nacos/v1/auth/users/search', { username: 'car', ...a })), ['carol']);
    const login = await query(h.app, 'POST', '/nacos/v3/auth/user/login', { username: 'carol', password: 'pw' });
    assert.equal(login.statusCode, 200);
    assert.match(String(login.headers['authorization']), /^Bearer ey/);
    assert.equal((await query(h.app, 'DELETE', '/nacos/v1/auth/users', { username: 'carol', ...a })).statusCode, 200);
  });

  test('bad login: 403 with Nacos message, v1 text and v3 Result', async () => {
    const v1 = await query(h.app, 'POST', '/nacos/v1/auth/login', { username: 'nacos', password: 'wrong' });
    assert.equal(v1.statusCode, 403);
    assert.equal(v1.body, 'User not found! Please check user exist or password is right!');
    const v3 = await form(h.app, 'POST', '/nacos/v3/auth/user/login', { username: 'ghost', password: 'x' });
    assert.equal(v3.statusCode, 403);
    assert.equal(json<{ code: number }>(v3).code, 10001);
  });

  test('admin initialisation is refused once an admin exists', async () => {
    for (const url of ['/nacos/v1/auth/users/admin', '/nacos/v3/auth/user/admin']) {
      const r = await query(h.app, 'POST', url, { password: 'takeover' });
      assert.equal(r.statusCode, 409);
      assert.deepEqual(json(r), { code: 409, message: url.includes('/v3/') ? 'have admin user cannot use it.' : 'have admin user cannot use it', data: null });
    }
    await assert.rejects(h.auth!.login('nacos', 'takeover'));
  });
});

describe('first start with auth on', () => {
  test('auth_admin_request until the admin is initialised over HTTP', async () => {
    const h = createHttpContext({ auth: true, properties: AUTH_ON });
    const state = () => query(h.app, 'GET', '/nacos/v1/console/server/state').then((r) => json<Record<string, string>>(r)['auth_admin_request']);
    assert.equal(await state(), 'true');
    const r = await form(h.app, 'POST', '/nacos/v3/auth/user/admin', { password: 'first' });
    assert.deepEqual(json(r), { code: 0, message: 'success', data: { username: 'nacos', password: 'first' } });
    assert.equal(await state(), 'false');
    const v1 = await query(h.app, 'POST', '/nacos/v1/auth/users/admin');
    assert.equal(v1.statusCode, 409);
  });
});

describe('distro forwarding with auth on', () => {
  test('a forwarded write carries the caller credentials; an unauthenticated one never leaves', async () => {
    const owner = createHttpContext({ auth: true, properties: AUTH_ON });
    const entry = createHttpContext({ auth: true, properties: AUTH_ON });
    // Same users on both members (what the replicated store provides).
    for (const m of [owner, entry]) await m.auth!.initAdmin('adminpw');
    await owner.app.listen({ port: 0, host: '127.0.0.1' });
    const addr = owner.app.server.address();
    const target = typeof addr === 'object' && addr ? `127.0.0.1:${addr.port}` : '';
    const forwarding = createHttpServer(entry.ctx, {
      cluster: { members: () => [], responsibleTag: () => false, mapSrv: () => target, distroState: () => ({}), forwardTimeoutMs: 2000 },
    });
    try {
      const token = await loginToken(entry.app, 'nacos', 'adminpw');
      const denied = await query(forwarding, 'POST', '/nacos/v1/ns/instance', REG);
      assert.equal(denied.statusCode, 403);
      assert.equal(owner.registry.serviceCount(), 0);
      const credentials: Record<string, string>[] = [{ accessToken: token }, { username: 'nacos', password: 'adminpw' }];
      for (const [i, creds] of credentials.entries()) {
        const r = await query(forwarding, 'POST', '/nacos/v1/ns/instance', { ...REG, port: 9000 + i, ...creds });
        assert.equal(r.statusCode, 200, r.body);
      }
      const viaHeader = await query(forwarding, 'POST', '/nacos/v1/ns/instance', { ...REG, port: 9100 }, { authorization: `Bearer ${token}` });
      assert.equal(viaHeader.statusCode, 200, viaHeader.body);
      const hosts = json<{ hosts: { port: number }[] }>(await query(owner.app, 'GET', LIST, { serviceName: 'svc', accessToken: token })).hosts;
      assert.deepEqual(hosts.map((x) => x.port).sort(), [9000, 9001, 9100]);
    } finally {
      await forwarding.close();
      await owner.app.close();
    }
  });
});

/**
 * Issue 11, defect 1: the permission must be checked on exactly the key the handler acts on
 * (docs/security.md §1). User `grp` holds `rw` on `public:DEFAULT_GROUP:*` only; the service
 * `SECRET@@paysvc` holds one instance registered by the admin.
 */
describe('the service a request names is the one checked', () => {
  let h: Awaited<ReturnType<typeof setup>>;
  let grp: string;
  const SECRET_REG = { serviceName: 'SECRET@@paysvc', ip: '127.0.0.9', port: 9000 };
  const conflict = { serviceName: 'SECRET@@paysvc', groupName: 'DEFAULT_GROUP' };
  const CONFLICT_TEXT = "Param 'serviceName' is illegal, its group 'SECRET' differs from groupName 'DEFAULT_GROUP'.";

  before(async () => {
    h = await setup();
    await h.auth!.createUser('grp', 'pw');
    await h.auth!.addRole('grp-role', 'grp');
    await h.auth!.addPermission('grp-role', 'public:DEFAULT_GROUP:*', 'rw');
    grp = await loginToken(h.app, 'grp', 'pw');
    const reg = await query(h.app, 'POST', '/nacos/v1/ns/instance', { ...SECRET_REG, accessToken: h.admin });
    assert.equal(reg.statusCode, 200, reg.body);
    const svc = await query(h.app, 'POST', '/nacos/v1/ns/service', { serviceName: 'SECRET@@paysvc', accessToken: h.admin });
    assert.equal(svc.statusCode, 400, 'an ephemeral service already exists: created by the register');
  });
  after(async () => {
    await h.app.close();
  });

  test('the issue: list, register, deregister and service edit in SECRET with groupName=DEFAULT_GROUP are refused', async () => {
    const before = h.snapshot();
    const t = { accessToken: grp };
    const calls: [string, 'GET' | 'POST' | 'DELETE' | 'PUT', string, Record<string, string | number>][] = [
      ['read', 'GET', LIST, { ...conflict }],
      ['register', 'POST', '/nacos/v1/ns/instance', { ...conflict, ip: '127.0.0.66', port: 6666 }],
      ['deregister', 'DELETE', '/nacos/v1/ns/instance', { ...conflict, ip: '127.0.0.9', port: 9000 }],
      ['edit', 'PUT', '/nacos/v1/ns/service', { ...conflict, protectThreshold: 0.9 }],
    ];
    for (const [what, method, path, params] of calls) {
      const r = await query(h.app, method, path, { ...params, ...t });
      assert.equal(r.statusCode, 400, `${what}: ${r.body}`);
      assert.equal(r.body, CONFLICT_TEXT, what);
      assert.ok(!r.body.includes('127.0.0.9'), `${what}: no SECRET data in the answer`);
      // Without groupName the embedded group is the one checked.
      const bare = await query(h.app, method, path, { ...params, groupName: '', ...t });
      assert.equal(bare.statusCode, 403, `${what} without groupName: ${bare.body}`);
    }
    assert.equal(h.snapshot(), before, 'nothing applied');
  });

  test('the conflict is refused for an admin too, in each family format; nothing applied', async () => {
    const before = h.snapshot();
    const a = { accessToken: h.admin };
    const v1 = await query(h.app, 'POST', '/nacos/v1/ns/instance', { ...conflict, ip: '127.0.0.66', port: 6666, ...a });
    assert.equal(v1.statusCode, 400);
    assert.equal(v1.body, CONFLICT_TEXT);
    const v2 = await query(h.app, 'PATCH', '/nacos/v2/ns/instance', { ...conflict, ip: '127.0.0.9', port: 9000, weight: 5, ...a });
    assert.equal(v2.statusCode, 400);
    assert.deepEqual(json(v2), { code: 20009, message: 'parameter mismatch', data: CONFLICT_TEXT });
    assert.equal(h.snapshot(), before);
  });

  test('every service route refuses the conflict with the same 400, whatever the family', async () => {
    const failures: string[] = [];
    for (const rule of ENDPOINT_RULES) {
      if ((rule.access !== 'read' && rule.access !== 'write') || (rule.scope ?? 'service') !== 'service') continue;
      for (const method of rule.methods) {
        for (const token of [grp, h.admin]) {
          const r = await query(h.app, method, rule.path, { ...conflict, ip: '127.0.0.9', port: 9000, accessToken: token });
          const text = r.headers['content-type']?.toString().startsWith('application/json') ? json<{ data?: string }>(r).data : r.body;
          if (r.statusCode !== 400 || text !== CONFLICT_TEXT) failures.push(`${method} ${rule.path}: ${r.statusCode} ${r.body.slice(0, 120)}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test('a grouped name with the same groupName (what nacos-naming sends) and a plain one are fine', async () => {
    const t = { accessToken: grp };
    const grouped = await query(h.app, 'POST', '/nacos/v1/ns/instance', { serviceName: 'DEFAULT_GROUP@@ok', groupName: 'DEFAULT_GROUP', ip: '127.0.0.7', port: 7, ...t });
    assert.equal(grouped.statusCode, 200, grouped.body);
    const list = json<ServiceInfoJson>(await query(h.app, 'GET', LIST, { serviceName: 'ok', ...t }));
    assert.deepEqual(list.hosts.map((x) => x.port), [7]);
  });

  test('query and form body: the first value wins in the filter and in the handler alike', async () => {
    const t = { accessToken: grp };
    // The query names DEFAULT_GROUP@@twice, the body SECRET: the request acts on (and is checked on) the query's.
    const r = await h.app.inject({
      method: 'POST',
      url: `/nacos/v1/ns/instance?${qs({ serviceName: 'twice', groupName: 'DEFAULT_GROUP', ...t })}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: qs({ serviceName: 'SECRET@@twice', groupName: 'SECRET', ip: '127.0.0.8', port: 8 }),
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.ok(h.registry.getService({ namespace: 'public', group: 'DEFAULT_GROUP', name: 'twice' }));
    assert.equal(h.registry.getService({ namespace: 'public', group: 'SECRET', name: 'twice' }), undefined);
    // The other way round: the query names SECRET, the body's groupName cannot hide it.
    const before = h.snapshot();
    const hidden = await h.app.inject({
      method: 'POST',
      url: `/nacos/v1/ns/instance?${qs({ serviceName: 'SECRET@@paysvc', ...t })}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: qs({ groupName: 'DEFAULT_GROUP', ip: '127.0.0.8', port: 8 }),
    });
    assert.equal(hidden.statusCode, 400, hidden.body);
    assert.equal(h.snapshot(), before);
  });

  test('a group holding ":" is not the group before it', async () => {
    const before = h.snapshot();
    const r = await query(h.app, 'POST', '/nacos/v1/ns/instance', { serviceName: 'svc', groupName: 'DEFAULT_GROUP:x', ip: '127.0.0.5', port: 5, accessToken: grp });
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(h.snapshot(), before);
  });

  test('service lists are checked on the group they list, names without namespaceId on every namespace', async () => {
    await h.auth!.createUser('one', 'pw');
    await h.auth!.addRole('one-role', 'one');
    await h.auth!.addPermission('one-role', 'public:DEFAULT_GROUP:naming/ok', 'r');
    const one = await loginToken(h.app, 'one', 'pw');
    // A grant on one service does not list its group, whatever serviceName says.
    for (const path of ['/nacos/v1/ns/service/list', '/nacos/v2/ns/service/list']) {
      const r = await query(h.app, 'GET', path, { pageNo: 1, pageSize: 10, serviceName: 'ok', accessToken: one });
      assert.equal(r.statusCode, 403, `${path}: ${r.body}`);
    }
    // A grant on the group lists it; a serviceName naming another group changes nothing.
    const own = await query(h.app, 'GET', '/nacos/v1/ns/service/list', { pageNo: 1, pageSize: 10, serviceName: 'SECRET@@paysvc', accessToken: grp });
    assert.equal(own.statusCode, 200, own.body);
    assert.ok(!own.body.includes('paysvc'));
    assert.equal((await query(h.app, 'GET', '/nacos/v1/ns/service/list', { pageNo: 1, pageSize: 10, groupName: 'SECRET', accessToken: grp })).statusCode, 403);
    // `service/names` without namespaceId lists every namespace: a grant on public is not enough.
    const names = await query(h.app, 'GET', '/nacos/v1/ns/service/names', { accessToken: h.reader });
    assert.equal(names.statusCode, 403, names.body);
    assert.equal((await query(h.app, 'GET', '/nacos/v1/ns/service/names', { namespaceId: 'public', accessToken: h.reader })).statusCode, 200);
  });
});
