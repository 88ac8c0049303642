import { defaultSimOptions, productionSimOptions } from './raft-sim.js';
import { raftSimProfileTest } from './raft-sim-suite.js';

// Connection-loss reports (docs/raft.md "Leader lost"): the survivors of a crash are told their
// connection to it failed and campaign without waiting for the election timeout, and live leaders'
// followers get spurious reports (blips). Every property of the other profiles must still hold.
// One seed: SIM_SEED=123 SIM_PROFILE=leader-lost node --import tsx --test test/sim/raft-leader-lost-sim.test.ts
raftSimProfileTest('test/sim/raft-leader-lost-sim.test.ts', 'leader-lost', 300, (seed) => ({ ...defaultSimOptions(seed), leaderLostReports: true }), true);
raftSimProfileTest('test/sim/raft-leader-lost-sim.test.ts', 'leader-lost-production', 100, (seed) => ({ ...productionSimOptions(seed), leaderLostReports: true }));
