/**
 * Deletes config history older than the retention (`nacos.config.retention.days`, default 30),
 * at most `batch` rows per pass, every `intervalMs` (Nacos: 10 min, first pass after one
 * interval). Only the Raft leader runs a pass; the deletes are replicated like any write, so every
 * member drops the same rows (docs/config-center.md "History").
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { PersistentStore, StoreWrite } from '../persistence/persistent-store.js';
import type { ConfigState } from './config-state.js';

export interface HistoryCleanerOptions {
  readonly state: ConfigState;
  readonly store: PersistentStore;
  readonly clock: Clock;
  /** Whether this member is the Raft leader now. */
  readonly isLeader: () => boolean;
  readonly retentionDays: number;
  readonly intervalMs: number;
  readonly batch?: number;
  readonly log?: { warn(o: object, m: string): void };
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class HistoryCleaner {
  private timer: TimerHandle | null = null;
  private running = false;

  constructor(private readonly o: HistoryCleanerOptions) {}

  start(): void {
    this.timer ??= this.o.clock.setInterval(() => {
      this.runOnce().catch((e: unknown) => this.o.log?.warn({ err: e }, 'config history cleaning failed'));
    }, this.o.intervalMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** One pass: the number of rows deleted (0 when not the leader or a pass is still running). */
  async runOnce(): Promise<number> {
    if (this.running || !this.o.isLeader()) return 0;
    this.running = true;
    try {
      const cutoff = this.o.clock.now() - this.o.retentionDays * DAY_MS;
      const limit = this.o.batch ?? 1000;
      const batch: StoreWrite[] = [];
      for (const e of this.o.state.historyEntries()) {
        if (e.modifyTime >= cutoff) continue;
        batch.push({ table: 'configHistory', key: e.id, value: null });
        if (batch.length >= limit) break;
      }
      if (batch.length > 0) await this.o.store.write(batch);
      return batch.length;
    } finally {
      this.running = false;
    }
  }
}
