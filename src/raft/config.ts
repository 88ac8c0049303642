import type { NodeId } from './types.js';
import type { RaftStorage } from './storage.js';

export interface RaftConfig {
  id: NodeId;
  storage: RaftStorage;
  /** Ticks without hearing from a leader before campaigning; actual timeout is random in [t, 2t). */
  electionTick: number;
  /** Leader heartbeat interval in ticks (must be < electionTick). */
  heartbeatTick: number;
  /** Uniform [0,1) source for the randomized election timeout (inject a seeded one in tests). */
  random: () => number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Max append messages in flight per follower in replicate state. */
  maxInflight: number;
  /** Max entries per append message. */
  maxEntriesPerMsg: number;
  /** Max committed entries handed out per Ready (Infinity = all). */
  maxCommittedPerReady: number;
  /**
   * Leader ticks a follower stays in snapshot state without an answer before the snapshot is sent
   * again (a snapshot lost without the host reporting it). Until then heartbeat answers do not
   * re-send it: a large snapshot takes longer to travel and install than a heartbeat interval
   * (docs/raft.md "Snapshot transfer").
   */
  snapshotResendTicks: number;
}

export type RaftOptions = Pick<RaftConfig, 'id' | 'storage'> & Partial<Omit<RaftConfig, 'id' | 'storage'>>;

export function raftConfig(o: RaftOptions): RaftConfig {
  const c: RaftConfig = {
    electionTick: 10,
    heartbeatTick: 1,
    random: Math.random,
    preVote: true,
    checkQuorum: true,
    maxInflight: 64,
    maxEntriesPerMsg: 64,
    maxCommittedPerReady: Infinity,
    ...o,
    snapshotResendTicks: o.snapshotResendTicks ?? 10 * (o.electionTick ?? 10),
  };
  if (!c.id) throw new Error('raft: id must be non-empty');
  if (c.heartbeatTick <= 0 || c.electionTick <= c.heartbeatTick) throw new Error('raft: need 0 < heartbeatTick < electionTick');
  if (c.maxInflight <= 0 || c.maxEntriesPerMsg <= 0) throw new Error('raft: maxInflight and maxEntriesPerMsg must be > 0');
  if (!(c.snapshotResendTicks >= 1)) throw new Error('raft: snapshotResendTicks must be >= 1');
  return c;
}
