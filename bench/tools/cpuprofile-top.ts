/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time,
 * and the same aggregated by file/package, so hot spots can be quoted as evidence.
 *
 *   node --import tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [topN] [--window SECONDS]
 *
 * `--window S` keeps only the samples of the busiest S seconds; `--last S` only those of the last S
 * seconds (a bench run's load ends shortly before the members are stopped: without start-up and
 * module loading, which is busier than the load on a shared machine). The last table gives the inclusive time per top-level
 * entry (the first frames under the event loop: timers, I/O callbacks, stream handlers, HTTP
 * requests): a flat self-time profile can hide an expensive caller.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: cpuprofile-top.ts <file.cpuprofile> [topN]\n');
  process.exit(2);
}
const topN = Number(process.argv[3] !== undefined && !process.argv[3].startsWith('--') ? process.argv[3] : 25);
const wi = process.argv.indexOf('--window');
const windowUs = wi >= 0 ? Number(process.argv[wi + 1]) * 1e6 : null;
const li = process.argv.indexOf('--last');
const lastUs = li >= 0 ? Number(process.argv[li + 1]) * 1e6 : null;
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map<number, ProfileNode>(p.nodes.map((n) => [n.id, n]));
const idleIds = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
// Sample i happened at times[i]; with --window, keep the busiest window (most non-idle time).
const times: number[] = [];
for (let i = 0, t = p.startTime; i < p.samples.length; i++) times.push((t += p.timeDeltas[i] ?? 0));
let lo = 0;
let hi = p.samples.length;
if (windowUs !== null) {
  let best = -1;
  let busy = 0;
  for (let i = 0, j = 0; j < p.samples.length; j++) {
    if (!idleIds.has(p.samples[j]!)) busy += p.timeDeltas[j] ?? 0;
    while (times[j]! - times[i]! > windowUs) {
      if (!idleIds.has(p.samples[i]!)) busy -= p.timeDeltas[i] ?? 0;
      i++;
    }
    if (busy > best) {
      best = busy;
      lo = i;
      hi = j + 1;
    }
  }
}
if (lastUs !== null) while (lo < hi && times[hi - 1]! - times[lo]! > lastUs) lo++;
const self = new Map<number, number>();
for (let i = lo; i < hi; i++) {
  const id = p.samples[i]!;
  self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const m = /\/(src|dist|bench)\/.*/.exec(url);
  return m ? m[0].slice(1) : url.replace(/^file:\/\//, '');
}
function pkgOf(url: string): string {
  if (url === '') return '(native/V8)';
  if (url.startsWith('node:')) return url;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return shortUrl(url);
}

const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const [id, us] of self) {
  const f = byId.get(id)!.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${shortUrl(f.url)}:${f.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + us);
  const pk = pkgOf(f.url);
  byPkg.set(pk, (byPkg.get(pk) ?? 0) + us);
}
const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>, n: number): void => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, us] of [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)) process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
};
const idleUs = [...self].filter(([id]) => idleIds.has(id)).reduce((a, [, us]) => a + us, 0);
process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${((total - idleUs) / 1e6).toFixed(2)} s busy\n`);
print('self time by function', byFn, topN);
print('self time by package/file', byPkg, 15);

// Inclusive (self + callees) time of the project's own functions (src/ or dist/), counted once per
// stack even when a function recurses: where the server's own code spends, callees included.
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const f = byId.get(cur)!.callFrame;
    if (f.url.includes('node_modules') || !/\/(src|dist)\//.test(f.url)) continue;
    const key = `${f.functionName || '(anonymous)'}  ${shortUrl(f.url)}:${f.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
print('inclusive time of project functions (src/, dist/)', inclusive, topN);

// Inclusive time per top-level entry: the first two JavaScript frames under the root (what the
// event loop called, and what that dispatched to), native frames shown by name.
const entries = new Map<string, number>();
for (const [id, us] of self) {
  const chain: number[] = [];
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) chain.unshift(cur);
  const names = chain.slice(1, 4).map((n) => {
    const f = byId.get(n)!.callFrame;
    return `${f.functionName || '(anonymous)'}${f.url ? ` ${shortUrl(f.url)}:${f.lineNumber + 1}` : ''}`;
  });
  const key = names.join(' > ') || '(root)';
  entries.set(key, (entries.get(key) ?? 0) + us);
}
print('inclusive time per top-level entry (first three frames under the root)', entries, topN);
