/**
 * The member's persistent store: the Raft-replicated log under `<data-dir>/raft`, with the
 * timings from the config and the write checks of every apply listener (docs/raft.md).
 */
import { checkAuthWrite } from '../auth/auth-state.js';
import type { Config } from '../config/config.js';
import { checkConfigWrite } from '../config-center/config-rows.js';
import type { Clock } from '../core/clock.js';
import { checkNamespaceWrite } from '../naming/namespaces.js';
import { checkNamingWrite } from '../naming/persistent-state.js';
import type { Logger } from '../observability/logger.js';
import { allChecks } from '../persistence/persistent-store.js';
import { openRaftLog } from '../persistence/raft-log.js';
import { RAFT_GROUP, RaftStore } from '../persistence/raft-store.js';
import { releaseGarbage, scheduleReadyGc, type IdleGarbageRelease } from './release-garbage.js';

/** Raft node id of a standalone member (its one-voter group). */
export const STANDALONE_RAFT_ID = 'standalone';

/**
 * `id`: the Raft node id (a cluster member's address, or STANDALONE_RAFT_ID); `release` frees a
 * large compaction's garbage once the member is idle (src/app/release-garbage.ts).
 */
export function persistentStore(config: Config, id: string, dataDir: string, clock: Clock, log: Logger, release: IdleGarbageRelease): RaftStore {
  const electionMs = config.int('nacos.core.protocol.raft.data.election_timeout_ms');
  const tickMs = Math.max(10, Math.floor(electionMs / config.int('nacos.core.protocol.raft.data.election_heartbeat_factor')));
  const fsync = config.bool('nomen.raft.fsync');
  return new RaftStore({
    id,
    openLog: () => openRaftLog(dataDir, fsync, log.child({ component: 'raft-storage' }), config.int('nomen.raft.log.preallocate-bytes')),
    clock,
    log: log.child({ component: 'persistent' }),
    tickMs,
    electionTick: Math.max(2, Math.round(electionMs / tickMs)),
    heartbeatTick: 1,
    snapshotEntries: config.int('nomen.raft.snapshot.entries'),
    snapshotIntervalMs: config.int('nacos.core.protocol.raft.data.snapshot_interval_secs') * 1000,
    snapshotLogRatio: config.int('nomen.raft.snapshot.log-percent') / 100,
    snapshotResendMs: config.int('nomen.raft.snapshot.send-timeout-ms'),
    writeTimeoutMs: config.int('nomen.raft.write.timeout-ms'),
    forwardTimeoutMs: config.int('nacos.core.protocol.raft.data.rpc_request_timeout_ms'),
    noLeaderWaitMs: config.int('nomen.raft.no-leader.wait-ms'),
    catchUpTimeoutMs: config.int('nomen.raft.start.catch-up-timeout-ms'),
    // A standalone member is its own group: nobody would ever add it.
    join: id !== STANDALONE_RAFT_ID && config.bool('nomen.raft.join'),
    check: allChecks(checkNamingWrite, checkAuthWrite, checkNamespaceWrite, checkConfigWrite),
    onCompacted: (index, imageChars) => release.request(imageChars, { index }),
  });
}

/** At the end of a start: one full GC if the store restored a large state (src/app/release-garbage.ts). */
export function releaseStartupGarbage(store: RaftStore, log: Logger): void {
  // One pass at start: a second one made no difference to the RSS there (docs/benchmarks.md j.).
  logRelease(log, releaseGarbage(store.restoredChars, 1), { restoredChars: store.restoredChars });
}

/**
 * The start's garbage around ready (docs/benchmarks.md "Idle memory (issue 14, 2026-12-07)"): the
 * full GCs after ready (`nomen.memory.ready-gc-delay-ms`) also collect what restoring a large image
 * left, so only when they are off does the start pay for that GC here, before reporting ready.
 * Call just before ready; the function it returns schedules the GCs after ready and gives their cancel.
 */
export function readyGarbage(config: Config, store: RaftStore, clock: Clock, log: Logger): () => () => void {
  const delayMs = config.int('nomen.memory.ready-gc-delay-ms');
  if (delayMs < 0) releaseStartupGarbage(store, log);
  return () => scheduleReadyGc({ clock, delayMs, log });
}

function logRelease(log: Logger, ms: number | null, about: object): void {
  if (ms !== null) log.info({ ...about, gcMs: Math.round(ms) }, 'released the garbage of a large persistent image (full GC)');
}

/** Raft role, term, indexes and configuration of the store, for operators. */
export function raftState(store: RaftStore, link: { readonly stats: unknown } | null): unknown {
  return { group: RAFT_GROUP, ...store.status(), stats: store.stats(), link: link?.stats ?? null };
}
