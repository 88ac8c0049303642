/** Table rows of one closed-loop load scenario against its baseline (throughput, latency, CPU). */
import { spread } from './stats.js';
import type { GrpcWindow, HttpRun } from './types.js';
import type { Row } from './report.js';
import { num, type Ctx } from './context.js';

export interface LoadSample {
  rate: number;
  p50: number;
  p99: number;
  cpu: number;
  load: number;
}

export const fromGrpc = (ws: GrpcWindow[]): LoadSample[] =>
  ws.map((w) => ({ rate: w.opsPerSec, p50: w.latencyMs.p50, p99: w.latencyMs.p99, cpu: num(w.serverCpu), load: num(w.loadCpu) }));
export const fromHttp = (runs: HttpRun[]): LoadSample[] => runs.map((r) => ({ rate: r.rps, p50: r.p50, p99: r.p99, cpu: num(r.serverCpu), load: num(r.loadCpu) }));

/**
 * Rows of one load scenario against one baseline: throughput, p50/p99, server and load-generator
 * CPU, server CPU per request, and the projected throughput at one full core. On a 2-core box the
 * load generator can saturate before the server does; CPU per request does not depend on that,
 * so "1 core ÷ CPU per request" is the better efficiency comparison. Ratios are taken per pair of
 * measurements made next to each other (same round), then summarised. `secondary` (a second
 * baseline for the same Nomen data) keeps only throughput, CPU per request and projection.
 */
export function loadRows(
  ctx: Ctx,
  label: string,
  unit: 'ops/s' | 'req/s',
  nomen: LoadSample[],
  base: LoadSample[] | undefined,
  baseName: string,
  opts: { target?: number; secondary?: boolean; latencyDigits?: number } = {},
): void {
  const row = (metric: string, u: string, f: (x: LoadSample) => number, digits?: number, target?: number): void => {
    const r: Row = { scenario: label, metric, unit: u, nomen: spread(nomen.map(f)), digits };
    if (base) {
      r.baseline = spread(base.map(f));
      r.baselineName = baseName;
      const n = Math.min(nomen.length, base.length);
      r.ratio = spread(Array.from({ length: n }, (_, i) => f(nomen[i]!) / f(base[i]!)).filter((x) => Number.isFinite(x)));
      if (target !== undefined) {
        r.target = `≥ ${target}`;
        r.met = r.ratio.median >= target;
      }
    }
    ctx.rows.push(r);
  };
  row('throughput', unit, (x) => x.rate, undefined, opts.target);
  if (!opts.secondary) {
    row('latency p50', 'ms', (x) => x.p50, opts.latencyDigits ?? 2);
    row('latency p99', 'ms', (x) => x.p99, opts.latencyDigits ?? 2);
    row('server CPU', 'cores', (x) => x.cpu, 2);
    row('load-generator CPU', 'cores', (x) => x.load, 2);
  }
  row('server CPU per request', 'µs', (x) => (x.cpu / x.rate) * 1e6, 0);
  row('projected throughput at 1 core', unit, (x) => x.rate / x.cpu, undefined, opts.target);
}
