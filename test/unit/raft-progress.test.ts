import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Progress } from '../../src/raft/index.js';

test('raft progress: probe pauses after one append and resumes on an answer', () => {
  const p = new Progress(5, false, 2);
  assert.equal(p.state, 'probe');
  p.sentEntries(7, 2);
  assert.equal(p.isPaused(), true);
  assert.equal(p.maybeUpdate(7), true);
  assert.equal(p.isPaused(), false);
  assert.equal(p.next, 8);
});

test('raft progress: replicate pipelines until maxInflight, acks free the window', () => {
  const p = new Progress(1, false, 2);
  p.maybeUpdate(3);
  p.becomeReplicate();
  assert.equal(p.next, 4);
  p.sentEntries(5, 2);
  p.sentEntries(7, 2);
  assert.equal(p.next, 8, 'optimistic next');
  assert.equal(p.isPaused(), true);
  p.maybeUpdate(5);
  p.freeInflightsTo(5);
  assert.equal(p.isPaused(), false);
});

test('raft progress: stale rejections are ignored, fresh ones move next back using the hint', () => {
  const p = new Progress(10, false, 4);
  assert.equal(p.maybeDecrTo(5, 2), false, 'not the probe we sent (next-1 = 9)');
  assert.equal(p.maybeDecrTo(9, 3), true);
  assert.equal(p.next, 4);
  p.maybeUpdate(6);
  p.becomeReplicate();
  assert.equal(p.maybeDecrTo(6, 0), false, 'rejection at or below match is stale');
  assert.equal(p.maybeDecrTo(8, 0), true);
  assert.equal(p.next, 7);
});

test('raft progress: snapshot state pauses until the snapshot is acknowledged', () => {
  const p = new Progress(3, false, 4);
  p.becomeSnapshot(50);
  assert.equal(p.isPaused(), true);
  p.becomeProbe();
  assert.equal(p.next, 51, 'probe after the snapshot');
});
