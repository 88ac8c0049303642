import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultSimOptions, runRaftSim, type RaftSimOptions } from './raft-sim.js';

// Seeds 1..500 of the default profile (even seeds: 3 nodes, odd seeds: 5 nodes; a fault every
// 50–400 ms) and seeds 1..200 of the "storm" profile (5 nodes, a fault every 10–80 ms).
// One seed:   SIM_SEED=123 [SIM_PROFILE=storm] node --import tsx --test test/sim/raft-sim.test.ts
// More seeds: SIM_FROM=1 SIM_SEEDS=5000 [SIM_PROFILE=storm] node --import tsx --test test/sim/raft-sim.test.ts
const one = process.env['SIM_SEED'];
const onlyProfile = process.env['SIM_PROFILE'];
const from = Number(process.env['SIM_FROM'] ?? 1);

const PROFILES: Record<string, { seeds: number; options: (seed: number) => RaftSimOptions }> = {
  default: { seeds: 500, options: defaultSimOptions },
  storm: { seeds: 200, options: (seed) => ({ ...defaultSimOptions(seed), nodes: 5, faultGapMs: [10, 80] }) },
};

for (const [profile, { seeds: defaultCount, options }] of Object.entries(PROFILES)) {
  if (onlyProfile ? onlyProfile !== profile : one !== undefined && profile !== 'default') continue;
  const count = Number(process.env['SIM_SEEDS'] ?? defaultCount);
  const seeds = one ? [Number(one)] : Array.from({ length: count }, (_, i) => from + i);
  const label = one ? `seed ${one}` : `seeds ${seeds[0]}..${seeds.at(-1)}`;
  test(`raft simulation (${profile}): every property holds on ${label}`, () => {
    const failures: string[] = [];
    const t0 = Date.now();
    const totals = { events: 0, writesAcked: 0, writesUnknown: 0, reads: 0, crashes: 0, partitions: 0, snapshotsSent: 0, leaders: 0, transfers: 0, confChanges: 0 };
    let maxHeal = 0;
    let sumHeal = 0;
    const env = profile === 'default' ? '' : `SIM_PROFILE=${profile} `;
    for (const seed of seeds) {
      const r = runRaftSim(options(seed));
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r.stats[k];
      const heal = r.stats.leaderAfterHealMs < 0 ? Infinity : r.stats.leaderAfterHealMs;
      maxHeal = Math.max(maxHeal, heal);
      sumHeal += Number.isFinite(heal) ? heal : 0;
      if (r.violations.length > 0) {
        failures.push(
          `seed ${seed}: ${r.violations.slice(0, 3).join('\n    ')}\n  replay: SIM_SEED=${seed} ${env}node --import tsx --test test/sim/raft-sim.test.ts`,
        );
        if (one) console.log(JSON.stringify(r.stats));
      }
    }
    console.log(`raft sim (${profile}): ${seeds.length} seeds in ${Date.now() - t0} ms; totals ${JSON.stringify(totals)}`);
    console.log(`raft sim (${profile}): after healing, a leader followed by all members within ${maxHeal} ms (max), ${Math.round(sumHeal / seeds.length)} ms (mean)`);
    assert.deepEqual(failures, [], failures.join('\n'));
  });
}
