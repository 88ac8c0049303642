import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Instance } from '../../src/core/instance.js';
import { Registry } from '../../src/core/registry.js';
import { selectInstances } from '../../src/core/selection.js';
import { defaultServiceMetadata } from '../../src/core/metadata.js';

const svc = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'a' };
const inst = (ip: string, port = 80, extra: Partial<Instance> = {}): Instance => ({
  instanceId: `${ip}#${port}`, ip, port, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: 'DEFAULT', metadata: {}, ...extra,
});

test('one publish record per client per service: a second register replaces', () => {
  const r = new Registry();
  r.publish('c1', 'connection', svc, [inst('127.0.0.1')], 1);
  r.publish('c1', 'connection', svc, [inst('127.0.0.2')], 2);
  const s = r.getService(svc)!;
  assert.deepEqual(r.instancesOf(s).map((i) => i.ip), ['127.0.0.2']);
  assert.equal(r.getClient('c1')!.revision, 2);
});

test('revisions bump and listeners fire on every change; removeClient drops everything', () => {
  const r = new Registry();
  const seen: number[] = [];
  r.onServiceChanged((s) => seen.push(s.revision));
  r.publish('c1', 'connection', svc, [inst('127.0.0.1')], 1);
  r.publish('c2', 'connection', svc, [inst('127.0.0.2')], 1);
  r.removeClient('c1', 2);
  assert.deepEqual(seen, [2, 3, 4]);
  assert.deepEqual(r.instancesOf(r.getService(svc)!).map((i) => i.ip), ['127.0.0.2']);
  assert.equal(r.getClient('c1'), undefined);
});

test('a service is ephemeral or persistent for life; a rejected publish changes nothing', () => {
  const r = new Registry();
  r.publish('127.0.0.1:80#false', 'persistent-ipport', svc, [inst('127.0.0.1', 80, { ephemeral: false })], 1);
  const before = r.getService(svc)!.revision;
  assert.throws(() => r.publish('c1', 'connection', svc, [inst('127.0.0.3')], 2), /is persistent service, can't register ephemeral instance/);
  assert.equal(r.getService(svc)!.revision, before);
  assert.equal(r.getClient('c1'), undefined);
});

test('applySyncData replaces records and removes services missing from the data', () => {
  const r = new Registry();
  const other = { ...svc, name: 'b' };
  r.publish('c1', 'connection', svc, [inst('127.0.0.1')], 1);
  r.publish('c1', 'connection', other, [inst('127.0.0.1')], 1);
  r.applySyncData({ clientId: 'c1', kind: 'connection', revision: 9, publishes: [{ service: other, instances: [inst('127.0.0.9')] }] }, 2);
  assert.equal(r.instancesOf(r.getService(svc)!).length, 0);
  assert.deepEqual(r.instancesOf(r.getService(other)!).map((i) => i.ip), ['127.0.0.9']);
  assert.equal(r.getClient('c1')!.revision, 9);
});

test('selection: clusters, enabled, healthyOnly and protect threshold', () => {
  const all = [inst('127.0.0.1', 1, { clusterName: 'A' }), inst('127.0.0.2', 1, { healthy: false }), inst('127.0.0.3', 1, { enabled: false })];
  assert.deepEqual(selectInstances(all, undefined, { clusters: ['A'], healthyOnly: false, enabledOnly: true }).hosts.map((i) => i.ip), ['127.0.0.1']);
  assert.deepEqual(selectInstances(all, undefined, { clusters: [], healthyOnly: true, enabledOnly: true }).hosts.map((i) => i.ip), ['127.0.0.1']);
  // No metadata record: no protection even with all unhealthy.
  const sick = [inst('127.0.0.2', 1, { healthy: false })];
  assert.equal(selectInstances(sick, undefined, { clusters: [], healthyOnly: false, enabledOnly: true }).reachProtectionThreshold, false);
  // With metadata and threshold 0: 0 healthy of 1 -> 0 <= 0 -> protected, returned healthy.
  const meta = defaultServiceMetadata(true);
  const p = selectInstances(sick, meta, { clusters: [], healthyOnly: false, enabledOnly: true });
  assert.equal(p.reachProtectionThreshold, true);
  assert.equal(p.hosts[0]!.healthy, true);
  assert.equal(sick[0]!.healthy, false, 'original untouched');
  // threshold 0.6: 1 healthy of 2 = 0.5 <= 0.6 -> protected.
  const two = [inst('127.0.0.1'), inst('127.0.0.2', 1, { healthy: false })];
  assert.equal(selectInstances(two, { ...meta, protectThreshold: 0.6 }, { clusters: [], healthyOnly: false, enabledOnly: true }).reachProtectionThreshold, true);
  assert.equal(selectInstances(two, { ...meta, protectThreshold: 0.4 }, { clusters: [], healthyOnly: false, enabledOnly: true }).reachProtectionThreshold, false);
});

test('counters for the caps: instances in all and per service, services per namespace follow every change', () => {
  const r = new Registry();
  const a = { namespace: 'dev', group: 'G', name: 'a' };
  const b = { namespace: 'dev', group: 'G', name: 'b' };
  const mk = (ip: string) => ({ instanceId: ip, ip, port: 1, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: 'DEFAULT', metadata: {} });
  r.publish('c1', 'connection', a, [mk('1.0.0.1'), mk('1.0.0.2')], 0);
  r.publish('c2', 'connection', a, [mk('1.0.0.3')], 0);
  r.publish('c2', 'connection', b, [mk('1.0.0.3')], 0);
  assert.deepEqual([r.instanceCount(), r.getService(a)?.instanceCount, r.serviceCountIn('dev')], [4, 3, 2]);
  r.publish('c1', 'connection', a, [mk('1.0.0.1')], 0);
  assert.deepEqual([r.instanceCount(), r.getService(a)?.instanceCount], [3, 2]);
  r.unpublish('c2', a, 0);
  r.applySyncData({ clientId: 'c3', kind: 'connection', revision: 5, publishes: [{ service: b, instances: [mk('1.0.0.4'), mk('1.0.0.5')] }] }, 0);
  assert.deepEqual([r.instanceCount(), r.getService(a)?.instanceCount, r.getService(b)?.instanceCount], [4, 1, 3]);
  r.applySyncData({ clientId: 'c3', kind: 'connection', revision: 6, publishes: [] }, 0);
  r.removeClient('c2', 0);
  assert.deepEqual([r.instanceCount(), r.getService(b)?.instanceCount], [1, 0]);
  assert.ok(r.removeService(b));
  assert.equal(r.serviceCountIn('dev'), 1);
  r.removeClient('c1', 0);
  assert.ok(r.removeService(a));
  assert.deepEqual([r.instanceCount(), r.serviceCountIn('dev'), [...r.namespaces()]], [0, 0, []]);
});
