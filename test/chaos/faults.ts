/**
 * Faults on a schedule drawn from the run's seed (docs/reliability.md "Faults"). One fault at a time:
 * it is applied, held for a random time, then healed; the next one starts after a short calm.
 * `clock-jump` steps one member's wall clock (libfaketime, test/chaos/clock.ts) and steps it back
 * when healed; without libfaketime it is left out of the schedule, and the schedule of every seed
 * is then the one it was before clock jumps existed.
 */
import type { Rng } from '../sim/prng.js';
import type { ChaosCluster } from './members.js';
import { call } from './http.js';
import { clearBandwidth, dropFrom, healNs, limitBandwidth } from './net.js';
import { NO_FAULTS } from './proxy.js';

export const FAULT_KINDS = [
  'partition-isolate',
  'partition-split',
  'partition-bridge',
  'partition-one-way',
  'loss',
  'bandwidth',
  'link-delay',
  'link-stall',
  'link-reset',
  'link-half-open',
  'kill9-restart',
  'pause',
  'wipe-restart',
  'clock-jump',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Every kind but `clock-jump` (runs without libfaketime; also the schedule of seeds run before it existed). */
export const FAULT_KINDS_NO_CLOCK: readonly FaultKind[] = FAULT_KINDS.filter((k) => k !== 'clock-jump');
/** Wall-clock steps of a clock-jump (s, either sign): inside and beyond the 30 s cluster signature window. */
const CLOCK_STEPS_S = [10, 25, 60, 120, 300];
/** nomen.cluster.auth.max-skew-ms, default. */
const SIGNATURE_WINDOW_S = 30;

export interface FaultLogEntry {
  at: number;
  kind: FaultKind;
  detail: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class FaultScheduler {
  readonly log: FaultLogEntry[] = [];
  readonly counts = new Map<FaultKind, number>();
  private stopped = false;
  private heal: (() => Promise<void>) | null = null;

  constructor(
    private readonly c: ChaosCluster,
    private readonly rng: Rng,
    private readonly onNote: (line: string) => void,
    private readonly kinds: readonly FaultKind[] = FAULT_KINDS_NO_CLOCK,
    /** Kinds still to be drawn first so a short run covers every kind. */
    private readonly pending: FaultKind[] = [...kinds],
  ) {}

  stop(): void {
    this.stopped = true;
  }

  async run(untilMs: number): Promise<void> {
    while (!this.stopped && Date.now() < untilMs) {
      const kind = this.pending.length > 0 ? this.pending.splice(this.rng.int(0, this.pending.length - 1), 1)[0]! : this.rng.pick(this.kinds);
      const holdMs = this.rng.int(3000, 9000);
      const detail = await this.apply(kind);
      this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
      this.log.push({ at: Date.now(), kind, detail });
      this.onNote(`fault ${kind}: ${detail} (${holdMs} ms)`);
      for (const m of this.c.members) m.note(`fault ${kind}: ${detail}`);
      const end = Math.min(Date.now() + holdMs, untilMs);
      while (!this.stopped && Date.now() < end) await sleep(200);
      await this.healNow();
      await sleep(this.rng.int(1000, 4000));
    }
    await this.healNow();
  }

  async healNow(): Promise<void> {
    const h = this.heal;
    this.heal = null;
    if (h) await h();
  }

  private others(i: number): number[] {
    return this.c.members.map((m) => m.index).filter((j) => j !== i);
  }

  private healNet = async (): Promise<void> => {
    for (const m of this.c.members) {
      healNs(m.index);
      clearBandwidth(m.index);
    }
    for (const p of this.c.allLinks) p.set(NO_FAULTS);
  };

  private async apply(kind: FaultKind): Promise<string> {
    const n = this.c.n;
    const all = this.c.members.map((m) => m.index);
    const a = this.rng.int(0, n - 1);
    this.heal = this.healNet;
    switch (kind) {
      case 'partition-isolate': {
        for (const j of this.others(a)) {
          dropFrom(a, j);
          dropFrom(j, a);
        }
        return `m${a} | rest`;
      }
      case 'partition-split': {
        const shuffled = [...all].sort(() => this.rng.next() - 0.5);
        const minority = shuffled.slice(0, Math.floor((n - 1) / 2));
        const majority = shuffled.slice(minority.length);
        for (const x of minority)
          for (const y of majority) {
            dropFrom(x, y);
            dropFrom(y, x);
          }
        return `${minority.map((x) => `m${x}`).join(',')} | ${majority.map((x) => `m${x}`).join(',')}`;
      }
      case 'partition-bridge': {
        // Two members cannot reach each other; everyone else reaches both.
        const b = this.rng.pick(this.others(a));
        dropFrom(a, b);
        dropFrom(b, a);
        return `m${a} x m${b}, bridged by the rest`;
      }
      case 'partition-one-way': {
        const b = this.rng.pick(this.others(a));
        dropFrom(b, a);
        return `m${b} does not hear m${a}`;
      }
      case 'loss': {
        const p = this.rng.int(10, 40) / 100;
        for (const j of this.others(a)) {
          dropFrom(a, j, p);
          dropFrom(j, a, p);
        }
        return `m${a} loses ${Math.round(p * 100)}% to/from peers`;
      }
      case 'bandwidth': {
        const rate = this.rng.pick([64, 128, 256]);
        limitBandwidth(a, rate);
        return `m${a} egress ${rate} kbit/s`;
      }
      case 'link-delay': {
        const delayMs = this.rng.int(20, 400);
        const jitterMs = this.rng.int(0, delayMs);
        for (const j of this.others(a)) for (const p of [...this.c.link(a, j), ...this.c.link(j, a)]) p.set({ ...NO_FAULTS, delayMs, jitterMs });
        return `links of m${a}: ${delayMs} ± ${jitterMs} ms`;
      }
      case 'link-stall': {
        const b = this.rng.pick(this.others(a));
        for (const p of [...this.c.link(a, b), ...this.c.link(b, a)]) p.set({ ...NO_FAULTS, stalled: true });
        return `m${a} <-> m${b} stalled`;
      }
      case 'link-reset': {
        for (const j of this.others(a)) for (const p of [...this.c.link(a, j), ...this.c.link(j, a)]) p.resetAll();
        return `connections of m${a} reset`;
      }
      case 'link-half-open': {
        const b = this.rng.pick(this.others(a));
        for (const p of this.c.link(a, b)) p.set({ ...NO_FAULTS, halfOpen: true });
        return `m${a} -> m${b} half-open`;
      }
      case 'kill9-restart': {
        const m = this.c.members[a]!;
        await m.kill9();
        this.heal = async () => {
          m.spawn();
        };
        return `kill -9 m${a}, restart on the same disk`;
      }
      case 'pause': {
        const m = this.c.members[a]!;
        m.signal('SIGSTOP');
        m.paused = true;
        this.heal = async () => {
          m.signal('SIGCONT');
          m.paused = false;
        };
        return `SIGSTOP m${a}`;
      }
      case 'wipe-restart': {
        const m = this.c.members[a]!;
        await m.kill9();
        m.wipe();
        this.heal = async () => {
          m.spawn(true);
        };
        return `kill -9 m${a}, wipe its data directory, restart it with --join`;
      }
      case 'clock-jump': {
        const m = this.c.members[a]!;
        const offsetS = this.rng.pick([-1, 1]) * this.rng.pick(CLOCK_STEPS_S);
        m.setClockOffset(offsetS);
        this.heal = async () => {
          m.setClockOffset(0);
        };
        const seen = await observedOffsetS(m.ip);
        const beyond = Math.abs(offsetS) > SIGNATURE_WINDOW_S ? `, beyond the ${SIGNATURE_WINDOW_S} s cluster signature window` : '';
        return `m${a} wall clock ${offsetS > 0 ? '+' : ''}${offsetS} s (its HTTP Date header: ${seen === null ? 'no answer' : `${seen > 0 ? '+' : ''}${seen} s`})${beyond}`;
      }
    }
  }
}

/**
 * The member's wall-clock offset as its own HTTP `Date` header shows it (whole seconds, ±1), read
 * after libfaketime's cache (up to 2 s) has run out: the proof that the step reached the process.
 */
async function observedOffsetS(ip: string): Promise<number | null> {
  await sleep(2500);
  try {
    const r = await call(ip, 'GET', '/nacos/v1/console/health/liveness', {}, 2000);
    const t = r.date === undefined ? NaN : Date.parse(r.date);
    return Number.isNaN(t) ? null : Math.round((t - Date.now()) / 1000);
  } catch {
    return null;
  }
}
