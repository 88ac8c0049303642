/**
 * A follower told by its transport that the connection to its leader failed (RaftNode.reportUnreachable,
 * docs/raft.md "Leader lost") campaigns at once instead of waiting out the election timeout, one
 * survivor after another, and cannot disrupt a leader that is still alive.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RaftHarness } from '../sim/raft-harness.js';

function cluster(ids = ['a', 'b', 'c']): RaftHarness {
  const h = new RaftHarness(ids);
  h.campaign('a');
  h.tickAll(1);
  assert.equal(h.leader(), 'a');
  return h;
}

test('leader lost: both survivors told the leader is gone elect a new leader within three ticks', () => {
  const h = cluster();
  h.stop('a');
  h.get('b').reportUnreachable('a');
  h.get('c').reportUnreachable('a');
  assert.equal(h.get('b').lead, '', 'the follower forgets the dead leader (its lease no longer holds)');
  h.tickAll(3); // the election timeout is 10–19 ticks: without the report nobody campaigns yet
  const lead = h.leader();
  assert.ok(lead === 'b' || lead === 'c', `a new leader within 3 ticks (got ${String(lead)})`);
  assert.equal(h.get('b').term, 2, 'one election, no split vote');
  assert.equal(h.get('c').term, 2);
  h.propose(lead, 'x');
  assert.deepEqual(h.appliedData(lead === 'b' ? 'c' : 'b'), ['x']);
});

test('leader lost: the survivors try in order of id, so they do not split the vote', () => {
  for (const order of [['b', 'c', 'd', 'e'], ['e', 'd', 'c', 'b']] as const) {
    const h = cluster(['a', 'b', 'c', 'd', 'e']);
    h.stop('a');
    for (const id of order) h.get(id).reportUnreachable('a');
    h.tickAll(1);
    // b ranks first among the other voters (b, c, d, e): it campaigns at the next tick.
    assert.equal(h.leader(), 'b', `order ${order.join(',')}`);
    assert.equal(h.get('b').term, 2);
  }
});

test('leader lost: a survivor still in its lease ignores the pre-vote; the next one wins once it lost the leader too', () => {
  const h = cluster();
  h.stop('a');
  h.get('b').reportUnreachable('a');
  h.tickAll(1); // b pre-votes; c still heard from a within the election timeout and ignores it
  assert.equal(h.leader(), null);
  assert.equal(h.get('b').role, 'preCandidate');
  assert.equal(h.get('b').term, 1, 'a pre-vote changes no term');
  h.get('c').reportUnreachable('a');
  h.tickAll(3); // c campaigns at its third tick; b (no leader) grants
  assert.equal(h.leader(), 'c');
  assert.equal(h.get('c').term, 2);
});

test('leader lost: one follower losing its connection does not disrupt a live leader', () => {
  const h = cluster();
  h.get('c').reportUnreachable('a'); // a connection blip: a and b are fine
  h.tick('c', 3); // c campaigns at its third tick (rank 1 among b, c)
  assert.equal(h.get('c').role, 'preCandidate');
  h.stabilize();
  assert.equal(h.leader(), 'a', 'a and b keep their lease and ignore the pre-vote');
  h.tickAll(1); // a's next heartbeat brings c back
  assert.equal(h.get('c').role, 'follower');
  assert.equal(h.get('c').lead, 'a');
  for (const id of ['a', 'b', 'c']) assert.equal(h.get(id).term, 1, `${id}: no new term`);
  h.propose('a', 'y');
  assert.deepEqual(h.appliedData('c'), ['y']);
});

test('leader lost: a report about a peer that is not the leader changes nothing', () => {
  const h = cluster();
  h.get('c').reportUnreachable('b');
  assert.equal(h.get('c').lead, 'a');
  h.tickAll(5);
  assert.equal(h.leader(), 'a');
  assert.equal(h.get('c').term, 1);
});
