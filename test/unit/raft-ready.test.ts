/**
 * The core's persistence decisions in each Ready (docs/raft.md "Host loop contract"): MustSync,
 * which messages may leave before the write, and which committed entries may be applied before it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryRaftStorage, RaftNode, type Entry, type Message, type Ready } from '../../src/raft/index.js';
import { RaftHarness } from '../sim/raft-harness.js';

const kinds = (ms: readonly Message[]): string[] => ms.map((m) => `${m.type}>${m.to}${m.type === 'app' ? `[${m.entries.length}]` : ''}`);

/** A follower 'b' of a 3-voter group whose durable log holds entries 1..n of term 1 (committed up to `commit`). */
function follower(n: number, commit: number): RaftNode {
  const s = new MemoryRaftStorage({ voters: ['a', 'b', 'c'], learners: [] });
  const ents: Entry[] = Array.from({ length: n }, (_, i) => ({ index: i + 1, term: 1, type: 'normal', data: `e${i + 1}` }));
  s.append(ents);
  s.setHardState({ term: 1, vote: 'a', commit });
  return new RaftNode({ id: 'b', storage: s, random: () => 0 });
}

function persist(s: MemoryRaftStorage, rd: Ready): void {
  if (rd.snapshot) s.applySnapshot(rd.snapshot);
  s.append(rd.entries);
  if (rd.hardState) s.setHardState(rd.hardState);
}

test('raft ready: a vote changes term and vote — must sync, and the answer waits for the write', () => {
  const b = follower(2, 2);
  b.step({ type: 'vote', from: 'c', to: 'b', term: 2, index: 2, logTerm: 1, transfer: false });
  const rd = b.ready();
  assert.equal(rd.mustSync, true);
  assert.deepEqual(rd.messagesBeforeSync, []);
  assert.deepEqual(kinds(rd.messagesAfterSync), ['voteResp>c']);
  assert.deepEqual(rd.messages, rd.messagesAfterSync);
});

test('raft ready: a campaign (new term, own vote) sends its vote requests only after the write', () => {
  const s = new MemoryRaftStorage({ voters: ['a', 'b', 'c'], learners: [] });
  const a = new RaftNode({ id: 'a', storage: s, random: () => 0, preVote: false });
  for (let i = 0; i < 10 && a.role !== 'candidate'; i++) a.tick();
  const rd = a.ready();
  assert.equal(rd.hardState?.vote, 'a');
  assert.equal(rd.mustSync, true);
  assert.deepEqual(rd.messagesBeforeSync, []);
  assert.deepEqual(kinds(rd.messagesAfterSync).sort(), ['vote>b', 'vote>c']);
});

test('raft ready: a commit-index-only change needs no sync; every message may leave at once', () => {
  const b = follower(3, 1);
  b.step({ type: 'heartbeat', from: 'a', to: 'b', term: 1, commit: 3, ctx: '' });
  const rd = b.ready();
  assert.equal(rd.hardState?.commit, 3);
  assert.equal(rd.mustSync, false, 'the commit index alone is written lazily');
  assert.deepEqual(kinds(rd.messagesBeforeSync), ['heartbeatResp>a']);
  assert.deepEqual(rd.messagesAfterSync, []);
  assert.deepEqual(
    rd.committedEntries.map((e) => e.index),
    [1, 2, 3],
  );
  assert.equal(rd.applicableBeforeSync, 3, 'entries already durable here may be applied before any write');
});

test('raft ready: new entries on a follower — the ack waits for the write; only durable committed entries apply early', () => {
  const b = follower(2, 1);
  // The leader appends 3 and 4 and says everything up to 4 is committed.
  b.step({
    type: 'app',
    from: 'a',
    to: 'b',
    term: 1,
    index: 2,
    logTerm: 1,
    commit: 4,
    entries: [
      { index: 3, term: 1, type: 'normal', data: 'e3' },
      { index: 4, term: 1, type: 'normal', data: 'e4' },
    ],
  });
  const rd = b.ready();
  assert.equal(rd.mustSync, true);
  assert.deepEqual(kinds(rd.messagesAfterSync), ['appResp>a'], 'the ack claims entries 3..4: it waits for their write');
  assert.deepEqual(rd.messagesBeforeSync, []);
  assert.deepEqual(
    rd.committedEntries.map((e) => e.index),
    [1, 2, 3, 4],
  );
  assert.equal(rd.applicableBeforeSync, 2, 'entries 1 and 2 are on disk already; 3 and 4 are not');
});

test('raft ready: a leader sends its appends before its own write (thesis §10.2.1) and counts itself only once it is durable', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  const a = h.get('a');
  assert.equal(a.role, 'leader');
  // A heartbeat round and a proposal in the same Ready.
  for (let i = 0; i < 1; i++) a.tick();
  const r = a.propose('x');
  assert.ok(r.ok);
  const index = r.ok ? r.index : 0;
  const rd = a.ready();
  assert.equal(rd.mustSync, true);
  assert.deepEqual(kinds(rd.messagesBeforeSync).sort(), ['app>b[1]', 'app>c[1]', 'heartbeat>b', 'heartbeat>c']);
  assert.deepEqual(rd.messagesAfterSync, []);
  assert.equal(rd.messages.length, rd.messagesBeforeSync.length + rd.messagesAfterSync.length);
  assert.equal(a.progress.get('a')?.match, index - 1, 'the leader has not acknowledged its own entry before the write');
  // One follower acknowledges before the leader's write is done: one of three, no commit.
  a.step({ type: 'appResp', from: 'b', to: 'a', term: a.term, index, reject: false, hint: 0, hintTerm: 0 });
  assert.equal(a.log.committed, index - 1, 'no commit with the leader\'s own copy not durable and one ack');
  // The write is done: the leader counts itself, the entry commits, and the commit is announced next.
  const m = h.members.get('a')!;
  m.storage.append(rd.entries);
  a.advance(rd);
  assert.equal(a.progress.get('a')?.match, index);
  assert.equal(a.log.committed, index);
  const next = a.ready();
  assert.deepEqual(next.committedEntries.map((e) => e.index), [index]);
  assert.equal(next.applicableBeforeSync, 1);
  assert.deepEqual(kinds(next.messages).sort(), ['app>b[0]', 'app>c[0]']);
});

test('raft ready: the mutant that counts the leader\'s own append at once commits with one follower and an undurable leader copy', () => {
  // Why the leader may not count itself before its write, now that its appends leave first: with
  // 3 members it would commit on one follower's ack while the entry is durable on that follower
  // alone; a power loss on the leader then leaves it on 1 of 3, and the two others can elect a
  // leader without it and overwrite what the follower applied.
  for (const mutation of ['none', 'selfAckAtAppend'] as const) {
    const h = new RaftHarness(['a', 'b', 'c'], {}, 1, mutation);
    h.campaign('a');
    const a = h.get('a');
    const r = a.propose('z');
    assert.ok(r.ok);
    const index = r.ok ? r.index : 0;
    a.ready();
    a.step({ type: 'appResp', from: 'b', to: 'a', term: a.term, index, reject: false, hint: 0, hintTerm: 0 });
    if (mutation === 'none') assert.equal(a.log.committed, index - 1, 'no commit');
    else assert.equal(a.log.committed, index, 'the mutant commits on one durable copy');
  }
});

test('raft ready: a leader commits with two followers while its own write is still going, and applies only after it', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  const a = h.get('a');
  const r = a.propose('y');
  assert.ok(r.ok);
  const index = r.ok ? r.index : 0;
  const rd = a.ready();
  for (const f of ['b', 'c']) a.step({ type: 'appResp', from: f, to: 'a', term: a.term, index, reject: false, hint: 0, hintTerm: 0 });
  assert.equal(a.log.committed, index, 'durable on a majority (b and c)');
  const m = h.members.get('a')!;
  m.storage.append(rd.entries);
  a.advance(rd);
  const next = a.ready();
  assert.deepEqual(next.committedEntries.map((e) => e.index), [index]);
});

test('raft ready: a one-voter group commits its own entry once it is written, in the next Ready', () => {
  const s = new MemoryRaftStorage({ voters: ['a'], learners: [] });
  const n = new RaftNode({ id: 'a', storage: s, random: () => 0 });
  for (let i = 0; i < 20 && n.role !== 'leader'; i++) n.tick();
  let rd = n.ready();
  assert.deepEqual(rd.committedEntries, [], 'the no-op is not committed before it is durable');
  persist(s, rd);
  n.advance(rd);
  rd = n.ready();
  assert.deepEqual(
    rd.committedEntries.map((e) => e.index),
    [1],
  );
  assert.equal(rd.applicableBeforeSync, 1);
  persist(s, rd);
  n.advance(rd);
  assert.ok(n.propose('w').ok);
  rd = n.ready();
  assert.equal(rd.mustSync, true);
  assert.deepEqual(rd.committedEntries, []);
  persist(s, rd);
  n.advance(rd);
  rd = n.ready();
  assert.deepEqual(
    rd.committedEntries.map((e) => e.index),
    [2],
  );
  assert.equal(rd.applicableBeforeSync, 1);
});

test('raft ready: a snapshot from the leader must be synced before any message, and nothing applies early', () => {
  const b = follower(1, 1);
  b.step({ type: 'snap', from: 'a', to: 'b', term: 1, snapshot: { meta: { index: 10, term: 1, conf: { voters: ['a', 'b', 'c'], learners: [] } }, data: 'img' } });
  const rd = b.ready();
  assert.ok(rd.snapshot);
  assert.equal(rd.mustSync, true);
  assert.deepEqual(rd.messagesBeforeSync, []);
  assert.deepEqual(kinds(rd.messagesAfterSync), ['appResp>a']);
  assert.equal(rd.applicableBeforeSync, 0);
});

test('raft membership: a new member that starts with no configuration learns the whole group from the log, never just itself', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  const a = h.get('a');
  h.addMember('d', new MemoryRaftStorage());
  assert.ok(a.proposeConfChange({ type: 'addLearner', node: 'd' }).ok);
  h.stabilize();
  h.tickAll(3);
  assert.ok(a.proposeConfChange({ type: 'addVoter', node: 'd' }).ok);
  h.stabilize();
  h.tickAll(3);
  // d received the log from index 1: the initial members a, b, c are in no entry of it, only in
  // the index-0 snapshot d never saw. The conf entries carry the whole configuration.
  assert.deepEqual(h.get('d').confState(), { voters: ['a', 'b', 'c', 'd'], learners: [] });
  assert.equal(h.get('d').promotable(), true);
  // Alone, d must not be able to win: it needs a majority of four.
  for (const id of ['a', 'b', 'c']) h.stop(id);
  h.tickAll(50);
  assert.notEqual(h.get('d').role, 'leader');
});

test('raft membership: a member that rejoins with an empty disk learns the configuration from the entries and can lead (seed 394514904)', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  const a = h.get('a');
  for (let i = 0; i < 3; i++) assert.ok(a.propose(`w${i}`).ok);
  h.stabilize();
  // c loses its disk and comes back in join mode (no configuration, no entry); b is down.
  h.stop('c');
  h.addMember('c', new MemoryRaftStorage());
  assert.deepEqual(h.get('c').confState(), { voters: [], learners: [] });
  h.stop('b');
  assert.ok(a.propose('acked-by-a-and-c').ok);
  h.tickAll(5);
  const c = h.get('c');
  assert.equal(c.log.committed, a.log.lastIndex(), 'c caught up from entries (no snapshot: a never compacted)');
  // The leader's term-start entry recorded the configuration; c learned it from the log.
  assert.deepEqual(c.confState(), { voters: ['a', 'b', 'c'], learners: [] });
  assert.equal(c.promotable(), true);
  // a dies; b comes back with a shorter log. Only c can win (b lacks an acknowledged entry), and
  // it can campaign because it holds the configuration. Before, no leader was ever elected.
  h.stop('a');
  h.restart('b');
  h.tickAll(60);
  assert.equal(h.leader(), 'c');
  assert.ok(h.get('b').log.lastIndex() >= a.log.lastIndex());
});

test('raft: a new leader records the configuration in force as the first entry of its term, changing nothing', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  const a = h.get('a');
  const first = a.log.slice(a.log.lastIndex(), a.log.lastIndex() + 1)[0]!;
  assert.equal(first.type, 'conf');
  assert.deepEqual(JSON.parse(first.data), { type: 'record', conf: { voters: ['a', 'b', 'c'], learners: [] } });
  for (const id of ['a', 'b', 'c']) assert.deepEqual(h.get(id).confState(), { voters: ['a', 'b', 'c'], learners: [] });
  // A membership change still waits for it to apply, then goes through.
  assert.ok(a.proposeConfChange({ type: 'removeNode', node: 'c' }).ok);
});
