/**
 * Deliberate bugs of the production Raft host (src/raft/host.ts) for the mutation tests
 * (test/sim/raft-mutations.test.ts, docs/raft.md "Mutation results"). The production class carries
 * no test flags: each bug is a test subclass overriding one protected rule.
 */
import { RaftHost, type RaftHostOptions } from '../../src/raft/host.js';
import type { Message, Ready } from '../../src/raft/index.js';
import type { RaftSimOptions } from './raft-sim.js';

export type HostMutation =
  | 'none'
  /** Every message of a Ready leaves before its write is durable (votes and acks included). */
  | 'sendBeforeSync';

const MUTANTS: Record<Exclude<HostMutation, 'none'>, typeof RaftHost> = {
  sendBeforeSync: class extends RaftHost {
    protected override outgoing(rd: Ready): { before: Message[]; after: Message[] } {
      return { before: rd.messages, after: [] };
    }
  },
};

/** A RaftHost with the given bug (the real one for 'none'). */
export function newRaftHost(opts: RaftHostOptions, appliedIndex: number, mutation: HostMutation = 'none'): RaftHost {
  return mutation === 'none' ? new RaftHost(opts, appliedIndex) : new MUTANTS[mutation](opts, appliedIndex);
}

/** The production-host mutations of the mutation tests and test/sim/mutation-rate.ts, as simulator options. */
export const PRODUCTION_HOST_MUTANTS = {
  sendBeforeSync: { hostMutation: 'sendBeforeSync' },
  /** The simulated disks acknowledge fsync of log segments without making them durable. */
  lyingFsync: { lyingDisk: true },
} as const satisfies Record<string, Partial<RaftSimOptions>>;

export type ProductionHostMutant = keyof typeof PRODUCTION_HOST_MUTANTS;
