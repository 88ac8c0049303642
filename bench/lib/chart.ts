/**
 * A small SVG chart written by hand (no browser, no dependency): one panel per metric, one
 * horizontal bar per system (median) with a min–max whisker and the value printed at its end.
 * Panels have their own scale because units differ.
 */
import type { Spread } from './stats.js';
import { fmt } from './stats.js';

export interface ChartBar {
  label: string;
  value: Spread;
}

export interface ChartPanel {
  title: string;
  unit: string;
  /** Printed after the title: "higher is better" / "lower is better". */
  better: 'higher' | 'lower';
  bars: ChartBar[];
}

const COLORS: Record<string, string> = { Nomen: '#2b6cb0', etcd: '#38a169', ZooKeeper: '#dd6b20' };
const FALLBACK = ['#805ad5', '#718096', '#d53f8c'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function color(label: string, i: number): string {
  return COLORS[label] ?? FALLBACK[i % FALLBACK.length]!;
}

/** Renders `panels` into one SVG document, headed by the `caption` lines. */
export function renderChart(panels: readonly ChartPanel[], caption: readonly string[]): string {
  const width = 760;
  const labelW = 90;
  const valueW = 150;
  const plotW = width - labelW - valueW - 20;
  const barH = 16;
  const gap = 6;
  const out: string[] = [];
  let y = 20 + caption.length * 15;
  for (const p of panels) {
    const bars = p.bars.filter((b) => b.value.n > 0 && Number.isFinite(b.value.median));
    out.push(`<text x="10" y="${y}" class="t">${esc(p.title)} <tspan class="u">(${esc(p.unit)}, ${p.better} is better)</tspan></text>`);
    y += 10;
    if (bars.length === 0) {
      out.push(`<text x="${labelW + 10}" y="${y + 12}" class="v">no data</text>`);
      y += barH + gap + 20;
      continue;
    }
    const max = Math.max(...bars.map((b) => Math.max(b.value.max, b.value.median))) || 1;
    const sx = (v: number): number => labelW + 10 + (Math.max(0, v) / max) * plotW;
    bars.forEach((b, i) => {
      const top = y + i * (barH + gap);
      const mid = top + barH / 2;
      out.push(`<text x="${labelW}" y="${mid + 4}" class="l" text-anchor="end">${esc(b.label)}</text>`);
      out.push(`<rect x="${labelW + 10}" y="${top}" width="${(sx(b.value.median) - labelW - 10).toFixed(1)}" height="${barH}" fill="${color(b.label, i)}"/>`);
      if (b.value.n > 1 && b.value.max > b.value.min) {
        const x1 = sx(b.value.min).toFixed(1);
        const x2 = sx(b.value.max).toFixed(1);
        out.push(`<path d="M${x1} ${mid}H${x2}M${x1} ${mid - 4}V${mid + 4}M${x2} ${mid - 4}V${mid + 4}" class="w"/>`);
      }
      const range = b.value.n > 1 && b.value.max > b.value.min ? ` (${fmt(b.value.min)}–${fmt(b.value.max)})` : '';
      out.push(`<text x="${(sx(Math.max(b.value.max, b.value.median)) + 6).toFixed(1)}" y="${mid + 4}" class="v">${esc(fmt(b.value.median) + range)}</text>`);
    });
    y += bars.length * (barH + gap) + 24;
  }
  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    '<style>.t{font-weight:bold}.u{font-weight:normal;fill:#555}.l{fill:#222}.v{fill:#222;font-size:11px}.w{stroke:#000;stroke-width:1;fill:none}.c{fill:#444;font-size:11px}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...caption.map((c, i) => `<text x="10" y="${16 + i * 15}" class="c">${esc(c)}</text>`),
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
