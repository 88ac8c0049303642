/**
 * The SDK port with the auth hook: naming requests need a token (or user name + password) in the
 * request headers and the namespace permission; refusals are typed failures with errorCode 403.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { AuthService } from '../../src/auth/auth-service.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { MemoryStore } from '../../src/persistence/memory-store.js';
import { grpcAuthorizer } from '../../src/transport/grpc/authorizer.js';
import { okResponse } from '../../src/transport/grpc/codec.js';
import { ProbeClient } from '../../src/transport/grpc/probe-client.js';
import { SdkGrpcServer } from '../../src/transport/grpc/sdk-server.js';

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
  server.registerHandler('ServiceQueryRequest', () => {
    handled.push('ServiceQueryRequest');
    return { type: 'QueryServiceResponse', body: okResponse() };
  });
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
  return { client, handled, admin, reader };
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
