/**
 * Raft simulator seeds that once failed, replayed on every run (test/sim/README.md "Regression
 * seeds"). Each line says what the seed exposed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultSimOptions, productionSimOptions, runRaftSim, runRaftSimAsync } from './raft-sim.js';

const DEFAULT: [number, string][] = [
  // "An empty member refuses candidates with entries" (a lost-disk vote rule, dropped): a 2-voter
  // configuration whose second voter never received an entry could elect nobody (docs/raft.md "Lost disks").
  [186986824, 'empty-voter rule deadlock'],
  [186986889, 'empty-voter rule deadlock'],
  [186987193, 'empty-voter rule deadlock'],
  // The same rule limited to members at term 0: a voter partitioned since the start, after the leader removed itself.
  [186986916, 'term-0 empty-voter rule deadlock'],
];

const PRODUCTION: [number, string][] = [
  // A follower wiped under its id and restarted plainly (bootstrapping the member list) voted twice
  // in term 2, for an empty candidate; same-id wipes now restart in join mode (docs/raft.md "Lost disks").
  [200, 'plain same-id wipe voted twice in a term'],
];

test('raft simulator regression seeds (default profile)', () => {
  for (const [seed, why] of DEFAULT) assert.deepEqual(runRaftSim(defaultSimOptions(seed)).violations, [], `seed ${seed} (${why})`);
});

test('raft simulator regression seeds (production host)', async () => {
  for (const [seed, why] of PRODUCTION) assert.deepEqual((await runRaftSimAsync(productionSimOptions(seed))).violations, [], `seed ${seed} (${why})`);
});
