/**
 * Deliberate Raft safety bugs for the mutation tests (test/sim/raft-mutations.test.ts) and the
 * Figure 8 unit test. The production RaftNode carries no test flags: each bug is a test subclass
 * overriding one protected safety rule (docs/raft.md, "Mutation results").
 */
import { RaftNode, type RaftOptions, type VoteMsg } from '../../src/raft/index.js';

export type RaftMutation =
  | 'none'
  /** Leader commits its own last index without a majority. */
  | 'commitWithoutQuorum'
  /** Voters skip the §5.4.1 "candidate's log is at least as up-to-date" check. */
  | 'skipUpToDateCheck'
  /** Leader commits entries of older terms by counting replicas (Figure 8). */
  | 'commitOldTermByCount'
  /** A node may vote for several candidates in one term. */
  | 'voteTwice'
  /** ReadIndex answers at once, without a heartbeat round confirming leadership. */
  | 'readIndexNoQuorum'
  /**
   * The leader counts its own entries toward a commit when it appends them, not once its write is
   * durable, while its appends leave before that write (docs/raft.md "Host loop contract").
   */
  | 'selfAckAtAppend';

const MUTANTS: Record<Exclude<RaftMutation, 'none'>, typeof RaftNode> = {
  commitWithoutQuorum: class extends RaftNode {
    protected override majorityMatch(sortedDesc: readonly number[]): number {
      return sortedDesc[0] ?? 0;
    }
  },
  skipUpToDateCheck: class extends RaftNode {
    protected override candidateUpToDate(): boolean {
      return true;
    }
  },
  commitOldTermByCount: class extends RaftNode {
    protected override commitsByCounting(): boolean {
      return true;
    }
  },
  voteTwice: class extends RaftNode {
    protected override mayVoteFor(_m: VoteMsg): boolean {
      return true;
    }
  },
  readIndexNoQuorum: class extends RaftNode {
    protected override readNeedsQuorum(): boolean {
      return false;
    }
  },
  selfAckAtAppend: class extends RaftNode {
    protected override countsOwnAppendAtOnce(): boolean {
      return true;
    }
  },
};

/** A RaftNode with the given bug injected (the real one for 'none'). */
export function newRaftNode(opts: RaftOptions, mutation: RaftMutation = 'none'): RaftNode {
  return mutation === 'none' ? new RaftNode(opts) : new MUTANTS[mutation](opts);
}
