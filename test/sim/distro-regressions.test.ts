import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSeed } from './scenario.js';

/**
 * Seeds that once failed, replayed on every run (test/sim/README.md, "Regression seeds"). Each line
 * says what the seed exposed and whether it was the product or the checker that was wrong.
 */
const REGRESSIONS: readonly { seed: number; why: string }[] = [
  {
    seed: 1840530724,
    why: 'checker: a member cut off wrote its own copy of an ip-port client; after the heal it expired that stale copy 12 ms after the real owner re-created the client, before the owner\'s version could reach it — a correct expiry that the lease rule flagged',
  },
];

for (const r of REGRESSIONS) {
  test(`distro regression seed ${r.seed}`, () => {
    const res = runSeed(r.seed);
    assert.deepEqual(res.violations, [], `${r.why}\nreplay: SIM_SEED=${r.seed} node --import tsx --test test/sim/distro-sim.test.ts`);
  });
}
