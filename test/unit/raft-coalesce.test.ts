/**
 * Coalesced messages of one Ready (docs/raft.md "Coalesced messages"): the proposals of a Ready
 * travel to each follower as one append, a follower's acks of one Ready as one ack, and nothing
 * else changes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coalesceMessages } from '../../src/raft/coalesce.js';
import { MemoryRaftStorage, RaftNode, type Entry, type Message } from '../../src/raft/index.js';
import { RaftHarness } from '../sim/raft-harness.js';

const kinds = (ms: readonly Message[]): string[] => ms.map((m) => `${m.type}>${m.to}${m.type === 'app' ? `[${m.entries.length}]` : ''}${m.type === 'appResp' ? `@${m.index}${m.reject ? 'x' : ''}` : ''}`);
const ent = (index: number, term = 1): Entry => ({ index, term, type: 'normal', data: `e${index}` });

test('raft coalesce: three proposals in one Ready reach each follower as one append of three entries', () => {
  const h = new RaftHarness(['a', 'b', 'c']);
  h.campaign('a');
  const a = h.get('a');
  assert.equal(a.role, 'leader');
  for (const d of ['x', 'y', 'z']) assert.ok(a.propose(d).ok);
  const rd = a.ready();
  assert.deepEqual(kinds(rd.messagesBeforeSync).sort(), ['app>b[3]', 'app>c[3]']);
  const app = rd.messagesBeforeSync.find((m) => m.to === 'b');
  assert.ok(app?.type === 'app');
  assert.deepEqual(
    app.entries.map((e) => e.data),
    ['x', 'y', 'z'],
  );
});

test('raft coalesce: a follower acknowledges the appends of one Ready once, at the highest index', () => {
  const s = new MemoryRaftStorage({ voters: ['a', 'b', 'c'], learners: [] });
  s.append([ent(1)]);
  s.setHardState({ term: 1, vote: 'a', commit: 1 });
  const b = new RaftNode({ id: 'b', storage: s, random: () => 0 });
  for (let i = 1; i <= 3; i++) b.step({ type: 'app', from: 'a', to: 'b', term: 1, index: i, logTerm: 1, commit: 1, entries: [ent(i + 1)] });
  const rd = b.ready();
  assert.deepEqual(kinds(rd.messages), ['appResp>a@4']);
  assert.equal(rd.entries.length, 3);
  b.advance(rd);
  assert.equal(b.hasReady(), false, 'advance removed exactly the coalesced messages');
});

test('raft coalesce: only continuing appends of one term and peer merge, rejections and announcements stay, the entry cap holds', () => {
  const app = (to: string, index: number, n: number, commit: number, term = 1): Message => ({
    type: 'app',
    from: 'a',
    to,
    term,
    index,
    logTerm: 1,
    commit,
    entries: Array.from({ length: n }, (_, i) => ent(index + 1 + i, term)),
  });
  const ack = (index: number, reject = false, term = 1): Message => ({ type: 'appResp', from: 'b', to: 'a', term, index, reject, hint: 0, hintTerm: 0 });
  // Continuing runs to b merge (commit: the later); c's, a gap and a run that does not continue the
  // last append to b stay apart; the cap (4 entries) splits.
  const out = coalesceMessages([app('b', 1, 2, 1), app('c', 1, 2, 1), app('b', 3, 1, 2), app('b', 9, 1, 2), app('b', 4, 1, 2), app('b', 10, 3, 3), app('b', 13, 1, 3), app('b', 14, 1, 3)], 4);
  assert.deepEqual(kinds(out), ['app>b[3]', 'app>c[2]', 'app>b[1]', 'app>b[1]', 'app>b[4]', 'app>b[1]']);
  const first = out[0]!;
  assert.ok(first.type === 'app' && first.commit === 2 && first.index === 1);
  // Entry-less appends (commit announcements) are never merged.
  assert.deepEqual(kinds(coalesceMessages([app('b', 3, 0, 2), app('b', 3, 0, 3)], 64)), ['app>b[0]', 'app>b[0]']);
  // Acks: the highest wins, in the place of the last one (never ahead of the rejection); an ack of another term stays.
  assert.deepEqual(kinds(coalesceMessages([ack(5), ack(4, true), ack(7), ack(6), ack(9, false, 2)], 64)), ['appResp>a@4x', 'appResp>a@7', 'appResp>a@9']);
  const same = [ack(1)];
  assert.equal(coalesceMessages(same, 64), same);
});
