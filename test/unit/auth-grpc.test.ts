/**
 * The SDK port with the auth hook: naming requests need a token (or user name + password) in the
 * request headers and the namespace permission; refusals are typed failures with errorCode 403.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { AuthService } from '../../src/auth/auth-service.js';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/observability/logger.js';
import { MemoryStore } from '../../src/persistence/memory-store.js';
import { grpcAuthorizer } from '../../src/transport/grpc/authorizer.js';
import { okResponse } from '../../src/wire/codec.js';
import { namingHandlers } from '../../src/transport/grpc/naming-handlers.js';
import { grpcResource } from '../../src/transport/grpc/naming-scope.js';
import { ProbeClient } from '../../src/transport/grpc/probe-client.js';
import { SdkGrpcServer } from '../../src/transport/grpc/sdk-server.js';
import { createHttpContext } from './helpers/http-context.js';

const T = { timeout: 15_000 };
const SETUP = { clientVersion: 'Nacos-Rust-Client:0.8.0', abilities: {}, tenant: 'public', labels: { module: 'naming' }, headers: {}, requestId: null };

async function harness(t: TestContext) {
  const store = new MemoryStore();
  const auth = new AuthService({
    store,
    clock: new ManualClock(),
    log: silentLogger(),
    enabled: true,
    tokenTtlSeconds: 18000,
    secretKey: Buffer.alloc(32, 3).toString('base64'),
    bcryptCost: 4,
  });
  store.onApply((b) => auth.apply(b));
  await auth.initAdmin('adminpw');
  await auth.createUser('reader', 'pw');
  await auth.addRole('readers', 'reader');
  await auth.addPermission('readers', 'public:*:*', 'r');
  // `grp`: rw on one group of public; `one`: r on one service of it.
  await auth.createUser('grp', 'pw');
  await auth.addRole('grp-role', 'grp');
  await auth.addPermission('grp-role', 'public:DEFAULT_GROUP:*', 'rw');
  await auth.createUser('one', 'pw');
  await auth.addRole('one-role', 'one');
  await auth.addPermission('one-role', 'public:DEFAULT_GROUP:naming/svc', 'r');
  const handled: string[] = [];
  const server = new SdkGrpcServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    authorize: grpcAuthorizer(auth, (type) => (type === 'InstanceRequest' ? 'InstanceResponse' : 'QueryServiceResponse')),
  });
  server.registerHandler('InstanceRequest', () => {
    handled.push('InstanceRequest');
    return { type: 'InstanceResponse', body: okResponse() };
  });
  for (const type of ['ConfigQueryRequest', 'ConfigPublishRequest', 'ConfigRemoveRequest', 'ConfigBatchListenRequest', 'ConfigFuzzyWatchRequest']) {
    server.registerHandler(type, () => {
      handled.push(type);
      return { type: 'ConfigQueryResponse', body: okResponse() };
    });
  }
  for (const type of ['ServiceQueryRequest', 'ServiceListRequest', 'BatchInstanceRequest', 'PersistentInstanceRequest', 'SubscribeServiceRequest', 'NamingFuzzyWatchRequest', 'ServerLoaderInfoRequest', 'ServerReloadRequest']) {
    server.registerHandler(type, () => {
      handled.push(type);
      return { type: 'QueryServiceResponse', body: okResponse() };
    });
  }
  await server.start();
  const client = new ProbeClient(`127.0.0.1:${server.boundPort}`);
  t.after(async () => {
    client.close();
    await server.stop(500);
  });
  const stream = client.openStream();
  stream.send('ConnectionSetupRequest', SETUP);
  for (let i = 0; i < 500 && server.connectionCount() === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.connectionCount(), 1);
  const admin = (await auth.login('nacos', 'adminpw')).accessToken;
  const reader = (await auth.login('reader', 'pw')).accessToken;
  const grp = (await auth.login('grp', 'pw')).accessToken;
  const one = (await auth.login('one', 'pw')).accessToken;
  return { client, handled, admin, reader, grp, one };
}

const INSTANCE = { headers: {}, requestId: '1', namespace: 'public', serviceName: 'svc', groupName: 'DEFAULT_GROUP', type: 'registerInstance', instance: { ip: '127.0.0.1', port: 1 } };
const QUERY = { headers: {}, requestId: '2', namespace: 'public', serviceName: 'svc', groupName: 'DEFAULT_GROUP', cluster: '', healthyOnly: false, udpPort: 0 };

test('naming requests without credentials are typed failures 403; health checks pass', T, async (t) => {
  const h = await harness(t);
  const r = await h.client.request('InstanceRequest', INSTANCE);
  assert.equal(r.type, 'InstanceResponse');
  assert.equal(r.body['resultCode'], 500);
  assert.equal(r.body['errorCode'], 403);
  assert.equal(r.body['message'], 'Code: 401, Message: user not found!.');
  assert.equal(r.body['success'], false);
  const bad = await h.client.request('ServiceQueryRequest', QUERY, { headers: { accessToken: 'nope' } });
  assert.equal(bad.type, 'QueryServiceResponse');
  assert.equal(bad.body['message'], 'Code: 401, Message: token invalid!.');
  assert.deepEqual(h.handled, []);
  const hc = await h.client.request('HealthCheckRequest', { headers: {}, requestId: '3' });
  assert.equal(hc.body['resultCode'], 200);
});

test('the token in Metadata.headers (or user name + password) lets requests through per permission', T, async (t) => {
  const h = await harness(t);
  assert.equal((await h.client.request('InstanceRequest', INSTANCE, { headers: { accessToken: h.admin } })).body['resultCode'], 200);
  assert.equal((await h.client.request('ServiceQueryRequest', QUERY, { headers: { accessToken: h.reader } })).body['resultCode'], 200);
  assert.equal((await h.client.request('ServiceQueryRequest', QUERY, { headers: { username: 'reader', password: 'pw' } })).body['resultCode'], 200);
  const denied = await h.client.request('InstanceRequest', INSTANCE, { headers: { accessToken: h.reader } });
  assert.equal(denied.body['errorCode'], 403);
  assert.equal(denied.body['message'], 'Code: 403, Message: authorization failed!.');
  const otherNs = await h.client.request('ServiceQueryRequest', { ...QUERY, namespace: 'dev' }, { headers: { accessToken: h.reader } });
  assert.equal(otherNs.body['errorCode'], 403);
  assert.deepEqual(h.handled, ['InstanceRequest', 'ServiceQueryRequest', 'ServiceQueryRequest']);
});

test('a grouped serviceName is refused before any handler, with or without groupName, even for an admin', T, async (t) => {
  // Issue 11: the check read `groupName`, the key came from the name; every SDK request takes a
  // bare name, so `@@` in it is refused with the handler's typed 400 (docs/auth.md).
  const h = await harness(t);
  const batch = { ...INSTANCE, type: 'batchRegisterInstance', instances: [INSTANCE.instance] };
  const subscribe = { headers: {}, requestId: '4', namespace: 'public', groupName: 'DEFAULT_GROUP', subscribe: true, clusters: '' };
  const requests: [string, Record<string, unknown>][] = [
    ['InstanceRequest', INSTANCE],
    ['BatchInstanceRequest', batch],
    ['PersistentInstanceRequest', INSTANCE],
    ['ServiceQueryRequest', QUERY],
    ['SubscribeServiceRequest', subscribe],
  ];
  for (const [type, body] of requests) {
    for (const token of [h.grp, h.admin]) {
      for (const groupName of ['DEFAULT_GROUP', null]) {
        const r = await h.client.request(type, { ...body, serviceName: 'SECRET@@svc', groupName }, { headers: { accessToken: token } });
        const what = `${type} groupName=${groupName} ${token === h.admin ? 'admin' : 'grp'}`;
        assert.equal(r.body['resultCode'], 500, what);
        assert.equal(r.body['errorCode'], 400, what);
        assert.equal(r.body['message'], "Param 'serviceName' is illegal, illegal characters should not appear in the param.", what);
      }
    }
  }
  assert.deepEqual(h.handled, []);
  // The same user on its own group goes through.
  assert.equal((await h.client.request('InstanceRequest', INSTANCE, { headers: { accessToken: h.grp } })).body['resultCode'], 200);
  assert.deepEqual(h.handled, ['InstanceRequest']);
});

test('ServiceList is checked on the group it lists, not on a serviceName it ignores', T, async (t) => {
  const h = await harness(t);
  const list = { headers: {}, requestId: '5', namespace: 'public', groupName: 'DEFAULT_GROUP', serviceName: 'svc', pageNo: 1, pageSize: 10 };
  const denied = await h.client.request('ServiceListRequest', list, { headers: { accessToken: h.one } });
  assert.equal(denied.body['errorCode'], 403);
  assert.equal((await h.client.request('ServiceQueryRequest', QUERY, { headers: { accessToken: h.one } })).body['resultCode'], 200, 'the one service stays readable');
  assert.equal((await h.client.request('ServiceListRequest', list, { headers: { accessToken: h.grp } })).body['resultCode'], 200);
  assert.equal((await h.client.request('ServiceListRequest', { ...list, groupName: 'SECRET', serviceName: null }, { headers: { accessToken: h.grp } })).body['errorCode'], 403);
  assert.deepEqual(h.handled, ['ServiceQueryRequest', 'ServiceListRequest']);
});

test('the handlers resolve the key the hook checks; a grouped name is refused with the parameter checker off too', async () => {
  const h = createHttpContext({ properties: { 'nacos.core.param.check.enabled': 'false' } });
  const handlers = namingHandlers(h.ctx);
  const hc = { connectionId: 'c1', clientIp: '127.0.0.1', remoteAddress: '127.0.0.1:1', appName: 'a', clientVersion: 'v' };
  const body = { ...INSTANCE, namespace: ' dev ', groupName: ' G ', serviceName: ' svc ' };
  assert.deepEqual(grpcResource('service', body), { namespace: 'dev', group: 'G', name: 'svc' });
  await handlers['InstanceRequest']!(body, hc);
  assert.deepEqual([...h.registry.allServices()].map((s) => s.key), [{ namespace: 'dev', group: 'G', name: 'svc' }]);
  // Before: the checker off, `SECRET@@svc` became a service of that literal name in groupName's group.
  const before = h.snapshot();
  for (const groupName of ['DEFAULT_GROUP', null]) {
    assert.throws(
      () => handlers['InstanceRequest']!({ ...INSTANCE, serviceName: 'SECRET@@svc', groupName }, hc),
      (e: unknown) => e instanceof NacosError && e.status === 400 && /illegal characters/.test(e.message),
    );
  }
  assert.equal(h.snapshot(), before);
});

test('config requests: read for query and batch listen (namespace-wide), write for publish and remove, on <ns>:<group>:config/<dataId>', T, async (t) => {
  const h = await harness(t);
  const cfg = { headers: {}, requestId: '5', tenant: '', group: 'DEFAULT_GROUP', dataId: 'app.yaml' };
  const status = async (type: string, body: object, token: string): Promise<unknown> => (await h.client.request(type, body, { headers: { accessToken: token } })).body['resultCode'];
  // reader: r on public:*:*
  assert.equal(await status('ConfigQueryRequest', cfg, h.reader), 200);
  assert.equal(await status('ConfigPublishRequest', { ...cfg, content: 'x' }, h.reader), 500);
  assert.equal(await status('ConfigRemoveRequest', cfg, h.reader), 500);
  assert.equal(await status('ConfigQueryRequest', { ...cfg, tenant: 'dev' }, h.reader), 500);
  // grp: rw on public:DEFAULT_GROUP:* — its configs, but not a namespace-wide batch listen.
  assert.equal(await status('ConfigPublishRequest', { ...cfg, content: 'x' }, h.grp), 200);
  const listen = { headers: {}, requestId: '6', listen: true, configListenContexts: [{ ...cfg, md5: '' }], tenant: null, dataId: null, group: null };
  assert.equal(await status('ConfigBatchListenRequest', listen, h.grp), 500);
  assert.equal(await status('ConfigBatchListenRequest', listen, h.reader), 200);
  // one: r on public:DEFAULT_GROUP:naming/svc — a naming grant opens no config.
  assert.equal(await status('ConfigQueryRequest', cfg, h.one), 500);
  assert.deepEqual(h.handled, ['ConfigQueryRequest', 'ConfigPublishRequest', 'ConfigBatchListenRequest']);
});

test('config fuzzy watch needs r on its pattern texts: <ns>:<groupPattern>:config/<dataIdPattern>', T, async (t) => {
  const h = await harness(t);
  const watch = (pattern: string) => ({ headers: {}, groupKeyPattern: pattern, receivedGroupKeys: [], watchType: 'WATCH', initializing: true, module: 'config' });
  const status = async (pattern: string, token: string): Promise<unknown> => (await h.client.request('ConfigFuzzyWatchRequest', watch(pattern), { headers: { accessToken: token } })).body['resultCode'];
  assert.equal(await status('public>>DEFAULT_GROUP>>app-*', h.grp), 200, 'rw on public:DEFAULT_GROUP:* covers the group');
  assert.equal(await status('public>>*>>app-*', h.grp), 500, 'but not every group');
  assert.equal(await status('public>>*>>*', h.reader), 200);
  assert.equal(await status('dev>>*>>*', h.reader), 500);
  assert.equal(await status('public>>DEFAULT_GROUP>>svc', h.one), 500, 'a naming grant opens no config');
  assert.deepEqual(h.handled, ['ConfigFuzzyWatchRequest', 'ConfigFuzzyWatchRequest']);
});

test('fuzzy watch is checked on the pattern text (its namespace, group and service patterns); loader requests need an admin', T, async (t) => {
  const h = await harness(t);
  const watch = (pattern: string) => ({ headers: {}, initializing: true, namespace: 'public', groupKeyPattern: pattern, receivedGroupKeys: [], watchType: 'WATCH', module: 'naming' });
  const code = async (pattern: string, token: string) => (await h.client.request('NamingFuzzyWatchRequest', watch(pattern), { headers: { accessToken: token } })).body['errorCode'];
  // reader: r on public:*:*
  assert.equal(await code('public>>*>>*', h.reader), 0);
  assert.equal(await code('dev>>*>>*', h.reader), 403, 'the namespace comes from the pattern');
  // grp: rw on public:DEFAULT_GROUP:*
  assert.equal(await code('public>>DEFAULT_GROUP>>nacos.*', h.grp), 0);
  assert.equal(await code('public>>*>>nacos.*', h.grp), 403, 'a group pattern wider than the permission');
  // one: r on public:DEFAULT_GROUP:naming/svc
  assert.equal(await code('public>>DEFAULT_GROUP>>svc', h.one), 0);
  assert.equal(await code('public>>DEFAULT_GROUP>>sv*', h.one), 403, 'a service pattern wider than the permission');
  assert.equal(await code('public>>DEFAULT_GROUP', h.admin), 400, 'a malformed pattern is a 400 before any handler');
  assert.deepEqual(grpcResource('pattern', watch('>>G>>s*')), { namespace: 'public', group: 'G', name: 's*' });

  const info = { headers: {}, module: 'internal' };
  assert.equal((await h.client.request('ServerLoaderInfoRequest', info, { headers: { accessToken: h.reader } })).body['errorCode'], 403);
  assert.equal((await h.client.request('ServerReloadRequest', { ...info, reloadCount: 0 }, { headers: { accessToken: h.grp } })).body['errorCode'], 403);
  assert.equal((await h.client.request('ServerLoaderInfoRequest', info, { headers: { accessToken: h.admin } })).body['resultCode'], 200);
  assert.deepEqual(h.handled, ['NamingFuzzyWatchRequest', 'NamingFuzzyWatchRequest', 'NamingFuzzyWatchRequest', 'ServerLoaderInfoRequest']);
});
