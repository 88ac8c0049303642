import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRaftStorage, type ConfState, type Entry, type Message } from '../../src/raft/index.js';
import { parseRaftMessages } from '../../src/cluster/raft-wire.js';
import { RaftHarness, type HarnessMember } from '../sim/raft-harness.js';

const ent = (index: number, term: number, data = `${index}@${term}`): Entry => ({ index, term, type: 'normal', data });

function preload(h: RaftHarness, id: string, terms: number[], term: number, conf: ConfState): void {
  const s = new MemoryRaftStorage(conf);
  s.append(terms.map((t, i) => ent(i + 1, t)));
  s.setHardState({ term, vote: '', commit: 0 });
  h.addMember(id, s);
}

test('raft replication: a follower with a divergent log is repaired by the leader', () => {
  const conf = { voters: ['a', 'b', 'c'], learners: [] };
  const h = new RaftHarness([]);
  preload(h, 'a', [1, 1, 2, 2, 2], 2, conf); // longest, highest last term
  preload(h, 'b', [1, 1, 2], 2, conf); // short
  preload(h, 'c', [1, 1, 3 - 2, 1, 1, 1, 1], 2, conf); // long but from an old term: conflicts from index 3
  h.campaign('a');
  assert.equal(h.leader(), 'a');
  h.tickAll(2);
  const expect = h.get('a').log.slice(1, h.get('a').log.lastIndex() + 1).map((e) => `${e.index}@${e.term}`);
  for (const id of ['b', 'c']) {
    const n = h.get(id);
    assert.deepEqual(n.log.slice(1, n.log.lastIndex() + 1).map((e) => `${e.index}@${e.term}`), expect, id);
  }
  assert.equal(h.get('c').log.committed, 6);
});

test('raft replication: commit rule — old-term entries never commit by counting (Figure 8)', () => {
  // State (c) of Figure 8: entry 2@2 is on a, b, c (a majority) but was never committed;
  // e has 2@3 from a leader of term 3 that crashed.
  const conf = { voters: ['a', 'b', 'c', 'd', 'e'], learners: [] };
  for (const mutation of ['none', 'commitOldTermByCount'] as const) {
    // checkQuorum off: no leader leases, so e may campaign right after a crashes (as in the paper).
    const h = new RaftHarness([], { checkQuorum: false }, 1, mutation);
    preload(h, 'a', [1, 2], 3, conf);
    preload(h, 'b', [1, 2], 3, conf);
    preload(h, 'c', [1, 2], 3, conf);
    preload(h, 'd', [1], 3, conf);
    preload(h, 'e', [1, 3], 3, conf);
    // a wins term 4 (votes from b, c, d) and appends its no-op 3@4. Deliver only appends that stop
    // at index 2, as if the message carrying 3@4 were still in flight: followers ack index 2.
    h.filter = (m: Message) => {
      if (m.from === 'a' && m.to === 'e') return false; // e is cut off from a, as in the figure
      if (m.type !== 'app' || m.from !== 'a') return true;
      const entries = m.entries.filter((e) => e.index <= 2);
      return { ...m, entries, commit: Math.min(m.commit, 2) };
    };
    h.campaign('a');
    assert.equal(h.leader(), 'a');
    assert.equal(h.get('a').term, 4);
    h.tickAll(2);
    assert.equal(h.get('a').progress.get('b')?.match, 2);
    if (mutation === 'none') {
      assert.equal(h.get('a').log.committed, 0, '2@2 is on a majority but must not be committed by counting');
      // Why (Figure 8 (d)): if a crashes now, e can still win (its last term 3 beats 2) and overwrite index 2.
      h.stop('a');
      h.filter = () => true;
      h.campaign('e'); // pre-vote at term 4 is refused (b, c, d voted for a in 4); e learns term 4
      h.campaign('e'); // term 5: e's last term 3 beats their 2
      assert.equal(h.leader(), 'e');
      h.tickAll(2);
      assert.equal(h.get('b').log.term(2), 3, 'the uncommitted 2@2 was overwritten, which is legal');
    } else {
      assert.equal(h.get('a').log.committed, 2, 'the mutation commits 2@2 — unsafe, see above');
    }
  }
});

test('raft replication: an entry of the current term commits the older ones with it', () => {
  const conf = { voters: ['a', 'b', 'c'], learners: [] };
  const h = new RaftHarness([]);
  preload(h, 'a', [1, 2], 3, conf);
  preload(h, 'b', [1], 3, conf);
  preload(h, 'c', [1], 3, conf);
  h.campaign('a');
  h.tickAll(1);
  assert.equal(h.get('a').log.committed, 3);
  assert.deepEqual(h.members.get('b')!.applied.map((e) => e.index), [1, 2, 3]);
});

test('raft replication: flow control — probe sends one append, replicate pipelines up to maxInflight', () => {
  const h = new RaftHarness(['a', 'b', 'c'], { maxInflight: 2, maxEntriesPerMsg: 1 });
  h.campaign('a');
  h.tickAll(1);
  const a = h.get('a');
  assert.equal(a.progress.get('b')?.state, 'replicate');
  h.isolated.add('b');
  h.isolated.add('c');
  for (let i = 0; i < 5; i++) assert.ok(a.propose(`p${i}`).ok);
  h.stabilize();
  assert.equal(a.progress.get('b')?.inflights.length, 2, 'paused at maxInflight');
  h.isolated.clear();
  h.tickAll(6);
  assert.deepEqual(h.appliedData('b'), ['p0', 'p1', 'p2', 'p3', 'p4']);
});

/**
 * Leader `a` with 10 entries written while `c` was down, its log compacted at the applied index
 * (host-side compaction, state machine image = applied data); `c` still down.
 */
function compactedWithFollowerBehind(h: RaftHarness): { a: HarnessMember; applied: number } {
  h.campaign('a');
  h.stop('c');
  for (let i = 0; i < 10; i++) h.propose('a', `x${i}`);
  h.tickAll(1);
  const a = h.members.get('a')!;
  const applied = a.node.log.applied;
  a.storage.compact(applied, JSON.stringify(h.appliedData('a')), a.node.confState());
  return { a, applied };
}

test('raft replication: a lagging follower gets the snapshot after compaction', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  const { a, applied } = compactedWithFollowerBehind(h);
  assert.equal(a.storage.firstIndex(), applied + 1);
  h.restart('c');
  h.tickAll(3);
  const snaps = h.delivered.filter((m) => m.type === 'snap');
  assert.equal(snaps.length >= 1, true, 'a snapshot was sent');
  const c = h.members.get('c')!;
  assert.equal(c.storage.snapshot().meta.index, applied);
  assert.equal(c.storage.snapshot().data, JSON.stringify(h.appliedData('a')));
  assert.equal(c.node.log.committed, a.node.log.committed);
  h.propose('a', 'after');
  h.tickAll(1);
  assert.deepEqual(h.appliedData('c'), ['after'], 'c applies entries after the snapshot');
});

test('raft replication: a snapshot on its way is not sent again at every heartbeat answer (docs/raft.md "Snapshot transfer")', () => {
  const h = new RaftHarness(['a', 'b', 'c'], { snapshotResendTicks: 20 });
  const { a, applied } = compactedWithFollowerBehind(h);
  // The snapshot is slow to arrive (a large image): c keeps answering heartbeats meanwhile.
  let sent = 0;
  h.filter = (m) => {
    if (m.type !== 'snap') return true;
    sent++;
    return false;
  };
  h.restart('c');
  h.tickAll(15);
  assert.equal(sent, 1, 'one snapshot for 15 heartbeat answers (the old core sent one per answer)');
  assert.equal(a.node.progress.get('c')?.state, 'snapshot');
  // Lost without a report: sent again once the resend timeout (20 ticks) has passed, and only then.
  h.tickAll(6);
  assert.equal(sent, 2, 'sent again after the resend timeout');
  // The host reports the copy lost (the transport failed): the next heartbeat answer sends it again.
  a.node.reportSnapshot('c', 'failed');
  assert.equal(a.node.progress.get('c')?.state, 'probe');
  h.stabilize();
  assert.equal(sent, 2, 'not before the follower answers again');
  h.tickAll(1);
  assert.equal(sent, 3, 'sent at the next heartbeat answer after the report');
  // A report about a follower that is not waiting for a snapshot changes nothing.
  a.node.reportSnapshot('b', 'failed');
  assert.equal(a.node.progress.get('b')?.state, 'replicate');
  // Delivered at last, but c's acknowledgement of it is lost: the append that answers c's next
  // heartbeat answer confirms it, with no copy sent again.
  let ackDropped = false;
  h.filter = (m) => {
    if (m.type === 'snap') sent++;
    if (m.type === 'appResp' && m.from === 'c' && !m.reject && !ackDropped) return !(ackDropped = true);
    return true;
  };
  a.node.reportSnapshot('c', 'failed');
  h.tickAll(1);
  assert.equal(sent, 4);
  const c = h.members.get('c')!;
  assert.equal(c.storage.snapshot().meta.index, applied);
  assert.equal(ackDropped, true);
  assert.equal(a.node.progress.get('c')?.state, 'snapshot', 'the leader did not hear of it');
  h.tickAll(2);
  assert.equal(a.node.progress.get('c')?.state, 'replicate', 'confirmed at the next heartbeat answer');
  assert.equal(sent, 4, 'without sending it again');
  h.propose('a', 'after');
  h.tickAll(1);
  assert.deepEqual(h.appliedData('c'), ['after']);
});

test('raft replication: ReadIndex needs a quorum heartbeat round and an entry of the current term', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  const n = h.get('a');
  assert.deepEqual(n.readIndex('r0'), { ok: false, reason: 'notLeader', leader: '' });
  h.campaign('a');
  assert.equal(h.leader(), 'a');
  h.propose('a', 'x');
  assert.deepEqual(h.get('b').readIndex('r1'), { ok: false, reason: 'notLeader', leader: 'a' });
  h.isolated.add('b');
  h.isolated.add('c');
  assert.deepEqual(n.readIndex('r2'), { ok: true });
  h.stabilize();
  assert.deepEqual(h.members.get('a')!.readStates, [], 'no answer without a quorum');
  h.isolated.delete('b');
  h.tickAll(1); // the next heartbeat carries ctx r2; b acks it
  assert.deepEqual(h.members.get('a')!.readStates, [{ ctx: 'r2', index: n.log.committed }]);
});

test('raft replication: a new leader refuses ReadIndex until its no-op commits', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.filter = (m: Message) => !(m.type === 'appResp'); // the no-op never gets acknowledged
  h.campaign('a');
  assert.equal(h.leader(), 'a');
  assert.deepEqual(h.get('a').readIndex('r'), { ok: false, reason: 'notReady', leader: 'a' });
  h.filter = () => true;
  h.tickAll(1);
  assert.deepEqual(h.get('a').readIndex('r'), { ok: true });
});

test('raft replication: leader transfer (TimeoutNow) hands over to an up-to-date follower', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  h.isolated.add('c');
  h.propose('a', 'x');
  h.isolated.delete('c');
  assert.equal(h.get('a').transferLeadership('c'), true);
  assert.deepEqual(h.get('a').propose('y'), { ok: false, reason: 'transferring', leader: 'a' });
  h.stabilize();
  assert.equal(h.leader(), 'c');
  assert.equal(h.get('c').term, 2);
  assert.ok(h.delivered.some((m) => m.type === 'timeoutNow' && m.to === 'c'));
  h.propose('c', 'y');
  h.tickAll(1);
  assert.deepEqual(h.appliedData('a'), ['x', 'y']);
});

test('raft replication: an unreachable transfer target is abandoned after an election timeout', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  h.isolated.add('c');
  assert.equal(h.get('a').transferLeadership('c'), true);
  h.tickAll(11);
  assert.equal(h.leader(), 'a');
  assert.equal(h.get('a').leadTransferee, '');
  assert.equal(h.get('a').propose('z').ok, true);
});

test('raft membership: add a learner, promote it, remove a voter — one change at a time', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  h.tickAll(1);
  h.propose('a', 'x');
  // A joining node boots with the cluster's bootstrap configuration (or receives it in a snapshot).
  h.addMember('d', new MemoryRaftStorage({ voters: ['a', 'b', 'c'], learners: [] }));
  const a = h.get('a');
  assert.equal(a.proposeConfChange({ type: 'addLearner', node: 'd' }).ok, true);
  assert.deepEqual(a.proposeConfChange({ type: 'addVoter', node: 'd' }), { ok: false, reason: 'confPending', leader: 'a' });
  h.stabilize();
  h.tickAll(3);
  assert.deepEqual(a.confState(), { voters: ['a', 'b', 'c'], learners: ['d'] });
  assert.deepEqual(h.appliedData('d'), ['x'], 'the learner catches up');
  assert.equal(a.progress.get('d')?.isLearner, true);
  // A learner never campaigns.
  h.tick('d', 50);
  assert.equal(h.get('d').role, 'follower');
  assert.equal(a.proposeConfChange({ type: 'addVoter', node: 'd' }).ok, true);
  h.stabilize();
  h.tickAll(1);
  assert.deepEqual(h.get('d').confState(), { voters: ['a', 'b', 'c', 'd'], learners: [] });
  // Now 4 voters: quorum 3. Remove c; then a and one other suffice.
  assert.equal(a.proposeConfChange({ type: 'removeNode', node: 'c' }).ok, true);
  h.stabilize();
  h.tickAll(1);
  assert.deepEqual(a.confState(), { voters: ['a', 'b', 'd'], learners: [] });
  h.stop('c');
  h.isolated.add('b');
  h.propose('a', 'y');
  h.tickAll(1);
  assert.deepEqual(h.appliedData('d'), ['x', 'y'], 'commits with a and d (2 of 3)');
});

test('raft membership: a removed leader steps down and the rest elect a new one', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  h.tickAll(1);
  assert.equal(h.get('a').proposeConfChange({ type: 'removeNode', node: 'a' }).ok, true);
  h.stabilize();
  assert.notEqual(h.get('a').role, 'leader');
  h.stop('a');
  h.tickAll(40);
  const l = h.leader();
  assert.ok(l === 'b' || l === 'c');
  h.propose(l, 'z');
  h.tickAll(1);
  assert.deepEqual(h.appliedData('b'), ['z']);
  assert.deepEqual(h.appliedData('c'), ['z']);
});

test('raft membership: addVoter is refused until the node is a learner holding the committed log (seed 1246571982)', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  h.tickAll(1);
  h.propose('a', 'x');
  h.tickAll(1);
  const a = h.get('a');
  h.addMember('d', new MemoryRaftStorage());
  h.isolated.add('d'); // d is up but unreachable: it cannot catch up
  // Not a learner yet: a voter is never added empty.
  assert.deepEqual(a.proposeConfChange({ type: 'addVoter', node: 'd' }), { ok: false, reason: 'learnerNotReady', leader: 'a' });
  assert.equal(a.proposeConfChange({ type: 'addLearner', node: 'd' }).ok, true);
  h.stabilize();
  h.tickAll(3);
  assert.deepEqual(a.confState(), { voters: ['a', 'b', 'c'], learners: ['d'] });
  // A learner that does not hold the committed log is not promoted.
  assert.deepEqual(a.proposeConfChange({ type: 'addVoter', node: 'd' }), { ok: false, reason: 'learnerNotReady', leader: 'a' });
  h.isolated.delete('d');
  h.tickAll(3);
  assert.deepEqual(h.appliedData('d'), ['x']);
  assert.equal(a.proposeConfChange({ type: 'addVoter', node: 'd' }).ok, true);
  h.stabilize();
  h.tickAll(1);
  assert.deepEqual(a.confState(), { voters: ['a', 'b', 'c', 'd'], learners: [] });
});

test('raft replication: commit announcements are quiet — accepted ones unanswered, a rejected one answered (docs/raft.md "Commit announcements")', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  assert.equal(h.leader(), 'a');
  h.delivered.length = 0;
  h.propose('a', 'x');
  const announcements = h.delivered.filter((m) => m.type === 'app' && m.entries.length === 0);
  assert.ok(announcements.length > 0, 'the commit of x is announced to the followers');
  for (const m of announcements) assert.equal(m.type === 'app' && m.quiet, true, 'an announcement asks for no answer');
  // Every answer of a follower acknowledges entries; none answers an announcement.
  const acks = h.delivered.filter((m) => m.type === 'appResp');
  const appsWithEntries = h.delivered.filter((m) => m.type === 'app' && m.entries.length > 0);
  assert.equal(acks.length, appsWithEntries.length, 'one answer per append with entries, none per announcement');
  for (const id of ['b', 'c']) assert.equal(h.get(id).log.committed, h.get('a').log.committed, `${id} learnt the commit`);

  // A quiet announcement the follower cannot accept (it lacks the announced position) is answered
  // with a rejection, so the leader repairs the follower at once.
  h.delivered.length = 0;
  let dropped = 0;
  h.filter = (m: Message) => !(m.type === 'app' && m.to === 'c' && m.entries.length > 0 && dropped++ === 0);
  h.propose('a', 'y');
  const rejects = h.delivered.filter((m) => m.type === 'appResp' && m.from === 'c' && m.reject);
  assert.equal(rejects.length, 1, 'c rejects the quiet announcement past its log');
  h.filter = () => true;
  h.stabilize();
  assert.equal(h.get('c').log.lastIndex(), h.get('a').log.lastIndex(), 'c is repaired without waiting for a heartbeat');
  assert.equal(h.get('c').log.committed, h.get('a').log.committed);
});

test('raft replication: the quiet flag survives the wire validation; older members without it still parse; a malformed one is refused', () => {
  const quiet = { type: 'app', from: 'a', to: 'b', term: 2, index: 5, logTerm: 2, entries: [], commit: 5, quiet: true };
  assert.deepEqual(parseRaftMessages({ messages: [quiet] }), [quiet]);
  const { quiet: _omit, ...old } = quiet;
  assert.deepEqual(parseRaftMessages({ messages: [old] }), [old]);
  assert.equal('error' in parseRaftMessages({ messages: [{ ...quiet, quiet: 1 }] }), true);
});
