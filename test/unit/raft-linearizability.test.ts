import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLinearizable, type RegOp } from '../sim/raft-linearizability.js';

const w = (value: string, call: number, ret: number, client = 0, key = 'k'): RegOp => ({ kind: 'w', key, value, call, ret, client });
const r = (value: string | null, call: number, ret: number, client = 1, key = 'k'): RegOp => ({ kind: 'r', key, value, call, ret, client });

test('linearizability checker: sequential and concurrent histories that are linearizable', () => {
  assert.equal(checkLinearizable([w('a', 0, 1), r('a', 2, 3), w('b', 4, 5), r('b', 6, 7)]).ok, true);
  // The read overlaps the write: it may see either value.
  assert.equal(checkLinearizable([w('a', 0, 1), w('b', 2, 6), r('a', 3, 4)]).ok, true);
  assert.equal(checkLinearizable([w('a', 0, 1), w('b', 2, 6), r('b', 3, 4)]).ok, true);
  assert.equal(checkLinearizable([r(null, 0, 1)]).ok, true);
});

test('linearizability checker: stale read after a completed write is rejected', () => {
  const res = checkLinearizable([w('a', 0, 1), w('b', 2, 3), r('a', 4, 5)]);
  assert.equal(res.ok, false);
});

test('linearizability checker: reads must not go back in time', () => {
  // Both reads overlap the write, but once one read saw b a later read cannot see a.
  assert.equal(checkLinearizable([w('a', 0, 1), w('b', 2, 10), r('b', 3, 4), r('a', 5, 6, 2)]).ok, false);
});

test('linearizability checker: a write with unknown outcome may or may not have happened', () => {
  assert.equal(checkLinearizable([w('a', 0, 1), w('b', 2, Infinity), r('a', 3, 4), r('b', 5, 6)]).ok, true);
  assert.equal(checkLinearizable([w('a', 0, 1), w('b', 2, Infinity), r('a', 3, 4)]).ok, true);
  assert.equal(checkLinearizable([w('a', 0, 1), w('b', 2, Infinity), r('b', 3, 4), r('a', 5, 6)]).ok, false);
});

test('linearizability checker: keys are independent registers', () => {
  assert.equal(checkLinearizable([w('a', 0, 1, 0, 'x'), w('b', 0, 1, 0, 'y'), r('a', 2, 3, 1, 'x'), r('b', 2, 3, 1, 'y')]).ok, true);
  assert.equal(checkLinearizable([w('a', 0, 1, 0, 'x'), r('a', 2, 3, 1, 'y')]).ok, false);
});
