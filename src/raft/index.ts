export * from './types.js';
export * from './storage.js';
export * from './config.js';
export { RaftLog } from './log.js';
export { Progress, type ProgressState } from './progress.js';
export { RaftNode, type ProposeResult, type ReadIndexResult } from './node.js';
export { DurableRaftStorage, RaftStorageCorruptError, type DurableRaftStorageOptions, type PersistBatch, type RaftFs, type RaftFile, type RaftStorageLogger } from './durable-storage.js';
