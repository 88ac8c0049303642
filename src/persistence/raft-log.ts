import { join } from 'node:path';
import type { RaftLogStore } from '../raft/log-store.js';
import { MemoryLogStore } from '../raft/log-store.js';

/** Opens this member's Raft log under `<dataDir>/raft` (layout: docs/raft.md). */
export async function openRaftLog(dataDir: string, fsync: boolean): Promise<RaftLogStore> {
  void join(dataDir, 'raft');
  void fsync;
  // TEMPORARY until the durable storage lands: in-memory.
  return new MemoryLogStore();
}
