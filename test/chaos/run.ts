/**
 * `npm run chaos -- [--seeds N] [--minutes M] [--members 3|5] [--seed S] [--ci] [--cleanup] [--no-docs] [--no-clock-jumps]`
 *
 * Per seed: builds the network (test/chaos/net.ts), starts N real members in their namespaces with
 * a fault-injecting proxy on every peer link, runs the workload while faults from the seed's
 * schedule hit the cluster, heals everything, and checks the history (test/chaos/history.ts).
 * Prints operations acked, faults by kind, anomalies (must be 0) and the seeds, and appends a row
 * to the table in docs/reliability.md. Exit code 1 when an anomaly was found. Everything the run
 * created is removed at the end, on SIGINT/SIGTERM/SIGHUP, when its parent process dies and on an
 * uncaught error; `--cleanup` removes leftovers of a run that was killed with SIGKILL (member
 * processes, namespaces, links, data directories). Members run under libfaketime (installed when
 * missing) for the `clock-jump` fault; `--no-clock-jumps`, or a libfaketime that does not work here
 * (said at start), leaves that fault out and replays the schedules of seeds run before it existed.
 */
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../sim/prng.js';
import { REPO_ROOT, sleep } from '../integration/helpers/server.js';
import { prepareFaketime } from './clock.js';
import { FAULT_KINDS, FAULT_KINDS_NO_CLOCK, FaultScheduler, type FaultKind } from './faults.js';
import { checkPersistent, diffEphemeral, type EphemeralDiff } from './history.js';
import { call, json } from './http.js';
import { ChaosCluster } from './members.js';
import { cleanupAll, cleanupByPrefix, createTopology, ensureTools, nsName } from './net.js';
import { GrpcWorkload } from './grpc-workload.js';
import { EPHEMERAL_SERVICES, META_SERVICES, PERSISTENT_SERVICES, Workload, hostsOf } from './workload.js';

interface Options {
  seeds: number[];
  minutes: number;
  members: number[];
  docs: boolean;
  ci: boolean;
  clockJumps: boolean;
  /** Rust SDK (gRPC) clients in the workload (`--no-grpc`: none). */
  grpcClients: number;
}

interface SeedResult {
  seed: number;
  members: number;
  faultMs: number;
  acked: number;
  unknown: number;
  reads: number;
  ephemeralAcked: number;
  faults: Map<FaultKind, number>;
  anomalies: string[];
  ephemeralConvergeMs: number | null;
  /** Rust SDK calls acknowledged and pushes received. */
  grpcAcked: number;
  grpcPushes: number;
}

function parseArgs(argv: readonly string[]): Options | 'cleanup' {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes('--cleanup')) return 'cleanup';
  const ci = argv.includes('--ci');
  const nSeeds = Number(get('--seeds') ?? (ci ? 3 : 1));
  const minutes = Number(get('--minutes') ?? (ci ? 1 : 5));
  const membersArg = get('--members');
  const members = membersArg ? [Number(membersArg)] : ci ? [3, 5, 3] : [3, 5];
  const first = get('--seed');
  const base = first !== undefined ? Number(first) : randomInt(1, 2 ** 31 - 1);
  if (!Number.isInteger(nSeeds) || nSeeds < 1 || !(minutes > 0) || members.some((m) => m !== 3 && m !== 5) || !Number.isInteger(base)) {
    throw new Error('usage: npm run chaos -- [--seeds N] [--minutes M] [--members 3|5] [--seed S] [--ci] [--cleanup] [--no-docs] [--no-clock-jumps] [--no-grpc]');
  }
  return {
    seeds: Array.from({ length: nSeeds }, (_, k) => base + k),
    minutes,
    members,
    docs: !argv.includes('--no-docs'),
    ci,
    clockJumps: !argv.includes('--no-clock-jumps'),
    grpcClients: argv.includes('--no-grpc') ? 0 : GRPC_CLIENTS,
  };
}

const out = (line: string): void => void process.stdout.write(`[chaos] ${line}\n`);

/** Rust SDK processes in the workload (each one gRPC client with its own service). */
const GRPC_CLIENTS = 2;

// ------------------------------------------------------------------------------------------------
// Cleanup on every way out

let current: ChaosCluster | null = null;
let exiting = false;

async function emergencyExit(code: number, why: string): Promise<void> {
  if (exiting) return;
  exiting = true;
  out(`stopping (${why}): removing members, proxies, namespaces and links`);
  try {
    await current?.dispose();
  } catch {
    // cleanupAll below removes what is left by name
  }
  cleanupAll();
  process.exit(code);
}

function installExitHooks(): void {
  // A signal Node does not handle ends the process without its 'exit' hooks: handle every signal
  // that stops a run (SIGHUP: the terminal closed). `npm run chaos` execs this process, so npm's
  // forwarding of SIGINT/SIGTERM reaches it (through a shell in between it did not: the shell died
  // and the run went on orphaned, docs/reliability.md "Cleanup on interruption").
  // `on`, not `once`: Ctrl-C reaches the harness twice (from the terminal and forwarded by npm),
  // and a second signal without a listener would end the process in the middle of the cleanup.
  process.on('SIGINT', () => void emergencyExit(130, 'SIGINT'));
  process.on('SIGTERM', () => void emergencyExit(143, 'SIGTERM'));
  process.on('SIGHUP', () => void emergencyExit(129, 'SIGHUP'));
  // The parent (npm, or the shell) was killed without forwarding anything (kill -9 of npm): stop
  // rather than run on orphaned.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void emergencyExit(129, `parent process ${parent} exited`);
  }, 1000).unref();
  process.on('uncaughtException', (e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    void emergencyExit(2, 'uncaught error');
  });
  process.on('unhandledRejection', (e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    void emergencyExit(2, 'unhandled rejection');
  });
  process.once('exit', () => cleanupAll());
}

// ------------------------------------------------------------------------------------------------
// One seed

interface RaftState {
  role?: string;
  leader?: string | null;
  commitIndex?: number;
  appliedIndex?: number;
}

async function raftStates(c: ChaosCluster): Promise<(RaftState | null)[]> {
  return Promise.all(
    c.members.map(async (m) => {
      try {
        const r = await call(m.ip, 'GET', '/nacos/v1/ns/operator/raft/state', {}, 2000);
        return r.status === 200 ? ((json(r.text) as RaftState | undefined) ?? null) : null;
      } catch {
        return null;
      }
    }),
  );
}

/** Waits until one leader is known to all and every member applied the leader's commit index. */
async function waitRaftConverged(c: ChaosCluster, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = await raftStates(c);
    const leader = s.find((x) => x?.role === 'leader');
    if (leader && s.every((x) => x !== null && x.leader === leader.leader && (x.appliedIndex ?? -1) >= (leader.commitIndex ?? Infinity))) return true;
    await sleep(500);
  }
  return false;
}

/** Every member's view of every ephemeral service against the clients' live registrations (HTTP workers and gRPC clients). */
async function ephemeralDiffs(c: ChaosCluster, w: Workload, g: GrpcWorkload | null): Promise<EphemeralDiff[]> {
  const diffs: EphemeralDiff[] = [];
  const wanted = new Map<string, Set<string>>();
  for (const svc of EPHEMERAL_SERVICES) wanted.set(svc, new Set([...w.live].filter((k) => k.startsWith(`${svc}|`)).map((k) => k.slice(svc.length + 1))));
  for (const [svc, set] of g?.expected() ?? []) wanted.set(svc, set);
  for (const [svc, expected] of wanted) {
    for (const m of c.members) {
      let listed: string[] | null = null;
      try {
        const r = await call(m.ip, 'GET', '/nacos/v1/ns/instance/list', { serviceName: svc, healthyOnly: 'false' }, 3000);
        listed = r.status === 200 ? (hostsOf(r.text)?.map((h) => `${h.ip}:${h.port}`) ?? null) : null;
      } catch {
        listed = null;
      }
      const d = listed === null ? { member: m.index, service: svc, ghosts: [], lost: ['(no answer)'] } : diffEphemeral(m.index, svc, expected, listed);
      if (d) diffs.push(d);
    }
  }
  return diffs;
}

async function runSeed(seed: number, members: number, minutes: number, faketimeLib: string | null, grpcClients: number): Promise<SeedResult> {
  const rng = new Rng(seed);
  let g: GrpcWorkload | null = null;
  out(`seed ${seed}: ${members} members, ${minutes} min of faults (replay: npm run chaos -- --seed ${seed} --members ${members} --minutes ${minutes} --seeds 1)`);
  const anomalies: string[] = [];
  createTopology(members);
  const tag = `s${seed}-n${members}`;
  const c = new ChaosCluster(members, join(tmpdir(), `nchaos-${tag}-${process.pid}`), tag, {}, faketimeLib);
  current = c;
  try {
    await c.startProxies(() => rng.next());
    await c.startAll(90_000);
    const w = new Workload(rng.fork(), c.members.map((m) => m.ip), 4, 2);
    await w.setup();
    w.start();
    const faults = new FaultScheduler(c, rng.fork(), out, faketimeLib ? FAULT_KINDS : FAULT_KINDS_NO_CLOCK);
    // Forked after the faults' stream, so adding the gRPC clients left every seed's fault schedule as it was.
    const gRng = rng.fork();
    if (grpcClients > 0) {
      g = new GrpcWorkload(gRng, c.members.map((m) => `${m.ip}:8848`), grpcClients);
      await g.setup();
      g.start();
      out(`seed ${seed}: ${grpcClients} Rust SDK (gRPC) clients registered and subscribed`);
    }
    const t0 = Date.now();
    await faults.run(t0 + minutes * 60_000);
    const faultMs = Date.now() - t0;
    // Heal: every fault is already undone; bring back any member that is not running.
    for (const m of c.members) if (m.paused) m.signal('SIGCONT');
    for (const m of c.members) if (!m.running) m.spawn();
    const ready = await Promise.all(c.members.map((m) => m.waitReady(90_000)));
    ready.forEach((ok, i) => ok || anomalies.push(`m${i} not ready 90 s after the faults healed (see test-artifacts/chaos-${tag}-m${i}.log)`));
    await w.stopWrites();
    if (g) anomalies.push(...(await g.settle(60_000)));
    if (!(await waitRaftConverged(c, 60_000))) anomalies.push('raft: members did not agree on a leader and apply its commit index within 60 s after healing');
    // Final reads: real call times (no staleness allowed after convergence).
    for (const m of c.members) {
      for (const svc of META_SERVICES) if (!(await w.readKeys(-2, m.index, { meta: svc }, false))) anomalies.push(`final read of ${svc} on m${m.index} failed`);
      for (const svc of PERSISTENT_SERVICES) if (!(await w.readKeys(-2, m.index, { service: svc }, false))) anomalies.push(`final read of ${svc} on m${m.index} failed`);
    }
    const verdict = checkPersistent(w.history);
    if (!verdict.ok) {
      anomalies.push(`persistent data not linearizable: ${verdict.reason ?? verdict.failure!.key}`);
      const lines = verdict.failure!.ops.map((o) => `  ${o.kind} ${JSON.stringify(o.value)} m${o.member} c${o.client} [${o.call.toFixed(0)}, ${o.ret === Infinity ? '∞' : o.ret.toFixed(0)}]${o.stale ? ' stale' : ''}`);
      out(`history of ${verdict.failure!.key}:\n${lines.slice(-60).join('\n')}`);
    }
    // Ephemeral: the live registrations, on every member, within 60 s (beats keep running).
    const e0 = Date.now();
    let diffs = await ephemeralDiffs(c, w, g);
    let pushDiffs = g?.pushDiffs() ?? [];
    if (diffs.length > 0) {
      out(`ephemeral views right after healing: ${diffs.map((d) => `m${d.member} ${d.service} ghosts [${d.ghosts.join(' ')}] lost [${d.lost.join(' ')}]`).join('; ')}`);
      const odd = new Set(diffs.flatMap((d) => [...d.ghosts, ...d.lost].map((x) => `${d.service}|${x}`)));
      out(`their last client operations: ${[...odd].map((k) => `${k} ← ${w.lastEphemeralOp.get(k) ?? 'none'}`).join('; ')}`);
    }
    if (pushDiffs.length > 0) out(`subscribers right after healing: ${pushDiffs.join('; ')}`);
    while ((diffs.length > 0 || pushDiffs.length > 0) && Date.now() - e0 < 60_000) {
      await sleep(2000);
      diffs = await ephemeralDiffs(c, w, g);
      pushDiffs = g?.pushDiffs() ?? [];
    }
    const ephemeralConvergeMs = diffs.length === 0 && pushDiffs.length === 0 ? Date.now() - e0 : null;
    for (const d of diffs) anomalies.push(`ephemeral view of m${d.member} ${d.service}: ghosts ${d.ghosts.join(' ') || '-'}, lost ${d.lost.join(' ') || '-'}`);
    for (const d of pushDiffs) anomalies.push(d);
    await w.stopAll();
    const grpcAcked = g?.acked ?? 0;
    const grpcPushes = g?.pushes ?? 0;
    const grpcFailures = g ? [...g.failures] : [];
    await g?.stop();
    const unknown = w.history.filter((h) => h.kind === 'w' && h.ret === Infinity).length;
    const res: SeedResult = {
      seed,
      members,
      faultMs,
      acked: w.counters.acked,
      unknown,
      reads: w.counters.reads,
      ephemeralAcked: w.ephemeralAcked,
      faults: faults.counts,
      anomalies,
      ephemeralConvergeMs,
      grpcAcked,
      grpcPushes,
    };
    out(
      `seed ${seed}: ${res.acked} persistent writes acked, ${unknown} unknown, ${res.reads} reads, ${res.ephemeralAcked} ephemeral ops acked; ` +
        `faults ${[...faults.counts].map(([k, v]) => `${k}=${v}`).join(' ')}; ephemeral views converged ${ephemeralConvergeMs === null ? 'NO' : `in ${ephemeralConvergeMs} ms`}; anomalies ${anomalies.length}`,
    );
    const jumps = faults.log.filter((f) => f.kind === 'clock-jump');
    if (jumps.length > 0) out(`seed ${seed}: clock jumps (healed by stepping back to the real time): ${jumps.map((f) => `+${((f.at - t0) / 1000).toFixed(0)} s ${f.detail}`).join('; ')}`);
    out(`seed ${seed}: peer connections through the link proxies: ${c.allLinks.reduce((a, p) => a + p.accepted, 0)}`);
    if (grpcClients > 0) out(`seed ${seed}: gRPC (Rust SDK): ${grpcAcked} calls acked, ${grpcPushes} pushes received; calls without success: ${grpcFailures.sort((x, y) => y[1] - x[1]).map(([k, v]) => `${v}× ${k}`).join('; ') || 'none'}`);
    out(`seed ${seed}: writes without success: ${[...w.counters.failures].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${v}× ${k}`).join('; ') || 'none'}`);
    for (const a of anomalies) out(`ANOMALY seed ${seed}: ${a}`);
    return res;
  } finally {
    await g?.stop();
    await c.dispose();
    current = null;
    cleanupAll();
  }
}

// ------------------------------------------------------------------------------------------------
// Report

const TABLE_START = '<!-- chaos-runs:start -->';
const TABLE_END = '<!-- chaos-runs:end -->';

function row(results: readonly SeedResult[], minutes: number): string {
  const sum = (f: (r: SeedResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const faults = new Map<FaultKind, number>();
  for (const r of results) for (const [k, v] of r.faults) faults.set(k, (faults.get(k) ?? 0) + v);
  const members = [...new Set(results.map((r) => r.members))].join(', ');
  const faultText = FAULT_KINDS.filter((k) => faults.has(k)).map((k) => `${k} ${faults.get(k)}`).join(', ');
  const faultMin = (sum((r) => r.faultMs) / 60_000).toFixed(1);
  return `| ${new Date().toISOString().slice(0, 10)} | ${members} | ${results.map((r) => r.seed).join(', ')} | ${minutes} × ${results.length} (${faultMin} min of faults) | ${sum((r) => r.acked)} | ${sum((r) => r.unknown)} | ${sum((r) => r.reads)} | ${sum((r) => r.ephemeralAcked)}${results.some((r) => r.grpcAcked + r.grpcPushes > 0) ? ` + ${sum((r) => r.grpcAcked)} gRPC (${sum((r) => r.grpcPushes)} pushes)` : ''} | ${faultText} | ${sum((r) => r.anomalies.length)} |`;
}

async function writeDocs(results: readonly SeedResult[], minutes: number): Promise<void> {
  const file = join(REPO_ROOT, 'docs', 'reliability.md');
  if (!existsSync(file)) return;
  const text = await readFile(file, 'utf8');
  const end = text.indexOf(TABLE_END);
  if (text.indexOf(TABLE_START) < 0 || end < 0) return;
  await writeFile(file, `${text.slice(0, end)}${row(results, minutes)}\n${text.slice(end)}`);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('npm run chaos needs root (network namespaces, iptables, tc)');
  ensureTools();
  if (opts === 'cleanup') {
    const removed = cleanupByPrefix();
    out(removed.length === 0 ? 'nothing to remove' : `removed ${removed.join(', ')}`);
    return;
  }
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  installExitHooks();
  let faketimeLib: string | null = null;
  if (opts.clockJumps) {
    const ft = prepareFaketime(out);
    if ('lib' in ft) faketimeLib = ft.lib;
    else out(`clock jumps: SKIPPED, ${ft.skip}; the other kinds run as before clock jumps existed`);
  }
  out(`seeds ${opts.seeds.join(', ')}; namespaces ${nsName(0)}…; clock jumps: ${faketimeLib ? 'injected (libfaketime)' : 'not injected'}`);
  const results: SeedResult[] = [];
  for (const [k, seed] of opts.seeds.entries()) results.push(await runSeed(seed, opts.members[k % opts.members.length]!, opts.minutes, faketimeLib, opts.grpcClients));
  const anomalies = results.reduce((a, r) => a + r.anomalies.length, 0);
  out(`done: seeds ${opts.seeds.join(', ')}; ${results.reduce((a, r) => a + r.acked, 0)} persistent writes acked; anomalies ${anomalies}`);
  if (opts.docs && !opts.ci) await writeDocs(results, opts.minutes);
  process.exitCode = anomalies === 0 ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  void emergencyExit(2, 'error');
});
