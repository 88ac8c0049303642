import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import type { Instance } from '../../src/core/instance.js';
import { Registry } from '../../src/core/registry.js';
import { ClientHandover, type ReleaseReason } from '../../src/naming/handover.js';

const svc = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'a' };
const other = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'b' };
const inst = (ip: string, port = 80, extra: Partial<Instance> = {}): Instance => ({
  instanceId: `${ip}#${port}`, ip, port, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: 'DEFAULT', metadata: {}, ...extra,
});

function setup(timeoutMs = 10_000) {
  const clock = new ManualClock();
  const registry = new Registry();
  const released: [string, ReleaseReason][] = [];
  const h = new ClientHandover(registry, clock, { timeoutMs, checkIntervalMs: 50 }, (id, reason) => {
    released.push([id, reason]);
    registry.removeClient(id, clock.now());
  });
  return { clock, registry, released, h };
}

const ips = (r: Registry, key = svc): string[] => r.instancesOf(r.getService(key)!).map((i) => `${i.ip}:${i.port}`);

test('a connection closed without a mark is an ordinary disconnect', () => {
  const { registry, h } = setup();
  registry.publish('old', 'connection', svc, [inst('127.0.0.1')], 1);
  assert.equal(h.onClosed('old'), false);
  assert.equal(h.pending(), 0);
});

test('a marked connection keeps its client until another client publishes the same ip:port:cluster', () => {
  const { clock, registry, released, h } = setup();
  registry.publish('old', 'connection', svc, [inst('127.0.0.1')], 1);
  registry.publish('old', 'connection', other, [inst('127.0.0.1', 81)], 1);
  h.mark('old');
  assert.equal(h.onClosed('old'), true);
  clock.advance(1000);
  assert.deepEqual(released, [], 'kept while nobody else publishes it');
  assert.deepEqual(ips(registry), ['127.0.0.1:80']);
  // Re-registered through a new connection, one service so far: still kept (the other is not covered).
  registry.publish('new', 'connection', svc, [inst('127.0.0.1')], clock.now());
  clock.advance(100);
  assert.deepEqual(released, []);
  assert.deepEqual(ips(registry), ['127.0.0.1:80'], 'one copy while both publish it');
  // A different cluster does not count.
  registry.publish('new', 'connection', other, [inst('127.0.0.1', 81, { clusterName: 'C2' })], clock.now());
  clock.advance(100);
  assert.deepEqual(released, []);
  registry.publish('new', 'connection', other, [inst('127.0.0.1', 81)], clock.now());
  clock.advance(100);
  assert.deepEqual(released, [['old', 'handed-over']]);
  assert.equal(h.pending(), 0);
  assert.deepEqual(h.stats(), { retained: 0, handedOver: 1, timedOut: 0 });
  assert.deepEqual(ips(registry), ['127.0.0.1:80']);
});

test('two retained clients do not cover each other; the timeout releases them', () => {
  const { clock, registry, released, h } = setup(5000);
  registry.publish('x', 'connection', svc, [inst('127.0.0.1')], 1);
  registry.publish('y', 'connection', svc, [inst('127.0.0.1')], 1);
  h.mark('x');
  h.mark('y');
  h.onClosed('x');
  h.onClosed('y');
  clock.advance(4900);
  assert.equal(released.length, 0);
  clock.advance(200);
  assert.deepEqual(released.map(([id, r]) => `${id}:${r}`).sort(), ['x:timeout', 'y:timeout']);
});

test('a client with nothing published is not retained; releaseAll empties the set', () => {
  const { registry, released, h } = setup();
  registry.getOrCreateClient('empty', 'connection', 1);
  h.mark('empty');
  assert.equal(h.onClosed('empty'), false);
  registry.publish('k', 'connection', svc, [inst('127.0.0.1')], 1);
  h.mark('k');
  assert.equal(h.onClosed('k'), true);
  assert.equal(h.isRetained('k'), true);
  h.releaseAll();
  assert.deepEqual(released, [['k', 'forced']]);
  assert.equal(h.pending(), 0);
});

test('a retained client removed by someone else is forgotten; unmark cancels a mark', () => {
  const { clock, registry, released, h } = setup();
  registry.publish('k', 'connection', svc, [inst('127.0.0.1')], 1);
  h.mark('k');
  h.onClosed('k');
  registry.removeClient('k', 2);
  clock.advance(100);
  assert.equal(h.pending(), 0);
  assert.deepEqual(released, []);
  registry.publish('m', 'connection', svc, [inst('127.0.0.2')], 1);
  h.mark('m');
  h.unmark('m');
  assert.equal(h.onClosed('m'), false);
});

test('registry: an ip:port:cluster published by two clients is listed once, the later client revision wins', () => {
  let rev = 0;
  const r = new Registry(() => ++rev);
  r.publish('a', 'connection', svc, [inst('127.0.0.1', 80, { weight: 1 })], 1);
  r.publish('b', 'connection', svc, [inst('127.0.0.1', 80, { weight: 2 }), inst('127.0.0.2')], 1);
  assert.deepEqual(r.instancesOf(r.getService(svc)!).map((i) => `${i.ip}:${i.port}/${i.weight}`), ['127.0.0.1:80/2', '127.0.0.2:80/1']);
  r.publish('a', 'connection', svc, [inst('127.0.0.1', 80, { weight: 3 })], 2);
  assert.deepEqual(r.instancesOf(r.getService(svc)!).map((i) => `${i.ip}:${i.port}/${i.weight}`), ['127.0.0.1:80/3', '127.0.0.2:80/1']);
  // Another cluster is another instance.
  r.publish('c', 'connection', svc, [inst('127.0.0.1', 80, { clusterName: 'C2' })], 3);
  assert.equal(r.instancesOf(r.getService(svc)!).length, 3);
});

test('with a cover grace, the old client goes only after the new registration was seen that long, continuously', () => {
  const clock = new ManualClock();
  const registry = new Registry();
  const released: string[] = [];
  const h = new ClientHandover(registry, clock, { timeoutMs: 60_000, checkIntervalMs: 50, coverGraceMs: 1000 }, (id) => {
    released.push(id);
    registry.removeClient(id, clock.now());
  });
  registry.publish('old', 'connection', svc, [inst('127.0.0.1')], 1);
  h.mark('old');
  h.onClosed('old');
  registry.publish('new', 'connection', svc, [inst('127.0.0.1')], clock.now());
  clock.advance(600);
  // The new registration goes away and comes back: the grace starts again.
  registry.removeClient('new', clock.now());
  clock.advance(100);
  registry.publish('new2', 'connection', svc, [inst('127.0.0.1')], clock.now());
  clock.advance(900);
  assert.equal(released.length, 0);
  clock.advance(200);
  assert.deepEqual(released, ['old']);
});


test('order rule: a client first seen before the retained one never covers it (a stale replica whose DELETE is on its way)', () => {
  const { clock, registry, released, h } = setup(10_000);
  // 'earlier': the replica of the SDK's previous connection, itself handed over by another member;
  // its DELETE has not reached this member yet.
  registry.publish('earlier', 'connection', svc, [inst('127.0.0.1')], 1);
  registry.publish('old', 'connection', svc, [inst('127.0.0.1')], 2);
  h.mark('old');
  assert.equal(h.onClosed('old'), true);
  clock.advance(1000);
  assert.deepEqual(released, [], 'not covered by a client seen before it');
  // The DELETE of 'earlier' lands: the instance is still listed, through 'old'.
  registry.removeClient('earlier', clock.now(), 'replica');
  assert.deepEqual(ips(registry), ['127.0.0.1:80']);
  // The SDK's new registration (seen after 'old') covers it.
  registry.publish('new', 'connection', svc, [inst('127.0.0.1')], clock.now());
  clock.advance(100);
  assert.deepEqual(released, [['old', 'handed-over']]);
  assert.deepEqual(ips(registry), ['127.0.0.1:80']);
});

test('chained hand-over A→B→C: B retained before A was released does not cover A; C releases both, no gap', () => {
  const { clock, registry, released, h } = setup(60_000);
  const listed = (): void => assert.deepEqual(ips(registry), ['127.0.0.1:80'], `listed at ${clock.now()}`);
  registry.publish('A', 'connection', svc, [inst('127.0.0.1')], 1);
  h.mark('A');
  h.onClosed('A');
  clock.advance(200);
  registry.publish('B', 'connection', svc, [inst('127.0.0.1')], clock.now());
  // B is moved again within the same check period, before A's release.
  h.mark('B');
  assert.equal(h.onClosed('B'), true);
  for (let t = 0; t < 2000; t += 50) {
    clock.advance(50);
    listed();
  }
  assert.equal(released.length, 0, 'neither retained client covers the other');
  registry.publish('C', 'connection', svc, [inst('127.0.0.1')], clock.now());
  clock.advance(50);
  assert.deepEqual(released.map(([id, r]) => `${id}:${r}`).sort(), ['A:handed-over', 'B:handed-over']);
  listed();
});

test('registry: clients are numbered in the order this member first sees them (Client.seq), a re-created id gets a new number', () => {
  const r = new Registry();
  r.publish('x', 'connection', svc, [inst('127.0.0.1')], 1);
  r.applySyncData({ clientId: 'y', kind: 'connection', revision: 5, publishes: [] }, 1);
  const x = r.getClient('x')!.seq;
  const y = r.getClient('y')!.seq;
  assert.ok(y > x);
  r.publish('x', 'connection', other, [inst('127.0.0.2')], 2);
  assert.equal(r.getClient('x')!.seq, x, 'stable while the client lives');
  r.removeClient('x', 3);
  r.publish('x', 'connection', svc, [inst('127.0.0.1')], 4);
  assert.ok(r.getClient('x')!.seq > y);
});
