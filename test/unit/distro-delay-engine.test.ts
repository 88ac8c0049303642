import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { DistroDelayTaskEngine } from '../../src/distro/delay-task-engine.js';

function engine() {
  const clock = new ManualClock(0);
  const due: string[] = [];
  const e = new DistroDelayTaskEngine(clock, (p) => due.push(p));
  e.setPeers([
    { address: 'a', paused: false },
    { address: 'b', paused: false },
  ]);
  return { clock, due, e };
}

test('one entry per client and peer; a newer change keeps the earlier due time (bursts collapse)', () => {
  const { clock, due, e } = engine();
  e.add('a', 'c1', 20, 'change');
  clock.advance(10);
  e.add('a', 'c1', 20, 'change');
  assert.equal(e.size('a'), 1);
  clock.advance(9);
  assert.equal(e.popDue('a'), undefined);
  clock.advance(1);
  assert.deepEqual(due, ['a'], 'timer fires at the first due time (20), not 30');
  const p = e.popDue('a')!;
  assert.equal(p.clientId, 'c1');
  assert.equal(p.dueAt, 20);
  assert.equal(e.size('a'), 0);
});

test('an earlier request (verify repair, delay 0) pulls a pending entry forward', () => {
  const { clock, e } = engine();
  e.add('a', 'c1', 1000, 'retry');
  e.add('a', 'c1', 0, 'repair');
  assert.equal(e.size('a'), 1);
  const p = e.popDue('a')!;
  assert.equal(p.reason, 'repair');
  assert.equal(p.dueAt, clock.now());
});

test('a retry never replaces a pending entry; without one it is queued after the retry delay', () => {
  const { clock, e } = engine();
  e.add('a', 'c1', 20, 'change');
  assert.equal(e.retry('a', 'c1', 1000), false);
  assert.equal(e.retry('a', 'c2', 1000), true);
  clock.advance(20);
  assert.equal(e.popDue('a')!.clientId, 'c1');
  assert.equal(e.popDue('a'), undefined);
  clock.advance(980);
  assert.equal(e.popDue('a')!.reason, 'retry');
});

test('entries come out in due order; per-peer queues are independent', () => {
  const { clock, e } = engine();
  e.add('a', 'x', 30, 'change');
  e.add('a', 'y', 10, 'change');
  e.add('a', 'z', 20, 'change');
  e.add('b', 'x', 5, 'change');
  clock.advance(30);
  assert.deepEqual([e.popDue('a')!.clientId, e.popDue('a')!.clientId, e.popDue('a')!.clientId], ['y', 'z', 'x']);
  assert.equal(e.popDue('b')!.clientId, 'x');
});

test('addAll skips the excepted peer; unpop puts an entry back', () => {
  const { clock, e } = engine();
  e.addAll('c1', 0, 'change', 'b');
  assert.equal(e.size('a'), 1);
  assert.equal(e.size('b'), 0);
  clock.advance(0);
  const p = e.popDue('a')!;
  e.unpop('a', p);
  assert.equal(e.popDue('a')!.clientId, 'c1');
});

test('a paused (DOWN) peer keeps its entries but gets nothing; resuming re-arms its timer', () => {
  const { clock, due, e } = engine();
  e.setPeers([
    { address: 'a', paused: true },
    { address: 'b', paused: false },
  ]);
  e.add('a', 'c1', 10, 'change');
  e.add('b', 'c1', 10, 'change');
  clock.advance(50);
  assert.deepEqual(due, ['b']);
  assert.equal(e.popDue('a'), undefined);
  assert.equal(e.size('a'), 1);
  e.setPeers([
    { address: 'a', paused: false },
    { address: 'b', paused: false },
  ]);
  clock.advance(0);
  assert.deepEqual(due, ['b', 'a']);
  assert.equal(e.popDue('a')!.clientId, 'c1');
});

test('a peer removed from the list loses its queue (docs/protocol/distro.md §9.9); forget drops a client everywhere', () => {
  const { e } = engine();
  e.addAll('c1', 10, 'change');
  e.addAll('c2', 10, 'change');
  assert.equal(e.setPeers([{ address: 'b', paused: false }]), 2);
  assert.equal(e.queue('a'), undefined);
  e.add('a', 'c3', 0, 'change');
  assert.equal(e.size('a'), 0);
  e.forget('c1');
  assert.equal(e.size('b'), 1);
  assert.equal(e.totalSize(), 1);
});

test('queue size stays bounded by the number of clients under any number of changes', () => {
  const { clock, e } = engine();
  for (let i = 0; i < 10000; i++) {
    e.add('a', `c${i % 50}`, 20, i % 3 === 0 ? 'repair' : 'change');
    if (i % 100 === 0) clock.advance(1);
  }
  assert.equal(e.size('a'), 50);
  clock.advance(100);
  let n = 0;
  while (e.popDue('a')) n++;
  assert.equal(n, 50);
});
