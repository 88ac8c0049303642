/**
 * Measures how often a simulator catches an injected bug (docs/distro.md "Mutation check",
 * docs/raft.md "Mutation results").
 * Usage: node --import tsx test/sim/mutation-rate.ts <mutation> [from=1] [count=150]
 * where <mutation> is a Distro mutation or raft-host:<name> (the production Raft host, raft-host-mutants.ts).
 */
import { MUTATION_NAMES, parseMutations } from './distro-mutants.js';
import { PRODUCTION_HOST_MUTANTS, type ProductionHostMutant } from './raft-host-mutants.js';
import { productionSimOptions, runRaftSimAsync } from './raft-sim.js';
import { runSeed } from './scenario.js';

const HOST_PREFIX = 'raft-host:';
const hostNames = Object.keys(PRODUCTION_HOST_MUTANTS).map((n) => HOST_PREFIX + n);
const [name, fromArg, countArg] = process.argv.slice(2);
if (!name || !((MUTATION_NAMES as readonly string[]).includes(name) || hostNames.includes(name))) {
  console.error(`usage: mutation-rate.ts <${[...MUTATION_NAMES, ...hostNames].join('|')}> [from] [count]`);
  process.exit(2);
}
const from = Number(fromArg ?? 1);
const count = Number(countArg ?? 150);
const rules: Record<string, number> = {};
let caught = 0;
const t0 = Date.now();
/** The first violation's rule on `seed`, or null. */
async function firstRule(seed: number): Promise<string | null> {
  if (name!.startsWith(HOST_PREFIX)) {
    const mutant = PRODUCTION_HOST_MUTANTS[name!.slice(HOST_PREFIX.length) as ProductionHostMutant];
    const v = (await runRaftSimAsync({ ...productionSimOptions(seed), ...mutant })).violations[0];
    return v === undefined ? null : v.split(':')[0]!;
  }
  return runSeed(seed, { mutations: parseMutations(JSON.stringify({ [name!]: true })), stopOnFirst: true }).violations[0]?.rule ?? null;
}
for (let seed = from; seed < from + count; seed++) {
  const rule = await firstRule(seed);
  if (rule !== null) {
    caught++;
    rules[rule] = (rules[rule] ?? 0) + 1;
  }
}
console.log(`${name}: caught on ${caught} of ${count} seeds (${from}..${from + count - 1}), ${Math.round((100 * caught) / count)} %, in ${Date.now() - t0} ms; first rules ${JSON.stringify(rules)}`);
