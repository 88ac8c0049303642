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
  // The simulator removed a voter (3 → 2) while a wiped member still caught up in join mode: the
  // two voters left were the leader-to-be and the empty member, which grants no vote, so no leader
  // ever again. The simulator now makes no membership change during a wipe recovery, as it makes
  // none during a replacement (an operator would not shrink the group while a member is down).
  [394514970, 'voter removed during a wipe recovery'],
  // A join-mode member that caught up from entries had no configuration (the initial one lived only
  // in the index-0 snapshot): holding the longest log it could not campaign, and no leader was ever
  // elected. Each leader's term-start entry now records the configuration (docs/raft.md "Lost disks").
  [394514904, 'join-mode member without a configuration'],
  // The simulated operator added a replacement as a voter before it held anything; the other voter
  // restarted and the empty member, which grants no vote, blocked every election. addVoter now needs
  // a learner holding the committed log (docs/raft.md "Features", membership changes).
  [1246571982, 'empty replacement promoted to voter'],
  // A follower wiped under its id (join mode) got the leader's snapshot, which was behind the commit
  // index its acknowledgements had helped reach; the leader died, and the member — barred from
  // voting by the catch-up rule — still campaigned, counted its own vote, and won with a stale
  // voter: committed entries 112–114 were lost. A member that may not vote no longer campaigns
  // (docs/raft.md "Lost disks"; SIM_TRACE=1 shows it).
  [405622216, 'catching-up member elected itself'],
];

test('raft simulator regression seeds (default profile)', () => {
  for (const [seed, why] of DEFAULT) assert.deepEqual(runRaftSim(defaultSimOptions(seed)).violations, [], `seed ${seed} (${why})`);
});

test('raft simulator regression seeds (production host)', async () => {
  for (const [seed, why] of PRODUCTION) assert.deepEqual((await runRaftSimAsync(productionSimOptions(seed))).violations, [], `seed ${seed} (${why})`);
});
