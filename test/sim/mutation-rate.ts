/**
 * Measures how often the Distro simulator catches an injected bug (docs/distro.md, "Mutation check").
 * Usage: node --import tsx test/sim/mutation-rate.ts <mutation> [from=1] [count=150]
 */
import { MUTATION_NAMES, parseMutations } from './distro-mutants.js';
import { runSeed } from './scenario.js';

const [name, fromArg, countArg] = process.argv.slice(2);
if (!name || !(MUTATION_NAMES as readonly string[]).includes(name)) {
  console.error(`usage: mutation-rate.ts <${MUTATION_NAMES.join('|')}> [from] [count]`);
  process.exit(2);
}
const mutations = parseMutations(JSON.stringify({ [name]: true }));
const from = Number(fromArg ?? 1);
const count = Number(countArg ?? 150);
const rules: Record<string, number> = {};
let caught = 0;
const t0 = Date.now();
for (let seed = from; seed < from + count; seed++) {
  const v = runSeed(seed, { mutations, stopOnFirst: true }).violations[0];
  if (v) {
    caught++;
    rules[v.rule] = (rules[v.rule] ?? 0) + 1;
  }
}
console.log(`${name}: caught on ${caught} of ${count} seeds (${from}..${from + count - 1}), ${Math.round((100 * caught) / count)} %, in ${Date.now() - t0} ms; first rules ${JSON.stringify(rules)}`);
