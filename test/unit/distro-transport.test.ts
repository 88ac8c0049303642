import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import type { DistroOutcome } from '../../src/distro/messages.js';
import { request, type DistroTransportAgent } from '../../src/distro/transport-agent.js';

const req = { type: 'snapshot' as const, from: 'a', cursor: null, maxBytes: 100 };

test('request: the core enforces the timeout and reports once; late answers are ignored', () => {
  const clock = new ManualClock(0);
  let later: ((o: DistroOutcome) => void) | null = null;
  const agent: DistroTransportAgent = { send: (_t, _r, _ms, done) => void (later = done) };
  const results: string[] = [];
  request(agent, clock, 'b', req, 100, (r) => results.push(r.ok ? 'ok' : r.reason));
  clock.advance(100);
  later!({ type: 'snapshot-chunk', loaded: true, entries: [], next: null });
  assert.deepEqual(results, ['timeout']);
});

test('request: error responses, wrong types and throwing transports are failures', () => {
  const clock = new ManualClock(0);
  const results: string[] = [];
  const push = (r: { ok: boolean; reason?: string }) => results.push(r.ok ? 'ok' : r.reason!);
  request({ send: (_t, _r, _ms, done) => done({ type: 'error', message: 'boom' }) }, clock, 'b', req, 100, push);
  request({ send: (_t, _r, _ms, done) => done({ type: 'sync-ack', newer: [], failed: [] }) }, clock, 'b', req, 100, push);
  request({ send: () => { throw new Error('not connected'); } }, clock, 'b', req, 100, push);
  request({ send: (_t, _r, _ms, done) => { done({ type: 'snapshot-chunk', loaded: true, entries: [], next: null }); done({ type: 'failed', reason: 'x' }); } }, clock, 'b', req, 100, push);
  assert.deepEqual(results, ['peer error: boom', 'unexpected response sync-ack to snapshot', 'not connected', 'ok']);
  clock.advance(1000);
  assert.equal(results.length, 4, 'timers cancelled after the outcome');
});
