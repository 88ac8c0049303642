import { productionSimOptions } from './raft-sim.js';
import { raftSimProfileTest } from './raft-sim-suite.js';

// The production Raft host (src/raft/host.ts) in the simulator: DurableRaftStorage on simulated
// disks, 1 % of fsyncs hit by a power loss, whole-disk loss and mid-log corruption of a member
// (replaced by a new member, docs/raft.md "Faults"). 100 seeds from a random base.
// One seed:   SIM_SEED=123 SIM_PROFILE=production node --import tsx --test test/sim/raft-prod-sim.test.ts
// More seeds: SIM_FROM=1 SIM_SEEDS=2000 SIM_PROFILE=production node --import tsx --test test/sim/raft-prod-sim.test.ts
raftSimProfileTest('test/sim/raft-prod-sim.test.ts', 'production', 100, productionSimOptions, true);
