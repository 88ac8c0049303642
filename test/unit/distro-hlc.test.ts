import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from '../../src/core/registry.js';
import { HybridLogicalClock, compareStamp } from '../../src/distro/hlc.js';
import { inst, svc } from './distro-fixture.js';

test('HLC: wall-clock based, strictly increasing, raised by observe', () => {
  let now = 1000;
  const h = new HybridLogicalClock(() => now);
  assert.equal(h.next(), 1_000_000);
  assert.equal(h.next(), 1_000_001, 'same ms: +1');
  now = 1001;
  assert.equal(h.next(), 1_001_000);
  h.observe(5_000_000);
  assert.equal(h.next(), 5_000_001, 'above an observed version');
  h.observe(10);
  assert.equal(h.peek(), 5_000_001, 'observing a lower value changes nothing');
  now = 1000; // clock went back
  assert.ok(h.next() > 5_000_001);
});

test('HLC: a restarted member (fresh state) issues versions above its earlier ones', () => {
  let now = 5000;
  const before = new HybridLogicalClock(() => now);
  const v = before.next();
  now = 5001;
  assert.ok(new HybridLogicalClock(() => now).next() > v);
});

test('nextRevision as the Registry hook: revisions follow the HLC and exceed the previous one', () => {
  let now = 2000;
  const h = new HybridLogicalClock(() => now);
  const r = new Registry(h.nextRevision);
  r.publish('c1', 'connection', svc(), [inst('10.0.0.1')], now);
  assert.equal(r.getClient('c1')!.revision, 2_000_000);
  r.publish('c1', 'connection', svc(), [inst('10.0.0.2')], now);
  assert.equal(r.getClient('c1')!.revision, 2_000_001);
  // A replica revision applied from a peer with a faster clock is observed by the hook.
  r.applySyncData({ clientId: 'c2', kind: 'connection', revision: 9_000_000, publishes: [] }, now);
  now = 2001;
  r.publish('c2', 'connection', svc(), [inst('10.0.0.3')], now);
  assert.equal(r.getClient('c2')!.revision, 9_000_001);
});

test('stamps order by version, then writer address', () => {
  assert.ok(compareStamp({ version: 1, writer: 'b' }, { version: 2, writer: 'a' }) < 0);
  assert.ok(compareStamp({ version: 2, writer: 'b' }, { version: 2, writer: 'a' }) > 0);
  assert.equal(compareStamp({ version: 2, writer: 'a' }, { version: 2, writer: 'a' }), 0);
});
