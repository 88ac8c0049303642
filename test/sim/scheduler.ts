import type { Clock, TimerHandle } from '../../src/core/clock.js';
import { MinHeap } from '../../src/distro/heap.js';

/** Timers of one member incarnation: all die with it. */
export class TimerGroup {
  alive = true;
}

interface SimEvent {
  at: number;
  seq: number;
  fn: () => void;
  group: TimerGroup | null;
  cancelled: boolean;
}

/**
 * Simulated time: one global event queue (binary heap, ties in scheduling order). Each member
 * gets a Clock view with its own skew on `now()`; its timers run on the global queue and are
 * discarded when its group dies (crash).
 */
export class SimScheduler {
  now: number;
  executed = 0;
  private seq = 0;
  private readonly heap = new MinHeap<SimEvent>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  /** Runs after every event (invariant checks on what the event changed). */
  afterEvent: (() => void) | null = null;

  constructor(start: number) {
    this.now = start;
  }

  at(time: number, fn: () => void, group: TimerGroup | null = null): { cancel(): void } {
    const e: SimEvent = { at: Math.max(time, this.now), seq: ++this.seq, fn, group, cancelled: false };
    this.heap.push(e);
    return { cancel: () => void (e.cancelled = true) };
  }

  after(ms: number, fn: () => void, group: TimerGroup | null = null): { cancel(): void } {
    return this.at(this.now + Math.max(0, ms), fn, group);
  }

  runUntil(t: number): void {
    for (let e = this.next(t); e; e = this.next(t)) {
      e.fn();
      this.afterEvent?.();
    }
    this.now = Math.max(this.now, t);
  }

  /**
   * Like runUntil, for hosts whose I/O completes through promises (the durable-storage
   * simulation): `settle` runs after every event, before `afterEvent`, to let them complete.
   */
  async runUntilAsync(t: number, settle: () => Promise<void>): Promise<void> {
    await settle();
    for (let e = this.next(t); e; e = this.next(t)) {
      e.fn();
      await settle();
      this.afterEvent?.();
    }
    this.now = Math.max(this.now, t);
  }

  /** Pops the next live event due at or before `t` and advances the clock to it. */
  private next(t: number): SimEvent | null {
    for (;;) {
      const top = this.heap.peek();
      if (!top || top.at > t) return null;
      this.heap.pop();
      if (top.cancelled || (top.group && !top.group.alive)) continue;
      this.now = top.at;
      this.executed++;
      return top;
    }
  }

  /**
   * A member's clock: global time + skew; timers belong to `group`. `wallStep()` is the member's
   * current wall-clock step (an NTP step): it moves `now()` only, never `monotonic()` or timers.
   */
  clock(group: TimerGroup, skewMs: number, wallStep: () => number = () => 0, monotonicFollowsWall = false): Clock {
    const after = (ms: number, fn: () => void): { cancel(): void } => this.after(ms, fn, group);
    return {
      now: () => this.now + skewMs + wallStep(),
      // monotonicFollowsWall: the mutation `wallClockTimers` (test/sim/distro-mutants.ts).
      monotonic: monotonicFollowsWall ? () => this.now + skewMs + wallStep() : () => this.now + skewMs,
      setTimeout: (fn: () => void, ms: number): TimerHandle => after(ms, fn),
      setInterval(fn: () => void, ms: number): TimerHandle {
        const every = Math.max(1, ms);
        let current: { cancel(): void } | null = null;
        let cancelled = false;
        const tick = (): void => {
          if (cancelled) return;
          current = after(every, tick);
          fn();
        };
        current = after(every, tick);
        return {
          cancel: () => {
            cancelled = true;
            current?.cancel();
          },
        };
      },
    };
  }
}
