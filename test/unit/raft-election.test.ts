import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRaftStorage, RaftNode } from '../../src/raft/index.js';
import { RaftHarness } from '../sim/raft-harness.js';

test('raft election: a single voter elects itself and commits its no-op', () => {
  const s = new MemoryRaftStorage({ voters: ['a'], learners: [] });
  const n = new RaftNode({ id: 'a', storage: s, random: () => 0 });
  for (let i = 0; i < 10; i++) n.tick();
  assert.equal(n.role, 'leader');
  const rd = n.ready();
  assert.equal(rd.hardState?.term, 1);
  assert.equal(rd.hardState?.vote, 'a');
  assert.equal(rd.entries.length, 1);
  // Committed once durable: in the Ready after the write (its own acknowledgement waits for it).
  assert.deepEqual(rd.committedEntries, []);
  s.append(rd.entries);
  if (rd.hardState) s.setHardState(rd.hardState);
  n.advance(rd);
  assert.deepEqual(n.ready().committedEntries.map((e) => e.index), [1]);
});

test('raft election: three nodes elect one leader and replicate the no-op', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  assert.equal(h.leader(), 'a');
  h.tickAll(1); // followers learn the commit index from the next heartbeat
  for (const id of ['a', 'b', 'c']) {
    assert.equal(h.get(id).term, 1);
    assert.equal(h.get(id).log.committed, 1, `${id} commit`);
  }
  assert.equal(h.get('b').lead, 'a');
});

test('raft election: pre-vote — the candidate does not bump its term until it can win', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.isolated.add('a');
  h.campaign('a');
  const a = h.get('a');
  assert.equal(a.role, 'preCandidate');
  assert.equal(a.term, 0, 'a pre-candidate keeps its term');
  h.tick('a', 50);
  h.stabilize();
  assert.equal(a.term, 0, 'an isolated node does not inflate its term');
});

test('raft election: a rejoining partitioned node does not disrupt a stable leader (pre-vote + lease)', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  h.isolated.add('c');
  h.tickAll(40); // c campaigns repeatedly in isolation (pre-votes only)
  assert.equal(h.get('c').term, 1);
  h.isolated.delete('c');
  h.campaign('c'); // c's pre-vote reaches a and b, who heard from a recently
  h.tickAll(5);
  assert.equal(h.leader(), 'a');
  assert.equal(h.get('a').term, 1, 'no term inflation, no new election');
  h.propose('a', 'x');
  h.tickAll(1);
  assert.deepEqual(h.appliedData('c'), ['x']);
});

test('raft election: without pre-vote a rejoining node with a higher term forces an election', () => {
  const h = new RaftHarness(['a', 'b', 'c'], { preVote: false, checkQuorum: false });
  h.campaign('a');
  h.isolated.add('c');
  h.tick('c', 40);
  h.stabilize();
  assert.ok(h.get('c').term > 1);
  h.isolated.delete('c');
  h.tickAll(25);
  assert.ok(h.get('a').term > 1, 'the old leader saw the higher term (the disruption pre-vote prevents)');
});

test('raft election: check-quorum — a leader cut off from the majority steps down', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  h.isolated.add('a');
  for (let i = 0; i < 25; i++) h.tick('a');
  h.stabilize();
  assert.equal(h.get('a').role, 'follower');
  assert.equal(h.get('a').lead, '');
});

test('raft election: a voter refuses a candidate whose log is behind (Raft §5.4.1)', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  h.isolated.add('c');
  h.propose('a', 'x'); // a and b have it, c does not
  h.stop('a');
  h.isolated.delete('c');
  h.campaign('c');
  assert.notEqual(h.get('c').role, 'leader', 'c lacks a committed entry');
  h.campaign('b');
  assert.equal(h.leader(), 'b');
  h.tickAll(1);
  assert.deepEqual(h.appliedData('c'), ['x']);
});

test('raft election: a leader ignores stale-term messages and answers an old leader with its term', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  h.isolated.add('a');
  h.tickAll(30); // b or c becomes leader of a later term; a steps down (check-quorum)
  const newLeader = h.leader();
  assert.ok(newLeader && newLeader !== 'a');
  const t = h.get(newLeader).term;
  h.isolated.delete('a');
  h.tickAll(3);
  assert.equal(h.get('a').term, t);
  assert.equal(h.get('a').lead, newLeader);
});

test('raft election: vote request handling checks the log directly (no lease involved)', () => {
  const s = new MemoryRaftStorage({ voters: ['a', 'b', 'c'], learners: [] });
  s.append([
    { index: 1, term: 1, type: 'normal', data: '' },
    { index: 2, term: 2, type: 'normal', data: 'x' },
  ]);
  s.setHardState({ term: 2, vote: '', commit: 2 });
  const b = new RaftNode({ id: 'b', storage: s, random: () => 0 });
  b.step({ type: 'vote', from: 'c', to: 'b', term: 3, index: 5, logTerm: 1, transfer: false });
  let rd = b.ready();
  assert.deepEqual(
    rd.messages.map((m) => [m.type, m.term, 'reject' in m ? m.reject : null]),
    [['voteResp', 3, true]],
  );
  assert.equal(rd.hardState?.vote, '');
  b.advance(rd);
  b.step({ type: 'vote', from: 'a', to: 'b', term: 3, index: 2, logTerm: 2, transfer: false });
  rd = b.ready();
  assert.deepEqual(rd.messages.map((m) => [m.type, 'reject' in m ? m.reject : null]), [['voteResp', false]]);
  assert.equal(rd.hardState?.vote, 'a', 'the vote is in the HardState persisted before the reply is sent');
  b.advance(rd);
  b.step({ type: 'vote', from: 'c', to: 'b', term: 3, index: 9, logTerm: 3, transfer: false });
  rd = b.ready();
  assert.deepEqual(rd.messages.map((m) => [m.type, 'reject' in m ? m.reject : null]), [['voteResp', true]], 'one vote per term');
});
