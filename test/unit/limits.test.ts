/**
 * Limits (docs/security.md §8, §9): the caps on services, instances, namespaces and subscriptions on
 * every write path, and the name length limits that apply even with the parameter checker off.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namingHandlers, type HandlerContext } from '../../src/transport/grpc/naming-handlers.js';
import { createHttpContext, type HttpContext } from './helpers/http-context.js';

const hc = (connectionId: string): HandlerContext => ({ connectionId, clientIp: '127.0.0.1', remoteAddress: '127.0.0.1:1', appName: 'unit', clientVersion: 'test' });

/** Calls one gRPC naming handler the way the SDK server does (a thrown NacosError is the failure). */
async function grpc(t: HttpContext, type: string, body: object, conn = 'conn-1'): Promise<{ ok: true } | { ok: false; status: number; message: string }> {
  const h = namingHandlers(t.ctx)[type]!;
  try {
    await h(body, hc(conn));
    return { ok: true };
  } catch (e) {
    const err = e as { status: number; message: string };
    return { ok: false, status: err.status, message: err.message };
  }
}

const inst = (ip: string, port: number) => ({ ip, port, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: null, metadata: {} });

test('gRPC: the name length limits apply with the parameter checker off (one limit everywhere)', async () => {
  const t = createHttpContext({ properties: { 'nacos.core.param.check.enabled': 'false' } });
  const long = 'n'.repeat(65);
  const msg = "Param check invalid:Param 'namespaceId/tenant' is illegal, the param length should not exceed 64.";
  assert.deepEqual(await grpc(t, 'InstanceRequest', { namespace: long, serviceName: 's', groupName: null, type: 'registerInstance', instance: inst('127.0.0.1', 1) }), {
    ok: false,
    status: 400,
    message: msg,
  });
  assert.deepEqual(await grpc(t, 'ServiceListRequest', { namespace: long, groupName: null, pageNo: 1, pageSize: 10 }), { ok: false, status: 400, message: msg });
  const bigName = await grpc(t, 'SubscribeServiceRequest', { namespace: 'public', serviceName: 's'.repeat(513), groupName: null, subscribe: true, clusters: '' });
  assert.deepEqual(bigName, { ok: false, status: 400, message: "Param check invalid:Param 'serviceName' is illegal, the param length should not exceed 512." });
  // Character rules are what the switch turns off.
  assert.deepEqual(await grpc(t, 'InstanceRequest', { namespace: 'dev!', serviceName: 's', groupName: null, type: 'registerInstance', instance: inst('127.0.0.1', 1) }), { ok: true });
  assert.equal(t.registry.serviceCount(), 1);
  assert.equal(t.subs.count(), 0);
});

// ------------------------------------------------------------------ caps (docs/security.md §8)

const V1 = '/nacos/v1/ns';
const V2 = '/nacos/v2/ns';
const V3 = '/nacos/v3/client/ns';
const K = 'nomen.naming.limit.';

/** A form request (what the SDKs and the console send). */
function send(t: HttpContext, method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, params: Record<string, string | number>) {
  const payload = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
  if (method === 'GET') return t.app.inject({ method, url: `${url}?${payload}`, headers: { 'user-agent': 'Nacos-Java-Client:v2.4.0' } });
  return t.app.inject({ method, url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
}

const register = (svc: string, ip: string, port = 8080, ns = 'public') => ({
  namespace: ns,
  serviceName: svc,
  groupName: null,
  type: 'registerInstance',
  instance: inst(ip, port),
});

/** Asserts a refused request changed nothing and answered the exact error. */
async function refused(t: HttpContext, send: () => Promise<{ statusCode: number; body: string }>, status: number, body: string | object): Promise<void> {
  const before = t.snapshot();
  const r = await send();
  assert.equal(r.statusCode, status, r.body);
  if (typeof body === 'string') assert.equal(r.body, body);
  else assert.deepEqual(JSON.parse(r.body), body);
  assert.equal(t.snapshot(), before, 'a refused write changes nothing');
}

async function grpcRefused(t: HttpContext, type: string, body: object, conn: string, message: string): Promise<void> {
  const before = t.snapshot();
  assert.deepEqual(await grpc(t, type, body, conn), { ok: false, status: 429, message });
  assert.equal(t.snapshot(), before, 'a refused write changes nothing');
}

test('cap services-per-client: gRPC register into one more service is refused (typed 429); its own services still update', async () => {
  const t = createHttpContext({ properties: { [`${K}services-per-client`]: '2' } });
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('a', '127.0.0.1')), { ok: true });
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('b', '127.0.0.1')), { ok: true });
  await grpcRefused(t, 'InstanceRequest', register('c', '127.0.0.1'), 'conn-1', 'Exceeded the maximum number of services one client may register: 2 (nomen.naming.limit.services-per-client)');
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('a', '127.0.0.1', 9090)), { ok: true }, 're-register replaces');
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('c', '127.0.0.1'), 'conn-2'), { ok: true }, 'another client');
  // HTTP: the ip:port client 10.0.0.1:1 is one client too.
  assert.equal((await send(t, 'POST', `${V1}/instance`, { serviceName: 'a', ip: '10.0.0.1', port: 1 })).body, 'ok');
  assert.equal((await send(t, 'POST', `${V1}/instance`, { serviceName: 'b', ip: '10.0.0.1', port: 1 })).body, 'ok');
  await refused(t, () => send(t, 'POST', `${V1}/instance`, { serviceName: 'c', ip: '10.0.0.1', port: 1 }), 429, 'Exceeded the maximum number of services one client may register: 2 (nomen.naming.limit.services-per-client)');
});

test('cap instances-per-client: a batch over the cap is refused whole; within the cap it replaces', async () => {
  const t = createHttpContext({ properties: { [`${K}instances-per-client`]: '3' } });
  const batch = (n: number) => ({ namespace: 'public', serviceName: 'b', groupName: null, type: 'batchRegisterInstance', instances: Array.from({ length: n }, (_, i) => inst('127.0.0.1', 1000 + i)) });
  await grpcRefused(t, 'BatchInstanceRequest', batch(4), 'conn-1', 'Exceeded the maximum number of instances one client may register: 3 (nomen.naming.limit.instances-per-client)');
  assert.equal(t.registry.serviceCount(), 0);
  assert.deepEqual(await grpc(t, 'BatchInstanceRequest', batch(3)), { ok: true });
  assert.deepEqual(await grpc(t, 'BatchInstanceRequest', batch(2)), { ok: true }, 'shrinking is always allowed');
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('other', '127.0.0.1')), { ok: true }, '2 + 1 = 3');
  await grpcRefused(t, 'InstanceRequest', register('third', '127.0.0.1'), 'conn-1', 'Exceeded the maximum number of instances one client may register: 3 (nomen.naming.limit.instances-per-client)');
  assert.equal(t.registry.instanceCount(), 3);
});

test('cap instances-per-service: every family (gRPC, gRPC persistent, HTTP v1/v2/v3, beat re-create) is refused at the cap', async () => {
  const t = createHttpContext({ properties: { [`${K}instances-per-service`]: '2' } });
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('s', '127.0.0.1'), 'a'), { ok: true });
  assert.equal((await send(t, 'POST', `${V1}/instance`, { serviceName: 's', ip: '10.0.0.1', port: 1 })).body, 'ok');
  const msg = 'Exceeded the maximum number of instances in service DEFAULT_GROUP@@s: 2 (nomen.naming.limit.instances-per-service)';
  await grpcRefused(t, 'InstanceRequest', register('s', '127.0.0.2'), 'b', msg);
  await refused(t, () => send(t, 'POST', `${V1}/instance`, { serviceName: 's', ip: '10.0.0.2', port: 1 }), 429, msg);
  await refused(t, () => send(t, 'POST', `${V2}/instance`, { serviceName: 's', ip: '10.0.0.2', port: 1 }), 429, { code: 5031, message: 'cluster capacity reach quota', data: msg });
  await refused(t, () => send(t, 'POST', `${V3}/instance`, { serviceName: 's', ip: '10.0.0.2', port: 1 }), 429, { code: 5031, message: 'cluster capacity reach quota', data: msg });
  const beat = JSON.stringify({ serviceName: 'DEFAULT_GROUP@@s', ip: '10.0.0.3', port: 1, cluster: 'DEFAULT', weight: 1, metadata: {} });
  await refused(t, () => send(t, 'PUT', `${V1}/instance/beat`, { serviceName: 'DEFAULT_GROUP@@s', beat }), 429, msg);
  // A persistent service has the same cap (checked before the Raft write).
  assert.equal((await send(t, 'POST', `${V1}/instance`, { serviceName: 'p', ip: '10.0.0.1', port: 1, ephemeral: 'false' })).body, 'ok');
  assert.equal((await send(t, 'POST', `${V1}/instance`, { serviceName: 'p', ip: '10.0.0.2', port: 1, ephemeral: 'false' })).body, 'ok');
  const pmsg = 'Exceeded the maximum number of instances in service DEFAULT_GROUP@@p: 2 (nomen.naming.limit.instances-per-service)';
  await refused(t, () => send(t, 'POST', `${V1}/instance`, { serviceName: 'p', ip: '10.0.0.3', port: 1, ephemeral: 'false' }), 429, pmsg);
  await grpcRefused(t, 'PersistentInstanceRequest', { ...register('p', '10.0.0.4'), instance: { ...inst('10.0.0.4', 1), ephemeral: false } }, 'c', pmsg);
  // Re-registering an existing instance is not growth.
  assert.equal((await send(t, 'POST', `${V1}/instance`, { serviceName: 's', ip: '10.0.0.1', port: 1, weight: 2 })).body, 'ok');
});

test('cap instances (in all): HTTP and gRPC registers beyond it are refused', async () => {
  const t = createHttpContext({ properties: { [`${K}instances`]: '2' } });
  assert.equal((await send(t, 'POST', `${V1}/instance`, { serviceName: 'x', ip: '10.0.0.1', port: 1 })).body, 'ok');
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('y', '127.0.0.1')), { ok: true });
  const msg = 'Exceeded the maximum number of instances: 2 (nomen.naming.limit.instances)';
  await refused(t, () => send(t, 'POST', `${V1}/instance`, { serviceName: 'z', ip: '10.0.0.2', port: 1 }), 429, msg);
  await grpcRefused(t, 'InstanceRequest', register('x', '127.0.0.2'), 'conn-2', msg);
  // Freed capacity can be used again.
  assert.equal((await send(t, 'DELETE', `${V1}/instance`, { serviceName: 'x', ip: '10.0.0.1', port: 1 })).body, 'ok');
  assert.equal((await send(t, 'POST', `${V1}/instance`, { serviceName: 'z', ip: '10.0.0.2', port: 1 })).body, 'ok');
});

test('cap services (in all): registers and service creates (v1, v2, persistent, gRPC) beyond it are refused', async () => {
  const t = createHttpContext({ properties: { [`${K}services`]: '2' } });
  assert.equal((await send(t, 'POST', `${V1}/service`, { serviceName: 'one' })).body, 'ok');
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('two', '127.0.0.1')), { ok: true });
  const msg = 'Exceeded the maximum number of services: 2 (nomen.naming.limit.services)';
  await refused(t, () => send(t, 'POST', `${V1}/service`, { serviceName: 'three' }), 429, msg);
  await refused(t, () => send(t, 'POST', `${V2}/service`, { serviceName: 'three' }), 429, { code: 5031, message: 'cluster capacity reach quota', data: msg });
  await refused(t, () => send(t, 'POST', `${V1}/instance`, { serviceName: 'three', ip: '10.0.0.1', port: 1, ephemeral: 'false' }), 429, msg);
  await grpcRefused(t, 'InstanceRequest', register('three', '127.0.0.1'), 'conn-2', msg);
  // Existing services take instances as before.
  assert.equal((await send(t, 'POST', `${V1}/instance`, { serviceName: 'one', ip: '10.0.0.1', port: 1, ephemeral: 'false' })).body, 'ok');
});

test('cap services-per-namespace: code 5033 in that namespace, other namespaces unaffected', async () => {
  const t = createHttpContext({ properties: { [`${K}services-per-namespace`]: '1' } });
  assert.equal((await send(t, 'POST', `${V2}/instance`, { namespaceId: 'dev', serviceName: 'a', ip: '10.0.0.1', port: 1 })).body.includes('"ok"'), true);
  const msg = 'Exceeded the maximum number of services for this namespaceId: 1 (nomen.naming.limit.services-per-namespace)';
  await refused(t, () => send(t, 'POST', `${V2}/instance`, { namespaceId: 'dev', serviceName: 'b', ip: '10.0.0.1', port: 1 }), 429, { code: 5033, message: 'tenant capacity reach quota', data: msg });
  await grpcRefused(t, 'InstanceRequest', register('b', '127.0.0.1', 1, 'dev'), 'conn-1', msg);
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('b', '127.0.0.1', 1, 'qa')), { ok: true });
});

test('cap namespaces: a service in one more namespace, or one more catalog namespace, is refused', async () => {
  const t = createHttpContext({ properties: { [`${K}namespaces`]: '2' } });
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('a', '127.0.0.1', 1, 'dev')), { ok: true });
  assert.equal((await send(t, 'POST', '/nacos/v1/console/namespaces', { customNamespaceId: 'qa', namespaceName: 'QA' })).body, 'true');
  const msg = 'Exceeded the maximum number of namespaces: 2 (nomen.naming.limit.namespaces)';
  await grpcRefused(t, 'InstanceRequest', register('a', '127.0.0.1', 1, 'prod'), 'conn-1', msg);
  await refused(t, () => send(t, 'POST', '/nacos/v1/console/namespaces', { customNamespaceId: 'prod', namespaceName: 'Prod' }), 429, msg);
  await refused(t, () => send(t, 'POST', '/nacos/v1/console/namespaces', { namespaceName: 'generated id' }), 429, msg);
  // Known namespaces stay usable: the catalog's `qa` takes services, `dev` gets a catalog entry, public always works.
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('a', '127.0.0.1', 1, 'qa')), { ok: true });
  assert.equal((await send(t, 'POST', '/nacos/v1/console/namespaces', { customNamespaceId: 'dev', namespaceName: 'Dev' })).body, 'true');
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('a', '127.0.0.1', 1, 'public')), { ok: true });
});

test('cap subscriptions-per-client and subscriptions: gRPC subscribe refused (refresh allowed); an HTTP list still answers without a UDP subscription', async () => {
  const t = createHttpContext({ properties: { [`${K}subscriptions-per-client`]: '1', [`${K}subscriptions`]: '2' } });
  const sub = (svc: string) => ({ namespace: 'public', serviceName: svc, groupName: null, subscribe: true, clusters: '' });
  assert.deepEqual(await grpc(t, 'SubscribeServiceRequest', sub('a'), 'c1'), { ok: true });
  await grpcRefused(t, 'SubscribeServiceRequest', sub('b'), 'c1', 'Exceeded the maximum number of subscriptions of one client: 1 (nomen.naming.limit.subscriptions-per-client)');
  assert.deepEqual(await grpc(t, 'SubscribeServiceRequest', sub('a'), 'c1'), { ok: true }, 'a refresh is not a new subscription');
  assert.deepEqual(await grpc(t, 'SubscribeServiceRequest', sub('a'), 'c2'), { ok: true });
  await grpcRefused(t, 'SubscribeServiceRequest', sub('a'), 'c3', 'Exceeded the maximum number of subscriptions: 2 (nomen.naming.limit.subscriptions)');
  // Unsubscribing frees room.
  assert.deepEqual(await grpc(t, 'SubscribeServiceRequest', { ...sub('a'), subscribe: false }, 'c2'), { ok: true });
  assert.equal(t.subs.count(), 1);
  const list = await send(t, 'GET', `${V1}/instance/list`, { serviceName: 'a', udpPort: 4000, clientIP: '127.0.0.1' });
  assert.equal(list.statusCode, 200);
  assert.equal(t.subs.count(), 2, 'room for one: the UDP subscriber is added');
  const full = await send(t, 'GET', `${V1}/instance/list`, { serviceName: 'a', udpPort: 4001, clientIP: '127.0.0.1' });
  assert.equal(full.statusCode, 200, 'the list answers');
  assert.equal(t.subs.count(), 2, 'no subscription beyond the cap');
});

test('cap instances-per-service bounds operator overrides of addresses with no instance', async () => {
  const t = createHttpContext({ properties: { [`${K}instances-per-service`]: '1' } });
  assert.equal((await send(t, 'POST', `${V1}/instance`, { serviceName: 's', ip: '10.0.0.1', port: 1 })).body, 'ok');
  assert.equal((await send(t, 'PUT', `${V1}/instance`, { serviceName: 's', ip: '10.0.0.1', port: 1, weight: 2 })).body, 'ok', 'a real instance');
  await refused(
    t,
    () => send(t, 'PUT', `${V1}/instance`, { serviceName: 's', ip: '10.9.9.9', port: 1, weight: 2 }),
    429,
    'Exceeded the maximum number of instances in service DEFAULT_GROUP@@s: 1 (nomen.naming.limit.instances-per-service)',
  );
});

test('caps do not refuse replicated data: Distro replicas and committed persistent entries are applied as they are', async () => {
  const t = createHttpContext({ properties: { [`${K}services`]: '1', [`${K}instances-per-service`]: '1' } });
  assert.deepEqual(await grpc(t, 'InstanceRequest', register('s', '127.0.0.1')), { ok: true });
  // The responsible member already accepted these; refusing them here would make members disagree.
  const svc = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'r' };
  t.registry.applySyncData(
    { clientId: 'peer-conn', kind: 'connection', revision: 1, publishes: [{ service: svc, instances: [buildReplica('10.1.0.1'), buildReplica('10.1.0.2')] }] },
    t.clock.now(),
  );
  assert.equal(t.registry.serviceCount(), 2);
  assert.equal(t.registry.getService(svc)?.instanceCount, 2);
  await t.store.write([{ table: 'instance', key: 'public@@DEFAULT_GROUP@@q##10.2.0.1:1', value: buildReplica('10.2.0.1', false) }]);
  assert.equal(t.registry.serviceCount(), 3);
  assert.equal(t.naming.instanceCount(), 4);
});

function buildReplica(ip: string, ephemeral = true) {
  return { instanceId: `${ip}#1#DEFAULT#DEFAULT_GROUP@@r`, ip, port: 1, weight: 1, healthy: true, enabled: true, ephemeral, clusterName: 'DEFAULT', metadata: {} };
}
