import type { Clock, TimerHandle } from '../core/clock.js';
import type { DistroConfig } from './config.js';
import type { DistroDataProcessor } from './data-processor.js';
import type { SnapshotResponse } from './messages.js';
import type { DistroCounters } from './stats.js';
import { request, type DistroTransportAgent } from './transport-agent.js';

export interface LoadDeps {
  readonly self: string;
  readonly clock: Clock;
  readonly transport: DistroTransportAgent;
  readonly processor: DistroDataProcessor;
  readonly config: DistroConfig;
  readonly counters: DistroCounters;
  /** Peers to load from, in address order (in the member list, not DOWN). */
  readonly peers: () => readonly string[];
  readonly onLoaded: (warning: string | null) => void;
  readonly stopped: () => boolean;
}

/**
 * Start-up load (seed: DistroLoadDataTask), in chunks so any size loads (docs/protocol/distro.md §8.A4). A round asks
 * the peers in address order for their snapshot, chunk by chunk (cursor over sorted client ids);
 * every entry is applied with the version rule and never removes local data (docs/protocol/distro.md §9.11). Done when
 * a peer that has itself finished loading served a full snapshot. A round in which *every* peer
 * answered "not loaded" means the whole cluster is starting: done (nothing to load). Otherwise the
 * round is repeated after `loadRetryDelayMs`; after `loadGiveUpMs` the member is marked loaded with
 * a warning (verify repairs what is missing).
 */
export class DistroLoadTask {
  private startedAt = 0;
  private finished = false;
  private retryTimer: TimerHandle | null = null;
  private giveUpTimer: TimerHandle | null = null;
  rounds = 0;

  constructor(private readonly d: LoadDeps) {}

  start(): void {
    this.startedAt = this.d.clock.monotonic();
    this.giveUpTimer = this.d.clock.setTimeout(
      () => this.finish(`snapshot load did not complete within ${this.d.config.loadGiveUpMs} ms; serving what was loaded, verify will repair`),
      this.d.config.loadGiveUpMs,
    );
    this.round();
  }

  stop(): void {
    this.retryTimer?.cancel();
    this.giveUpTimer?.cancel();
  }

  private round(): void {
    if (this.finished || this.d.stopped()) return;
    this.rounds++;
    const peers = [...this.d.peers()].sort();
    if (peers.length === 0) {
      this.finish(null);
      return;
    }
    let answeredNotLoaded = 0;
    const next = (i: number): void => {
      if (this.finished || this.d.stopped()) return;
      if (i >= peers.length) {
        if (answeredNotLoaded === peers.length) this.finish(null);
        else this.retryTimer = this.d.clock.setTimeout(() => this.round(), this.d.config.loadRetryDelayMs);
        return;
      }
      // The list may have changed since the round began: skip peers now DOWN or gone.
      if (!this.d.peers().includes(peers[i]!)) {
        next(i + 1);
        return;
      }
      this.loadFrom(peers[i]!, (outcome) => {
        if (outcome === 'loaded') this.finish(null);
        else {
          if (outcome === 'not-loaded') answeredNotLoaded++;
          next(i + 1);
        }
      });
    };
    next(0);
  }

  /** Walks one peer's snapshot chunk by chunk. */
  private loadFrom(peer: string, done: (outcome: 'loaded' | 'not-loaded' | 'failed') => void): void {
    let peerLoaded = true;
    const ask = (cursor: string | null): void => {
      const req = { type: 'snapshot' as const, from: this.d.self, cursor, maxBytes: this.d.config.loadChunkMaxBytes };
      request(this.d.transport, this.d.clock, peer, req, this.d.config.loadTimeoutMs, (r) => {
        if (this.finished || this.d.stopped()) return;
        if (!r.ok) {
          done('failed');
          return;
        }
        this.applyChunk(peer, r.response);
        peerLoaded &&= r.response.loaded === true;
        const nextCursor = r.response.next;
        if (typeof nextCursor === 'string' && nextCursor !== cursor) {
          if (this.d.peers().includes(peer)) ask(nextCursor);
          else done('failed');
        } else done(peerLoaded ? 'loaded' : 'not-loaded');
      });
    };
    ask(null);
  }

  private applyChunk(peer: string, res: SnapshotResponse): void {
    const now = this.d.clock.monotonic();
    for (const e of Array.isArray(res.entries) ? res.entries : []) {
      try {
        this.d.processor.applySnapshotEntry(e, peer, now);
      } catch {
        this.d.counters.applyErrors++;
      }
    }
  }

  private finish(warning: string | null): void {
    if (this.finished) return;
    this.finished = true;
    this.retryTimer?.cancel();
    this.giveUpTimer?.cancel();
    this.d.onLoaded(warning);
  }

  elapsedMs(): number {
    return this.d.clock.monotonic() - this.startedAt;
  }
}
