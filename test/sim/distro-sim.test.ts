import { test } from 'node:test';
import { runSeedRange } from './sim-runner.js';

// 500 seeds from a random base, printed with the command that reruns them (the other 500 are in
// distro-sim-b.test.ts, so the two run on two cores). test/sim/README.md has the details.
// One seed:   SIM_SEED=123 node --import tsx --test test/sim/distro-sim.test.ts
// A range:    SIM_FROM=1 SIM_SEEDS=5000 node --import tsx --test test/sim/distro-sim.test.ts
test('distro simulation: every invariant holds on 500 seeds from a random base', () => {
  runSeedRange('test/sim/distro-sim.test.ts', 500);
});
