import type { Clock } from '../core/clock.js';
import type { DistroDataStorage, Tombstone } from './data-storage.js';
import type { DistroDelayTaskEngine } from './delay-task-engine.js';
import type { DistroCounters } from './stats.js';

/**
 * Replica leases and tombstone collection (seed: the expired-client cleaners, docs/protocol/distro.md §4.1-4.2).
 * A replica — any client this member is not responsible for — not renewed by its owner (an apply or
 * a matching verify) for `clientExpiredMs` is removed here only (not propagated); a weak tombstone
 * keeps an older copy from coming back. Tombstones are kept for `clientExpiredMs`; with them go
 * any entries still queued for the client (e.g. for a peer that has been DOWN all along).
 */
export class DistroReplicaCleaner {
  constructor(
    private readonly storage: DistroDataStorage,
    private readonly clock: Clock,
    private readonly expiredMs: () => number,
    private readonly counters: DistroCounters,
    private readonly delay: DistroDelayTaskEngine,
  ) {}

  /** Tombstones are kept for `clientExpiredMs` (a seam for the simulator's mutation tests). */
  protected tombstoneExpired(t: Tombstone, now: number, expiredMs: number): boolean {
    return now - t.at > expiredMs;
  }

  sweep(): void {
    const now = this.clock.monotonic();
    const E = this.expiredMs();
    for (const c of [...this.storage.clients()]) {
      if (this.storage.isResponsible(c.id)) continue;
      const m = this.storage.ensureMeta(c, now);
      if (now - m.lastRenewed <= E) continue;
      this.storage.setTombstone(c.id, { version: c.revision, writer: m.writer, at: now, strict: false, mine: false });
      this.storage.dropMeta(c.id);
      this.storage.registry.removeClient(c.id, now, 'replica');
      this.counters.expiredReplicas++;
    }
    for (const [id, t] of [...this.storage.tombstones()]) {
      if (this.tombstoneExpired(t, now, E)) {
        this.storage.dropTombstone(id);
        // Nothing is left to send for it: queues stay bounded by clients + tombstones.
        if (!this.storage.client(id)) this.delay.forget(id);
        this.counters.tombstonesCollected++;
      }
    }
  }
}
