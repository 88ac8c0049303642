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
  };
  if (!c.id) throw new Error('raft: id must be non-empty');
  if (c.heartbeatTick <= 0 || c.electionTick <= c.heartbeatTick) throw new Error('raft: need 0 < heartbeatTick < electionTick');
  if (c.maxInflight <= 0 || c.maxEntriesPerMsg <= 0) throw new Error('raft: maxInflight and maxEntriesPerMsg must be > 0');
  return c;
}
