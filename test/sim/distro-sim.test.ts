import { test } from 'node:test';
import { runSeedRange } from './sim-runner.js';

// 350 seeds from a random base, printed with the command that reruns them (700 more are in
// distro-sim-b/-c.test.ts, so they share two cores). test/sim/README.md has the details.
// One seed:   SIM_SEED=123 node --import tsx --test test/sim/distro-sim.test.ts
// A range:    SIM_FROM=1 SIM_SEEDS=5000 node --import tsx --test test/sim/distro-sim.test.ts
test('distro simulation: every invariant holds on 350 seeds from a random base', () => {
  runSeedRange('test/sim/distro-sim.test.ts', 350);
});
