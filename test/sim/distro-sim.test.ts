import { test } from 'node:test';
import { runSeedRange } from './sim-runner.js';

// Seeds 1..500 (the other half is in distro-sim-b.test.ts so the two run on two cores).
// One seed: SIM_SEED=123 node --import tsx --test test/sim/distro-sim.test.ts
// More seeds: SIM_FROM=1 SIM_SEEDS=5000 node --import tsx --test test/sim/distro-sim.test.ts
test('distro simulation: every invariant holds on seeds 1..500', () => {
  runSeedRange('test/sim/distro-sim.test.ts', 1, 500);
});
