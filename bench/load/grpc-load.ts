/**
 * gRPC load generator (closed loop): `connections` Nacos connections, each with exactly one unary
 * request in flight at a time. For each job in turn: a warm-up window, then `repeats` back-to-back
 * measured windows. A request counts in the window in which its response arrived. The connections
 * are shared by the jobs (opened once).
 *
 * Job modes:
 *  - register: InstanceRequest registerInstance. Connection c cycles over `servicesPerConn`
 *    services of its own (`bench-reg-<c>-<k>`); every request carries a new 127.x address, so each
 *    one is a real change (Nacos keeps one instance per (connection, service): it replaces).
 *  - query: ServiceQueryRequest for `service` (checked first to hold `expectHosts` hosts).
 * The same traffic is sent to the bare echo server for the baseline.
 */
import { performance } from 'node:perf_hooks';
import { loopbackIp, queryBody, registerBody } from '../lib/bodies.js';
import { openConnections, type NacosConnection } from '../lib/nacos-client.js';
import { foreignCpu, sampleCpuAt, utilisation } from '../lib/proc.js';
import { emit, hardDeadline, log, runMain, scriptArgs } from '../lib/script.js';
import { summarizeLatencies } from '../lib/stats.js';
import type { GrpcJob, GrpcJobResult } from '../lib/types.js';
import { quickResultCode } from '../lib/wire.js';

interface Args {
  target: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
  repeats: number;
  /** Latencies kept per window (bounds memory); ops beyond it are counted but not timed. */
  maxOpsPerWindow: number;
  servicesPerConn?: number;
  /** pid of the server under test, to report its CPU utilisation per window. */
  serverPid?: number;
  jobs: GrpcJob[];
}

async function checkQuery(conn: NacosConnection, job: GrpcJob): Promise<void> {
  const svc = job.service ?? 'bench-100';
  const r = await conn.expectOk('ServiceQueryRequest', JSON.parse(queryBody(svc)) as object, 'QueryServiceResponse');
  const n = (r.body.serviceInfo as { hosts?: unknown[] } | undefined)?.hosts?.length ?? 0;
  if (job.expectHosts !== undefined && n !== job.expectHosts) throw new Error(`query of ${svc}: ${n} hosts, expected ${job.expectHosts}`);
  log(`query ${svc}: ${n} hosts`);
}

async function runJob(a: Args, conns: NacosConnection[], job: GrpcJob): Promise<GrpcJobResult> {
  const expectedType = job.mode === 'register' ? 'InstanceResponse' : 'QueryServiceResponse';
  if (job.mode === 'query') await checkQuery(conns[0]!, job);
  const windows = a.repeats;
  const lat = Array.from({ length: windows }, () => new Float64Array(a.maxOpsPerWindow));
  const ops = new Array<number>(windows).fill(0);
  const errs = new Array<number>(windows).fill(0);
  let firstError = '';
  const measureStart = performance.now() + a.warmupMs;
  const end = measureStart + a.durationMs * windows;
  const services = a.servicesPerConn ?? 50;
  const queryPayload = job.mode === 'query' ? conns[0]!.encode('ServiceQueryRequest', queryBody(job.service ?? 'bench-100')) : null;
  const cpu = sampleCpuAt(
    a.serverPid,
    Array.from({ length: windows + 1 }, (_, w) => measureStart + w * a.durationMs),
  );

  const worker = async (conn: NacosConnection, c: number): Promise<void> => {
    // Bounded by the deadline and, as a safety net, by a count.
    const limit = a.maxOpsPerWindow * (windows + 2);
    for (let k = 0; k < limit; k++) {
      const start = performance.now();
      if (start >= end) return;
      const payload =
        queryPayload ??
        conn.encode('InstanceRequest', registerBody(`bench-reg-${c}-${k % services}`, loopbackIp(c, Math.floor(k / services)), 9000 + (c % 1000), k));
      let ok = false;
      try {
        const r = await conn.callEncoded(payload, 10_000);
        ok = r.type === expectedType && quickResultCode(r.body) === 200;
        if (!ok && !firstError) firstError = `${r.type} ${r.body.toString('utf8').slice(0, 200)}`;
      } catch (e) {
        if (!firstError) firstError = e instanceof Error ? e.message : String(e);
      }
      const done = performance.now();
      if (done < measureStart || done >= end) continue;
      const w = Math.floor((done - measureStart) / a.durationMs);
      if (!ok) {
        errs[w]!++;
        continue;
      }
      if (ops[w]! < a.maxOpsPerWindow) lat[w]![ops[w]!] = done - start;
      ops[w]!++;
    }
  };
  await Promise.all(conns.map((c, i) => worker(c, i)));
  // Let the last CPU sample fire.
  await new Promise((res) => setTimeout(res, Math.max(0, end - performance.now()) + 20));
  const serverCpu = utilisation(cpu.server, a.durationMs);
  const loadCpu = utilisation(cpu.self, a.durationMs);
  const otherCpu = foreignCpu(cpu, a.durationMs);
  return {
    windows: lat.map((l, w) => ({
      ops: ops[w]!,
      opsPerSec: ops[w]! / (a.durationMs / 1000),
      errors: errs[w]!,
      latencyMs: summarizeLatencies(l, Math.min(ops[w]!, a.maxOpsPerWindow)),
      serverCpu: serverCpu[w] ?? null,
      loadCpu: loadCpu[w] ?? null,
      otherCpu: otherCpu[w] ?? null,
    })),
    firstError,
    latencySampled: ops.some((n) => n > a.maxOpsPerWindow),
  };
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline((a.warmupMs + a.durationMs * a.repeats) * a.jobs.length + 120_000);
  const conns = await openConnections(a.target, a.connections, 32);
  try {
    emit('connected', { connections: conns.length });
    const jobs: Record<string, GrpcJobResult> = {};
    for (const job of a.jobs) jobs[job.name] = await runJob(a, conns, job);
    emit('result', { jobs });
  } finally {
    for (const c of conns) c.close();
  }
});
