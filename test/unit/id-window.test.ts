/**
 * The state machine's window of recent command ids (src/persistence/id-window.ts): the same
 * answers as the plain insertion-ordered Set it replaced, with an O(1) eviction; and a state
 * machine restored from a snapshot decides duplicates exactly as the one that wrote it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdWindow } from '../../src/persistence/id-window.js';
import { encodeCommand, KvStateMachine } from '../../src/persistence/kv-state-machine.js';
import { Rng } from '../sim/prng.js';

/** The behaviour it replaced: a Set in insertion order, the oldest evicted past the capacity. */
class SetWindow {
  readonly set = new Set<string>();
  constructor(private readonly capacity: number) {}
  add(id: string): void {
    this.set.add(id);
    if (this.set.size > this.capacity) this.set.delete(this.set.values().next().value!);
  }
}

test('IdWindow: keeps the newest ids in apply order, evicts the oldest, ignores an id it holds', () => {
  const w = new IdWindow(3);
  for (const id of ['a', 'b', 'c']) w.add(id);
  assert.deepEqual(w.list(), ['a', 'b', 'c']);
  w.add('b');
  assert.deepEqual(w.list(), ['a', 'b', 'c'], 'an id already held keeps its place');
  w.add('d');
  assert.deepEqual(w.list(), ['b', 'c', 'd']);
  assert.equal(w.has('a'), false);
  assert.equal(w.has('d'), true);
  for (const id of ['e', 'f', 'g', 'h']) w.add(id);
  assert.deepEqual(w.list(), ['f', 'g', 'h']);
  assert.equal(w.size, 3);
  w.clear();
  assert.deepEqual(w.list(), []);
  w.add('x');
  assert.deepEqual(w.list(), ['x']);
  const none = new IdWindow(0);
  none.add('a');
  assert.equal(none.has('a'), false);
  assert.deepEqual(none.list(), []);
});

test('IdWindow: the same membership and order as the insertion-ordered Set, over random adds and clears', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const rng = new Rng(seed);
    const cap = rng.int(1, 40);
    const w = new IdWindow(cap);
    const model = new SetWindow(cap);
    for (let step = 0; step < 2000; step++) {
      if (rng.chance(0.005)) {
        w.clear();
        model.set.clear();
        continue;
      }
      const id = `i${rng.int(0, 120)}`;
      w.add(id);
      model.add(id);
      assert.equal(w.has(id), true);
    }
    assert.deepEqual(w.list(), [...model.set], `seed ${seed}`);
    for (let i = 0; i <= 120; i++) assert.equal(w.has(`i${i}`), model.set.has(`i${i}`), `seed ${seed} i${i}`);
  }
});

test('a state machine restored from a snapshot decides duplicates like the one that wrote it (window order kept)', () => {
  const put = (k: string) => [{ table: 'instance' as const, key: k, value: { k } }];
  const a = new KvStateMachine(100);
  for (let i = 1; i <= 150; i++) a.applyData(i, encodeCommand({ id: `c${i}`, batch: put(`k${i}`) }));
  const b = new KvStateMachine(100);
  b.restore(a.snapshot());
  // c40 fell out of the window (applied again on both), c120 is inside it (a duplicate on both).
  for (const sm of [a, b]) {
    sm.applyData(151, encodeCommand({ id: 'c40', batch: put('again40') }));
    sm.applyData(152, encodeCommand({ id: 'c120', batch: put('again120') }));
    sm.applyData(153, encodeCommand({ id: 'c51', batch: put('again51') }));
  }
  for (const sm of [a, b]) {
    const keys = new Set([...sm.entries()].map((r) => r.key));
    assert.equal(keys.has('again40'), true);
    assert.equal(keys.has('again120'), false);
    // The window held c51..c150: c40 coming back pushed out c51, the oldest, so c51 applies again too.
    assert.equal(keys.has('again51'), true);
  }
  assert.equal(a.snapshot(), b.snapshot());
});
