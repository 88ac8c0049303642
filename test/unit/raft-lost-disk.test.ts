/**
 * A member that lost its whole disk and comes back under the same id (docs/raft.md "Lost disks"):
 * the leader learns it from the member's answer and replicates again at once; the member never
 * helps a candidate that may lack committed entries to a majority.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRaftStorage, RaftNode, type AppendRespMsg, type Message, type VoteMsg } from '../../src/raft/index.js';
import { parseRaftMessages } from '../../src/cluster/raft-wire.js';
import { RaftHarness } from '../sim/raft-harness.js';

const IDS = ['a', 'b', 'c'];

/** The member's disk is gone: it restarts on an empty storage bootstrapped with the member list (a plain restart with a wiped data directory). */
function wipe(h: RaftHarness, id: string, conf = { voters: IDS, learners: [] as string[] }): void {
  h.members.get(id)!.storage = new MemoryRaftStorage(conf);
  h.restart(id);
}

function lostAnswers(h: RaftHarness, from: string): AppendRespMsg[] {
  return h.delivered.filter((m): m is AppendRespMsg => m.type === 'appResp' && m.from === from && m.lost === true);
}

function drain(n: RaftNode): Message[] {
  const rd = n.ready();
  n.advance(rd);
  return rd.messages;
}

test('raft lost disk: a wiped follower catches up from the leader with no new write (chaos seed 3001)', () => {
  const h = new RaftHarness(IDS);
  h.campaign('a');
  h.propose('a', 'x');
  h.propose('a', 'y');
  h.tickAll(2);
  assert.deepEqual(h.appliedData('c'), ['x', 'y']);
  wipe(h, 'c');
  h.tickAll(3); // heartbeats only: nobody writes
  assert.equal(lostAnswers(h, 'c').length > 0, true, 'c tells the leader it lost its log');
  assert.equal(h.get('a').lostLogResets, 1);
  assert.deepEqual(h.appliedData('c'), ['x', 'y'], 'c holds every committed write again');
  assert.equal(h.get('c').log.lastIndex(), h.get('a').log.lastIndex());
  assert.equal(h.get('a').progress.get('c')!.match, h.get('a').log.lastIndex());
});

test('raft lost disk: the catch-up uses the snapshot when the leader compacted its log', () => {
  const h = new RaftHarness(IDS);
  h.campaign('a');
  h.propose('a', 'x');
  h.tickAll(2);
  const a = h.get('a');
  h.members.get('a')!.storage.compact(a.log.applied, 'image', a.confState());
  wipe(h, 'c');
  h.tickAll(3);
  const c = h.get('c');
  assert.equal(h.delivered.some((m) => m.type === 'snap' && m.to === 'c'), true);
  assert.equal(c.log.lastIndex(), a.log.lastIndex());
  assert.deepEqual(c.confState(), a.confState());
});

test('raft lost disk: a voter back in join mode does not elect a candidate that lacks committed entries', () => {
  const h = new RaftHarness(IDS);
  h.campaign('a');
  h.tickAll(1);
  h.isolated.add('b'); // b keeps only the no-op
  h.propose('a', 'x'); // committed by a and c
  h.tickAll(1);
  assert.deepEqual(h.appliedData('c'), ['x']);
  h.stop('a');
  wipe(h, 'c', { voters: [], learners: [] }); // join mode; the only other copy of x is gone, b's log is stale but longer than c's
  h.isolated.delete('b');
  for (let i = 0; i < 30; i++) {
    h.tick('b');
    h.tick('c');
    h.stabilize();
  }
  assert.notEqual(h.get('b').role, 'leader', 'b must not win with the vote of the wiped c');
  assert.notEqual(h.get('c').role, 'leader');
  h.restart('a'); // the member holding x comes back: it wins, and x survives everywhere
  h.tickAll(40);
  assert.equal(h.leader(), 'a');
  h.tickAll(2);
  for (const id of IDS) assert.deepEqual(h.appliedData(id), ['x'], id);
});

test('raft lost disk: a group whose members are all empty still elects (first start)', () => {
  const h = new RaftHarness(IDS);
  h.campaign('b');
  assert.equal(h.leader(), 'b');
  assert.equal(h.get('b').term, 1);
});

test('raft lost disk: the vote rule — empty log, no configuration, catching up', () => {
  const vote = (to: string, index: number, logTerm: number, term: number): VoteMsg => ({ type: 'vote', from: 'b', to, term, index, logTerm, transfer: true });
  const granted = (n: RaftNode): boolean => drain(n).some((m) => m.type === 'voteResp' && !m.reject);

  const empty = new RaftNode({ id: 'c', storage: new MemoryRaftStorage({ voters: IDS, learners: [] }), random: () => 0 });
  empty.step(vote('c', 0, 0, 1));
  assert.equal(granted(empty), true, 'an empty member with a configuration votes (first election; it cannot tell a wipe from a new group)');

  const joining = new RaftNode({ id: 'c', storage: new MemoryRaftStorage(), random: () => 0 });
  joining.step(vote('c', 0, 0, 1));
  assert.equal(granted(joining), false, 'no configuration (join mode): no vote at all');

  // A leader's heartbeat announces commit 5 to a member whose log ends at 2: it lost entries.
  const s = new MemoryRaftStorage({ voters: IDS, learners: [] });
  s.append([1, 2].map((index) => ({ index, term: 1, type: 'normal' as const, data: '' })));
  s.setHardState({ term: 1, vote: '', commit: 2 });
  const n = new RaftNode({ id: 'c', storage: s, random: () => 0 });
  n.step({ type: 'heartbeat', from: 'a', to: 'c', term: 2, commit: 5, ctx: '' });
  const out = drain(n);
  assert.equal(out.some((m) => m.type === 'heartbeatResp'), true);
  const lost = out.find((m): m is AppendRespMsg => m.type === 'appResp');
  assert.deepEqual(lost && { reject: lost.reject, lost: lost.lost, hint: lost.hint }, { reject: true, lost: true, hint: 2 });
  n.step(vote('c', 4, 2, 3));
  assert.equal(granted(n), false, 'catching up: no vote until the log reaches the commit the leader announced');
});

test('raft lost disk: a member catching up does not stand for election either (its own vote is a vote; production seed 405622216)', () => {
  for (const preVote of [true, false]) {
    // A leader's heartbeat announces commit 5 to a member whose log ends at 2 (a wipe, then a snapshot at 2).
    const s = new MemoryRaftStorage({ voters: IDS, learners: [] });
    s.append([1, 2].map((index) => ({ index, term: 1, type: 'normal' as const, data: '' })));
    s.setHardState({ term: 1, vote: '', commit: 2 });
    const n = new RaftNode({ id: 'c', storage: s, random: () => 0, preVote });
    n.step({ type: 'heartbeat', from: 'a', to: 'c', term: 2, commit: 5, ctx: '' });
    drain(n);
    for (let i = 0; i < 50; i++) n.tick(); // the leader is gone: c's election timeout passes many times
    const asks = drain(n).filter((m) => m.type === 'vote' || m.type === 'preVote');
    assert.deepEqual(asks, [], `preVote ${preVote}: c asks for no vote while it lacks entries up to 5`);
    assert.equal(n.role, 'follower');
    assert.equal(n.term, 2);
    // Once its log reaches the announced commit it campaigns again.
    n.step({ type: 'app', from: 'a', to: 'c', term: 2, index: 2, logTerm: 1, commit: 5, entries: [3, 4, 5].map((index) => ({ index, term: 2, type: 'normal' as const, data: '' })) });
    const rd = n.ready();
    s.append(rd.entries);
    n.advance(rd);
    for (let i = 0; i < 50 && n.role === 'follower'; i++) n.tick();
    assert.notEqual(n.role, 'follower', `preVote ${preVote}: caught up, c campaigns`);
  }
});

test('raft lost disk: a wiped member that got only an old snapshot cannot elect itself with a stale voter (production seed 405622216)', () => {
  const h = new RaftHarness(IDS);
  h.campaign('a');
  h.tickAll(1);
  h.isolated.add('b'); // b keeps only the no-op
  h.propose('a', 'x');
  h.tickAll(1);
  const a = h.get('a');
  h.members.get('a')!.storage.compact(a.log.applied, 'image', a.confState()); // the snapshot holds x
  h.propose('a', 'y'); // committed by a and c, after the snapshot
  h.tickAll(1);
  assert.deepEqual(h.appliedData('c'), ['x', 'y']);
  wipe(h, 'c', { voters: [], learners: [] }); // join mode
  h.filter = (m) => !(m.type === 'app' && m.to === 'c' && m.entries.length > 0); // c gets the snapshot, not y
  h.tickAll(3);
  assert.equal(h.delivered.some((m) => m.type === 'snap' && m.to === 'c'), true, 'c installed the snapshot');
  assert.equal(h.get('c').log.lastIndex() < a.log.committed, true, 'c is short of the commit index it helped reach');
  h.stop('a'); // the only other copy of y is gone
  h.isolated.delete('b');
  h.filter = () => true;
  for (let i = 0; i < 40; i++) {
    h.tick('b');
    h.tick('c');
    h.stabilize();
  }
  assert.equal(h.leader(), null, 'neither c (short of y) nor b (stale) may win: y would be lost');
  h.restart('a'); // the member holding y comes back: it wins, and y survives everywhere
  h.tickAll(40);
  assert.equal(h.leader(), 'a');
  h.tickAll(2);
  assert.deepEqual(h.appliedData('c').slice(-1), ['y']);
});

/**
 * A join-mode member `c` gets a new leader's snapshot behind entry y, which it had acknowledged
 * before its wipe; then y's copies go down. `restartHalfway`: c also crashes and restarts after
 * the snapshot, before y reaches it. Either way c must not win with the stale b and e.
 */
function snapshotBehindTheLog(restartHalfway: boolean): void {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  const h = new RaftHarness(ids);
  h.campaign('a');
  h.tickAll(1);
  h.isolated.add('b');
  h.isolated.add('e'); // b and e keep only the no-op
  h.propose('a', 'x');
  h.tickAll(1);
  const d = h.get('d');
  h.members.get('d')!.storage.compact(d.log.applied, 'image', d.confState()); // d's snapshot holds x
  h.propose('a', 'y'); // committed by a, c and d, after d's snapshot
  h.tickAll(1);
  assert.deepEqual(h.appliedData('c'), ['x', 'y']);
  h.stop('a');
  wipe(h, 'c', { voters: [], learners: [] }); // join mode
  h.isolated.delete('b');
  h.isolated.delete('e');
  // c takes d's probes (it rejects them: its log is empty) and snapshot, but no entry after it; b and
  // e get no entry from d. d's heartbeats carry no evidence: a new leader counted nothing for c.
  h.filter = (m) => !(m.type === 'app' && m.entries.length > 0 && (m.to !== 'c' || h.get('c').log.lastIndex() > 0));
  h.tick('b', 10);
  h.tick('e', 10); // their lease on a ran out
  h.campaign('d');
  assert.equal(h.leader(), 'd');
  h.tickAll(3);
  assert.equal(h.delivered.some((m) => m.type === 'snap' && m.to === 'c'), true, 'c installed d\'s snapshot');
  assert.equal(h.get('c').log.lastIndex() < d.log.committed, true, 'c lacks y');
  for (const id of ['b', 'e']) assert.equal(h.get(id).log.lastIndex() < d.log.committed, true, `${id} lacks y`);
  if (restartHalfway) {
    const target = h.members.get('c')!.storage.hardState().catchUp ?? 0;
    assert.equal(target >= d.log.committed, true, `the target (${target}) is on c's disk`);
    h.restart('c'); // crashes half-way: the snapshot is installed, y is not
    assert.equal(h.get('c').log.lastIndex() < target, true);
  }
  h.stop('d'); // a and d, the copies of y, are down; b, c, e are a majority
  h.filter = () => true;
  for (let i = 0; i < 40; i++) {
    for (const id of ['b', 'c', 'e']) h.tick(id);
    h.stabilize();
  }
  assert.equal(h.leader(), null, 'c (short of y) must not win with the stale b and e');
  h.restart('d');
  h.restart('a');
  h.tickAll(60);
  assert.notEqual(h.leader(), null);
  h.tickAll(2);
  for (const id of ['b', 'c', 'e']) assert.deepEqual(h.appliedData(id).slice(-1), ['y'], id);
}

test('raft lost disk: a join-mode member that got a snapshot behind the leader\'s log from a new leader does not elect itself', () => {
  snapshotBehindTheLog(false);
});

// Leader-lost-production seed 353365926 (with the leader-parallel write): the member installed a
// snapshot at 47, the group's commit was 58; it crashed, restarted, and won with a voter at 38.
test('raft lost disk: the catch-up target survives a restart half-way through the catch-up (durable, seed 353365926)', () => {
  snapshotBehindTheLog(true);
});

test('raft lost disk: the leader ignores a lost answer that claims nothing it counted', () => {
  const h = new RaftHarness(IDS);
  h.campaign('a');
  h.propose('a', 'x');
  h.tickAll(1);
  const a = h.get('a');
  const match = a.progress.get('b')!.match;
  a.step({ type: 'appResp', from: 'b', to: 'a', term: a.term, index: match, reject: true, hint: match, hintTerm: 0, lost: true });
  assert.equal(a.lostLogResets, 0);
  assert.equal(a.progress.get('b')!.match, match);
});

test('raft lost disk: the lost flag survives the wire validation; a malformed one is refused', () => {
  const lost = { type: 'appResp', from: 'c', to: 'a', term: 2, index: 5, reject: true, hint: 0, hintTerm: 0, lost: true };
  assert.deepEqual(parseRaftMessages({ messages: [lost] }), [lost]);
  const old = { ...lost, reject: false, lost: undefined };
  assert.equal('error' in parseRaftMessages({ messages: [old] }), false, 'members that never send it still parse');
  assert.equal('error' in parseRaftMessages({ messages: [{ ...lost, lost: 'yes' }] }), true);
});
