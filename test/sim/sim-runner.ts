import assert from 'node:assert/strict';
import { parseMutations, type DistroMutations } from './distro-mutants.js';
import { replayCommand, runSeed, type SeedResult } from './scenario.js';
import { announce, seedRange } from './seeds.js';

/** SIM_MUTATION='{"skipDeleteSync":true}' injects a bug (to replay a mutation-test seed). */
function mutations(): DistroMutations {
  return parseMutations(process.env['SIM_MUTATION']);
}

/**
 * Runs `count` seeds from a random base (or SIM_FROM / SIM_SEEDS, or the one seed in SIM_SEED) and
 * fails with the seeds, their first violations and a one-line replay command for each.
 */
export function runSeedRange(file: string, count: number): void {
  const single = process.env['SIM_SEED'];
  if (single !== undefined) {
    const seed = Number(single);
    const r = runSeed(seed, { mutations: mutations() });
    report([r], file, 1);
    return;
  }
  const range = seedRange(count);
  const n = range.count;
  const start = range.from;
  const env = envOf();
  announce('distro sim', range, `SIM_FROM=${start} SIM_SEEDS=${n}${env ? ` ${env}` : ''} node --import tsx --test ${file}`);
  const results: SeedResult[] = [];
  const t0 = Date.now();
  let events = 0;
  let simMs = 0;
  let messages = 0;
  for (let seed = start; seed < start + n; seed++) {
    const r = runSeed(seed, { stopOnFirst: true, mutations: mutations() });
    events += r.events;
    simMs += r.simMs;
    messages += r.messages;
    if (r.violations.length > 0) results.push(r);
  }
  console.log(
    `distro sim: ${n} seeds (${start}..${start + n - 1}) in ${Date.now() - t0} ms wall; ${Math.round(simMs / 1000)} s simulated, ${events} events, ${messages} messages; ${results.length} failing`,
  );
  report(results, file, n);
}

function report(failing: readonly SeedResult[], file: string, n: number): void {
  const bad = failing.filter((r) => r.violations.length > 0);
  if (bad.length === 0) return;
  const lines = bad.slice(0, 10).flatMap((r) => [
    `seed ${r.seed} (${r.members} members, verify ${r.verifyMode}): ${r.violations.length} violation(s)`,
    ...r.violations.slice(0, 3).map((v) => `  [${v.rule}] ${v.detail}`),
    `  replay: ${replayCommand(r.seed, file, envOf())}`,
  ]);
  console.error(lines.join('\n'));
  assert.fail(`${bad.length} of ${n} seed(s) broke an invariant; first: seed ${bad[0]!.seed}. Replay: ${replayCommand(bad[0]!.seed, file, envOf())}`);
}

function envOf(): string {
  const m = process.env['SIM_MUTATION'];
  return m ? `SIM_MUTATION='${m}'` : '';
}
