/**
 * Closed-loop measurement shared by the load generators: `workers` loops, each with exactly one
 * operation in flight, a warm-up, then `repeats` back-to-back windows of `durationMs`. An operation
 * counts in the window its completion fell in. Per window: count, latency summary, and the CPU of
 * the server, of this process and of everything else on the machine.
 */
import { performance } from 'node:perf_hooks';
import { foreignCpu, sampleCpuAt, utilisation } from './proc.js';
import { summarizeLatencies } from './stats.js';
import type { GrpcJobResult } from './types.js';

export interface ClosedLoopOptions {
  workers: number;
  warmupMs: number;
  durationMs: number;
  repeats: number;
  /** Latencies kept per window (bounds memory); ops beyond it are counted but not timed. */
  maxOpsPerWindow: number;
  serverPid?: number;
}

/**
 * Runs `op(worker, k)` (k = the worker's k-th operation) in `workers` closed loops. `op` resolves
 * with an error message when the operation failed, or undefined when it succeeded; a throw counts
 * as a failure too.
 */
export async function closedLoop(o: ClosedLoopOptions, op: (worker: number, k: number) => Promise<string | undefined>): Promise<GrpcJobResult> {
  const windows = o.repeats;
  const lat = Array.from({ length: windows }, () => new Float64Array(o.maxOpsPerWindow));
  const ops = new Array<number>(windows).fill(0);
  const errs = new Array<number>(windows).fill(0);
  let firstError = '';
  const measureStart = performance.now() + o.warmupMs;
  const end = measureStart + o.durationMs * windows;
  const cpu = sampleCpuAt(
    o.serverPid,
    Array.from({ length: windows + 1 }, (_, w) => measureStart + w * o.durationMs),
  );

  const worker = async (c: number): Promise<void> => {
    // Bounded by the deadline and, as a safety net, by a count.
    const limit = o.maxOpsPerWindow * (windows + 2);
    for (let k = 0; k < limit; k++) {
      const start = performance.now();
      if (start >= end) return;
      let error: string | undefined;
      try {
        error = await op(c, k);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      if (error !== undefined && !firstError) firstError = error;
      const done = performance.now();
      if (done < measureStart || done >= end) continue;
      const w = Math.floor((done - measureStart) / o.durationMs);
      if (error !== undefined) {
        errs[w]!++;
        continue;
      }
      if (ops[w]! < o.maxOpsPerWindow) lat[w]![ops[w]!] = done - start;
      ops[w]!++;
    }
  };
  await Promise.all(Array.from({ length: o.workers }, (_, c) => worker(c)));
  // Let the last CPU sample fire.
  await new Promise((res) => setTimeout(res, Math.max(0, end - performance.now()) + 20));
  const serverCpu = utilisation(cpu.server, o.durationMs);
  const loadCpu = utilisation(cpu.self, o.durationMs);
  const otherCpu = foreignCpu(cpu, o.durationMs);
  return {
    windows: lat.map((l, w) => ({
      ops: ops[w]!,
      opsPerSec: ops[w]! / (o.durationMs / 1000),
      errors: errs[w]!,
      latencyMs: summarizeLatencies(l, Math.min(ops[w]!, o.maxOpsPerWindow)),
      serverCpu: serverCpu[w] ?? null,
      loadCpu: loadCpu[w] ?? null,
      otherCpu: otherCpu[w] ?? null,
    })),
    firstError,
    latencySampled: ops.some((n) => n > o.maxOpsPerWindow),
  };
}
