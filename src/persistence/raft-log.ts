import { join } from 'node:path';
import type { Logger } from '../observability/logger.js';
import { DurableRaftStorage } from '../raft/durable-storage.js';
import type { RaftLogStore } from '../raft/log-store.js';

/**
 * Opens this member's Raft log under `<dataDir>/raft` (layout in docs/raft.md): segment files
 * with checksummed records, snapshot files, torn-tail recovery. `fsync: false` only for
 * throw-away test clusters.
 */
export async function openRaftLog(dataDir: string, fsync: boolean, log: Logger, preallocateBytes = 0): Promise<RaftLogStore> {
  return DurableRaftStorage.open(join(dataDir, 'raft'), {
    fsync,
    preallocateBytes,
    // RaftLink reads a snapshot's image off the event loop to send it (docs/raft.md "Snapshot transfer").
    lazySnapshotImages: true,
    logger: { info: (o, m) => log.info(o, m), warn: (o, m) => log.warn(o, m) },
  });
}
