/** Percentiles and repeat summaries. */

/** Nearest-rank percentile of an ascending-sorted array (p in [0, 100]); NaN when empty. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Summarises the first `count` values of `values` (sorted in place). */
export function summarizeLatencies(values: Float64Array | number[], count = values.length): LatencySummary {
  const v = values instanceof Float64Array ? values.subarray(0, count).sort() : values.slice(0, count).sort((a, b) => a - b);
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]!;
  return {
    count: v.length,
    mean: v.length ? sum / v.length : NaN,
    p50: percentileSorted(v, 50),
    p90: percentileSorted(v, 90),
    p99: percentileSorted(v, 99),
    p999: percentileSorted(v, 99.9),
    max: v.length ? v[v.length - 1]! : NaN,
  };
}

/** Median with min and max over repeats. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
  values: number[];
}

export function spread(values: readonly number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0, values: [] };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length, values: [...values] };
}

/** Formats a number compactly: 12345 -> "12,345", 1.234 -> "1.23", 0.0123 -> "0.012". */
export function fmt(x: number, digits?: number): string {
  if (!Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  const d = digits ?? (a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

export function fmtSpread(s: Spread, digits?: number): string {
  if (s.n === 0) return 'n/a';
  if (s.n === 1 || s.min === s.max) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}
