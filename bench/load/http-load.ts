/**
 * HTTP load generator: autocannon (closed loop, `connections` keep-alive sockets, no pipelining)
 * against each URL in turn: one discarded warm-up run, then `repeats` measured runs. Run pinned to
 * its own core by the orchestrator.
 */
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { cpuSeconds, machineCpuSeconds } from '../lib/proc.js';
import { emit, hardDeadline, runMain, scriptArgs } from '../lib/script.js';
import type { HttpRun } from '../lib/types.js';

interface Args {
  urls: { name: string; url: string }[];
  connections: number;
  warmupSec: number;
  durationSec: number;
  repeats: number;
  /** pid of the server under test, to report its CPU utilisation per run. */
  serverPid?: number;
}

async function measure(a: Args, url: string): Promise<HttpRun[]> {
  const opts = { url, connections: a.connections, pipelining: 1, timeout: 10 };
  if (a.warmupSec > 0) await autocannon({ ...opts, duration: a.warmupSec });
  const runs: HttpRun[] = [];
  for (let i = 0; i < a.repeats; i++) {
    const s0 = a.serverPid !== undefined ? cpuSeconds(a.serverPid) : null;
    const u0 = process.cpuUsage();
    const m0 = machineCpuSeconds();
    const t0 = performance.now();
    const r = await autocannon({ ...opts, duration: a.durationSec });
    const wall = (performance.now() - t0) / 1000;
    const s1 = a.serverPid !== undefined ? cpuSeconds(a.serverPid) : null;
    const u1 = process.cpuUsage(u0);
    const m1 = machineCpuSeconds();
    const serverCpu = s0 !== null && s1 !== null ? (s1 - s0) / wall : null;
    const loadCpu = (u1.user + u1.system) / 1e6 / wall;
    const total = r.requests.total;
    runs.push({
      rps: total / r.duration,
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
      bytesPerReq: total > 0 ? r.throughput.total / total : NaN,
      serverCpu,
      loadCpu,
      otherCpu: m0 !== null && m1 !== null && serverCpu !== null ? (m1 - m0) / wall - serverCpu - loadCpu : null,
    });
  }
  return runs;
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline((a.warmupSec + a.durationSec * a.repeats) * 1000 * a.urls.length + 60_000);
  const jobs: Record<string, HttpRun[]> = {};
  for (const u of a.urls) jobs[u.name] = await measure(a, u.url);
  emit('result', { jobs });
});
