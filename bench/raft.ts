/**
 * Raft benchmark: persistent writes on a 3-member Nomen cluster beside a 3-member etcd cluster
 * (Debian `etcd-server`, 3.4), in the same run on the same machine.
 *   1. write throughput and latency at concurrency C: Nomen `POST /nacos/v1/ns/instance
 *      ephemeral=false` (a new persistent instance each), etcd `POST /v3/kv/put` through its
 *      HTTP/JSON gateway (a new key each) — both over HTTP/1.1 keep-alive, each writer sending to
 *      a member picked round-robin, both fsync every commit (etcd's WAL, Nomen's Raft log);
 *   2. failover: kill -9 of the leader while writers run → first acknowledgement of a write sent
 *      after the kill (K rounds; the killed member is restarted and caught up between rounds).
 * Servers run on CPU 0, this load generator on CPU 1 (taskset), loopback only. Results: a table
 * printed and written into docs/benchmarks.md (section `raft`), raw data in bench/results/.
 *
 *   npm run bench:raft            # full (~2 min)
 *   npm run bench:raft -- --quick # ~40 s
 * Options for profiling and before/after pairs (docs/benchmarks.md "Raft write path"):
 *   --no-docs            do not write the docs/benchmarks.md section (raw JSON is still written)
 *   --nomen-only         skip the etcd cluster
 *   --no-failover        skip the failover rounds
 *   --concurrency 8,64   the in-flight levels to measure (default: 16 quick, 8 and 64 full)
 *   --dist DIR           start the members from DIR/cli.js instead of dist/ (an older build)
 *   --property k=v       an extra member property (repeatable), e.g. nomen.raft.fsync=false
 *   --cpu-prof DIR       run the members with --cpu-prof into DIR; they are stopped with SIGTERM
 *                        at the end so the profiles are written (implies --no-failover)
 *   --json-out FILE      also write the raw results to FILE (`npm run bench` reads them: scenario k)
 *   --duration S         measured seconds per level (default 4 quick, 10 full)
 *   --warmup S           seconds of load before each level is measured; default 1 quick, and in
 *                        full runs 30 before the first level and 5 before later ones (the members'
 *                        JIT needs thousands of writes to reach its steady cost, docs/benchmarks.md
 *                        "Raft write path, second pass")
 *   --node-arg A         an extra Node.js option for the members (repeatable), e.g. --trace-gc
 *   --log-dir DIR        keep the members' output in DIR (default: a temporary directory, removed)
 *   --idle S             after the levels, measure the members' CPU for S seconds without load
 *                        (background work that grows with the persistent instances written)
 * Each level also prints the server CPU per write split by thread (main JavaScript thread vs the
 * others: libuv pool, V8 GC and compiler; user and system time) and per second of the measured
 * window (a cost that grows over the run shows there).
 *   --rounds N           interleaved mode: both clusters stay up, and the levels run N times,
 *                        alternating the systems (the order rotates every round), so each
 *                        Nomen ÷ etcd ratio comes from measurements about a minute apart instead
 *                        of from two halves of the run (this VM's speed drifts by up to 2× within
 *                        minutes: docs/benchmarks.md "Raft write path, fifth pass"). Prints each
 *                        round and the median of the per-round ratios; failover as usual after
 *   --failover-rounds N  failover rounds per system (default 2 quick, 5 full)
 *   --keep-logs          keep the members' logs (path printed) instead of deleting the run directory;
 *                        each round prints the kill's wall-clock time to match them (with
 *                        `--property nomen.log.level=info` the members log role changes and broken streams)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuSeconds, threadCpuSeconds, type ThreadCpu, freeMemberPorts, stopChild, installCleanup, pinnedCommand, pinSelf, ROOT, sleep, canPin } from './lib/proc.js';
import { machineInfo, upsertDocSection, writeJson } from './lib/report.js';
import { fmt, spread, summarizeLatencies, type LatencySummary } from './lib/stats.js';

const quick = process.argv.includes('--quick');
function argValue(name: string): string | null {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}
const NO_DOCS = process.argv.includes('--no-docs');
const IDLE_MS = Number(argValue('--idle') ?? 0) * 1000;
const NOMEN_ONLY = process.argv.includes('--nomen-only');
const CPU_PROF = argValue('--cpu-prof');
const NO_FAILOVER = CPU_PROF !== null || process.argv.includes('--no-failover');
const NODE_ARGS = process.argv.flatMap((a, i) => (a === '--node-arg' && process.argv[i + 1] ? [process.argv[i + 1]!] : []));
const EXTRA_PROPS = process.argv.flatMap((a, i) => (a === '--property' && process.argv[i + 1] ? ['--property', process.argv[i + 1]!] : []));
const DIST = argValue('--dist') ?? join(ROOT, 'dist');
const CONCURRENCY = argValue('--concurrency')?.split(',').map(Number) ?? (quick ? [16] : [8, 64]);
const DURATION_MS = argValue('--duration') !== null ? Number(argValue('--duration')) * 1000 : quick ? 4000 : 10_000;
// The first level's warm-up: Node's JIT needs thousands of writes before a member's CPU per write
// settles (docs/benchmarks.md "Raft write path, second pass": 1 s after start it was twice the
// steady cost). Full runs warm up 30 s first (both systems alike), later levels 5 s.
const WARMUP_MS = argValue('--warmup') !== null ? Number(argValue('--warmup')) * 1000 : quick ? 1000 : 30_000;
const LATER_WARMUP_MS = Math.min(WARMUP_MS, 5000);
const FAILOVER_ROUNDS = Number(argValue('--failover-rounds') ?? (quick ? 2 : 5));
const ROUNDS = Math.max(1, Number(argValue('--rounds') ?? 1));
const KEEP_LOGS = process.argv.includes('--keep-logs');
const ELECTION_MS = 1000;
const SERVER_CPU = canPin() ? 0 : null;

installCleanup();
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function http(port: number, method: string, path: string, body: string | null, contentType: string, timeoutMs = 15_000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent, timeout: timeoutMs, headers: body === null ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

interface Member {
  name: string;
  port: number;
  dir: string;
  child: ChildProcess | null;
  start(): void;
}

function spawnPinned(name: string, cmd: string, args: string[], logDir: string): ChildProcess {
  const [c, a] = pinnedCommand(SERVER_CPU, cmd, args);
  const fd = openSync(join(logDir, `${name}.log`), 'a');
  const child = spawn(c, a, { cwd: ROOT, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function kill9(m: Member): Promise<void> {
  const c = m.child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    c.once('exit', () => r());
    c.kill('SIGKILL');
  });
}

// ------------------------------------------------------------------------------------------------
// The two systems under test behind one interface

interface System {
  name: string;
  members: Member[];
  /** Writes item `n` through `m`; resolves true when acknowledged. */
  write(m: Member, n: number): Promise<boolean>;
  leader(): Promise<Member | null>;
  ready(m: Member): Promise<boolean>;
  /** True once every running member has applied everything the leader committed. */
  caughtUp(): Promise<boolean>;
  /** Numeric counters of the members summed (Nomen: raft/state `stats` and `link`), for per-write ratios. */
  counters?(): Promise<Record<string, number>>;
}

async function nomenCluster(root: string, logDir: string): Promise<System> {
  const ports = await freeMemberPorts(3);
  const list = ports.map((p) => `127.0.0.1:${p}`).join(',');
  // Members refuse to start without a shared cluster secret.
  const secret = randomBytes(32).toString('base64');
  const members: Member[] = ports.map((port, i) => {
    const m: Member = {
      name: `nomen-${i}`,
      port,
      dir: join(root, `nomen-${i}`),
      child: null,
      start() {
        mkdirSync(m.dir, { recursive: true });
        const prof = CPU_PROF === null ? [] : ['--cpu-prof', '--cpu-prof-dir', CPU_PROF, '--cpu-prof-name', `${m.name}.cpuprofile`];
        const args = [...NODE_ARGS, ...prof, join(DIST, 'cli.js'), 'start', '--port', String(port), '--host', '127.0.0.1', '--data-dir', m.dir, '--members', list];
        // Health checks off: the registered addresses have no listener, and each refused probe would
        // add a health-flip write to the load being measured.
        const props = { 'nomen.log.level': 'warn', 'nomen.cluster.secret': secret, 'nacos.core.protocol.raft.data.election_timeout_ms': String(ELECTION_MS), 'nacos.naming.health.enabled': 'false' };
        for (const [k, v] of Object.entries(props)) args.push('--property', `${k}=${v}`);
        args.push(...EXTRA_PROPS);
        m.child = spawnPinned(m.name, process.execPath, args, logDir);
      },
    };
    return m;
  });
  const state = async (m: Member): Promise<{ role: string; leader: string; commitIndex: number; appliedIndex: number } | null> => {
    try {
      const r = await http(m.port, 'GET', '/nacos/v1/ns/operator/raft/state', null, '', 1000);
      return r.status === 200 ? (JSON.parse(r.text) as { role: string; leader: string; commitIndex: number; appliedIndex: number }) : null;
    } catch {
      return null;
    }
  };
  const running = (): Member[] => members.filter((m) => m.child && m.child.exitCode === null && m.child.signalCode === null);
  return {
    name: 'Nomen',
    members,
    async write(m, n) {
      const ip = `127.${1 + Math.floor(n / 65025)}.${Math.floor(n / 255) % 255}.${1 + (n % 254)}`;
      // A new service every 1,000 writes: one service would reach the instances-per-service limit
      // (10,000, nomen.naming.limit.instances-per-service) within a run on a quiet machine, and every
      // write after that would fail fast with 429. Service size does not change the per-write cost
      // (measured 2026-12-07: 100 vs 5,000 per service, same throughput).
      const path = `/nacos/v1/ns/instance?serviceName=bench-raft-${Math.floor(n / 1000)}&ip=${ip}&port=9000&ephemeral=false`;
      try {
        return (await http(m.port, 'POST', path, null, '')).status === 200;
      } catch {
        return false;
      }
    },
    async leader() {
      for (const m of running()) {
        const s = await state(m);
        if (s?.role === 'leader') return m;
      }
      return null;
    },
    async ready(m) {
      try {
        return (await http(m.port, 'GET', '/nacos/v1/console/health/readiness', null, '', 500)).status === 200;
      } catch {
        return false;
      }
    },
    async counters() {
      const sum: Record<string, number> = {};
      for (const m of running()) {
        try {
          const r = await http(m.port, 'GET', '/nacos/v1/ns/operator/raft/state', null, '', 1000);
          const j = JSON.parse(r.text) as { role?: string; stats?: Record<string, unknown>; link?: Record<string, unknown> | null };
          for (const [k, v] of [...Object.entries(j.stats ?? {}), ...Object.entries(j.link ?? {})]) {
            if (typeof v !== 'number') continue;
            sum[k] = (sum[k] ?? 0) + v;
            if (j.role === 'leader') sum[`leader.${k}`] = (sum[`leader.${k}`] ?? 0) + v;
          }
        } catch {
          // a member that does not answer adds nothing
        }
      }
      return sum;
    },
    async caughtUp() {
      const st = await Promise.all(running().map((m) => state(m)));
      const lead = st.find((s) => s?.role === 'leader');
      return !!lead && st.every((s) => s !== null && s.appliedIndex >= lead.commitIndex);
    },
  };
}

/** The installed etcd's version, or null when etcd is not installed. */
function etcdVersion(): string | null {
  const r = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return /etcd Version:\s*(\S+)/.exec(r.stdout ?? '')?.[1] ?? '?';
}

async function etcdCluster(root: string, logDir: string): Promise<System> {
  const ports = await freeMemberPorts(3);
  const initial = ports.map((p, i) => `e${i}=http://127.0.0.1:${p + 1000}`).join(',');
  const members: Member[] = ports.map((port, i) => {
    let started = false;
    const m: Member = {
      name: `etcd-${i}`,
      port,
      dir: join(root, `etcd-${i}`),
      child: null,
      start() {
        const args = [
          `--name=e${i}`,
          `--data-dir=${m.dir}`,
          `--listen-client-urls=http://127.0.0.1:${port}`,
          `--advertise-client-urls=http://127.0.0.1:${port}`,
          `--listen-peer-urls=http://127.0.0.1:${port + 1000}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${port + 1000}`,
          `--initial-cluster=${initial}`,
          `--initial-cluster-state=${started ? 'existing' : 'new'}`,
          '--initial-cluster-token=nomen-bench',
          // etcd's defaults, stated: heartbeat 100 ms, election timeout 1000 ms (= ours).
          '--heartbeat-interval=100',
          `--election-timeout=${ELECTION_MS}`,
          '--log-level=warn',
          '--logger=zap',
        ];
        started = true;
        m.child = spawnPinned(m.name, 'etcd', args, logDir);
      },
    };
    return m;
  });
  const status = async (m: Member): Promise<{ id: string; leader: string; raftIndex: number; raftAppliedIndex: number } | null> => {
    try {
      const r = await http(m.port, 'POST', '/v3/maintenance/status', '{}', 'application/json', 1000);
      if (r.status !== 200) return null;
      const j = JSON.parse(r.text) as { header: { member_id: string }; leader: string; raftIndex: string; raftAppliedIndex?: string };
      return { id: j.header.member_id, leader: j.leader, raftIndex: Number(j.raftIndex), raftAppliedIndex: Number(j.raftAppliedIndex ?? j.raftIndex) };
    } catch {
      return null;
    }
  };
  const running = (): Member[] => members.filter((m) => m.child && m.child.exitCode === null && m.child.signalCode === null);
  return {
    name: 'etcd',
    members,
    async write(m, n) {
      const key = Buffer.from(`/bench-raft/127.0.0.1:${n}`).toString('base64');
      const value = Buffer.from(JSON.stringify({ ip: '127.0.0.1', port: 9000 + (n % 1000), weight: 1, healthy: true, enabled: true, ephemeral: false, clusterName: 'DEFAULT', metadata: {} })).toString('base64');
      try {
        return (await http(m.port, 'POST', '/v3/kv/put', JSON.stringify({ key, value }), 'application/json')).status === 200;
      } catch {
        return false;
      }
    },
    async leader() {
      for (const m of running()) {
        const s = await status(m);
        if (s && s.id === s.leader) return m;
      }
      return null;
    },
    async ready(m) {
      try {
        const r = await http(m.port, 'GET', '/health', null, '', 500);
        return r.status === 200 && r.text.includes('"true"');
      } catch {
        return false;
      }
    },
    async caughtUp() {
      const st = await Promise.all(running().map((m) => status(m)));
      const max = Math.max(...st.map((s) => s?.raftIndex ?? 0));
      return st.every((s) => s !== null && s.raftAppliedIndex >= max);
    },
  };
}

async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ------------------------------------------------------------------------------------------------
// Scenarios

let seq = 0;

interface ThroughputResult {
  system: string;
  concurrency: number;
  /** Interleaved mode (`--rounds`): the round this level was measured in. */
  round?: number;
  opsPerSec: number;
  failed: number;
  latency: LatencySummary;
  /** CPU time (user + system) of all the system's server processes per acknowledged write, ms. */
  cpuMsPerWrite: number | null;
  /** Member counters per acknowledged write during the measured window (Nomen: syncs, messages…). */
  perWrite?: Record<string, number>;
  /** cpuMsPerWrite split by thread (all members together), ms per write. */
  cpuSplit?: ThreadCpu | null;
  /** Server CPU ms per write in each second of the measured window. */
  cpuPerSecond?: number[];
}

/** Thread CPU of the running members summed (null if one cannot be read). */
function membersThreadCpu(sys: System): ThreadCpu | null {
  const sum: ThreadCpu = { mainUser: 0, mainSys: 0, otherUser: 0, otherSys: 0 };
  for (const m of sys.members) {
    const pid = m.child?.pid;
    const t = pid === undefined ? null : threadCpuSeconds(pid);
    if (t === null) return null;
    for (const k of Object.keys(sum) as (keyof ThreadCpu)[]) sum[k] += t[k];
  }
  return sum;
}

/** CPU seconds used so far by the running members together (null if one cannot be read). */
function membersCpu(sys: System): number | null {
  let sum = 0;
  for (const m of sys.members) {
    const pid = m.child?.pid;
    const s = pid === undefined ? null : cpuSeconds(pid);
    if (s === null) return null;
    sum += s;
  }
  return sum;
}

async function throughput(sys: System, concurrency: number, warmupMs: number): Promise<ThroughputResult> {
  const lat: number[] = [];
  let failed = 0;
  let measuring = false;
  let stop = false;
  const worker = async (w: number): Promise<void> => {
    let i = w;
    while (!stop) {
      const m = sys.members[i++ % sys.members.length]!;
      const t0 = performance.now();
      const ok = await sys.write(m, seq++);
      if (!measuring) continue;
      if (ok) lat.push(performance.now() - t0);
      else failed++;
    }
  };
  const workers = Array.from({ length: concurrency }, (_, w) => worker(w));
  await sleep(warmupMs);
  const k0 = await sys.counters?.();
  measuring = true;
  // Marks the window for external samplers (perf record -p <member pids>), with the pids.
  console.log(`measuring ${sys.name} c=${concurrency} for ${DURATION_MS} ms; member pids ${sys.members.map((m) => m.child?.pid ?? '?').join(',')}`);
  const cpu0 = membersCpu(sys);
  const th0 = membersThreadCpu(sys);
  const t0 = performance.now();
  const cpuPerSecond: number[] = [];
  for (let left = DURATION_MS, prevCpu = cpu0, prevCount = 0; left > 0; left -= 1000) {
    await sleep(Math.min(1000, left));
    const c = membersCpu(sys);
    const n = lat.length;
    if (c !== null && prevCpu !== null && n > prevCount) cpuPerSecond.push(Math.round(((c - prevCpu) * 1e6) / (n - prevCount)) / 1000);
    prevCpu = c;
    prevCount = n;
  }
  measuring = false;
  const elapsed = performance.now() - t0;
  const cpu1 = membersCpu(sys);
  const th1 = membersThreadCpu(sys);
  const count = lat.length;
  const k1 = await sys.counters?.();
  stop = true;
  await Promise.all(workers);
  const cpuMsPerWrite = cpu0 !== null && cpu1 !== null && count > 0 ? ((cpu1 - cpu0) * 1000) / count : null;
  const perWrite: Record<string, number> = {};
  if (k0 && k1 && count > 0) for (const [k, v] of Object.entries(k1)) if (k0[k] !== undefined && v !== k0[k]) perWrite[k] = Math.round(((v - k0[k]!) / count) * 1000) / 1000;
  let cpuSplit: ThreadCpu | null = null;
  if (th0 !== null && th1 !== null && count > 0) {
    cpuSplit = { mainUser: 0, mainSys: 0, otherUser: 0, otherSys: 0 };
    for (const k of Object.keys(cpuSplit) as (keyof ThreadCpu)[]) cpuSplit[k] = Math.round(((th1[k] - th0[k]) * 1e6) / count) / 1000;
  }
  return { system: sys.name, concurrency, opsPerSec: (count / elapsed) * 1000, failed, latency: summarizeLatencies(lat), cpuMsPerWrite, cpuSplit, cpuPerSecond, ...(k0 ? { perWrite } : {}) };
}

/** One failover round, for reading beside the members' logs (`--keep-logs`). */
interface FailoverTrace {
  round: number;
  /** Wall-clock time of the kill (ISO), to match the members' log lines. */
  killedAt: string;
  killed: string;
  ms: number;
  /** The write that ended the round: member, and when it was sent after the kill (ms). */
  ackedBy: string;
  ackSentAfterKill: number;
  /** Writes sent after the kill that failed before the first acknowledgement, and the longest one (ms). */
  failedWrites: number;
  longestFailedWriteMs: number;
}

async function failover(sys: System): Promise<{ times: number[]; traces: FailoverTrace[] }> {
  const times: number[] = [];
  const traces: FailoverTrace[] = [];
  for (let round = 0; round < FAILOVER_ROUNDS; round++) {
    await until(async () => (await sys.leader()) !== null && (await sys.caughtUp()), 30_000, `${sys.name} leader and caught-up members`);
    const leader = (await sys.leader())!;
    const others = sys.members.filter((m) => m !== leader);
    let killedAt = 0;
    let firstAck = 0;
    let ackedBy = '';
    let ackSent = 0;
    let failedWrites = 0;
    let longestFailed = 0;
    let stop = false;
    const writer = async (m: Member): Promise<void> => {
      while (!stop) {
        const sent = performance.now();
        const ok = await sys.write(m, seq++);
        const afterKill = killedAt > 0 && sent > killedAt;
        if (ok && afterKill && firstAck === 0) {
          firstAck = performance.now();
          ackedBy = m.name;
          ackSent = sent - killedAt;
        }
        if (!ok && afterKill && firstAck === 0) {
          failedWrites++;
          longestFailed = Math.max(longestFailed, performance.now() - sent);
        }
        if (!ok) await sleep(5);
      }
    };
    const writers = others.flatMap((m) => [writer(m), writer(m)]);
    await sleep(500);
    const killedWall = new Date().toISOString();
    killedAt = performance.now();
    await kill9(leader);
    await until(async () => firstAck > 0, 30_000, `${sys.name} writes after the leader was killed`);
    stop = true;
    await Promise.all(writers);
    times.push(firstAck - killedAt);
    const t: FailoverTrace = { round, killedAt: killedWall, killed: leader.name, ms: Math.round(firstAck - killedAt), ackedBy, ackSentAfterKill: Math.round(ackSent), failedWrites, longestFailedWriteMs: Math.round(longestFailed) };
    traces.push(t);
    if (KEEP_LOGS || FAILOVER_ROUNDS > 5) console.log(`  ${sys.name} round ${round}: ${JSON.stringify(t)}`);
    leader.start();
    await until(() => sys.ready(leader), 30_000, `${leader.name} ready again`);
  }
  return { times, traces };
}

/** Per level: Nomen ÷ etcd throughput and CPU per write in each round of the interleaved mode. */
function roundRatios(tp: readonly ThroughputResult[]): { concurrency: number; throughput: number[]; cpu: number[] }[] {
  const out: { concurrency: number; throughput: number[]; cpu: number[] }[] = [];
  for (const c of CONCURRENCY) {
    const throughput: number[] = [];
    const cpu: number[] = [];
    for (const r of tp) {
      if (r.system !== 'Nomen' || r.concurrency !== c || r.round === undefined) continue;
      const peer = tp.find((x) => x.system === 'etcd' && x.concurrency === c && x.round === r.round);
      if (!peer) continue;
      throughput.push(r.opsPerSec / peer.opsPerSec);
      if (r.cpuMsPerWrite !== null && peer.cpuMsPerWrite !== null) cpu.push(r.cpuMsPerWrite / peer.cpuMsPerWrite);
    }
    if (throughput.length > 0) out.push({ concurrency: c, throughput, cpu });
  }
  return out;
}

function roundRatioText(tp: readonly ThroughputResult[]): string {
  const parts = roundRatios(tp).map(
    (x) =>
      `c=${x.concurrency}: Nomen ÷ etcd throughput per round ${x.throughput.map((v) => v.toFixed(2)).join(', ')} (median ${spread(x.throughput).median.toFixed(2)}), CPU per write ${x.cpu.map((v) => v.toFixed(2)).join(', ')} (median ${x.cpu.length > 0 ? spread(x.cpu).median.toFixed(2) : 'n/a'})`,
  );
  return parts.length > 0 ? parts.join('; ') : 'no etcd rounds';
}

function printRoundRatios(tp: readonly ThroughputResult[]): void {
  console.log(`per-round ratios: ${roundRatioText(tp)}`);
}

async function main(): Promise<void> {
  const machine = machineInfo(); // before pinning: it counts the CPUs this process may use
  if (canPin()) pinSelf(1);
  const root = mkdtempSync(join(tmpdir(), 'nomen-bench-raft-'));
  const logDir = argValue('--log-dir') ?? join(root, 'logs');
  mkdirSync(logDir, { recursive: true });
  const systems: System[] = [await nomenCluster(root, logDir)];
  const etcd = NOMEN_ONLY ? null : etcdVersion();
  if (etcd !== null) systems.push(await etcdCluster(root, logDir));
  else console.warn('etcd not installed (apt-get install etcd-server): measuring Nomen alone');

  const tp: ThroughputResult[] = [];
  const fo: Record<string, number[]> = {};
  const foTraces: Record<string, FailoverTrace[]> = {};
  const report = (r: ThroughputResult): void => {
    const at = r.round === undefined ? '' : ` (round ${r.round})`;
    console.log(`${r.system} c=${r.concurrency}${at}: ${fmt(r.opsPerSec)} writes/s, p50 ${fmt(r.latency.p50)} ms, p99 ${fmt(r.latency.p99)} ms, failed ${r.failed}, server CPU ${r.cpuMsPerWrite === null ? 'n/a' : fmt(r.cpuMsPerWrite)} ms/write`);
    if (r.perWrite) console.log(`  per write (all members): ${JSON.stringify(r.perWrite)}`);
    if (r.cpuSplit) console.log(`  server CPU ms/write by thread: ${JSON.stringify(r.cpuSplit)}; per second: ${JSON.stringify(r.cpuPerSecond)}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  };
  const startSystem = async (sys: System): Promise<void> => {
    for (const m of sys.members) m.start();
    for (const m of sys.members) await until(() => sys.ready(m), 30_000, `${m.name} ready`);
    await until(async () => (await sys.leader()) !== null, 30_000, `${sys.name} leader`);
  };
  if (ROUNDS > 1) {
    // Interleaved: every system up at once; each round runs all levels of one system, then of the next.
    for (const sys of systems) await startSystem(sys);
    const warmed = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < systems.length; k++) {
        const sys = systems[(round + k) % systems.length]!;
        await until(async () => (await sys.leader()) !== null, 30_000, `${sys.name} leader`);
        for (const c of CONCURRENCY) {
          const r = { ...(await throughput(sys, c, warmed.has(sys.name) ? LATER_WARMUP_MS : WARMUP_MS)), round };
          warmed.add(sys.name);
          tp.push(r);
          report(r);
        }
      }
    }
    printRoundRatios(tp);
  }
  for (const sys of systems) {
    if (ROUNDS === 1) {
      await startSystem(sys);
      for (const c of CONCURRENCY) {
        const r = await throughput(sys, c, c === CONCURRENCY[0] ? WARMUP_MS : LATER_WARMUP_MS);
        tp.push(r);
        report(r);
      }
    }
    if (IDLE_MS > 0) {
      await sleep(1000); // the last writes settle
      const c0 = membersCpu(sys);
      await sleep(IDLE_MS);
      const c1 = membersCpu(sys);
      if (c0 !== null && c1 !== null) console.log(`${sys.name} idle after the levels (${seq} writes sent): ${fmt(((c1 - c0) * 1000) / (IDLE_MS / 1000))} ms of server CPU per second, all members`);
    }
    if (CPU_PROF !== null && sys.name === 'Nomen') {
      const lead = await sys.leader();
      console.log(`profiles in ${CPU_PROF}; leader: ${lead?.name ?? '?'}`);
      await Promise.all(sys.members.map((m) => (m.child ? stopChild(m.child, 20_000) : Promise.resolve())));
    }
    if (!NO_FAILOVER) {
      const r = await failover(sys);
      fo[sys.name] = r.times;
      foTraces[sys.name] = r.traces;
      const s = summarizeLatencies(r.times);
      console.log(`${sys.name} failover (ms): ${r.times.map((x) => fmt(x, 0)).join(', ')}`);
      console.log(`${sys.name} failover over ${s.count} rounds: min ${fmt(Math.min(...r.times), 0)}, median ${fmt(s.p50, 0)}, p90 ${fmt(s.p90, 0)}, max ${fmt(s.max, 0)} ms; over 2 s: ${r.times.filter((x) => x > 2000).length}`);
    }
    for (const m of sys.members) await kill9(m);
  }
  if (KEEP_LOGS) console.log(`member logs kept in ${logDir}`);
  else rmSync(root, { recursive: true, force: true });

  const date = new Date().toISOString().slice(0, 10);
  const rows = tp.map((r) => `| ${r.system}${r.round === undefined ? '' : ` (round ${r.round + 1})`} | ${r.concurrency} | ${fmt(r.opsPerSec, 0)} | ${fmt(r.latency.p50)} | ${fmt(r.latency.p99)} | ${fmt(r.latency.max)} | ${r.failed} | ${r.cpuMsPerWrite === null ? 'n/a' : fmt(r.cpuMsPerWrite)} |`);
  const foRows = Object.entries(fo).map(([name, t]) => {
    const s = spread(t);
    return `| ${name} | ${t.length} | ${fmt(s.median, 0)} | ${fmt(s.min, 0)}–${fmt(s.max, 0)} | ${ELECTION_MS} |`;
  });
  const section = `### Raft: persistent writes on 3 members, beside etcd (${date}${quick ? ', quick' : ''})

Machine: ${machine.cpuModel}, ${machine.cores} vCPU, Node ${machine.node}, commit ${machine.commit}; all three members of
each system on CPU 0, the load generator on CPU 1; loopback; every write fsynced by a majority before
it is acknowledged. Nomen: \`POST /nacos/v1/ns/instance?ephemeral=false\` (new instance each; health
checks off) to the 3 members round-robin;
etcd ${etcd ?? 'n/a'}: \`POST /v3/kv/put\` (new key each) through its HTTP gateway, same concurrency.
Each level is measured for ${DURATION_MS / 1000} s after ${WARMUP_MS / 1000} s of load (the first level; later ones after ${LATER_WARMUP_MS / 1000} s).${ROUNDS > 1 ? `\nInterleaved: both clusters up at once, ${ROUNDS} rounds alternating the systems (\`--rounds ${ROUNDS}\`); ${roundRatioText(tp)}.` : ''}

| system | concurrency | writes/s | p50 ms | p99 ms | max ms | failed | server CPU ms/write |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Failover (kill -9 of the leader under write load → first acknowledgement of a write sent after the kill):

| system | rounds | median ms | min–max ms | election timeout ms |
|---|---|---|---|---|
${foRows.join('\n')}
`;
  console.log(section);
  const raw = { machine, date, quick, etcdVersion: etcd, throughput: tp, failover: fo, failoverRounds: foTraces };
  writeJson(join(ROOT, 'bench', 'results', `raft-${date}${quick ? '-quick' : ''}.json`), raw);
  const jsonOut = argValue('--json-out');
  if (jsonOut !== null) writeJson(jsonOut, raw);
  if (!NO_DOCS) upsertDocSection(join(ROOT, 'docs', 'benchmarks.md'), `raft-${quick ? 'quick' : 'full'}`, section);
  agent.destroy();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
