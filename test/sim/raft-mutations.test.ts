import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RaftMutation } from './raft-mutants.js';
import { defaultSimOptions, productionSimOptions, runRaftSim, runRaftSimAsync } from './raft-sim.js';
import { PRODUCTION_HOST_MUTANTS, type ProductionHostMutant } from './raft-host-mutants.js';

/**
 * Mutation check: a deliberately broken Raft core must be caught by the simulator. Each case
 * runs seeds until `want` of them fail (or `max` seeds were tried) and reports which property fired.
 */
function hunt(mutation: RaftMutation | 'localReads', want: number, max: number): { caught: number; tried: number; rules: Record<string, number> } {
  const rules: Record<string, number> = {};
  let caught = 0;
  let tried = 0;
  for (let seed = 1; seed <= max && caught < want; seed++) {
    tried++;
    const base = defaultSimOptions(seed);
    const r = runRaftSim(mutation === 'localReads' ? { ...base, localReads: true } : { ...base, mutation });
    const v = r.violations[0];
    if (v) {
      caught++;
      const rule = v.split(':')[0]!;
      rules[rule] = (rules[rule] ?? 0) + 1;
    }
  }
  return { caught, tried, rules };
}

const CASES: [string, RaftMutation | 'localReads', number, number][] = [
  // The leader commits what it has itself appended, without waiting for a majority.
  ['commit without a majority', 'commitWithoutQuorum', 5, 40],
  // Voters grant votes to candidates whose log is behind theirs (Raft §5.4.1 dropped).
  ['vote ignores the up-to-date check', 'skipUpToDateCheck', 3, 150],
  // A node votes for more than one candidate per term (Raft §5.2 "at most one").
  ['vote twice in a term', 'voteTwice', 5, 40],
  // ReadIndex without the heartbeat round: a deposed leader that has not noticed yet answers stale reads.
  ['ReadIndex without confirming leadership', 'readIndexNoQuorum', 1, 300],
  // The host answers reads from its local state machine instead of going through ReadIndex.
  ['reads served locally without ReadIndex', 'localReads', 3, 150],
];

for (const [name, mutation, want, max] of CASES) {
  test(`mutation "${name}" is caught by the simulator`, () => {
    const r = hunt(mutation, want, max);
    console.log(`raft mutation ${name}: ${r.caught} failing of ${r.tried} seeds tried; first rules: ${JSON.stringify(r.rules)}`);
    assert.ok(r.caught >= want, `only ${r.caught} of ${r.tried} seeds caught "${name}"`);
  });
}

// Durable storage: the disks acknowledge fsync of log segments without making the data durable,
// as if persist() resolved before the write was on disk. A crash then loses acknowledged entries
// and votes.
test('mutation "log fsync acknowledged but not durable" is caught by the durable simulator', async () => {
  const rules: Record<string, number> = {};
  let caught = 0;
  let tried = 0;
  for (let seed = 1; seed <= 20 && caught < 5; seed++) {
    tried++;
    const r = await runRaftSimAsync({ ...defaultSimOptions(seed), durable: true, lyingDisk: true });
    const v = r.violations[0];
    if (v) {
      caught++;
      const rule = v.split(':')[0]!;
      rules[rule] = (rules[rule] ?? 0) + 1;
    }
  }
  console.log(`raft mutation lying log fsync: ${caught} failing of ${tried} seeds tried; first rules: ${JSON.stringify(rules)}`);
  assert.ok(caught >= 5, `only ${caught} of ${tried} seeds caught the lying fsync`);
});

// The production host (src/raft/host.ts) in the simulator: a host that sends every message of a
// Ready before its write is durable, and disks that acknowledge fsync without making the log
// durable. Rates over 150 seeds: docs/raft.md "Mutation results" (node --import tsx
// test/sim/mutation-rate.ts raft-host:<name> [from] [count]).
const HOST_CASES: [ProductionHostMutant, number, number][] = [
  ['sendBeforeSync', 5, 30],
  ['lyingFsync', 5, 20],
];
for (const [name, want, max] of HOST_CASES) {
  test(`mutation "${name}" of the production host is caught by the simulator`, async () => {
    const rules: Record<string, number> = {};
    let caught = 0;
    let tried = 0;
    for (let seed = 1; seed <= max && caught < want; seed++) {
      tried++;
      const r = await runRaftSimAsync({ ...productionSimOptions(seed), ...PRODUCTION_HOST_MUTANTS[name] });
      const v = r.violations[0];
      if (v) {
        caught++;
        const rule = v.split(':')[0]!;
        rules[rule] = (rules[rule] ?? 0) + 1;
      }
    }
    console.log(`raft production host mutation ${name}: ${caught} failing of ${tried} seeds tried; first rules: ${JSON.stringify(rules)}`);
    assert.ok(caught >= want, `only ${caught} of ${tried} seeds caught "${name}" of the production host`);
  });
}
