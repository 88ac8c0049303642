import { test } from 'node:test';
import { runSeedRange } from './sim-runner.js';

// A third 350 seeds from its own random base (see distro-sim.test.ts).
test('distro simulation: every invariant holds on 350 further seeds from a random base', () => {
  runSeedRange('test/sim/distro-sim-c.test.ts', 350);
});
