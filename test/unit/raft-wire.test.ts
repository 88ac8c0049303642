import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRaftMessages, raftMessagesSchema } from '../../src/cluster/raft-wire.js';

// parseRaftMessages checks the hot message types by hand and falls back to the schema
// (docs/benchmarks.md "Raft write path, third pass"): it must accept and return exactly what the
// schema does, on every input.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const base = { from: 'a', to: 'b', term: 3 };
const valid: Record<string, unknown>[] = [
  { ...base, type: 'app', index: 4, logTerm: 2, commit: 4, entries: [] },
  { ...base, type: 'app', index: 4, logTerm: 2, commit: 4, entries: [{ term: 3, index: 5, type: 'normal', data: '{"x":1}' }, { term: 3, index: 6, type: 'conf', data: '' }] },
  { ...base, type: 'appResp', index: 6, reject: false, hint: 0, hintTerm: 0 },
  { ...base, type: 'appResp', index: 6, reject: true, hint: 2, hintTerm: 1, lost: true },
  { ...base, type: 'heartbeat', commit: 6, ctx: '' },
  { ...base, type: 'heartbeatResp', ctx: 'r1' },
  { ...base, type: 'vote', index: 6, logTerm: 3, transfer: false },
  { ...base, type: 'voteResp', reject: true },
  { ...base, type: 'timeoutNow' },
];
const odd: unknown[] = [-1, 1.5, 2 ** 53, Number.NaN, '1', null, undefined, true, '', 'x', [], {}, 'normal', 'snap'];

function mutate(r: () => number, m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...m };
  const keys = Object.keys(out);
  const k = keys[Math.floor(r() * keys.length)] ?? 'term';
  const roll = r();
  if (roll < 0.5) out[k] = odd[Math.floor(r() * odd.length)];
  else if (roll < 0.7) delete out[k];
  else if (roll < 0.85) out.extra = 1;
  else if (Array.isArray(out.entries) && out.entries.length > 0) {
    const entries = [...(out.entries as Record<string, unknown>[])];
    entries[0] = { ...entries[0], [['term', 'index', 'type', 'data', 'more'][Math.floor(r() * 5)] ?? 'x']: odd[Math.floor(r() * odd.length)] };
    out.entries = entries;
  }
  return out;
}

function expected(body: unknown): unknown {
  const r = raftMessagesSchema.safeParse(body);
  return r.success ? r.data.messages : 'error';
}

function actual(body: unknown): unknown {
  const r = parseRaftMessages(body);
  return 'error' in r ? 'error' : r;
}

test('raft messages: the hand-checked path agrees with the schema (valid, mutated, extra keys)', () => {
  const r = rng(7);
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    const n = 1 + Math.floor(r() * 3);
    const messages = Array.from({ length: n }, () => {
      const m = valid[Math.floor(r() * valid.length)] ?? valid[0];
      return r() < 0.6 ? mutate(r, m as Record<string, unknown>) : m;
    });
    const body = { messages };
    const want = expected(body);
    assert.deepEqual(actual(body), want, JSON.stringify(body));
    if (want !== 'error') accepted++;
  }
  assert.ok(accepted > 500, `enough accepted bodies (${accepted})`);
});

test('raft messages: unknown keys are dropped, as the schema strips them', () => {
  const m = { ...base, type: 'app', index: 1, logTerm: 1, commit: 1, entries: [{ term: 1, index: 2, type: 'normal', data: 'd', junk: 1 }], junk: 'x' };
  assert.deepEqual(parseRaftMessages({ messages: [m] }), [{ ...base, type: 'app', index: 1, logTerm: 1, commit: 1, entries: [{ term: 1, index: 2, type: 'normal', data: 'd' }] }]);
  for (const body of [null, [], { messages: {} }, { messages: [null] }, { messages: [{ ...base, type: 'app' }] }]) {
    assert.equal('error' in parseRaftMessages(body), true, JSON.stringify(body));
  }
});
