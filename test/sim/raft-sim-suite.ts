/**
 * The seed-sweep test shared by test/sim/raft-sim.test.ts (memory storage profiles) and
 * test/sim/raft-durable-sim.test.ts (DurableRaftStorage on simulated disks). Each profile runs its
 * seeds from a random base (printed, test/sim/seeds.ts). Environment: SIM_SEED=<n> runs one seed
 * (and prints its stats on failure), SIM_FROM / SIM_SEEDS a range, SIM_PROFILE=<name> only that profile.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runRaftSim, runRaftSimAsync, type RaftSimOptions } from './raft-sim.js';
import { announce, seedRange } from './seeds.js';

export function raftSimProfileTest(file: string, profile: string, defaultCount: number, options: (seed: number) => RaftSimOptions, isDefault = false): void {
  const one = process.env['SIM_SEED'];
  const onlyProfile = process.env['SIM_PROFILE'];
  if (onlyProfile ? onlyProfile !== profile : one !== undefined && !isDefault) return;
  const range = seedRange(defaultCount);
  const seeds = one ? [Number(one)] : Array.from({ length: range.count }, (_, i) => range.from + i);
  const label = one ? `seed ${one}` : `${range.count} seeds${range.random ? ' from a random base' : ` from ${range.from}`}`;
  test(`raft simulation (${profile}): every property holds on ${label}`, async () => {
    if (!one) announce(`raft sim (${profile})`, range, `SIM_FROM=${range.from} SIM_SEEDS=${range.count} SIM_PROFILE=${profile} node --import tsx --test ${file}`);
    const failures: string[] = [];
    const t0 = Date.now();
    const totals = {
      events: 0,
      writesAcked: 0,
      writesUnknown: 0,
      reads: 0,
      crashes: 0,
      partitions: 0,
      snapshotsSent: 0,
      leaders: 0,
      transfers: 0,
      confChanges: 0,
      writeCrashes: 0,
      tornTails: 0,
      tornBytes: 0,
      diskLosses: 0,
      refusedStarts: 0,
      replacements: 0,
      wipes: 0,
    };
    let maxHeal = 0;
    let sumHeal = 0;
    const env = `SIM_PROFILE=${profile} `;
    let durable = false;
    let production = false;
    for (const seed of seeds) {
      const opts = options(seed);
      durable ||= opts.durable;
      production ||= opts.production === true;
      const r = opts.durable ? await runRaftSimAsync(opts) : runRaftSim(opts);
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r.stats[k];
      const heal = r.stats.leaderAfterHealMs < 0 ? Infinity : r.stats.leaderAfterHealMs;
      maxHeal = Math.max(maxHeal, heal);
      sumHeal += Number.isFinite(heal) ? heal : 0;
      if (r.violations.length > 0) {
        failures.push(`seed ${seed}: ${r.violations.slice(0, 3).join('\n    ')}\n  replay: SIM_SEED=${seed} ${env}node --import tsx --test ${file}`);
        if (one) console.log(JSON.stringify(r.stats));
      }
    }
    const shown: Partial<typeof totals> = { ...totals };
    if (!durable) for (const k of ['writeCrashes', 'tornTails', 'tornBytes'] as const) delete shown[k];
    if (!production) for (const k of ['diskLosses', 'refusedStarts', 'replacements', 'wipes'] as const) delete shown[k];
    console.log(`raft sim (${profile}): ${seeds.length} seeds in ${Date.now() - t0} ms; totals ${JSON.stringify(shown)}`);
    console.log(`raft sim (${profile}): after healing, a leader followed by all members within ${maxHeal} ms (max), ${Math.round(sumHeal / seeds.length)} ms (mean)`);
    assert.deepEqual(failures, [], failures.join('\n'));
  });
}
