import { test } from 'node:test';
import { runSeedRange } from './sim-runner.js';

// Seeds 501..1000 (see distro-sim.test.ts).
test('distro simulation: every invariant holds on seeds 501..1000', () => {
  runSeedRange('test/sim/distro-sim-b.test.ts', 501, 500);
});
