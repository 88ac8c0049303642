/**
 * Seed ranges of the simulator sweeps (docs/distro.md, docs/raft.md, test/sim/README.md). Unless
 * SIM_FROM is set, every run starts at a random base, so each CI run explores new seeds; the base
 * is printed with the one-line command that replays the whole range, and every failing seed prints
 * its own replay command.
 */
import { randomInt } from 'node:crypto';

/** Seeds are 32-bit (test/sim/prng.ts). */
const MAX_SEED = 2 ** 31;

export interface SeedRange {
  readonly from: number;
  readonly count: number;
  readonly random: boolean;
}

/** The range for this run: SIM_FROM / SIM_SEEDS when set, else `count` seeds from a random base. */
export function seedRange(count: number): SeedRange {
  const n = intEnv('SIM_SEEDS') ?? count;
  const from = intEnv('SIM_FROM');
  if (from !== undefined) return { from, count: n, random: false };
  return { from: randomInt(1, MAX_SEED - n), count: n, random: true };
}

/** The first seed of a fixed-size hunt (mutation tests): SIM_FROM when set, else random. */
export function baseSeed(count: number): { from: number; random: boolean } {
  const from = intEnv('SIM_FROM');
  return from !== undefined ? { from, random: false } : { from: randomInt(1, MAX_SEED - count), random: true };
}

/** Prints the range and how to run it again (TAP diagnostic through console.log). */
export function announce(label: string, r: SeedRange, replayRange: string): void {
  console.log(`${label}: seeds ${r.from}..${r.from + r.count - 1}${r.random ? ' (random base)' : ''}; rerun this range: ${replayRange}`);
}

function intEnv(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0 || n >= MAX_SEED) throw new Error(`${name} must be an integer in [0, 2^31) (got ${v})`);
  return n;
}
