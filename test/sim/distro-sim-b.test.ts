import { test } from 'node:test';
import { runSeedRange } from './sim-runner.js';

// Another 350 seeds from its own random base (see distro-sim.test.ts).
test('distro simulation: every invariant holds on 350 more seeds from a random base', () => {
  runSeedRange('test/sim/distro-sim-b.test.ts', 350);
});
