/**
 * The fan-out round of the push benches (bench/lib/fanout.ts): it reports the load generator's own
 * GC during the round, so a slow round can be told apart from a slow server
 * (docs/benchmarks.md "Push fan-out on the http2 transport (2026-12-07, second look)").
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { Arrivals, measureRound } from '../../bench/lib/fanout.js';

test('measureRound reports the GC the load generator did during the round', async () => {
  const arrivals = new Arrivals(2);
  let sink = 0;
  const r = await measureRound(
    arrivals,
    async () => {
      // Enough short-lived garbage for several young-generation collections.
      for (let k = 0; k < 40; k++) {
        const xs: { i: number; s: string }[] = [];
        for (let i = 0; i < 50_000; i++) xs.push({ i, s: `x${i}` });
        sink += xs.length;
        await new Promise((res) => setImmediate(res));
      }
      arrivals.mark(0, performance.now());
      arrivals.mark(1, performance.now());
    },
    5_000,
  );
  assert.equal(sink, 40 * 50_000);
  assert.equal(r.received, 2);
  assert.equal(r.missing, 0);
  assert.ok(r.loadGcMs !== undefined && r.loadGcMs > 0, `loadGcMs ${r.loadGcMs}`);
  assert.ok(r.loadGcMaxMs !== undefined && r.loadGcMaxMs > 0 && r.loadGcMaxMs <= r.loadGcMs);
});

test('measureRound reports no GC for a round that allocates next to nothing', async () => {
  const arrivals = new Arrivals(1);
  const r = await measureRound(arrivals, () => {
    arrivals.mark(0, performance.now());
    return Promise.resolve();
  }, 1_000);
  assert.equal(r.received, 1);
  assert.ok(r.loadGcMs !== undefined && r.loadGcMs >= 0 && r.loadGcMs < 50);
});
