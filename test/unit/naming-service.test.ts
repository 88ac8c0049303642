import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flush, namingFixture } from './helpers/naming-fixture.js';

const svc = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

test('lastRefTime follows the monotonic clock: a wall-clock step (either way) neither jumps it nor stalls it', () => {
  const f = namingFixture();
  f.naming.registerConnectionInstance('conn1', svc, { ip: '127.0.0.1', port: 8080, clusterName: null, metadata: {} });
  const ref = (): number => (JSON.parse(f.naming.query(svc, '', false, 'bare').json) as { lastRefTime: number }).lastRefTime;
  const a = ref();
  f.clock.jumpWall(300_000);
  f.clock.advance(1000);
  const b = ref();
  // A future lastRefTime would make SDKs drop the pushes of every other member as out of date.
  assert.ok(b > a && b - a < 2000, `after +300 s on the wall clock: ${a} -> ${b}`);
  f.clock.jumpWall(-600_000);
  f.clock.advance(1000);
  const c = ref();
  assert.ok(c > b && c - b < 2000, `after -600 s on the wall clock: ${b} -> ${c}`);
});

test('ServiceInfo JSON: gRPC bare name, HTTP grouped name, required fields, increasing lastRefTime', () => {
  const f = namingFixture();
  f.naming.registerConnectionInstance('conn1', svc, { ip: '127.0.0.1', port: 8080, clusterName: null, metadata: { k: 'v' } });
  const a = JSON.parse(f.naming.query(svc, '', false, 'bare').json) as Record<string, unknown>;
  const b = JSON.parse(f.naming.query(svc, '', false, 'grouped').json) as Record<string, unknown>;
  assert.equal(a.name, 'orders');
  assert.equal(b.name, 'DEFAULT_GROUP@@orders');
  for (const k of ['groupName', 'clusters', 'cacheMillis', 'lastRefTime', 'checksum', 'reachProtectionThreshold', 'allIPs', 'hosts']) {
    assert.ok(k in a, `missing ${k}`);
  }
  assert.ok((b.lastRefTime as number) > (a.lastRefTime as number));
  const host = (a.hosts as Record<string, unknown>[])[0]!;
  assert.equal(host.instanceId, '127.0.0.1#8080#DEFAULT#DEFAULT_GROUP@@orders');
  assert.equal(host.serviceName, 'DEFAULT_GROUP@@orders');
  assert.deepEqual(host.metadata, { k: 'v' });
  // Unknown service: not an error, empty hosts.
  const u = JSON.parse(f.naming.query({ ...svc, name: 'nope' }, '', false, 'bare').json) as { hosts: unknown[] };
  assert.deepEqual(u.hosts, []);
});

test('pushes are delayed and merged per service, and go to the subscriber with its clusters', async () => {
  const f = namingFixture({ pushDelayMs: 500 });
  f.naming.subscribe('conn-sub', svc, '', { kind: 'grpc', connectionId: 'conn-sub' }, { app: 'a', agent: 'x', address: '127.0.0.1:1' });
  f.naming.subscribe('127.0.0.1:5000#true', svc, 'DEFAULT', { kind: 'udp', ip: '127.0.0.1', port: 5000 }, { app: '', agent: '', address: '' });
  f.clock.advance(500); // the subscribe-time pushes
  await flush();
  assert.equal(f.grpc.pushes.length, 1);
  assert.equal(f.udp.pushes.length, 1);
  f.naming.registerConnectionInstance('c1', svc, { ip: '127.0.0.1', port: 1 });
  f.naming.registerConnectionInstance('c2', svc, { ip: '127.0.0.2', port: 1 });
  f.clock.advance(499);
  await flush();
  assert.equal(f.grpc.pushes.length, 1, 'nothing before the window ends');
  f.clock.advance(1);
  await flush();
  assert.equal(f.grpc.pushes.length, 2, 'two changes merged into one push');
  const g = JSON.parse(f.grpc.pushes[1]!.info.json) as { hosts: unknown[]; name: string };
  assert.equal(g.hosts.length, 2);
  assert.equal(g.name, 'orders');
  const u = JSON.parse(f.udp.pushes[1]!.info.json) as { clusters: string; name: string };
  assert.equal(u.clusters, 'DEFAULT');
  assert.equal(u.name, 'DEFAULT_GROUP@@orders');
});

test('a failed push is retried with the latest state, up to maxRetries', async () => {
  const f = namingFixture({ pushDelayMs: 100 });
  f.naming.subscribe('s', svc, '', { kind: 'grpc', connectionId: 's' }, { app: '', agent: '', address: '' });
  f.clock.advance(100);
  await flush();
  f.grpc.fail = true;
  f.naming.registerConnectionInstance('c1', svc, { ip: '127.0.0.1', port: 1 });
  f.clock.advance(100);
  await flush();
  f.naming.registerConnectionInstance('c2', svc, { ip: '127.0.0.2', port: 1 });
  f.clock.advance(1000);
  await flush();
  f.clock.advance(1000);
  await flush();
  f.clock.advance(5000);
  await flush();
  const last = JSON.parse(f.grpc.pushes.at(-1)!.info.json) as { hosts: unknown[] };
  assert.equal(last.hosts.length, 2, 'retry carries the newest state');
  assert.ok(f.push.stats.retried >= 2);
  assert.equal(f.push.stats.succeeded, 1, 'the subscription push was acked');
  assert.equal(f.push.stats.failed, f.push.stats.retried + 2, 'each round: first try + retries, the last one given up');
});

test('connection close removes its instances and subscriptions and pushes the removal', async () => {
  const f = namingFixture({ pushDelayMs: 10 });
  f.naming.registerConnectionInstance('c1', svc, { ip: '127.0.0.1', port: 1 });
  f.naming.registerConnectionInstance('c2', svc, { ip: '127.0.0.2', port: 1 });
  f.naming.subscribe('c2', svc, '', { kind: 'grpc', connectionId: 'c2' }, { app: '', agent: '', address: '' });
  f.clock.advance(10);
  await flush();
  f.naming.connectionClosed('c1');
  f.clock.advance(10);
  await flush();
  const last = JSON.parse(f.grpc.pushes.at(-1)!.info.json) as { hosts: { ip: string }[] };
  assert.deepEqual(last.hosts.map((h) => h.ip), ['127.0.0.2']);
  f.naming.connectionClosed('c2');
  assert.equal(f.subs.count(), 0);
});

test('batch register replaces the set; deregister removes whatever the connection published', () => {
  const f = namingFixture();
  f.naming.batchRegisterConnectionInstances('c1', svc, [{ ip: '127.0.0.1', port: 1 }, { ip: '127.0.0.2', port: 2 }]);
  assert.equal(f.naming.view.select({ service: svc, clusters: '', healthyOnly: false }).hosts.length, 2);
  f.naming.batchRegisterConnectionInstances('c1', svc, [{ ip: '127.0.0.3', port: 3 }]);
  assert.deepEqual(f.naming.view.select({ service: svc, clusters: '', healthyOnly: false }).hosts.map((h) => h.ip), ['127.0.0.3']);
  f.naming.deregisterConnectionInstance('c1', svc);
  assert.equal(f.naming.view.select({ service: svc, clusters: '', healthyOnly: false }).hosts.length, 0);
});

test('deregister naming one instance of a batch keeps the rest; an address outside it removes the batch (docs/naming-batch.md)', () => {
  const f = namingFixture();
  const hosts = () => f.naming.view.select({ service: svc, clusters: '', healthyOnly: false }).hosts.map((h) => `${h.ip}:${h.port}`);
  f.naming.batchRegisterConnectionInstances('c1', svc, [
    { ip: '127.0.0.1', port: 1 },
    { ip: '127.0.0.2', port: 2, clusterName: 'C1' },
    { ip: '127.0.0.3', port: 3 },
  ]);
  f.naming.deregisterConnectionInstance('c1', svc, { ip: ' 127.0.0.2', port: 2 });
  assert.deepEqual(hosts(), ['127.0.0.1:1', '127.0.0.3:3']);
  // Same ip, other port: not that instance.
  f.naming.deregisterConnectionInstance('c1', svc, { ip: '127.0.0.1', port: 9 });
  assert.deepEqual(hosts(), []);
  f.naming.batchRegisterConnectionInstances('c1', svc, [{ ip: '127.0.0.1', port: 1 }, { ip: '127.0.0.2', port: 2 }]);
  f.naming.deregisterConnectionInstance('c1', svc, { ip: '127.0.0.1', port: 1 });
  f.naming.deregisterConnectionInstance('c1', svc, { ip: '127.0.0.2', port: 2 });
  assert.deepEqual(hosts(), []);
  assert.equal(f.registry.getClient('c1')?.publishes.size, 0);
  // A single registration is removed whatever address the deregister names, as in Nacos.
  f.naming.registerConnectionInstance('c1', svc, { ip: '127.0.0.5', port: 5 });
  f.naming.deregisterConnectionInstance('c1', svc, { ip: '127.0.0.6', port: 6 });
  assert.deepEqual(hosts(), []);
});

test('bad instances are rejected without any change', () => {
  const f = namingFixture();
  assert.throws(() => f.naming.registerConnectionInstance('c1', svc, { ip: '127.0.0.1', port: 70000 }), /between 0 and 65535/);
  assert.throws(() => f.naming.registerConnectionInstance('c1', svc, { ip: '127.0.0.1', port: 1, weight: 20000 }), /weights/);
  assert.throws(() => f.naming.registerConnectionInstance('c1', svc, { ip: '', port: 1 }), /'ip' is required/);
  assert.equal(f.registry.serviceCount(), 0);
  assert.equal(f.registry.clientCount(), 0);
});

test('heartbeat clients: beat refreshes, unhealthy after 15 s, removed after 30 s, per-instance overrides', async () => {
  const f = namingFixture();
  f.expiry.start();
  await f.naming.registerIpPortInstance(svc, { ip: '127.0.0.1', port: 1 }, true);
  await f.naming.registerIpPortInstance(svc, { ip: '127.0.0.2', port: 2, metadata: { 'preserved.heart.beat.timeout': '6000', 'preserved.ip.delete.timeout': '14000', 'preserved.heart.beat.interval': '1000' } }, true);
  const healthy = () => Object.fromEntries(f.view.select({ service: svc, clusters: '', healthyOnly: false }).hosts.map((h) => [h.ip, h.healthy]));
  f.clock.advance(10_000);
  assert.deepEqual(healthy(), { '127.0.0.1': true, '127.0.0.2': false });
  const r = f.naming.beat(svc, { ip: '127.0.0.1', port: 1 }, true);
  assert.deepEqual(r, { clientBeatInterval: 5000, code: 10200, lightBeatEnabled: true });
  assert.equal(f.naming.beat(svc, { ip: '127.0.0.2', port: 2 }, true).clientBeatInterval, 1000);
  assert.deepEqual(healthy(), { '127.0.0.1': true, '127.0.0.2': true }, 'a beat heals');
  f.clock.advance(20_000);
  assert.deepEqual(healthy(), { '127.0.0.1': false }, 'unhealthy after 15 s; the override instance removed after 14 s');
  f.clock.advance(15_000);
  assert.deepEqual(healthy(), {}, 'removed after 30 s');
  f.expiry.stop();
});

test('beat for an unknown instance: re-registered from the beat body, or 20404 without one', () => {
  const f = namingFixture();
  assert.equal(f.naming.beat(svc, { ip: '127.0.0.1', port: 1 }, false).code, 20404);
  assert.equal(f.registry.serviceCount(), 0);
  const r = f.naming.beat(svc, { ip: '127.0.0.1', port: 1, cluster: 'C1', weight: 2, metadata: { a: 'b' } }, true);
  assert.equal(r.code, 10200);
  const h = f.view.select({ service: svc, clusters: '', healthyOnly: false }).hosts[0]!;
  assert.equal(h.clusterName, 'C1');
  assert.equal(h.weight, 2);
});

test('persistent instances and metadata go through the store; overrides apply at read time', async () => {
  const f = namingFixture();
  await f.naming.registerPersistentInstance(svc, { ip: '127.0.0.1', port: 1 });
  assert.equal(f.registry.getService(svc)!.ephemeral, false);
  assert.throws(() => f.naming.registerConnectionInstance('c1', svc, { ip: '127.0.0.2', port: 1 }), /persistent service/);
  await f.naming.putInstanceOverride(svc, '127.0.0.1', 1, 'DEFAULT', { weight: 5, enabled: true, metadata: { x: 'y' } });
  const h = f.view.select({ service: svc, clusters: '', healthyOnly: false }).hosts[0]!;
  assert.equal(h.weight, 5);
  assert.deepEqual(h.metadata, { x: 'y' });
  await f.naming.updateService(svc, { protectThreshold: 0.5 });
  assert.equal(f.metadata.getService(svc)!.protectThreshold, 0.5);
  await assert.rejects(f.naming.deleteService(svc), /is not empty/);
  await f.naming.deregisterPersistentInstance(svc, '127.0.0.1', 1);
  await f.naming.deleteService(svc);
  assert.equal(f.registry.getService(svc), undefined);
  assert.equal([...f.store.entries()].length, 0);
});

test('empty services are cleaned after the expiry unless they have metadata or subscribers', () => {
  const f = namingFixture();
  f.naming.registerConnectionInstance('c1', svc, { ip: '127.0.0.1', port: 1 });
  f.naming.connectionClosed('c1');
  f.clock.advance(59_000);
  f.expiry.runOnce();
  assert.ok(f.registry.getService(svc));
  f.clock.advance(2_000);
  f.expiry.runOnce();
  assert.equal(f.registry.getService(svc), undefined);
});

test('a service deleted through another member leaves this member\'s registry too (replicated delete)', async () => {
  const f = namingFixture();
  const key = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'gone' };
  await f.naming.createService(key, { protectThreshold: 0.5 });
  assert.ok(f.registry.getService(key), 'created');
  // What this member applies when another member took `DELETE /v1/ns/service`: only the store write.
  await f.store.write([{ table: 'service', key: 'public@@DEFAULT_GROUP@@gone', value: null }]);
  assert.equal(f.registry.getService(key), undefined, 'removed by the apply, not only by the member that took the request');
  assert.equal(f.naming.catalog.hasService(key), false);
});

test('service and cluster updates from a copy that lags the log do not put back older fields (chaos seed 739030245)', async () => {
  const f = namingFixture();
  await f.naming.registerPersistentInstance(svc, { ip: '127.0.0.1', port: 1 });
  await f.naming.updateService(svc, { metadata: { v: 'old' } });
  const stale = structuredClone(f.metadata.getService(svc)!);
  // Another member's acknowledged write; this member's copy has not applied it yet.
  await f.naming.updateService(svc, { metadata: { v: 'new' }, protectThreshold: 0.3 });
  f.metadata.setService(svc, stale);
  await f.naming.updateCluster(svc, 'ck', { healthChecker: { type: 'NONE' }, checkPort: 81, useInstancePort4Check: false, metadata: { c: '1' } });
  const stored = [...f.store.entries()].find((e) => e.table === 'service')!.value as { metadata: Record<string, string>; protectThreshold: number; clusters: Record<string, { checkPort: number }> };
  assert.deepEqual(stored.metadata, { v: 'new' });
  assert.equal(stored.protectThreshold, 0.3);
  assert.equal(stored.clusters['ck']!.checkPort, 81);
  // A service update from the stale copy writes only the fields it was given.
  f.metadata.setService(svc, stale);
  await f.naming.updateService(svc, { protectThreshold: 0.7 });
  const after = [...f.store.entries()].find((e) => e.table === 'service')!.value as { metadata: Record<string, string>; protectThreshold: number; clusters: Record<string, unknown> };
  assert.deepEqual(after.metadata, { v: 'new' });
  assert.equal(after.protectThreshold, 0.7);
  assert.ok(after.clusters['ck']);
});

test('two clusters of one service updated through two members whose copies lag the log both survive', async () => {
  const f = namingFixture();
  await f.naming.registerPersistentInstance(svc, { ip: '127.0.0.1', port: 1 });
  await f.naming.updateCluster(svc, 'keep', { healthChecker: { type: 'TCP' }, checkPort: 1, useInstancePort4Check: true, metadata: {} });
  // Both members hold this copy (cluster `keep` only) when the two updates are made.
  const stale = structuredClone(f.metadata.getService(svc)!);
  const cluster = (port: number) => ({ healthChecker: { type: 'NONE' as const }, checkPort: port, useInstancePort4Check: false, metadata: { p: String(port) } });
  // Member A updates cluster `a` and is acknowledged; member B has not applied that write yet.
  await f.naming.updateCluster(svc, 'a', cluster(81));
  f.metadata.setService(svc, stale);
  await f.naming.updateCluster(svc, 'b', cluster(82));
  // And once more the other way round: A, still without B's write, updates `a` again.
  f.metadata.setService(svc, stale);
  await f.naming.updateCluster(svc, 'a', cluster(83));
  const stored = [...f.store.entries()].find((e) => e.table === 'service')!.value as { clusters: Record<string, { checkPort: number }> };
  assert.deepEqual(Object.keys(stored.clusters).sort(), ['a', 'b', 'keep']);
  assert.equal(stored.clusters['a']!.checkPort, 83);
  assert.equal(stored.clusters['b']!.checkPort, 82);
  assert.equal(stored.clusters['keep']!.checkPort, 1);
  // Every member's applied view is the stored record (listeners get the merged value).
  assert.deepEqual(Object.keys(f.metadata.getService(svc)!.clusters).sort(), ['a', 'b', 'keep']);
});

test('creating a service that another member created meanwhile answers "already exists", never overwrites it', async () => {
  const f = namingFixture();
  await f.naming.createService(svc, { metadata: { v: 'first' } });
  // This member's copy has not applied that creation yet.
  f.metadata.setService(svc, null);
  f.registry.removeService(svc);
  await assert.rejects(f.naming.createService(svc, { metadata: { v: 'second' } }), /already exists/);
  const stored = [...f.store.entries()].find((e) => e.table === 'service')!.value as { metadata: Record<string, string> };
  assert.deepEqual(stored.metadata, { v: 'first' });
});
