import type { Clock } from '../core/clock.js';
import type { DistroConfig } from './config.js';
import { entryId, type DistroDataStorage } from './data-storage.js';
import type { DistroDelayTaskEngine, SyncReason } from './delay-task-engine.js';
import type { DistroFailedTaskHandler } from './failed-task-handler.js';
import { jsonSize, type SyncEntry, type SyncResponse } from './messages.js';
import type { DistroCounters } from './stats.js';
import { request, type DistroTransportAgent } from './transport-agent.js';

/** Hooks for tests and the simulator (invariant checks); never needed in production. */
export interface DistroObserver {
  /** A sync message is about to be sent: its entries and why each was queued. */
  syncSent?(target: string, entries: readonly SyncEntry[], reasons: readonly SyncReason[]): void;
}

export interface ExecuteDeps {
  readonly self: string;
  readonly clock: Clock;
  readonly transport: DistroTransportAgent;
  readonly delay: DistroDelayTaskEngine;
  readonly storage: DistroDataStorage;
  readonly failed: DistroFailedTaskHandler;
  readonly config: DistroConfig;
  readonly counters: DistroCounters;
  readonly observer?: DistroObserver;
  /** A peer answered with states later than ours (to adopt if we are responsible). */
  readonly onNewer: (peer: string, entries: readonly SyncEntry[]) => void;
  readonly stopped: () => boolean;
}

/**
 * The execute-task engine (seed: DistroExecuteTaskExecuteEngine): turns due entries into sync
 * messages, one peer at a time — up to `syncBatchMaxEntries` entries or ~`syncBatchMaxBytes` per
 * message, at most `syncMaxInFlight` messages in flight per peer. The payload of each entry is the
 * client's state *now* (or its tombstone), never a stale copy from when it was queued.
 */
export class DistroExecuteTaskEngine {
  constructor(private readonly d: ExecuteDeps) {}

  /** Sends what is due for `peer` while it has free in-flight slots, then re-arms its timer. */
  drain(peer: string): void {
    const { delay, storage, config, counters } = this.d;
    const q = delay.queue(peer);
    if (!q || q.paused || this.d.stopped()) return;
    while (q.inFlight < config.syncMaxInFlight) {
      const entries: SyncEntry[] = [];
      const reasons: SyncReason[] = [];
      let bytes = 0;
      while (entries.length < config.syncBatchMaxEntries) {
        const p = delay.popDue(peer);
        if (!p) break;
        const e = storage.outgoingEntry(p.clientId);
        if (!e) {
          counters.syncEntriesSkipped++;
          continue;
        }
        const size = jsonSize(e);
        if (entries.length > 0 && bytes + size > config.syncBatchMaxBytes) {
          delay.unpop(peer, p);
          break;
        }
        entries.push(e);
        reasons.push(p.reason);
        bytes += size;
      }
      if (entries.length === 0) break;
      this.send(peer, entries, reasons, bytes);
    }
    // With every slot busy, the next completion drains again; arming now would spin on due entries.
    if (q.inFlight < config.syncMaxInFlight) delay.arm(q);
  }

  private send(peer: string, entries: SyncEntry[], reasons: SyncReason[], bytes: number): void {
    const { delay, config, counters } = this.d;
    const q = delay.queue(peer)!;
    q.inFlight++;
    counters.syncMessagesSent++;
    counters.syncEntriesSent += entries.length;
    counters.syncBytesSent += bytes;
    this.d.observer?.syncSent?.(peer, entries, reasons);
    request(this.d.transport, this.d.clock, peer, { type: 'sync', from: this.d.self, entries }, config.syncTimeoutMs, (r) => {
      // The peer may have been removed (and re-added: a new queue) meanwhile.
      if (delay.queue(peer) === q) q.inFlight--;
      if (this.d.stopped()) return;
      if (!r.ok) {
        counters.syncMessagesFailed++;
        this.d.failed.onFailed(peer, entries.map(entryId));
      } else {
        this.onAck(peer, r.response);
      }
      this.drain(peer);
    });
  }

  private onAck(peer: string, res: SyncResponse): void {
    if (Array.isArray(res.failed) && res.failed.length > 0) this.d.failed.onFailed(peer, res.failed);
    if (Array.isArray(res.newer) && res.newer.length > 0) this.d.onNewer(peer, res.newer);
  }
}
