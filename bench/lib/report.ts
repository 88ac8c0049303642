/** Result rows, the stdout table, the JSON file and the docs/benchmarks.md fragment. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fmt, fmtSpread, type Spread } from './stats.js';

export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  nomen: Spread;
  baselineName?: string;
  baseline?: Spread;
  /** Nomen ÷ baseline: median (min–max) over measurements paired in time. */
  ratio?: Spread;
  /** e.g. "≥ 0.7"; `met` says whether the ratio meets it. */
  target?: string;
  met?: boolean;
  note?: string;
  digits?: number;
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memGiB: number;
  node: string;
  commit: string;
  os: string;
}

function run(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function machineInfo(): Machine {
  const lscpu = run('lscpu', []) ?? '';
  const model = /^Model name:\s*(.+)$/m.exec(lscpu)?.[1]?.trim() ?? 'unknown CPU';
  let commit = run('git', ['rev-parse', '--short', 'HEAD']) ?? 'uncommitted';
  if (commit !== 'uncommitted' && (run('git', ['status', '--porcelain']) ?? '') !== '') commit += ' (dirty tree)';
  return {
    cpuModel: model,
    cores: availableParallelism(),
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit,
    os: run('uname', ['-sr']) ?? process.platform,
  };
}

function ratioText(r: Row): string {
  if (r.ratio === undefined || r.ratio.n === 0 || !Number.isFinite(r.ratio.median)) return '';
  const t = fmtSpread(r.ratio, 2);
  if (r.target === undefined) return t;
  return `${t} ${r.met ? '✓' : '✗'} (target ${r.target})`;
}

function cells(r: Row): string[] {
  return [
    r.scenario,
    `${r.metric} (${r.unit})`,
    fmtSpread(r.nomen, r.digits),
    r.baseline ? `${fmtSpread(r.baseline, r.digits)} ${r.baselineName ? `[${r.baselineName}]` : ''}`.trim() : '',
    ratioText(r),
  ];
}

const HEAD = ['scenario', 'metric', 'Nomen median (min–max)', 'baseline median (min–max)', 'ratio'];

export function textTable(rows: readonly Row[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((c) => [...(c[i] ?? '')].length)));
  const line = (c: string[]): string => c.map((x, i) => x + ' '.repeat(widths[i]! - [...x].length)).join('  ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cells(r)))].join('\n');
}

export function markdownTable(rows: readonly Row[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${cells(r).map(esc).join(' | ')} |`),
  ].join('\n');
}

export function writeJson(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
}

const RESULTS_MARK = '<!-- bench:results -->';

const DOC_SKELETON = `# Benchmarks

How to run them and what each scenario measures: [bench/README.md](../bench/README.md).
Sections between the \`bench:run\` markers below are written by \`npm run bench\` (a re-run on the
same date and mode replaces its own section); everything else is written by hand.

## Results

${RESULTS_MARK}
`;

/**
 * Inserts (or replaces) the section keyed `key` right after the results marker of docs/benchmarks.md,
 * creating the file with a skeleton when missing.
 */
export function upsertDocSection(path: string, key: string, section: string): void {
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : DOC_SKELETON;
  if (!doc.includes(RESULTS_MARK)) doc = doc.trimEnd() + `\n\n## Results\n\n${RESULTS_MARK}\n`;
  const open = `<!-- bench:run ${key} -->`;
  const close = `<!-- /bench:run ${key} -->`;
  const block = `${open}\n${section.trim()}\n${close}\n`;
  const s = doc.indexOf(open);
  const e = doc.indexOf(close);
  if (s >= 0 && e > s) {
    doc = doc.slice(0, s) + block + doc.slice(e + close.length).replace(/^\n/, '');
  } else {
    const at = doc.indexOf(RESULTS_MARK) + RESULTS_MARK.length;
    doc = doc.slice(0, at) + '\n\n' + block + doc.slice(at).replace(/^\n+/, '\n');
  }
  writeFileSync(path, doc);
}

export { fmt };
