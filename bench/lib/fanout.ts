/**
 * Bookkeeping shared by the fan-out load generators (push-fanout.ts for Nomen, peer-watch.ts for
 * etcd / ZooKeeper): when each of `n` subscribers first saw the current change, and one measured
 * change round.
 */
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { cpuSeconds } from './proc.js';
import { summarizeLatencies } from './stats.js';
import type { PushRound } from './types.js';

/** Arguments common to the fan-out load generators. */
export interface FanoutArgs {
  service: string;
  subscribers: number;
  rounds: number;
  connectParallel: number;
  roundTimeoutMs: number;
  pauseMs: number;
  maxLifetimeMs: number;
  /** pid of the server, to charge CPU per notification. */
  serverPid?: number;
}

export class Arrivals {
  private arrived: Float64Array;
  private seen = 0;
  private onAll: (() => void) | null = null;

  constructor(readonly n: number) {
    this.arrived = new Float64Array(n).fill(NaN);
  }

  get count(): number {
    return this.seen;
  }

  /** Forgets all arrivals (a new change round). */
  reset(): void {
    this.arrived = new Float64Array(this.n).fill(NaN);
    this.seen = 0;
  }

  has(i: number): boolean {
    return !Number.isNaN(this.arrived[i]!);
  }

  /** Records subscriber `i`'s first arrival of this round. */
  mark(i: number, at: number): void {
    if (this.has(i)) return;
    this.arrived[i] = at;
    if (++this.seen === this.n) this.onAll?.();
  }

  /** Resolves true when all `n` have arrived, false after `timeoutMs`. */
  waitAll(timeoutMs: number): Promise<boolean> {
    if (this.seen === this.n) return Promise.resolve(true);
    return new Promise((res) => {
      const t = setTimeout(() => {
        this.onAll = null;
        res(false);
      }, timeoutMs);
      this.onAll = () => {
        clearTimeout(t);
        this.onAll = null;
        res(true);
      };
    });
  }

  times(): Float64Array {
    return this.arrived;
  }
}

/** When a change made elsewhere (another thread) was sent and answered, as performance.now() instants of this thread. */
export interface ChangeTimes {
  sentAt: number;
  answeredAt: number;
}

/**
 * One change round: resets `arrivals`, runs `change` (one request), waits for every subscriber
 * (bounded), and returns latencies from the change's response and from its send, with the CPU
 * the server and this process used meanwhile. A `change` that reports its own times (it ran on
 * another thread) is timed by them.
 */
export async function measureRound(arrivals: Arrivals, change: () => Promise<void | ChangeTimes>, roundTimeoutMs: number, serverPid?: number): Promise<PushRound> {
  arrivals.reset();
  let gcMs = 0;
  let gcMaxMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcMaxMs = Math.max(gcMaxMs, e.duration);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const s0 = serverPid !== undefined ? cpuSeconds(serverPid) : null;
  const u0 = process.cpuUsage();
  let tSend = performance.now();
  const times = await change();
  let tResp = performance.now();
  if (times) ({ sentAt: tSend, answeredAt: tResp } = times);
  await arrivals.waitAll(roundTimeoutMs);
  // Entries are delivered asynchronously: collect what is pending before disconnecting.
  for (const e of gc.takeRecords()) {
    gcMs += e.duration;
    gcMaxMs = Math.max(gcMaxMs, e.duration);
  }
  gc.disconnect();
  const s1 = serverPid !== undefined ? cpuSeconds(serverPid) : null;
  const u1 = process.cpuUsage(u0);
  const fromResp: number[] = [];
  const fromSend: number[] = [];
  for (const t of arrivals.times()) {
    if (Number.isNaN(t)) continue;
    fromResp.push(t - tResp);
    fromSend.push(t - tSend);
  }
  return {
    received: fromResp.length,
    missing: arrivals.n - fromResp.length,
    changeRttMs: tResp - tSend,
    fromResponseMs: summarizeLatencies(fromResp),
    fromSendMs: summarizeLatencies(fromSend),
    serverCpuSec: s0 !== null && s1 !== null ? s1 - s0 : null,
    loadCpuSec: (u1.user + u1.system) / 1e6,
    loadGcMs: gcMs,
    loadGcMaxMs: gcMaxMs,
  };
}
