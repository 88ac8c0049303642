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
 *  - config-get: ConfigQueryRequest for `dataId` (published with `configBytes` bytes, checked first).
 * The same traffic is sent to the bare echo server for the baseline.
 */
import { configQueryBody, loopbackIp, queryBody, registerBody } from '../lib/bodies.js';
import { openConnections, type NacosConnection } from '../lib/nacos-client.js';
import { closedLoop } from '../lib/closed-loop.js';
import { emit, hardDeadline, log, runMain, scriptArgs } from '../lib/script.js';
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

async function checkConfig(conn: NacosConnection, job: GrpcJob): Promise<void> {
  const r = await conn.expectOk('ConfigQueryRequest', JSON.parse(configQueryBody(job.dataId ?? '')) as object, 'ConfigQueryResponse');
  const n = typeof r.body.content === 'string' ? Buffer.byteLength(r.body.content) : -1;
  if (job.configBytes !== undefined && n !== job.configBytes) throw new Error(`config ${job.dataId}: ${n} bytes, expected ${job.configBytes}`);
  log(`config ${job.dataId}: ${n} bytes`);
}

const EXPECTED_TYPE: Record<GrpcJob['mode'], string> = { register: 'InstanceResponse', query: 'QueryServiceResponse', 'config-get': 'ConfigQueryResponse' };

async function runJob(a: Args, conns: NacosConnection[], job: GrpcJob): Promise<GrpcJobResult> {
  const expectedType = EXPECTED_TYPE[job.mode];
  if (job.mode === 'query') await checkQuery(conns[0]!, job);
  if (job.mode === 'config-get') await checkConfig(conns[0]!, job);
  const services = a.servicesPerConn ?? 50;
  const queryPayload =
    job.mode === 'query'
      ? conns[0]!.encode('ServiceQueryRequest', queryBody(job.service ?? 'bench-100'))
      : job.mode === 'config-get'
        ? conns[0]!.encode('ConfigQueryRequest', configQueryBody(job.dataId ?? ''))
        : null;
  return closedLoop({ workers: conns.length, warmupMs: a.warmupMs, durationMs: a.durationMs, repeats: a.repeats, maxOpsPerWindow: a.maxOpsPerWindow, serverPid: a.serverPid }, async (c, k) => {
    const conn = conns[c]!;
    const payload =
      queryPayload ??
      conn.encode('InstanceRequest', registerBody(`bench-reg-${c}-${k % services}`, loopbackIp(c, Math.floor(k / services)), 9000 + (c % 1000), k));
    const r = await conn.callEncoded(payload, 10_000);
    return r.type === expectedType && quickResultCode(r.body) === 200 ? undefined : `${r.type} ${r.body.toString('utf8').slice(0, 200)}`;
  });
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
