/**
 * Time and timers, injected so protocol cores and use cases can run on simulated time in tests.
 *
 * Two time lines (docs/reliability.md "Clock jumps"): `now()` is the wall clock, for timestamps
 * shown to users or sent on the wire (and compared with another process' wall clock: JWT expiry,
 * cluster request signatures, config modify times); `monotonic()` never jumps, and every local
 * liveness, expiry, lease, backoff and deadline decision measures its deltas on it, so an NTP step
 * of the wall clock (forward or back) neither expires live clients nor keeps dead ones.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch (wall clock: may step forward or back). */
  now(): number;
  /**
   * Milliseconds on a clock that never steps: the wall clock at process start plus the monotonic
   * time elapsed since (so values look like epoch ms, but differ from `now()` by every step since).
   */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  // performance.now() is monotonic (CLOCK_MONOTONIC); timeOrigin is read once, at process start.
  monotonic: () => performance.timeOrigin + performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    t.unref?.();
    return { cancel: () => clearInterval(t) };
  },
};

/**
 * A manually advanced clock for unit tests and simulation. `advance` moves both time lines (and
 * fires timers); `jumpWall` steps the wall clock alone, like an NTP step.
 */
export class ManualClock implements Clock {
  private time: number;
  /** wall clock − monotonic clock; changed only by jumpWall. */
  private wallOffset = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void; every?: number }>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time + this.wallOffset;
  }

  monotonic(): number {
    return this.time;
  }

  /** Steps the wall clock by `ms` (negative: back); timers and `monotonic()` do not move. */
  jumpWall(ms: number): void {
    this.wallOffset += ms;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return { cancel: () => this.timers.delete(id) };
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    const every = Math.max(1, ms);
    this.timers.set(id, { at: this.time + every, fn, every });
    return { cancel: () => this.timers.delete(id) };
  }

  /** Advances time, firing due timers in time order (ties by creation order). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= end && (t.at < nextAt || (t.at === nextAt && id < nextId))) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const t = this.timers.get(nextId)!;
      this.time = Math.max(this.time, t.at);
      if (t.every !== undefined) t.at += t.every;
      else this.timers.delete(nextId);
      t.fn();
    }
    this.time = end;
  }
}

/**
 * Resolves at the next turn of the event loop (after pending I/O callbacks): the default way long
 * work in slices lets other work run between its slices (docs/raft.md "Compaction under load").
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
