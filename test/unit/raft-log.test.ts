import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactedError, MemoryRaftStorage, RaftLog, type Entry } from '../../src/raft/index.js';

const ent = (index: number, term: number, data = `${index}@${term}`): Entry => ({ index, term, type: 'normal', data });

function logWith(...terms: number[]): { log: RaftLog; storage: MemoryRaftStorage } {
  const storage = new MemoryRaftStorage({ voters: ['a'], learners: [] });
  storage.append(terms.map((t, i) => ent(i + 1, t)));
  return { log: new RaftLog(storage), storage };
}

test('raft log: maybeAppend rejects a mismatched previous entry', () => {
  const { log } = logWith(1, 1, 2);
  assert.equal(log.maybeAppend(3, 1, 0, [ent(4, 3)]), null); // entry 3 has term 2, not 1
  assert.equal(log.maybeAppend(5, 2, 0, [ent(6, 3)]), null); // beyond the end
  assert.equal(log.lastIndex(), 3);
});

test('raft log: conflicting suffix is truncated and replaced (Raft §5.3)', () => {
  const { log, storage } = logWith(1, 1, 2, 2, 2);
  const last = log.maybeAppend(2, 1, 0, [ent(3, 3, 'x'), ent(4, 3, 'y')]);
  assert.equal(last, 4);
  assert.equal(log.lastIndex(), 4);
  assert.deepEqual(log.slice(1, 5).map((e) => e.term), [1, 1, 3, 3]);
  // The host persists the unstable tail, which truncates storage.
  storage.append(log.unstableEntries());
  log.stableTo(4, 3);
  assert.equal(storage.lastIndex(), 4);
  assert.equal(storage.term(3), 3);
});

test('raft log: a stale (reordered) append never truncates matching entries', () => {
  const { log } = logWith(1, 1, 2, 2);
  assert.equal(log.maybeAppend(1, 1, 0, [ent(2, 1)]), 2);
  assert.equal(log.lastIndex(), 4, 'entries after a matching prefix are kept');
});

test('raft log: commit index only moves forward and never past the new entries', () => {
  const { log } = logWith(1, 1, 1);
  log.maybeAppend(3, 1, 10, []);
  assert.equal(log.committed, 3);
  log.maybeAppend(1, 1, 1, []);
  assert.equal(log.committed, 3);
});

test('raft log: up-to-date comparison (Raft §5.4.1)', () => {
  const { log } = logWith(1, 2, 2);
  assert.equal(log.isUpToDate(3, 2), true);
  assert.equal(log.isUpToDate(2, 2), false);
  assert.equal(log.isUpToDate(1, 3), true);
  assert.equal(log.isUpToDate(10, 1), false);
});

test('raft log: findConflictByTerm gives a hint at or before the divergence', () => {
  const { log } = logWith(1, 1, 2, 2, 4, 4);
  assert.deepEqual(log.findConflictByTerm(6, 3), { index: 4, term: 2 });
  assert.deepEqual(log.findConflictByTerm(6, 1), { index: 2, term: 1 });
  assert.deepEqual(log.findConflictByTerm(6, 4), { index: 6, term: 4 });
});

test('raft storage: compaction keeps the snapshot term and refuses compacted ranges', () => {
  const { log, storage } = logWith(1, 1, 2, 2, 3);
  log.commitTo(4);
  storage.compact(3, 'sm@3', { voters: ['a'], learners: [] });
  assert.equal(storage.firstIndex(), 4);
  assert.equal(storage.term(3), 2);
  assert.throws(() => storage.entries(2, 4), CompactedError);
  assert.equal(log.term(2), undefined);
  assert.equal(log.term(3), 2);
  assert.throws(() => log.slice(3, 5), CompactedError);
  assert.deepEqual(log.slice(4, 6).map((e) => e.index), [4, 5]);
  assert.equal(storage.snapshot().meta.index, 3);
  assert.equal(storage.snapshot().data, 'sm@3');
});

test('raft log: restore from a snapshot replaces the log', () => {
  const { log } = logWith(1, 1);
  log.restore({ meta: { index: 10, term: 4, conf: { voters: ['a'], learners: [] } }, data: 'x' });
  assert.equal(log.firstIndex(), 11);
  assert.equal(log.lastIndex(), 10);
  assert.equal(log.lastTerm(), 4);
  assert.equal(log.committed, 10);
  assert.equal(log.hasNextCommitted(), false);
  log.append([ent(11, 4)]);
  assert.equal(log.lastIndex(), 11);
});
