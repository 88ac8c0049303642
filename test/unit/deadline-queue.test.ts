import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.js';
import { DeadlineEntry, DeadlineQueue } from '../../src/core/deadline-queue.js';

class Entry extends DeadlineEntry {
  constructor(
    readonly name: string,
    private readonly log: string[],
    private readonly onExpire: (e: Entry) => void = () => undefined,
  ) {
    super();
  }

  protected expired(): void {
    this.log.push(this.name);
    this.onExpire(this);
  }
}

test('deadlines of one length expire in order, each once, at their own time', () => {
  const clock = new ManualClock();
  const q = new DeadlineQueue(clock);
  const log: string[] = [];
  const a = new Entry('a', log);
  q.add(a, 100);
  clock.advance(30);
  q.add(new Entry('b', log), 100);
  clock.advance(30);
  q.add(new Entry('c', log), 100);
  assert.equal(q.size(), 3);
  assert.equal(q.timers(), 1, 'one timer for one length');
  clock.advance(39);
  assert.deepEqual(log, []);
  clock.advance(1);
  assert.deepEqual(log, ['a']);
  assert.equal(a.scheduled, false);
  clock.advance(30);
  assert.deepEqual(log, ['a', 'b']);
  clock.advance(29);
  assert.deepEqual(log, ['a', 'b']);
  clock.advance(1);
  assert.deepEqual(log, ['a', 'b', 'c']);
  assert.equal(q.size(), 0);
  assert.equal(q.timers(), 0, 'an empty length keeps no timer');
  clock.advance(10_000);
  assert.deepEqual(log, ['a', 'b', 'c'], 'nothing runs twice');
});

test('a cancelled deadline never runs; cancelling the head, the tail or the last entry', () => {
  const clock = new ManualClock();
  const q = new DeadlineQueue(clock);
  const log: string[] = [];
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => new Entry(n, log));
  for (const e of [a!, b!, c!, d!]) q.add(e, 50);
  a!.cancelDeadline();
  d!.cancelDeadline();
  c!.cancelDeadline();
  c!.cancelDeadline();
  assert.equal(q.size(), 1);
  clock.advance(50);
  assert.deepEqual(log, ['b']);
  const e = new Entry('e', log);
  q.add(e, 50);
  e.cancelDeadline();
  assert.equal(q.timers(), 0, 'the last entry cancelled: no timer left');
  clock.advance(100);
  assert.deepEqual(log, ['b']);
});

test('lengths are independent; adding again moves an entry; an expiry may add entries', () => {
  const clock = new ManualClock();
  const q = new DeadlineQueue(clock);
  const log: string[] = [];
  const long = new Entry('long', log);
  const again = new Entry('again', log, (self) => {
    if (log.filter((n) => n === 'again').length < 3) q.add(self, 10);
  });
  q.add(long, 1000);
  q.add(new Entry('short', log), 10);
  q.add(again, 10);
  assert.equal(q.timers(), 2);
  const moved = new Entry('moved', log);
  q.add(moved, 10);
  q.add(moved, 500);
  assert.equal(q.size(), 4);
  clock.advance(10);
  assert.deepEqual(log, ['short', 'again']);
  clock.advance(10);
  clock.advance(10);
  assert.deepEqual(log, ['short', 'again', 'again', 'again'], 're-added from its own expiry, twice');
  clock.advance(470);
  assert.deepEqual(log.at(-1), 'moved', 'expires at its second length only');
  clock.advance(500);
  assert.deepEqual(log.at(-1), 'long');
  assert.equal(q.size(), 0);
  assert.equal(q.timers(), 0);
});

test('a zero or negative length expires on the next timer turn, not synchronously', () => {
  const clock = new ManualClock();
  const q = new DeadlineQueue(clock);
  const log: string[] = [];
  q.add(new Entry('zero', log), 0);
  q.add(new Entry('negative', log), -5);
  assert.deepEqual(log, []);
  clock.advance(0);
  assert.deepEqual(log, ['zero', 'negative']);
});
