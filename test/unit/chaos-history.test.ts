import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPersistent, diffEphemeral, prepare, type HistOp } from '../chaos/history.js';

const w = (value: string | null, call: number, ret: number, client = 0, key = 'k'): HistOp => ({ kind: 'w', key, value, call, ret, member: 0, client });
const r = (value: string | null, call: number, ret: number, stale = false, key = 'k', member = 1): HistOp => ({ kind: 'r', key, value, call, ret, member, client: 9, stale });

test('chaos history: known-good histories pass', () => {
  // Sequential writes, final read of the last one.
  assert.equal(checkPersistent([w('a', 0, 1), w('b', 2, 3), r('b', 10, 11)]).ok, true);
  // A stale read may see an old value long after it was overwritten (local reads, docs/raft.md).
  assert.equal(checkPersistent([w('a', 0, 1), w('b', 2, 3), r('a', 5, 6, true), r('b', 10, 11)]).ok, true);
  // A stale read of null: the register's start.
  assert.equal(checkPersistent([w('a', 0, 1), r(null, 5, 6, true), r('a', 10, 11)]).ok, true);
  // A write without an answer may have taken effect (seen by the final read) or not.
  assert.equal(checkPersistent([w('a', 0, 1), w('b', 2, Infinity), r('b', 10, 11)]).ok, true);
  assert.equal(checkPersistent([w('a', 0, 1), w('b', 2, Infinity), r('a', 10, 11)]).ok, true);
  // A delete (null) as the last write.
  assert.equal(checkPersistent([w('a', 0, 1), w(null, 2, 3), r(null, 10, 11)]).ok, true);
  // Concurrent writes: the final read may see either.
  assert.equal(checkPersistent([w('a', 0, 5, 0), w('b', 1, 4, 1), r('a', 10, 11)]).ok, true);
  assert.equal(checkPersistent([w('a', 0, 5, 0), w('b', 1, 4, 1), r('b', 10, 11)]).ok, true);
});

test('chaos history: a lost acknowledged write is found', () => {
  const v = checkPersistent([w('a', 0, 1), w('b', 2, 3), r('a', 10, 11)]);
  assert.equal(v.ok, false);
  assert.equal(v.failure?.key, 'k');
});

test('chaos history: a value nobody wrote, or read before it was written, is found', () => {
  assert.match(checkPersistent([w('a', 0, 1), r('zz', 5, 6, true)]).reason ?? '', /no client wrote/);
  assert.match(checkPersistent([r('a', 0, 1, true), w('a', 2, 3)]).reason ?? '', /before its write was invoked/);
});

test('chaos history: an unknown write seen by a stale read must take effect before that read returned', () => {
  // b was seen at 6, so it precedes c (invoked at 7, acked); the final read of b is a lost write of c.
  assert.equal(checkPersistent([w('a', 0, 1), w('b', 2, Infinity), r('b', 5, 6, true), w('c', 7, 8), r('b', 10, 11)]).ok, false);
  // Without the stale read, b may have landed after c.
  assert.equal(checkPersistent([w('a', 0, 1), w('b', 2, Infinity), w('c', 7, 8), r('b', 10, 11)]).ok, true);
});

test('chaos history: final reads of different members must agree on the last write', () => {
  assert.equal(checkPersistent([w('a', 0, 5, 0), w('b', 1, 4, 1), r('a', 10, 11, false, 'k', 0), r('b', 12, 13, false, 'k', 1)]).ok, false);
});

test('chaos history: prepare drops what cannot constrain the search', () => {
  const { ops } = prepare([w('a', 0, 1), w('b', 2, Infinity), w('c', 3, Infinity), r('c', 4, 5, true), r(null, 4, 5, true), r('c', 10, 11)]);
  assert.deepEqual(
    ops.map((o) => [o.kind, o.value, o.ret]),
    [
      ['w', 'a', 1],
      ['w', 'c', 5],
      ['r', 'c', 11],
    ],
  );
});

test('chaos history: ephemeral view diff names ghosts and lost instances', () => {
  assert.equal(diffEphemeral(0, 's', new Set(['1.1.1.1:1']), ['1.1.1.1:1']), null);
  assert.deepEqual(diffEphemeral(2, 's', new Set(['1.1.1.1:1', '1.1.1.1:2']), ['1.1.1.1:2', '9.9.9.9:9']), { member: 2, service: 's', ghosts: ['9.9.9.9:9'], lost: ['1.1.1.1:1'] });
});
