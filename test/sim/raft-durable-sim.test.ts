import { defaultSimOptions } from './raft-sim.js';
import { raftSimProfileTest } from './raft-sim-suite.js';

// The default profile with DurableRaftStorage on simulated disks (test/sim/sim-disk.ts): a crash
// keeps only fsynced bytes plus a torn prefix of the rest, restarts recover from the disk, and
// 0.4 % of writes are hit by a crash (restarted 20–200 ms later). 100 seeds from a random base.
// One seed:   SIM_SEED=123 node --import tsx --test test/sim/raft-durable-sim.test.ts
// More seeds: SIM_FROM=1 SIM_SEEDS=2000 node --import tsx --test test/sim/raft-durable-sim.test.ts
raftSimProfileTest('test/sim/raft-durable-sim.test.ts', 'durable', 100, (seed) => ({ ...defaultSimOptions(seed), durable: true }), true);
