import type { DistroOutcome, DistroRequest, DistroResponse } from '../../src/distro/messages.js';
import type { Rng } from './prng.js';
import type { SimScheduler } from './scheduler.js';

/** Fault knobs of the simulated network; changed by the scenario between phases. */
export interface NetFaults {
  /** Probability that a request or a response is lost. */
  loss: number;
  /** Probability that a request is delivered twice. */
  dup: number;
  /** Probability that a request is slow: delivered after `slowMs` (often after the sender's timeout, which then retries). */
  slow: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/** What the network needs from the cluster. */
export interface NetEndpoint {
  alive(): boolean;
  incarnation(): number;
  handle(req: DistroRequest, duplicate: 'first' | 'immediate' | 'late'): DistroResponse;
}

export interface NetStats {
  requests: number;
  bytes: number;
  lost: number;
  duplicated: number;
  refused: number;
  slow: number;
  byType: Record<string, number>;
}

/**
 * A simulated cluster network: per-message delay with jitter (so messages reorder), loss,
 * duplication, directed partitions (symmetric ones are two directed cuts) and crashed receivers
 * (refused after the delay). Every message is round-tripped through JSON, like the real codec.
 * Lost messages surface to the sender as timeouts (the core's own timer); responses for a sender
 * incarnation that died are discarded.
 */
export class SimNetwork {
  faults: NetFaults = { loss: 0, dup: 0, slow: 0, minDelayMs: 1, maxDelayMs: 15 };
  /** Delay range of slow requests (a stalled connection, a long GC pause on the path). */
  slowMs: readonly [number, number] = [100, 700];
  private readonly cut = new Set<string>();
  readonly stats: NetStats = { requests: 0, bytes: 0, lost: 0, duplicated: 0, refused: 0, slow: 0, byType: {} };
  /** Called for every request put on the wire (invariant checks). */
  onSend: ((from: string, to: string, req: DistroRequest) => void) | null = null;

  constructor(
    private readonly sched: SimScheduler,
    private readonly rng: Rng,
    private readonly endpoint: (address: string) => NetEndpoint | undefined,
  ) {}

  /** Cuts (or heals) the directed link from → to. */
  setCut(from: string, to: string, cut: boolean): void {
    const k = `${from}>${to}`;
    if (cut) this.cut.add(k);
    else this.cut.delete(k);
  }

  isCut(from: string, to: string): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  healAll(): void {
    this.cut.clear();
  }

  cuts(): number {
    return this.cut.size;
  }

  private delay(): number {
    return this.rng.int(this.faults.minDelayMs, this.faults.maxDelayMs);
  }

  private lost(from: string, to: string): boolean {
    if (this.isCut(from, to)) return true;
    if (this.faults.loss > 0 && this.rng.chance(this.faults.loss)) {
      this.stats.lost++;
      return true;
    }
    return false;
  }

  send(from: string, fromIncarnation: number, to: string, req: DistroRequest, done: (o: DistroOutcome) => void): void {
    const json = JSON.stringify(req);
    this.stats.requests++;
    this.stats.bytes += json.length;
    this.stats.byType[req.type] = (this.stats.byType[req.type] ?? 0) + 1;
    this.onSend?.(from, to, req);
    const sender = (): NetEndpoint | undefined => {
      const e = this.endpoint(from);
      return e && e.alive() && e.incarnation() === fromIncarnation ? e : undefined;
    };
    const dup = this.faults.dup > 0 && this.rng.chance(this.faults.dup);
    const lateDup = dup && this.rng.chance(0.5);
    if (this.lost(from, to)) return;
    const slow = this.faults.slow > 0 && this.rng.chance(this.faults.slow);
    if (slow) this.stats.slow++;
    this.sched.after(slow ? this.rng.int(this.slowMs[0], this.slowMs[1]) : this.delay(), () => {
      const target = this.endpoint(to);
      if (!target || !target.alive()) {
        this.stats.refused++;
        this.sched.after(this.delay(), () => sender() && done({ type: 'failed', reason: 'connection refused' }));
        return;
      }
      const res = target.handle(JSON.parse(json) as DistroRequest, 'first');
      if (dup && !lateDup) {
        this.stats.duplicated++;
        target.handle(JSON.parse(json) as DistroRequest, 'immediate');
      }
      const resJson = JSON.stringify(res);
      this.stats.bytes += resJson.length;
      if (this.lost(to, from)) return;
      this.sched.after(this.delay(), () => {
        if (sender()) done(JSON.parse(resJson) as DistroResponse);
      });
    });
    if (lateDup) {
      this.stats.duplicated++;
      this.sched.after(this.delay() + this.rng.int(0, 200), () => {
        const target = this.endpoint(to);
        if (target && target.alive() && !this.isCut(from, to)) target.handle(JSON.parse(json) as DistroRequest, 'late');
      });
    }
  }
}
