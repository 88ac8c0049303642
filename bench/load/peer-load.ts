/**
 * Closed-loop load on a peer registry (etcd or ZooKeeper), the counterpart of grpc-load.ts:
 * `connections` client connections (etcd clients / ZooKeeper sessions), each with one operation in
 * flight; per job a warm-up, then `repeats` measured windows. Same traffic shape as Nomen's:
 *  - register: connection c cycles over `servicesPerConn` services of its own and registers a new
 *    instance (new address) every time (see bench/peers/*.ts for what that is on each peer).
 *  - query: reads `service`, first filled with `expectHosts` instances and checked.
 *  - config-get: reads the config `dataId`, first written with `configBytes` bytes and checked.
 */
import { configContent, loopbackIp } from '../lib/bodies.js';
import { closedLoop } from '../lib/closed-loop.js';
import { emit, hardDeadline, log, runMain, scriptArgs } from '../lib/script.js';
import type { GrpcJob, GrpcJobResult } from '../lib/types.js';
import { inParallel, type PeerConnection, type PeerName } from '../peers/common.js';
import { DRIVERS } from '../peers/drivers.js';

interface Args {
  peer: PeerName;
  endpoint: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
  repeats: number;
  maxOpsPerWindow: number;
  servicesPerConn: number;
  serverPid?: number;
  jobs: GrpcJob[];
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline((a.warmupMs + a.durationMs * a.repeats) * a.jobs.length + 120_000);
  const driver = DRIVERS[a.peer];
  const conns: PeerConnection[] = new Array<PeerConnection>(a.connections);
  await inParallel(conns, 32, async (_x, i) => {
    conns[i] = await driver.connect(a.endpoint, i);
  });
  // Instance ports differ per process: a ZooKeeper session of the previous round may still be closing.
  const portBase = 10_000 + Math.floor(Math.random() * 50_000);
  try {
    emit('connected', { connections: conns.length });
    const jobs: Record<string, GrpcJobResult> = {};
    for (const job of a.jobs) {
      let op: (c: number, k: number) => Promise<string | undefined>;
      if (job.mode === 'register') {
        const services = (c: number): string[] => Array.from({ length: a.servicesPerConn }, (_, k) => `bench-reg-${c}-${k}`);
        await conns[0]!.prepareServices(conns.flatMap((_c, i) => services(i)));
        op = async (c, k) => {
          await conns[c]!.register(`bench-reg-${c}-${k % a.servicesPerConn}`, { ip: loopbackIp(c, Math.floor(k / a.servicesPerConn)), port: portBase });
          return undefined;
        };
      } else if (job.mode === 'config-get') {
        const id = job.dataId ?? 'bench-cfg';
        const size = job.configBytes ?? 1024;
        await conns[0]!.putConfig(id, Buffer.from(configContent('0', size)));
        const got = await conns[0]!.getConfig(id);
        if (got !== size) throw new Error(`${a.peer} config ${id}: ${got} bytes, expected ${size}`);
        op = async (c) => {
          const got2 = await conns[c]!.getConfig(id);
          return got2 === size ? undefined : `config read returned ${got2} bytes`;
        };
      } else {
        const svc = job.service ?? 'bench-100';
        const n = job.expectHosts ?? 100;
        await conns[0]!.fill(svc, Array.from({ length: n }, (_, i) => ({ ip: loopbackIp(100, i), port: 8080 })));
        const got = await conns[0]!.query(svc);
        if (got !== n) throw new Error(`${a.peer} query of ${svc}: ${got} instances, expected ${n}`);
        log(`${a.peer} query ${svc}: ${got} instances`);
        op = async (c) => {
          const got2 = await conns[c]!.query(svc);
          return got2 === n ? undefined : `query returned ${got2} instances`;
        };
      }
      jobs[job.name] = await closedLoop({ workers: conns.length, warmupMs: a.warmupMs, durationMs: a.durationMs, repeats: a.repeats, maxOpsPerWindow: a.maxOpsPerWindow, serverPid: a.serverPid }, op);
    }
    emit('result', { jobs });
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
});
