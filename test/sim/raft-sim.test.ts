import { defaultSimOptions } from './raft-sim.js';
import { raftSimProfileTest } from './raft-sim-suite.js';

// 500 seeds of the default profile (even seeds: 3 nodes, odd seeds: 5 nodes; a fault every
// 50–400 ms) and 200 seeds of the "storm" profile (5 nodes, a fault every 10–80 ms), each from a
// random base printed with the command that reruns the range (test/sim/README.md).
// One seed:   SIM_SEED=123 [SIM_PROFILE=storm] node --import tsx --test test/sim/raft-sim.test.ts
// More seeds: SIM_FROM=1 SIM_SEEDS=5000 [SIM_PROFILE=storm] node --import tsx --test test/sim/raft-sim.test.ts
// (The durable-storage profile is in raft-durable-sim.test.ts.)
const FILE = 'test/sim/raft-sim.test.ts';
raftSimProfileTest(FILE, 'default', 500, defaultSimOptions, true);
raftSimProfileTest(FILE, 'storm', 200, (seed) => ({ ...defaultSimOptions(seed), nodes: 5, faultGapMs: [10, 80] }));
