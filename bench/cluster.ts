/**
 * Cluster benchmark (Distro): three members on loopback.
 *   1. convergence: HTTP register on a random member → visible on all three (p50/p99/max);
 *   2. a wiped member loading N instances: spawn → readiness 200, with the full view at first ready;
 *   3. verify bytes per round at 10k clients, digest vs per-client mode.
 * Run: `npm run bench:cluster` (or `-- --quick`). Only 127.0.0.1; every process is killed on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { batchRegisterBody, hostsOf } from './lib/bodies.js';
import { openConnections, type NacosConnection } from './lib/nacos-client.js';
import { freePortPair, installCleanup, ROOT, sleep } from './lib/proc.js';

const quick = process.argv.includes('--quick');
const N_CONNS = quick ? 20 : 100;
const SVC_PER_CONN = quick ? 50 : 100;
const INST_PER_SVC = 10;
const VERIFY_CLIENTS = quick ? 2000 : 10000;

interface Member {
  port: number;
  dir: string;
  child: ChildProcess | null;
}

/** Cluster members refuse to start without a shared secret: one per bench run. */
const SECRET = randomBytes(32).toString('base64');
const children = new Set<ChildProcess>();
installCleanup();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function startMember(m: Member, members: string, props: Record<string, string>): number {
  const args = ['dist/cli.js', 'start', '--port', String(m.port), '--host', '127.0.0.1', '--data-dir', m.dir, '--members', members];
  for (const [k, v] of Object.entries({ 'nomen.log.level': 'warn', 'nomen.cluster.secret': SECRET, ...props })) args.push('--property', `${k}=${v}`);
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  m.child = child;
  return t0;
}

async function get(port: number, path: string, timeoutMs = 2000): Promise<{ status: number; text: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: r.status, text: await r.text() };
}

async function waitReady(port: number, deadlineMs: number): Promise<number> {
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    try {
      if ((await get(port, '/nacos/v1/console/health/readiness', 500)).status === 200) return performance.now();
    } catch {
      /* not up yet */
    }
    await sleep(5);
  }
  throw new Error(`member :${port} not ready within ${deadlineMs} ms`);
}

async function instanceCount(port: number): Promise<number> {
  const r = await get(port, '/nacos/v1/ns/operator/metrics?onlyStatus=false', 5000);
  return (JSON.parse(r.text) as { instanceCount: number }).instanceCount;
}

async function cluster(props: Record<string, string>): Promise<{ members: Member[]; list: string }> {
  const members: Member[] = [];
  for (let i = 0; i < 3; i++) {
    let port = await freePortPair();
    while (members.some((m) => Math.abs(m.port - port) <= 1001)) port = await freePortPair();
    members.push({ port, dir: mkdtempSync(join(tmpdir(), 'nomen-bench-cl-')), child: null });
  }
  const list = members.map((m) => `127.0.0.1:${m.port}`).join(',');
  for (const m of members) startMember(m, list, props);
  await Promise.all(members.map((m) => waitReady(m.port, 30_000)));
  return { members, list };
}

async function stopCluster(members: Member[]): Promise<void> {
  for (const m of members) m.child?.kill('SIGKILL');
  await sleep(200);
  for (const m of members) rmSync(m.dir, { recursive: true, force: true });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

async function convergence(members: Member[], n: number): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const via = members[i % 3]!;
    const ip = `127.0.${40 + Math.floor(i / 250)}.${(i % 250) + 1}`;
    const t0 = performance.now();
    const r = await fetch(`http://127.0.0.1:${via.port}/nacos/v1/ns/instance?serviceName=bench-conv&ip=${ip}&port=9000`, { method: 'POST' });
    if (r.status !== 200) throw new Error(`register: ${r.status} ${await r.text()}`);
    const seen = new Set<number>();
    const end = t0 + 10_000;
    while (seen.size < 3 && performance.now() < end) {
      for (const m of members) {
        if (seen.has(m.port)) continue;
        const l = await get(m.port, '/nacos/v1/ns/instance/list?serviceName=bench-conv');
        if (l.text.includes(`"ip":"${ip}"`)) seen.add(m.port);
      }
    }
    if (seen.size < 3) throw new Error(`registration ${ip} not visible everywhere in 10 s`);
    lat.push(performance.now() - t0);
  }
  return lat;
}

async function main(): Promise<void> {
  const out: string[] = [];
  const log = (s: string) => {
    out.push(s);
    process.stdout.write(s + '\n');
  };
  log(`# cluster bench (${quick ? 'quick' : 'full'}), ${new Date().toISOString()}, node ${process.version}`);

  // --- 1 + 2: convergence, then a wiped member loading the full view -------------------------
  {
    const { members, list } = await cluster({ 'nomen.cluster.member.report-interval-ms': '500', 'nomen.cluster.member.unhealthy-probe-interval-ms': '500' });
    const lat = await convergence(members, quick ? 50 : 200);
    log(`convergence (HTTP register → visible on 3 members, n=${lat.length}): p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms`);

    const [a, , c] = members as [Member, Member, Member];
    const total = N_CONNS * SVC_PER_CONN * INST_PER_SVC;
    const conns: NacosConnection[] = await openConnections(`127.0.0.1:${a.port + 1000}`, N_CONNS, 16);
    const tl = performance.now();
    await Promise.all(
      conns.map(async (conn, ci) => {
        const hosts = hostsOf(ci + 1, INST_PER_SVC);
        for (let s = 0; s < SVC_PER_CONN; s++) await conn.call('BatchInstanceRequest', batchRegisterBody(`bench-load-${s}`, hosts, s), 30_000);
      }),
    );
    const loadMs = performance.now() - tl;
    const end = performance.now() + 120_000;
    while ((await instanceCount(c.port)) < total + (quick ? 50 : 200)) {
      if (performance.now() > end) throw new Error('replication of the load did not complete');
      await sleep(100);
    }
    const replicated = performance.now() - tl;
    log(`load: ${total} instances in ${N_CONNS * SVC_PER_CONN} (client, service) records via gRPC batch on A: ${loadMs.toFixed(0)} ms; on C after ${replicated.toFixed(0)} ms`);

    c.child?.kill('SIGKILL');
    await sleep(300);
    rmSync(c.dir, { recursive: true, force: true });
    const t0 = startMember(c, list, {});
    const tReady = await waitReady(c.port, 60_000);
    const count = await instanceCount(c.port);
    log(`wiped member restart: spawn → ready ${(tReady - t0).toFixed(0)} ms; instances at first ready: ${count} (expected ${total + (quick ? 50 : 200)})`);
    const state = JSON.parse((await get(c.port, '/nacos/v1/ns/operator/distro/state')).text) as { distro: { loadTimeMs: number; counters: { snapshotEntriesLoaded: number } } };
    log(`  Distro load ${state.distro.loadTimeMs} ms, ${state.distro.counters.snapshotEntriesLoaded} snapshot entries`);
    for (const conn of conns) conn.close();
    await stopCluster(members);
  }

  // --- 3: verify bytes per round ----------------------------------------------------------------
  for (const mode of ['digest', 'per-client'] as const) {
    const { members } = await cluster({ 'nomen.distro.verify.mode': mode, 'nacos.core.protocol.distro.data.verify.intervalMs': '1000' });
    const a = members[0]!;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < VERIFY_CLIENTS) {
        const i = next++;
        const ip = `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
        const r = await fetch(`http://127.0.0.1:${a.port}/nacos/v1/ns/instance?serviceName=bench-verify-${i % 100}&ip=${ip}&port=7000`, { method: 'POST' });
        if (r.status !== 200) throw new Error(`register: ${r.status}`);
        await r.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    await sleep(3500); // let sync settle and a few verify rounds pass
    let bytes = 0;
    for (const m of members) {
      const s = JSON.parse((await get(m.port, '/nacos/v1/ns/operator/distro/state')).text) as { distro: { verify: { lastRoundBytes: number } } };
      bytes += s.distro.verify.lastRoundBytes;
    }
    log(`verify bytes per round, ${VERIFY_CLIENTS} ip-port clients, 3 members, mode ${mode}: ${bytes} bytes (sum over members)`);
    await stopCluster(members);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`cluster bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
