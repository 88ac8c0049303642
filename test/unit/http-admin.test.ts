import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyStoredSwitches } from '../../src/transport/http/switches.js';
import { createHttpContext, json, NODE_SDK_HEADERS, query } from './helpers/http-context.js';

const V1 = '/nacos/v1/ns';
const V2 = '/nacos/v2/ns';

test('health probes: liveness OK; readiness follows ctx.readiness', async () => {
  const t = createHttpContext({ ready: false });
  const live = await query(t.app, 'GET', '/nacos/v1/console/health/liveness');
  assert.deepEqual([live.statusCode, live.body], [200, 'OK']);
  let ready = await query(t.app, 'GET', '/nacos/v1/console/health/readiness');
  assert.deepEqual([ready.statusCode, ready.body], [500, 'starting']);
  const v3NotReady = await query(t.app, 'GET', '/nacos/v3/admin/core/state/readiness');
  assert.equal(v3NotReady.statusCode, 200, 'the v3 server probe reports failure with HTTP 200');
  assert.deepEqual(json(v3NotReady), { code: 30000, message: 'starting', data: null });
  assert.equal((await query(t.app, 'GET', '/nacos/v2/console/health/readiness')).statusCode, 500);

  t.readiness.ready = true;
  t.readiness.reason = 'ready';
  ready = await query(t.app, 'GET', '/nacos/v1/console/health/readiness');
  assert.deepEqual([ready.statusCode, ready.body], [200, 'OK']);
  assert.deepEqual(json(await query(t.app, 'GET', '/nacos/v3/admin/core/state/readiness')), { code: 0, message: 'success', data: 'ok' });
  assert.deepEqual(json(await query(t.app, 'GET', '/nacos/v3/admin/core/state/liveness')), { code: 0, message: 'success', data: 'ok' });
  assert.deepEqual(json(await query(t.app, 'GET', '/nacos/v2/console/health/liveness')), { code: 0, message: 'success', data: 'ok' });
});

test('core: cluster nodes, self, simple nodes, v2 node list, state', async () => {
  const t = createHttpContext();
  const nodes = json<{ code: number; message: null; data: Array<Record<string, unknown>> }>(await query(t.app, 'GET', '/nacos/v1/core/cluster/nodes'));
  assert.equal(nodes.code, 200);
  assert.equal(nodes.message, null);
  assert.equal(nodes.data.length, 1);
  const m = nodes.data[0]!;
  assert.deepEqual([m['ip'], m['port'], m['state'], m['address']], ['127.0.0.1', 8848, 'UP', '127.0.0.1:8848']);
  assert.ok(typeof m['extendInfo'] === 'object' && m['abilities']);
  assert.deepEqual(json(await query(t.app, 'GET', '/nacos/v1/core/cluster/simple/nodes')), { code: 200, message: null, data: ['127.0.0.1:8848'] });
  assert.equal(json<{ data: { address: string } }>(await query(t.app, 'GET', '/nacos/v1/core/cluster/self')).data.address, '127.0.0.1:8848');
  assert.equal(json<{ data: unknown[] }>(await query(t.app, 'GET', '/nacos/v1/core/cluster/nodes', { keyword: '10.' })).data.length, 0);
  const v2 = json<{ code: number; data: unknown[] }>(await query(t.app, 'GET', '/nacos/v2/core/cluster/node/list'));
  assert.deepEqual([v2.code, v2.data.length], [0, 1]);
  const bad = await query(t.app, 'GET', '/nacos/v2/core/cluster/node/list', { state: 'SLEEPY' });
  assert.equal(bad.statusCode, 400);
  assert.deepEqual(json(bad), { code: 23000, message: 'illegal state', data: 'Illegal state: SLEEPY' });
  assert.equal(json<{ data: { state: string } }>(await query(t.app, 'GET', '/nacos/v2/core/cluster/node/self')).data.state, 'UP');
  const state = json<{ data: Record<string, string> }>(await query(t.app, 'GET', '/nacos/v3/admin/core/state'));
  assert.equal(state.data['version'], '0.1.0-test');
  assert.equal(state.data['server_port'], '8848');
});

test('v1 service CRUD, service list, names, subscribers and catalog', async () => {
  const t = createHttpContext();
  assert.equal((await query(t.app, 'POST', `${V1}/service`, { serviceName: 'cat', protectThreshold: 0.3, metadata: 'team=a', selector: '{"type":"label","expression":"CONSUMER.label.a=PROVIDER.label.a"}' })).body, 'ok');
  const dup = await query(t.app, 'POST', `${V1}/service`, { serviceName: 'cat' });
  assert.deepEqual([dup.statusCode, dup.body], [400, 'specified service DEFAULT_GROUP@@cat already exists!']);

  const detail = json<Record<string, unknown>>(await query(t.app, 'GET', `${V1}/service`, { serviceName: 'cat' }));
  assert.deepEqual(detail, {
    namespaceId: 'public',
    groupName: 'DEFAULT_GROUP',
    name: 'cat',
    protectThreshold: 0.3,
    metadata: { team: 'a' },
    selector: { type: 'label', contextType: 'CMDB', expression: 'CONSUMER.label.a=PROVIDER.label.a', labels: ['a'] },
    clusters: [],
  });
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'cat', ip: '10.0.0.1', port: 1, ephemeral: false });
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'dog', ip: '10.0.0.2', port: 1 });
  await query(t.app, 'GET', `${V1}/instance/list`, { serviceName: 'dog', udpPort: 4000, app: 'shop' }, NODE_SDK_HEADERS);

  assert.deepEqual(json(await query(t.app, 'GET', `${V1}/service/list`, { pageNo: 1, pageSize: 10 })), { count: 2, doms: ['cat', 'dog'] });
  assert.deepEqual(json(await query(t.app, 'GET', `${V1}/service/list`, { pageNo: 2, pageSize: 1 })), { count: 2, doms: ['dog'] });
  assert.deepEqual(json(await query(t.app, 'GET', `${V1}/service/names`, { expr: 'do' })), { 'META-INF/services': { public: ['DEFAULT_GROUP@@dog'] }, count: 1 });

  const subs = json<{ subscribers: Array<Record<string, unknown>>; count: number }>(await query(t.app, 'GET', `${V1}/service/subscribers`, { serviceName: 'dog' }));
  assert.equal(subs.count, 1);
  assert.deepEqual(subs.subscribers[0], {
    addrStr: '127.0.0.1:4000',
    agent: 'Nacos-Java-Client:v1.0.0',
    app: 'shop',
    ip: '127.0.0.1',
    port: 4000,
    namespaceId: 'public',
    serviceName: 'DEFAULT_GROUP@@dog',
    cluster: '',
  });

  const catSvc = json<{ service: Record<string, unknown>; clusters: Array<Record<string, unknown>> }>(await query(t.app, 'GET', `${V1}/catalog/service`, { serviceName: 'cat' }));
  assert.equal(catSvc.service['protectThreshold'], 0.3);
  assert.deepEqual(catSvc.clusters.map((c) => [c['name'], c['defaultPort'], c['defaultCheckPort']]), [['DEFAULT', 80, 80]]);
  const missing = await query(t.app, 'GET', `${V1}/catalog/service`, { serviceName: 'nope' });
  assert.deepEqual([missing.statusCode, missing.body], [404, 'service DEFAULT_GROUP@@nope is not found!']);

  const inst = json<{ list: Array<{ ip: string }>; count: number }>(
    await query(t.app, 'GET', `${V1}/catalog/instances`, { serviceName: 'dog', clusterName: 'DEFAULT', pageNo: 1, pageSize: 10 }),
  );
  assert.deepEqual([inst.count, inst.list[0]!.ip], [1, '10.0.0.2']);
  const noCluster = await query(t.app, 'GET', `${V1}/catalog/instances`, { serviceName: 'dog', clusterName: 'X', pageNo: 1, pageSize: 10 });
  assert.deepEqual([noCluster.statusCode, noCluster.body], [404, 'cluster X is not found!']);

  const services = json<{ count: number; serviceList: Array<Record<string, unknown>> }>(await query(t.app, 'GET', `${V1}/catalog/services`, { pageNo: 1, pageSize: 10, serviceNameParam: 'a' }));
  assert.deepEqual(services, {
    count: 1,
    serviceList: [{ name: 'cat', groupName: 'DEFAULT_GROUP', clusterCount: 1, ipCount: 1, healthyInstanceCount: 1, triggerFlag: 'false' }],
  });
  const withInstances = json<Array<Record<string, unknown>>>(await query(t.app, 'GET', `${V1}/catalog/services`, { withInstances: true, pageNo: 1, pageSize: 10 }));
  assert.equal(withInstances.length, 2);

  const notEmpty = await query(t.app, 'DELETE', `${V1}/service`, { serviceName: 'cat' });
  assert.deepEqual([notEmpty.statusCode, notEmpty.body], [400, "Service DEFAULT_GROUP@@cat is not empty, can't be delete. Please unregister instance first"]);
  await query(t.app, 'DELETE', `${V1}/instance`, { serviceName: 'cat', ip: '10.0.0.1', port: 1, ephemeral: false });
  assert.equal((await query(t.app, 'DELETE', `${V1}/service`, { serviceName: 'cat' })).body, 'ok');
  const gone = await query(t.app, 'GET', `${V1}/service`, { serviceName: 'cat' });
  assert.deepEqual([gone.statusCode, gone.body], [400, 'service not found, namespace: public, serviceName: DEFAULT_GROUP@@cat']);
  assert.deepEqual(json(await query(t.app, 'GET', `${V1}/service/selector/types`)), { code: 200, message: null, data: ['none', 'label'] });
});

test('v2 services: create, detail, list, update, delete', async () => {
  const t = createHttpContext();
  assert.deepEqual(json(await query(t.app, 'POST', `${V2}/service`, { serviceName: 's2', groupName: 'G', protectThreshold: 0.5, ephemeral: true })), {
    code: 0,
    message: 'success',
    data: 'ok',
  });
  await query(t.app, 'POST', `${V2}/instance`, { serviceName: 's2', groupName: 'G', ip: '10.0.0.1', port: 1 });
  const d = json<{ data: Record<string, unknown> }>(await query(t.app, 'GET', `${V2}/service`, { serviceName: 's2', groupName: 'G' })).data;
  assert.deepEqual([d['namespace'], d['serviceName'], d['groupName'], d['protectThreshold'], d['ephemeral']], ['public', 's2', 'G', 0.5, true]);
  assert.deepEqual(Object.keys(d['clusterMap'] as object), ['DEFAULT']);
  assert.deepEqual(json(await query(t.app, 'GET', `${V2}/service/list`, { groupName: 'G' })), { code: 0, message: 'success', data: { count: 1, services: ['s2'] } });
  await query(t.app, 'PUT', `${V2}/service`, { serviceName: 's2', groupName: 'G', protectThreshold: 0.9 });
  assert.equal(json<{ data: { protectThreshold: number } }>(await query(t.app, 'GET', `${V2}/service`, { serviceName: 's2', groupName: 'G' })).data.protectThreshold, 0.9);
  const cat = json<{ data: { count: number; instances?: unknown[] } }>(await query(t.app, 'GET', `${V2}/catalog/instances`, { serviceName: 'G@@s2', pageNo: 1, pageSize: 10 }));
  assert.equal(cat.data.count, 1);
  const emptyPage = json<{ data: Record<string, unknown> }>(await query(t.app, 'GET', `${V2}/catalog/instances`, { serviceName: 'G@@s2', pageNo: 5, pageSize: 10 }));
  assert.deepEqual(emptyPage.data, { count: 1 }, '`instances` omitted for an empty page');
  const notEmpty = await query(t.app, 'DELETE', `${V2}/service`, { serviceName: 's2', groupName: 'G' });
  assert.equal(json<{ code: number }>(notEmpty).code, 21009);
});

test('v2 clients: list, detail, publications, subscribers', async () => {
  const t = createHttpContext();
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'c', ip: '10.0.0.1', port: 1 });
  await query(t.app, 'GET', `${V1}/instance/list`, { serviceName: 'c', udpPort: 4000 }, NODE_SDK_HEADERS);
  assert.deepEqual(json<{ data: string[] }>(await query(t.app, 'GET', `${V2}/client/list`)).data, ['10.0.0.1:1#true', '127.0.0.1:4000#true']);
  const c = json<{ data: Record<string, unknown> }>(await query(t.app, 'GET', `${V2}/client`, { clientId: '10.0.0.1:1#true' })).data;
  assert.deepEqual([c['clientType'], c['ephemeral'], c['clientIp'], c['clientPort']], ['ipPort', true, '10.0.0.1', '1']);
  const unknown = await query(t.app, 'GET', `${V2}/client`, { clientId: 'nope' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(json<{ code: number }>(unknown).code, 20004);
  const pub = json<{ data: unknown[] }>(await query(t.app, 'GET', `${V2}/client/publish/list`, { clientId: '10.0.0.1:1#true' })).data;
  assert.deepEqual(pub, [{ namespace: 'public', group: 'DEFAULT_GROUP', serviceName: 'c', registeredInstance: { ip: '10.0.0.1', port: 1, cluster: 'DEFAULT' } }]);
  const publishers = json<{ data: unknown[] }>(await query(t.app, 'GET', `${V2}/client/service/publisher/list`, { serviceName: 'c' })).data;
  assert.deepEqual(publishers, [{ ip: '10.0.0.1', port: 1, cluster: 'DEFAULT', clientId: '10.0.0.1:1#true' }]);
  const subscribers = json<{ data: unknown[] }>(await query(t.app, 'GET', `${V2}/client/service/subscriber/list`, { serviceName: 'c' })).data;
  assert.deepEqual(subscribers, [{ clientId: '127.0.0.1:4000#true', ip: '127.0.0.1', port: 4000 }]);
  const subList = json<{ data: unknown[] }>(await query(t.app, 'GET', `${V2}/client/subscribe/list`, { clientId: '127.0.0.1:4000#true' })).data;
  assert.equal(subList.length, 1);
});

test('switches: a change applied by the store (made through another member, or re-applied from the Raft log) reaches the live settings (issue 11 defect 6)', async () => {
  const t = createHttpContext();
  // What every other member sees of a PUT made on one member: the replicated store applying the write.
  await t.store.write([{ table: 'switch', key: 'clientBeatInterval', value: 7000 }]);
  await t.store.write([{ table: 'switch', key: 'lightBeatEnabled', value: false }]);
  const sw = json<Record<string, unknown>>(await query(t.app, 'GET', `${V1}/operator/switches`));
  assert.deepEqual([sw['clientBeatInterval'], sw['lightBeatEnabled']], [7000, false]);
  assert.equal(t.naming.settings.clientBeatInterval, 7000);
});

test('switches: junk rows named after Object.prototype members (written by older versions) replay harmlessly', async () => {
  const t = createHttpContext();
  // What `PUT ...switches?entry=constructor|toString|__proto__` used to leave in the log.
  await t.store.write([
    { table: 'switch', key: 'constructor', value: 1 },
    { table: 'switch', key: '__proto__', value: true },
    { table: 'switch', key: 'toString', value: '[object Undefined]' },
    { table: 'switch', key: 'clientBeatInterval', value: 3000 },
  ]);
  const before = { ...t.naming.settings };
  applyStoredSwitches(t.ctx);
  assert.deepEqual(t.naming.settings, { ...before, clientBeatInterval: 3000 }, 'only the known entry is applied');
  assert.equal(Object.getPrototypeOf(t.naming.settings), Object.prototype);
  const sw = await query(t.app, 'GET', `${V1}/operator/switches`);
  assert.equal(sw.statusCode, 200);
  assert.equal(json<Record<string, unknown>>(sw)['clientBeatInterval'], 3000);
});

test('operator: metrics, switches (GET/PUT, persisted, also under /ops), push state, distro, health/server, checkers', async () => {
  const t = createHttpContext();
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'o', ip: '10.0.0.1', port: 1 });
  const full = json<Record<string, unknown>>(await query(t.app, 'GET', `${V1}/operator/metrics`, { onlyStatus: false }));
  assert.deepEqual([full['status'], full['serviceCount'], full['instanceCount'], full['ephemeralIpPortClientCount']], ['UP', 1, 1, 1]);
  assert.equal(typeof full['cpu'], 'number');
  assert.deepEqual(json(await query(t.app, 'GET', `${V2}/operator/metrics`)), { code: 0, message: 'success', data: { status: 'UP' } });

  const sw = json<Record<string, unknown>>(await query(t.app, 'GET', `${V1}/operator/switches`));
  assert.equal(sw['name'], '00-00---000-NACOS_SWITCH_DOMAIN-000---00-00');
  assert.deepEqual([sw['clientBeatInterval'], sw['defaultPushCacheMillis'], sw['lightBeatEnabled'], sw['defaultInstanceEphemeral']], [5000, 10000, true, true]);
  assert.equal((await query(t.app, 'PUT', `${V1}/ops/switches`, { entry: 'clientBeatInterval', value: 2000 })).body, 'ok');
  assert.equal(json<Record<string, unknown>>(await query(t.app, 'GET', `${V1}/ops/switches`))['clientBeatInterval'], 2000);
  assert.equal(json<{ clientBeatInterval: number }>(await query(t.app, 'PUT', `${V1}/instance/beat`, { serviceName: 'o', ip: '10.0.0.1', port: 1 })).clientBeatInterval, 2000);
  assert.deepEqual(
    [...t.store.entries()].filter((e) => e.table === 'switch').map((e) => [e.key, e.value]),
    [['clientBeatInterval', 2000]],
  );
  // Every SwitchDomain entry Nacos lets operators write is validated like Nacos, recorded and reported.
  assert.equal((await query(t.app, 'PUT', `${V1}/operator/switches`, { entry: 'pushEnabled', value: 'false' })).body, 'ok');
  assert.equal((await query(t.app, 'PUT', `${V1}/operator/switches`, { entry: 'pushVersion', value: 'go:1.2.3' })).body, 'ok');
  assert.equal((await query(t.app, 'PUT', `${V1}/operator/switches`, { entry: 'limitedUrlMap', value: '/a:302,/b:500' })).body, 'ok');
  const recorded = json<Record<string, unknown>>(await query(t.app, 'GET', `${V1}/operator/switches`));
  assert.deepEqual([recorded['pushEnabled'], recorded['pushVersionOfGo'], recorded['limitedUrlMap']], [false, '1.2.3', { '/a': 302, '/b': 500 }]);
  const bad = await query(t.app, 'PUT', `${V1}/operator/switches`, { entry: 'pushCacheMillis', value: '500' });
  assert.deepEqual([bad.statusCode, bad.body], [400, 'min cache time for http or tcp is too small(<10000)']);
  const unknown = await query(t.app, 'PUT', `${V1}/operator/switches`, { entry: 'noSuchSwitch', value: '1' });
  assert.deepEqual([unknown.statusCode, unknown.body], [400, 'update entry not found: noSuchSwitch']);

  // healthCheckEnabled turns the server-side checks and heartbeat expiry off and on.
  assert.equal(sw['healthCheckEnabled'], true);
  assert.equal(sw['checkTimes'], 3);
  assert.equal((await query(t.app, 'PUT', `${V1}/operator/switches`, { entry: 'healthCheckEnabled', value: 'false' })).body, 'ok');
  assert.equal(t.naming.settings.healthCheckEnabled, false);
  assert.equal(json<Record<string, unknown>>(await query(t.app, 'GET', `${V1}/operator/switches`))['healthCheckEnabled'], false);

  // Stored switches are re-applied at start.
  t.naming.settings.clientBeatInterval = 5000;
  t.naming.settings.healthCheckEnabled = true;
  applyStoredSwitches(t.ctx);
  assert.equal(t.naming.settings.clientBeatInterval, 2000);
  assert.equal(t.naming.settings.healthCheckEnabled, false);

  assert.deepEqual(json(await query(t.app, 'GET', `${V1}/operator/push/state`, { detail: true })), {
    succeed: 0,
    total: 0,
    ratio: 0,
    reset: false,
    detail: { avgPushCost: 0, maxPushCost: 0 },
  });
  assert.deepEqual(json(await query(t.app, 'GET', `${V1}/operator/distro/client`, { ip: '10.0.0.1', port: 1 })), { responsibleServer: '127.0.0.1:8848' });
  assert.deepEqual(json(await query(t.app, 'GET', `${V1}/health/server`)), { msg: 'Hello! I am Nacos-Naming and healthy! total services: 1, local port:8848' });
  const checkers = json<Record<string, { type: string }>>(await query(t.app, 'GET', `${V1}/health/checkers`));
  assert.deepEqual(Object.keys(checkers), ['TCP', 'HTTP', 'MYSQL', 'NONE']);
});

test('console namespaces: public first, create, exists, show, update, delete', async () => {
  const t = createHttpContext();
  const url = '/nacos/v1/console/namespaces';
  assert.deepEqual(json(await query(t.app, 'GET', url)), {
    code: 200,
    message: null,
    data: [{ namespace: 'public', namespaceShowName: 'public', namespaceDesc: 'Default Namespace', quota: 200, configCount: 0, type: 0 }],
  });
  assert.equal((await query(t.app, 'POST', url, { customNamespaceId: 'dev', namespaceName: 'Development', namespaceDesc: 'd' })).body, 'true');
  assert.equal((await query(t.app, 'POST', url, { customNamespaceId: 'dev', namespaceName: 'Again' })).body, 'false', 'taken id');
  // Nacos' console checker runs before the controller: a bad id or name is a 400 with its message.
  const badId = await query(t.app, 'POST', url, { customNamespaceId: 'bad id', namespaceName: 'x' });
  assert.deepEqual([badId.statusCode, badId.body], [400, "Param 'namespaceId/tenant' is illegal, illegal characters should not appear in the param."]);
  const badName = await query(t.app, 'POST', url, { customNamespaceId: 'ok2', namespaceName: 'a@b' });
  assert.deepEqual([badName.statusCode, badName.body], [400, "Param 'namespaceShowName' is illegal, illegal characters should not appear in the param."]);
  assert.equal((await query(t.app, 'POST', url, { namespaceName: 'Generated' })).body, 'true', 'blank id gets a UUID');
  const listed = json<{ data: Array<{ namespace: string; type: number }> }>(await query(t.app, 'GET', url)).data;
  assert.equal(listed.length, 3);
  assert.deepEqual(listed[0], { namespace: 'public', namespaceShowName: 'public', namespaceDesc: 'Default Namespace', quota: 200, configCount: 0, type: 0 });
  assert.ok(listed.some((n) => n.namespace === 'dev' && n.type === 2));
  assert.equal((await query(t.app, 'GET', url, { checkNamespaceIdExist: true, customNamespaceId: 'dev' })).body, 'true');
  assert.equal((await query(t.app, 'GET', url, { checkNamespaceIdExist: true, customNamespaceId: 'nope' })).body, 'false');
  assert.equal(json<{ namespaceShowName: string }>(await query(t.app, 'GET', url, { show: 'all', namespaceId: 'dev' })).namespaceShowName, 'Development');
  assert.equal((await query(t.app, 'PUT', url, { namespace: 'dev', namespaceShowName: 'Dev', namespaceDesc: 'x' })).body, 'true');
  assert.equal(json<{ data: { namespaceShowName: string } }>(await query(t.app, 'GET', '/nacos/v3/admin/core/namespace', { namespaceId: 'dev' })).data.namespaceShowName, 'Dev');
  assert.equal((await query(t.app, 'DELETE', url, { namespaceId: 'public' })).body, 'false', 'public cannot be deleted');
  assert.equal((await query(t.app, 'DELETE', url, { namespaceId: 'dev' })).body, 'true');
  assert.equal(json<{ data: unknown[] }>(await query(t.app, 'GET', '/nacos/v3/admin/core/namespace/list')).data.length, 2);
  const missing = await query(t.app, 'POST', url, { customNamespaceId: 'x' });
  assert.deepEqual([missing.statusCode, missing.body], [400, "Param 'namespaceName' is required."]);
});
