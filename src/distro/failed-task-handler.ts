import type { DistroDelayTaskEngine } from './delay-task-engine.js';
import type { DistroCounters } from './stats.js';

/**
 * The failed-task handler (seed: DistroClientTaskFailedHandler): a failed sync entry is re-queued
 * for the same peer after the retry delay, with no limit while the peer stays in the member list
 * (docs/protocol/distro.md §3.6, §9.9) — unless a newer entry for the client is already pending, which then carries
 * the client's current state anyway. Entries for a peer that left the list are dropped.
 */
export class DistroFailedTaskHandler {
  constructor(
    private readonly delay: DistroDelayTaskEngine,
    private readonly retryDelayMs: () => number,
    private readonly counters: DistroCounters,
  ) {}

  onFailed(peer: string, clientIds: readonly string[]): void {
    for (const id of clientIds) if (this.delay.retry(peer, id, this.retryDelayMs())) this.counters.syncEntriesRetried++;
  }
}
