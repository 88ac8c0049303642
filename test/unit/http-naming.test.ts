import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ManualClock } from '../../src/core/clock.js';
import { createHttpContext, type HttpContext, form, json, NODE_SDK_HEADERS, query, type ServiceInfoJson } from './helpers/http-context.js';

const V1 = '/nacos/v1/ns';
const V2 = '/nacos/v2/ns';

async function list(t: HttpContext, serviceName: string, extra: Record<string, string> = {}): Promise<ServiceInfoJson> {
  const r = await query(t.app, 'GET', `${V1}/instance/list`, { serviceName, ...extra });
  assert.equal(r.statusCode, 200, r.body);
  return json<ServiceInfoJson>(r);
}

test('v1 register / list / deregister round trip: plain name in the query string', async () => {
  const t = createHttpContext();
  const r = await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'orders', ip: '10.0.0.1', port: 8080 });
  assert.equal(r.statusCode, 200);
  assert.equal(r.body, 'ok');
  assert.match(String(r.headers['content-type']), /^text\/plain/);

  const info = await list(t, 'orders');
  assert.equal(info.name, 'DEFAULT_GROUP@@orders', 'v1 answers the grouped name');
  assert.equal(info.groupName, 'DEFAULT_GROUP');
  assert.equal(info.cacheMillis, 10000);
  assert.equal(info.hosts.length, 1);
  const h = info.hosts[0]!;
  assert.deepEqual([h.ip, h.port, h.weight, h.healthy, h.enabled, h.ephemeral, h.clusterName], ['10.0.0.1', 8080, 1, true, true, true, 'DEFAULT']);
  assert.equal(h.instanceId, '10.0.0.1#8080#DEFAULT#DEFAULT_GROUP@@orders');

  // The grouped form of the same name reaches the same service.
  assert.equal((await list(t, 'DEFAULT_GROUP@@orders')).hosts.length, 1);

  const d = await query(t.app, 'DELETE', `${V1}/instance`, { serviceName: 'orders', ip: '10.0.0.1', port: 8080 });
  assert.equal(d.statusCode, 200);
  assert.equal(d.body, 'ok');
  assert.equal((await list(t, 'orders')).hosts.length, 0);
  // Deregistering something unknown is still ok.
  assert.equal((await query(t.app, 'DELETE', `${V1}/instance`, { serviceName: 'orders', ip: '10.0.0.9', port: 1 })).body, 'ok');
});

test('v1 register / list / deregister round trip: grouped name in a form body (DELETE too)', async () => {
  const t = createHttpContext();
  const base = { serviceName: 'G1@@pay', ip: '10.0.0.2', port: 9000, cluster: 'c1', enable: 'false', weight: '2.5', namespaceId: 'dev' };
  const r = await form(t.app, 'POST', `${V1}/instance`, base);
  assert.equal(r.statusCode, 200, r.body);
  const svc = t.registry.getService({ namespace: 'dev', group: 'G1', name: 'pay' });
  assert.ok(svc);
  const inst = t.registry.instancesOf(svc)[0]!;
  assert.equal(inst.clusterName, 'c1', '`cluster` is an alias of clusterName');
  assert.equal(inst.enabled, false, '`enable` is an alias of enabled');
  assert.equal(inst.weight, 2.5);

  // Disabled instances are not listed.
  assert.equal((await list(t, 'G1@@pay', { namespaceId: 'dev' })).hosts.length, 0);

  const d = await form(t.app, 'DELETE', `${V1}/instance`, { serviceName: 'pay', groupName: 'G1', ip: '10.0.0.2', port: 9000, namespaceId: 'dev' });
  assert.equal(d.statusCode, 200, d.body);
  assert.equal(t.registry.instancesOf(svc).length, 0);
});

test('v1 register accepts metadata as k=v pairs and as JSON', async () => {
  const t = createHttpContext();
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'm', ip: '10.0.0.1', port: 1, metadata: 'zone=a,version=2' });
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'm', ip: '10.0.0.2', port: 1, metadata: '{"zone":"b","n":3}' });
  const hosts = (await list(t, 'm')).hosts.sort((a, b) => a.ip.localeCompare(b.ip));
  assert.deepEqual(hosts[0]!.metadata, { zone: 'a', version: '2' });
  assert.deepEqual(hosts[1]!.metadata, { zone: 'b', n: '3' });
});

test('the Node SDK traffic (docs/protocol/http.md §7 probe): register, list with UDP subscription, beat, metrics, deregister', async () => {
  const t = createHttpContext();
  const svc = 'DEFAULT_GROUP@@probe.svc';
  const reg = await t.app.inject({
    method: 'POST',
    url: `${V1}/instance?namespaceId=public&serviceName=DEFAULT_GROUP%40%40probe.svc&groupName=DEFAULT_GROUP&clusterName=DEFAULT&ip=127.0.0.1&port=8080&weight=1&enable=true&healthy=true&ephemeral=true&metadata=%7B%22k%22%3A%22v%22%7D`,
    headers: { ...NODE_SDK_HEADERS, 'content-length': '0' },
  });
  assert.equal(reg.body, 'ok');

  const l1 = await query(t.app, 'GET', `${V1}/instance/list`, { namespaceId: 'public', serviceName: svc, clusters: '', udpPort: 42969, clientIP: '192.0.2.2', healthyOnly: false }, NODE_SDK_HEADERS);
  assert.equal(json<ServiceInfoJson>(l1).clusters, '');
  // Subscribed from the request's source address (nomen.naming.push.udp.target=source).
  const sid = 'public@@DEFAULT_GROUP@@probe.svc';
  const sub = t.subs.get('127.0.0.1:42969#true', sid);
  assert.ok(sub);
  assert.deepEqual(sub.target, { kind: 'udp', ip: '127.0.0.1', port: 42969 });
  assert.equal(sub.agent, 'Nacos-Java-Client:v1.0.0');
  assert.equal(sub.clusters, '');

  // The subscribe() key polls with clusters=DEFAULT: one subscription per (client, service), latest wins.
  const l2 = await query(t.app, 'GET', `${V1}/instance/list`, { namespaceId: 'public', serviceName: svc, clusters: 'DEFAULT', udpPort: 42969, clientIP: '192.0.2.2', healthyOnly: false }, NODE_SDK_HEADERS);
  assert.equal(json<ServiceInfoJson>(l2).clusters, 'DEFAULT');
  assert.equal(t.subs.countOf(sid), 1);
  assert.equal(t.subs.get('127.0.0.1:42969#true', sid)?.clusters, 'DEFAULT');

  const beat = await t.app.inject({
    method: 'PUT',
    url: `${V1}/instance/beat?beat=%7B%22serviceName%22%3A%22DEFAULT_GROUP%40%40probe.svc%22%2C%22ip%22%3A%22127.0.0.1%22%2C%22port%22%3A8080%2C%22cluster%22%3A%22DEFAULT%22%2C%22weight%22%3A1%2C%22metadata%22%3A%7B%22k%22%3A%22v%22%7D%2C%22scheduled%22%3Atrue%7D&namespaceId=public&serviceName=DEFAULT_GROUP%40%40probe.svc`,
    headers: { ...NODE_SDK_HEADERS, 'content-length': '0' },
  });
  assert.equal(beat.body, '{"clientBeatInterval":5000,"code":10200,"lightBeatEnabled":true}');

  const m = await query(t.app, 'GET', `${V1}/operator/metrics`, { namespaceId: 'public' }, NODE_SDK_HEADERS);
  assert.equal(m.body, '{"status":"UP"}');

  // udpPort=0 (the subscribe=false variants) does not subscribe.
  await query(t.app, 'GET', `${V1}/instance/list`, { serviceName: 'other', udpPort: 0 }, NODE_SDK_HEADERS);
  assert.equal(t.subs.countOf('public@@DEFAULT_GROUP@@other'), 0);

  const del = await query(t.app, 'DELETE', `${V1}/instance`, { namespaceId: 'public', serviceName: svc, clusterName: 'DEFAULT', ip: '127.0.0.1', port: 8080, ephemeral: true }, NODE_SDK_HEADERS);
  assert.equal(del.body, 'ok');
  assert.deepEqual(json<ServiceInfoJson>(await query(t.app, 'GET', `${V1}/instance/list`, { serviceName: svc })).hosts, []);
});

test('v1 list: UDP subscription only for recognised SDK agents; clientIP target when configured', async () => {
  const t = createHttpContext();
  await query(t.app, 'GET', `${V1}/instance/list`, { serviceName: 's', udpPort: 5000, clientIP: '192.0.2.2' }, { 'user-agent': 'curl/8.0' });
  assert.equal(t.subs.count(), 0);
  await query(t.app, 'GET', `${V1}/instance/list`, { serviceName: 's', udpPort: 5000 }, { 'user-agent': 'Nacos-Java-Client:v0.0.1' });
  assert.equal(t.subs.count(), 0, 'below the push threshold');

  const c = createHttpContext({ properties: { 'nomen.naming.push.udp.target': 'client-ip' } });
  await query(c.app, 'GET', `${V1}/instance/list`, { serviceName: 's', udpPort: 5000, clientIP: '192.0.2.2' }, NODE_SDK_HEADERS);
  assert.ok(c.subs.get('192.0.2.2:5000#true', 'public@@DEFAULT_GROUP@@s'));
});

test('v1 list refreshes the UDP subscription on every call', async () => {
  const t = createHttpContext();
  const clock = t.clock as ManualClock;
  const params = { serviceName: 's', udpPort: 5000 };
  await query(t.app, 'GET', `${V1}/instance/list`, params, NODE_SDK_HEADERS);
  const first = t.subs.get('127.0.0.1:5000#true', 'public@@DEFAULT_GROUP@@s')!.lastSeen;
  clock.advance(20_000);
  await query(t.app, 'GET', `${V1}/instance/list`, params, NODE_SDK_HEADERS);
  assert.equal(t.subs.get('127.0.0.1:5000#true', 'public@@DEFAULT_GROUP@@s')!.lastSeen, first + 20_000);
  clock.advance(20_000);
  t.expiry.runOnce();
  assert.ok(t.subs.get('127.0.0.1:5000#true', 'public@@DEFAULT_GROUP@@s'), 'refreshed 20 s ago: still there');
  clock.advance(15_000);
  t.expiry.runOnce();
  assert.equal(t.subs.count(), 0, 'not refreshed for 35 s: dropped');
});

test('v1 beat: auto-registers from the beat JSON; a light beat for an unknown instance answers 20404', async () => {
  const t = createHttpContext();
  const beat = JSON.stringify({ serviceName: 'DEFAULT_GROUP@@b', ip: '10.0.0.5', port: 7000, cluster: '', weight: 3, metadata: { k: 'v' }, scheduled: true });
  const r = await query(t.app, 'PUT', `${V1}/instance/beat`, { serviceName: 'DEFAULT_GROUP@@b', beat, clusterName: 'c9' });
  assert.equal(r.body, '{"clientBeatInterval":5000,"code":10200,"lightBeatEnabled":true}');
  const h = (await list(t, 'b')).hosts[0]!;
  assert.deepEqual([h.ip, h.port, h.weight, h.clusterName, h.metadata], ['10.0.0.5', 7000, 3, 'c9', { k: 'v' }], 'empty beat cluster takes clusterName');

  const before = t.snapshot();
  const light = await query(t.app, 'PUT', `${V1}/instance/beat`, { serviceName: 'b', ip: '10.0.0.6', port: 7000 });
  assert.equal(light.statusCode, 200);
  assert.equal(light.body, '{"clientBeatInterval":5000,"code":20404,"lightBeatEnabled":true}');
  assert.equal(t.snapshot(), before, 'a light beat registers nothing');

  const known = await query(t.app, 'PUT', `${V1}/instance/beat`, { serviceName: 'b', ip: '10.0.0.5', port: 7000 });
  assert.equal(json<{ code: number }>(known).code, 10200);
});

test('heartbeat expiry: unhealthy after 15 s, healed by a beat, removed after 30 s', async () => {
  const t = createHttpContext();
  const clock = t.clock as ManualClock;
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'hb', ip: '10.0.0.1', port: 1 });
  clock.advance(14_000);
  t.expiry.runOnce();
  assert.equal((await list(t, 'hb')).hosts[0]!.healthy, true, '14 s: still healthy');
  clock.advance(2_000);
  t.expiry.runOnce();
  assert.equal((await list(t, 'hb')).hosts[0]!.healthy, false, '16 s: unhealthy');

  await query(t.app, 'PUT', `${V1}/instance/beat`, { serviceName: 'hb', ip: '10.0.0.1', port: 1 });
  assert.equal((await list(t, 'hb')).hosts[0]!.healthy, true, 'a beat heals it');

  clock.advance(29_000);
  t.expiry.runOnce();
  assert.equal((await list(t, 'hb')).hosts.length, 1, '29 s after the beat: still there (unhealthy)');
  clock.advance(2_000);
  t.expiry.runOnce();
  assert.equal((await list(t, 'hb')).hosts.length, 0, '31 s after the beat: removed');
});

test('heartbeat expiry: preserved.* metadata overrides the timeouts and the beat interval', async () => {
  const t = createHttpContext();
  const clock = t.clock as ManualClock;
  const metadata = JSON.stringify({
    'preserved.heart.beat.interval': '1000',
    'preserved.heart.beat.timeout': '3000',
    'preserved.ip.delete.timeout': '6000',
  });
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'fast', ip: '10.0.0.1', port: 1, metadata });
  const beat = await query(t.app, 'PUT', `${V1}/instance/beat`, { serviceName: 'fast', ip: '10.0.0.1', port: 1 });
  assert.equal(json<{ clientBeatInterval: number }>(beat).clientBeatInterval, 1000);
  const h = (await list(t, 'fast')).hosts[0] as unknown as Record<string, unknown>;
  assert.equal(h['instanceHeartBeatInterval'], 1000);
  assert.equal(h['instanceHeartBeatTimeOut'], 3000);
  assert.equal(h['ipDeleteTimeout'], 6000);

  clock.advance(4_000);
  t.expiry.runOnce();
  assert.equal((await list(t, 'fast')).hosts[0]!.healthy, false, 'unhealthy after 3 s');
  clock.advance(3_000);
  t.expiry.runOnce();
  assert.equal((await list(t, 'fast')).hosts.length, 0, 'removed after 6 s');
});

test('protect threshold: only with service metadata; all instances returned healthy when healthy/total <= threshold', async () => {
  const t = createHttpContext();
  const clock = t.clock as ManualClock;
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'pt', ip: '10.0.0.1', port: 1 });
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'pt', ip: '10.0.0.2', port: 1 });
  clock.advance(16_000);
  await query(t.app, 'PUT', `${V1}/instance/beat`, { serviceName: 'pt', ip: '10.0.0.1', port: 1 });
  t.expiry.runOnce();

  let info = await list(t, 'pt');
  assert.equal(info.reachProtectionThreshold, false, 'no service metadata: no protection');
  assert.deepEqual(info.hosts.map((h) => h.healthy).sort(), [false, true]);

  const put = await query(t.app, 'PUT', `${V1}/service`, { serviceName: 'pt', protectThreshold: 0.6 });
  assert.equal(put.body, 'ok');
  info = await list(t, 'pt');
  assert.equal(info.reachProtectionThreshold, true, '1/2 <= 0.6');
  assert.deepEqual(info.hosts.map((h) => h.healthy), [true, true]);

  const healthyOnly = await list(t, 'pt', { healthyOnly: 'true' });
  assert.equal(healthyOnly.hosts.length, 1, 'healthyOnly filters first: 1/1 > 0.6');
  assert.equal(healthyOnly.reachProtectionThreshold, false);

  await query(t.app, 'PUT', `${V1}/service`, { serviceName: 'pt', protectThreshold: 0.4 });
  info = await list(t, 'pt');
  assert.equal(info.reachProtectionThreshold, false, '1/2 > 0.4');
});

test('persistent instances: service, cluster with NONE checker, manual health, protect threshold at 0', async () => {
  const t = createHttpContext();
  assert.equal((await query(t.app, 'POST', `${V1}/service`, { serviceName: 'db', protectThreshold: 0 })).body, 'ok');
  for (const ip of ['10.0.1.1', '10.0.1.2']) {
    const r = await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'db', ip, port: 3306, ephemeral: false });
    assert.equal(r.statusCode, 200, r.body);
  }
  const unchecked = await query(t.app, 'PUT', `${V1}/health/instance`, { serviceName: 'db', ip: '10.0.1.1', port: 3306, healthy: false });
  assert.equal(unchecked.statusCode, 400);
  assert.equal(unchecked.body, 'health check is still working, service: DEFAULT_GROUP@@db, cluster: DEFAULT');

  const cl = await query(t.app, 'PUT', `${V1}/cluster`, {
    serviceName: 'db',
    clusterName: 'DEFAULT',
    checkPort: 80,
    useInstancePort4Check: true,
    healthChecker: '{"type":"NONE"}',
  });
  assert.equal(cl.body, 'ok', cl.body);
  for (const ip of ['10.0.1.1', '10.0.1.2']) {
    const r = await query(t.app, 'PUT', `${V1}/health`, { serviceName: 'db', ip, port: 3306, valid: 'false' });
    assert.equal(r.body, 'ok', r.body);
  }
  const info = await list(t, 'db');
  assert.equal(info.reachProtectionThreshold, true, '0 healthy of 2 <= 0');
  assert.deepEqual(info.hosts.map((h) => [h.healthy, h.ephemeral]), [
    [true, false],
    [true, false],
  ]);
  assert.deepEqual(json<{ ips: string[] }>(await query(t.app, 'GET', `${V1}/instance/statuses`, { key: 'public##DEFAULT_GROUP@@db' })).ips.sort(), [
    '10.0.1.1:3306_false',
    '10.0.1.2:3306_false',
  ]);
  // Persistent instances survive a "restart": they are in the store.
  assert.equal([...t.store.entries()].filter((e) => e.table === 'instance').length, 2);
  const d = await query(t.app, 'DELETE', `${V1}/instance`, { serviceName: 'db', ip: '10.0.1.1', port: 3306, ephemeral: false });
  assert.equal(d.body, 'ok');
  assert.equal([...t.store.entries()].filter((e) => e.table === 'instance').length, 1);
});

test('v1 update, patch and detail', async () => {
  const t = createHttpContext();
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'u', ip: '10.0.0.1', port: 80, metadata: 'a=1' });
  const detail0 = await query(t.app, 'GET', `${V1}/instance`, { serviceName: 'u', ip: '10.0.0.1', port: 80 });
  assert.deepEqual(json(detail0), {
    service: 'DEFAULT_GROUP@@u',
    ip: '10.0.0.1',
    port: 80,
    clusterName: 'DEFAULT',
    weight: 1,
    healthy: true,
    instanceId: '10.0.0.1#80#DEFAULT#DEFAULT_GROUP@@u',
    metadata: { a: '1' },
  });
  assert.equal((await query(t.app, 'PUT', `${V1}/instance`, { serviceName: 'u', ip: '10.0.0.1', port: 80, weight: 5, metadata: 'b=2' })).body, 'ok');
  let d = json<{ weight: number; metadata: Record<string, string> }>(await query(t.app, 'GET', `${V1}/instance`, { serviceName: 'u', ip: '10.0.0.1', port: 80 }));
  assert.equal(d.weight, 5);
  assert.deepEqual(d.metadata, { a: '1', b: '2' }, 'the override layer adds keys');

  assert.equal((await query(t.app, 'PATCH', `${V1}/instance`, { serviceName: 'u', ip: '10.0.0.1', port: 80, weight: 7 })).body, 'ok');
  d = json(await query(t.app, 'GET', `${V1}/instance`, { serviceName: 'u', ip: '10.0.0.1', port: 80 }));
  assert.equal(d.weight, 7);
  assert.deepEqual(d.metadata, { a: '1', b: '2' }, 'patch keeps unsupplied fields');

  const nf = await query(t.app, 'GET', `${V1}/instance`, { serviceName: 'u', ip: '10.0.0.9', port: 80 });
  assert.equal(nf.statusCode, 404);
  assert.equal(nf.body, 'no matched ip found!');
  const empty = await query(t.app, 'GET', `${V1}/instance`, { serviceName: 'none', ip: '10.0.0.9', port: 80 });
  assert.equal(empty.statusCode, 404);
  assert.equal(empty.body, 'no ips found for cluster DEFAULT in service DEFAULT_GROUP@@none');
  const patchMissing = await query(t.app, 'PATCH', `${V1}/instance`, { serviceName: 'u', ip: '10.0.0.9', port: 80, weight: 1 });
  assert.equal(patchMissing.statusCode, 404);
});

test('v1 instance metadata batch: put merges keys, delete removes them', async () => {
  const t = createHttpContext();
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'mb', ip: '10.0.0.1', port: 80 });
  await query(t.app, 'POST', `${V1}/instance`, { serviceName: 'mb', ip: '10.0.0.2', port: 80 });
  const put = await query(t.app, 'PUT', `${V1}/instance/metadata/batch`, { serviceName: 'mb', metadata: 'x=1,y=2' });
  assert.deepEqual(json<{ updated: string[] }>(put).updated.sort(), ['10.0.0.1:80:unknown:DEFAULT:ephemeral', '10.0.0.2:80:unknown:DEFAULT:ephemeral']);
  const del = await query(t.app, 'DELETE', `${V1}/instance/metadata/batch`, {
    serviceName: 'mb',
    metadata: 'x=',
    instances: '[{"ip":"10.0.0.1","port":80,"clusterName":"DEFAULT"}]',
  });
  assert.equal(del.statusCode, 400, 'x= is malformed k=v');
  const del2 = await query(t.app, 'DELETE', `${V1}/instance/metadata/batch`, {
    serviceName: 'mb',
    metadata: '{"x":""}',
    instances: '[{"ip":"10.0.0.1","port":80}]',
  });
  assert.deepEqual(json(del2), { updated: ['10.0.0.1:80:unknown:DEFAULT:ephemeral'] });
  const hosts = (await list(t, 'mb')).hosts.sort((a, b) => a.ip.localeCompare(b.ip));
  assert.deepEqual(hosts[0]!.metadata, { y: '2' });
  assert.deepEqual(hosts[1]!.metadata, { x: '1', y: '2' });
});

test('v2: Result wrapper, grouped exceptions unwrapped, v2 error codes', async () => {
  const t = createHttpContext();
  const reg = await form(t.app, 'POST', `${V2}/instance`, { serviceName: 'v2s', groupName: 'G', ip: '10.0.0.1', port: 80, metadata: 'k=v' });
  assert.equal(reg.statusCode, 200);
  assert.deepEqual(json(reg), { code: 0, message: 'success', data: 'ok' });

  const l = json<{ code: number; message: string; data: ServiceInfoJson }>(await query(t.app, 'GET', `${V2}/instance/list`, { serviceName: 'v2s', groupName: 'G' }));
  assert.equal(l.code, 0);
  assert.equal(l.data.name, 'G@@v2s');
  assert.equal(l.data.hosts.length, 1);

  const d = json<{ data: Record<string, unknown> }>(await query(t.app, 'GET', `${V2}/instance`, { serviceName: 'v2s', groupName: 'G', ip: '10.0.0.1', port: 80 }));
  assert.equal(d.data['serviceName'], 'G@@v2s');
  assert.deepEqual(d.data['metadata'], { k: 'v' });

  const patch = await query(t.app, 'PATCH', `${V2}/instance`, { serviceName: 'G@@v2s', ip: '10.0.0.1', port: 80, weight: 3 });
  assert.equal(patch.body, 'ok', 'PATCH answers a plain ok');

  const beat = await query(t.app, 'PUT', `${V2}/instance/beat`, { serviceName: 'G@@v2s', ip: '10.0.0.1', port: 80 });
  assert.equal(beat.body, '{"clientBeatInterval":5000,"code":10200,"lightBeatEnabled":true}', 'beat is unwrapped');

  const st = await t.app.inject({ method: 'GET', url: `${V2}/instance/statuses/G%40%40v2s` });
  assert.deepEqual(json(st), { ips: ['10.0.0.1:80_true'] }, 'statuses is unwrapped');

  const missing = await form(t.app, 'POST', `${V2}/instance`, { serviceName: 'v2s', port: 80 });
  assert.equal(missing.statusCode, 400);
  assert.deepEqual(json(missing), { code: 10000, message: 'parameter missing', data: "Required parameter 'ip' type String is not present" });

  const missingPort = await query(t.app, 'POST', `${V2}/instance`, { serviceName: 'v2s', ip: '10.0.0.1' });
  assert.deepEqual(json(missingPort), { code: 10000, message: 'parameter missing', data: "Required parameter 'port' type Integer is not present" });

  const weight = await query(t.app, 'POST', `${V2}/instance`, { serviceName: 'v2s', ip: '10.0.0.1', port: 80, weight: 10001 });
  assert.equal(weight.statusCode, 400);
  assert.deepEqual(json(weight), { code: 21001, message: 'weight error', data: 'instance format invalid: The weights range from 0.0 to 10000.0' });

  const unknown = await query(t.app, 'GET', `${V2}/instance`, { serviceName: 'v2s', groupName: 'G', ip: '10.9.9.9', port: 80 });
  assert.equal(unknown.statusCode, 404);
  assert.deepEqual(json(unknown), { code: 20004, message: 'resource not found', data: 'no matched ip found!' });

  const del = await query(t.app, 'DELETE', `${V2}/instance`, { serviceName: 'v2s', groupName: 'G', ip: '10.0.0.1', port: 80 });
  assert.deepEqual(json(del), { code: 0, message: 'success', data: 'ok' });
});

test('v3 client API: register, heartbeat, plain instance list, deregister', async () => {
  const t = createHttpContext();
  const V3 = '/nacos/v3/client/ns';
  const unknownBeat = await query(t.app, 'POST', `${V3}/instance`, { serviceName: 'v3', ip: '10.0.0.1', port: 80, heartBeat: true });
  assert.equal(unknownBeat.statusCode, 200);
  assert.deepEqual(json(unknownBeat), { code: 21003, message: 'instance not found', data: null });

  assert.deepEqual(json(await query(t.app, 'POST', `${V3}/instance`, { serviceName: 'v3', ip: '10.0.0.1', port: 80 })), { code: 0, message: 'success', data: 'ok' });
  assert.deepEqual(json(await query(t.app, 'POST', `${V3}/instance`, { serviceName: 'v3', ip: '10.0.0.1', port: 80, heartBeat: true })), {
    code: 0,
    message: 'success',
    data: 'ok',
  });
  await query(t.app, 'POST', `${V3}/instance`, { serviceName: 'v3', ip: '10.0.0.2', port: 80, clusterName: 'other' });
  const l = json<{ data: Array<{ ip: string }> }>(await query(t.app, 'GET', `${V3}/instance/list`, { serviceName: 'v3' }));
  assert.deepEqual(l.data.map((i) => i.ip), ['10.0.0.1'], 'clusterName defaults to DEFAULT');
  assert.deepEqual(json(await query(t.app, 'DELETE', `${V3}/instance`, { serviceName: 'v3', ip: '10.0.0.1', port: 80 })), { code: 0, message: 'success', data: 'ok' });
  assert.equal(t.subs.count(), 0, 'the v3 list never subscribes');
});
