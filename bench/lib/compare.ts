/**
 * Figures compared across systems (Nomen, etcd, ZooKeeper): collected while the scenarios run,
 * turned into "vs peer" rows and the SVG chart at the end.
 */
import { renderChart, type ChartPanel } from './chart.js';
import { fmt, fmtSpread, spread, type Spread } from './stats.js';
import type { PeerName } from '../peers/common.js';
import type { Ctx } from './context.js';

export const PEER_LABEL: Record<PeerName, string> = { etcd: 'etcd', zookeeper: 'ZooKeeper' };

/**
 * Figures compared across systems (Nomen and the peers) that do not come from paired rounds:
 * collected as the scenarios run, turned into "vs peer" rows and chart panels at the end.
 */
export interface Compared {
  key: string;
  /** Shown in the chart only (the table has paired rows for it). */
  chartOnly?: boolean;
  unit: string;
  better: 'higher' | 'lower';
  digits?: number;
  values: Partial<Record<'Nomen' | PeerName, Spread>>;
}

export function compare(ctx: Ctx, who: 'Nomen' | PeerName, key: string, unit: string, better: 'higher' | 'lower', value: Spread, digits?: number): void {
  let c = ctx.compared.find((x) => x.key === key);
  if (!c) ctx.compared.push((c = { key, unit, better, digits, values: {} }));
  c.values[who] = value;
}

/** A per-peer object in the raw results. */
export function rawOf(ctx: Ctx, key: string): Record<string, unknown> {
  return (ctx.raw[key] ??= {}) as Record<string, unknown>;
}

/** The "vs peer" rows (Nomen in the value column, the peer as baseline) of everything compared but not paired. */
export function peerRows(ctx: Ctx): void {
  for (const c of ctx.compared) {
    if (c.chartOnly) continue;
    const nomen = c.values.Nomen;
    if (!nomen) continue;
    for (const peer of ctx.cli.peers) {
      const v = c.values[peer];
      if (!v || v.n === 0) continue;
      const [scenario, metric] = c.key.includes(': ') ? [c.key.slice(0, c.key.indexOf(': ')), c.key.slice(c.key.indexOf(': ') + 2)] : [c.key, 'value'];
      ctx.rows.push({
        scenario: `${scenario} vs ${PEER_LABEL[peer]}`,
        metric,
        unit: c.unit,
        nomen,
        baseline: v,
        baselineName: PEER_LABEL[peer],
        ratio: spread([nomen.median / v.median]),
        digits: c.digits,
      });
    }
  }
}

/** The chart: one panel per compared figure that has Nomen and at least one peer. */
export function peerChart(ctx: Ctx, caption: string[]): string | null {
  const panels: ChartPanel[] = ctx.compared
    // Notification p50 and max are in the table; the chart keeps p99.
    .filter((c) => c.values.Nomen && ctx.cli.peers.some((p) => c.values[p]) && !/: (p50|max) from change sent$/.test(c.key))
    .map((c) => ({
      title: c.key,
      unit: c.unit,
      better: c.better,
      bars: (['Nomen', ...ctx.cli.peers] as const).flatMap((w) => {
        const v = c.values[w];
        return v ? [{ label: w === 'Nomen' ? 'Nomen' : PEER_LABEL[w], value: v }] : [];
      }),
    }));
  return panels.length ? renderChart(panels, caption) : null;
}

/**
 * The one "Nomen vs etcd vs ZooKeeper" table of a run: every figure measured on Nomen and at least
 * one peer, the medians side by side and Nomen ÷ peer; "ahead"/"behind" reads the ratio in the
 * figure's own direction (higher or lower is better). Markdown; null when nothing was compared.
 */
export function peerSummaryTable(ctx: Ctx): string | null {
  const peers = ctx.cli.peers;
  const rows = ctx.compared.filter((c) => c.values.Nomen && peers.some((p) => c.values[p]));
  if (rows.length === 0) return null;
  const cell = (s: Spread | undefined, digits?: number): string => (s && s.n > 0 ? fmtSpread(s, digits) : '—');
  const ratio = (c: Compared, p: PeerName): string => {
    const n = c.values.Nomen!;
    const v = c.values[p];
    if (!v || v.n === 0 || !(v.median > 0)) return '—';
    const r = n.median / v.median;
    const ahead = c.better === 'higher' ? r >= 1 : r <= 1;
    return `${fmt(r, 2)} (${ahead ? 'ahead' : 'behind'})`;
  };
  const head = `| figure | unit | better | Nomen | ${peers.map((p) => PEER_LABEL[p]).join(' | ')} | ${peers.map((p) => `Nomen ÷ ${PEER_LABEL[p]}`).join(' | ')} |`;
  const sep = `|${'---|'.repeat(4 + 2 * peers.length)}`;
  const body = rows.map(
    (c) =>
      `| ${c.key} | ${c.unit} | ${c.better} | ${cell(c.values.Nomen, c.digits)} | ${peers.map((p) => cell(c.values[p], c.digits)).join(' | ')} | ${peers.map((p) => ratio(c, p)).join(' | ')} |`,
  );
  return [head, sep, ...body].join('\n');
}
