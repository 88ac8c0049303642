/**
 * Nomen standalone benchmark orchestrator (`npm run bench [-- --quick]`). See bench/README.md.
 *
 * Everything runs on loopback. The servers under test (Nomen and the bare baselines) are child
 * processes pinned to CPU 0; every load generator is a separate child pinned to CPU 1; this
 * orchestrator pins itself to CPU 1 as well (it only waits while load runs). Nomen and its baseline
 * are measured in alternating rounds (base, Nomen, Nomen, base, ...) so that a slow or noisy
 * stretch of the shared machine hits both, and every ratio is taken between measurements made
 * next to each other. Every phase is bounded by counts and deadlines; every child we start is
 * killed when this process exits.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_KEYS } from '../src/config/keys.js';
import {
  BENCH_DIR,
  ROOT,
  canPin,
  cpuCount,
  freePortPair,
  hasTaskset,
  httpGet,
  installCleanup,
  pinSelf,
  runScript,
  sleep,
  startNomen,
  waitQuiet,
  type Rss,
  type ScriptEvent,
  type ScriptProcess,
  type ServerHandle,
} from './lib/proc.js';
import { machineInfo, markdownTable, textTable, upsertDocSection, writeJson, type Row } from './lib/report.js';
import { renderChart, type ChartPanel } from './lib/chart.js';
import { fmt, spread, type Spread } from './lib/stats.js';
import type { Disturbable, FloodPhase, GrpcJob, GrpcJobResult, GrpcWindow, HttpRun, PushResult, PushRound } from './lib/types.js';
import { PEERS, type PeerName, type PeerServer } from './peers/common.js';
import { DRIVERS } from './peers/drivers.js';
import { ensurePeers, packageVersion } from './peers/install.js';

// ---------------------------------------------------------------------------------------------
// Options

interface Mode {
  name: 'quick' | 'full';
  connections: number;
  /**
   * gRPC loads: each server first gets `prewarmMs` of unrecorded load (V8 warm-up), then `rounds`
   * alternating rounds; a round is one load-generator process per server: `warmupMs` (the
   * generator's own warm-up), then `windowsPerRound` measured windows of `durationMs` per job.
   */
  grpc: { prewarmMs: number; warmupMs: number; durationMs: number; windowsPerRound: number; rounds: number; maxOpsPerWindow: number };
  /** HTTP loads: the same scheme with autocannon; one measured run per URL per round. */
  http: { connections: number; prewarmSec: number; warmupSec: number; durationSec: number; rounds: number };
  push: { subscribers: number[]; rounds: number; pauseMs: number; roundTimeoutMs: number };
  memory: { connections: number; servicesPerConn: number; instancesPerService: number; settleMs: number };
  /** Start → ready samples in total (the main server's start counts as one). */
  startupRuns: number;
  /** Extra rounds allowed to replace rounds disturbed by other processes. */
  spareRounds: number;
  /** Longest wait for an idle machine before each measurement. */
  quietWaitMs: number;
  /** Alternating rounds (Nomen / etcd / ZooKeeper) of the register and query loads against the peers. */
  peerRounds: number;
  /** Password flood: concurrent wrong-password connections; per round a probes-only phase, then the flood. */
  flood: { connections: number; quietMs: number; floodMs: number; rounds: number };
}

const MODES: Record<Mode['name'], Mode> = {
  quick: {
    name: 'quick',
    connections: 32,
    grpc: { prewarmMs: 0, warmupMs: 1500, durationMs: 1000, windowsPerRound: 2, rounds: 1, maxOpsPerWindow: 200_000 },
    http: { connections: 32, prewarmSec: 0, warmupSec: 0.75, durationSec: 1.5, rounds: 1 },
    push: { subscribers: [1, 1000], rounds: 3, pauseMs: 250, roundTimeoutMs: 10_000 },
    memory: { connections: 100, servicesPerConn: 10, instancesPerService: 10, settleMs: 1000 },
    startupRuns: 3,
    spareRounds: 0,
    quietWaitMs: 1000,
    peerRounds: 1,
    flood: { connections: 64, quietMs: 1000, floodMs: 3000, rounds: 1 },
  },
  full: {
    name: 'full',
    connections: 32,
    grpc: { prewarmMs: 6000, warmupMs: 1500, durationMs: 5000, windowsPerRound: 1, rounds: 5, maxOpsPerWindow: 1_000_000 },
    http: { connections: 32, prewarmSec: 3, warmupSec: 1, durationSec: 5, rounds: 5 },
    push: { subscribers: [1, 1000, 10_000], rounds: 5, pauseMs: 500, roundTimeoutMs: 30_000 },
    memory: { connections: 100, servicesPerConn: 100, instancesPerService: 10, settleMs: 3000 },
    startupRuns: 5,
    spareRounds: 4,
    quietWaitMs: 60_000,
    peerRounds: 3,
    flood: { connections: 64, quietMs: 2000, floodMs: 8000, rounds: 3 },
  },
};

const SCENARIOS = ['baseline', 'register', 'query', 'http', 'push', 'memory', 'startup', 'password-flood'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

interface Cli {
  mode: Mode;
  only: Set<ScenarioName>;
  verbose: boolean;
  docs: boolean;
  cpuProf: boolean;
  pushDelayMs: number | null;
  /** Peer registries run next to Nomen (full: both unless `--no-peers`; quick: only with `--peers`). */
  peers: PeerName[];
}

function parseCli(argv: string[]): Cli {
  if (argv.includes('--help')) {
    process.stdout.write(
      'npm run bench -- [--quick] [--only baseline,register,query,http,push,memory,startup,password-flood]\n' +
        '                 [--connections N] [--subscribers 1,1000] [--push-delay MS] [--cpu-prof] [--docs | --no-docs] [--verbose]\n' +
        '                 [--peers etcd,zookeeper | --no-peers]\n',
    );
    process.exit(0);
  }
  const mode = { ...(argv.includes('--quick') ? MODES.quick : MODES.full) };
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(flag + '='))?.slice(flag.length + 1);
  };
  const onlyRaw = value('--only');
  const only = new Set<ScenarioName>(
    onlyRaw
      ? onlyRaw.split(',').map((s) => {
          if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--only: unknown scenario ${s} (one of ${SCENARIOS.join(',')})`);
          return s as ScenarioName;
        })
      : SCENARIOS,
  );
  const conc = value('--connections');
  if (conc) mode.connections = Number(conc);
  const subs = value('--subscribers');
  if (subs) mode.push = { ...mode.push, subscribers: subs.split(',').map(Number) };
  const pd = value('--push-delay');
  // `--peers` alone (or followed by another flag) means all of them.
  const peersArg = value('--peers');
  const peersRaw = argv.includes('--peers') || argv.some((a) => a.startsWith('--peers=')) ? (peersArg && !peersArg.startsWith('--') ? peersArg : PEERS.join(',')) : undefined;
  const peers = argv.includes('--no-peers')
    ? []
    : peersRaw !== undefined
      ? peersRaw.split(',').map((p) => {
          if (!(PEERS as readonly string[]).includes(p)) throw new Error(`--peers: unknown peer ${p} (one of ${PEERS.join(',')})`);
          return p as PeerName;
        })
      : argv.includes('--quick')
        ? []
        : [...PEERS];
  return {
    mode,
    only,
    verbose: argv.includes('--verbose'),
    // The full run is the reference; quick runs only write docs when asked.
    docs: argv.includes('--quick') ? argv.includes('--docs') : !argv.includes('--no-docs'),
    cpuProf: argv.includes('--cpu-prof'),
    pushDelayMs: pd !== undefined ? Number(pd) : null,
    peers,
  };
}

// ---------------------------------------------------------------------------------------------
// Context and small helpers

const SERVER_CPU = 0;
const LOAD_CPU = 1;
/** A measurement during which other processes used more than this many cores is "disturbed". */
const OTHER_LOAD_LIMIT = 0.25;

const T0 = Date.now();
const progress = (msg: string): void => {
  process.stderr.write(`[bench +${((Date.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);
};

interface Ctx {
  cli: Cli;
  mode: Mode;
  rows: Row[];
  raw: Record<string, unknown>;
  notes: string[];
  tmp: string;
  logDir: string;
  pushDelayMs: number;
  serverProps: Record<string, string>;
  /** Figures of Nomen and the peers for the "vs peer" rows and the chart, filled as scenarios run. */
  compared: Compared[];
}

const num = (x: number | null | undefined): number => (x === null || x === undefined ? NaN : x);

const otherOf = (x: Disturbable): number => {
  const o = num(x.otherCpu);
  return Number.isFinite(o) ? o : 0;
};

/** Waits for other processes on the machine to go quiet (bounded); notes it when they don't. */
async function quiet(ctx: Ctx, label: string): Promise<void> {
  const busy = await waitQuiet(ctx.mode.quietWaitMs, 0.15, ctx.mode.name === 'full' ? 500 : 200);
  if (busy > 0.15) {
    ctx.notes.push(`machine busy before ${label}: other processes were using ${busy.toFixed(2)} cores`);
    progress(`warning: machine busy (${busy.toFixed(2)} cores) before ${label}`);
  }
}

async function runToResult<T>(p: ScriptProcess, timeoutMs: number): Promise<T> {
  try {
    const e: ScriptEvent = await p.waitEvent('result', timeoutMs);
    return e as unknown as T;
  } finally {
    await p.stop(5000);
  }
}

async function startScript(ctx: Ctx, script: string, args: object, cpu: number, timeoutMs: number): Promise<{ p: ScriptProcess; ready: ScriptEvent }> {
  const p = runScript(script, args, cpu, { verbose: ctx.cli.verbose });
  try {
    const ready = await p.waitEvent('ready', timeoutMs);
    return { p, ready };
  } catch (e) {
    await p.stop(1000);
    throw e;
  }
}

async function startServer(ctx: Ctx, label: string): Promise<ServerHandle> {
  const port = await freePortPair();
  const dataDir = mkdtempSync(join(ctx.tmp, `data-${label}-`));
  return startNomen({
    port,
    dataDir,
    logFile: join(ctx.logDir, `nomen-${label}.log`),
    cpu: SERVER_CPU,
    properties: ctx.serverProps,
    nodeArgs: ctx.cli.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(ctx.logDir, 'cpu-prof'), '--cpu-prof-name', `nomen-${label}.cpuprofile`] : [],
  });
}

// ---------------------------------------------------------------------------------------------
// Alternating rounds

/** One side of a comparison: runs one round and returns its measurements per job. */
interface Side<W extends Disturbable> {
  name: string;
  run: () => Promise<Record<string, W[]>>;
}

type RoundResult<W> = Record<string, Record<string, W[]>>;

/**
 * Runs `rounds` rounds; in each, every side runs once, in alternating order (A B, B A, ...). A round
 * in which any measurement was disturbed (other processes > OTHER_LOAD_LIMIT cores) is set aside
 * and, up to `spareRounds` times, replaced. Returns, per side and job, the measurements of the kept
 * rounds concatenated in round order, so index i of one side pairs with index i of the other.
 */
async function alternatingRounds<W extends Disturbable>(ctx: Ctx, label: string, sides: Side<W>[], rounds: number): Promise<Record<string, Record<string, W[]>>> {
  const kept: RoundResult<W>[] = [];
  const disturbed: { r: RoundResult<W>; worst: number }[] = [];
  for (let attempt = 0; kept.length < rounds && attempt < rounds + ctx.mode.spareRounds; attempt++) {
    await quiet(ctx, label);
    const order = attempt % 2 === 0 ? sides : [...sides].reverse();
    const r: RoundResult<W> = {};
    for (const side of order) r[side.name] = await side.run();
    const worst = Math.max(0, ...Object.values(r).flatMap((jobs) => Object.values(jobs).flat().map(otherOf)));
    if (worst <= OTHER_LOAD_LIMIT) kept.push(r);
    else {
      disturbed.push({ r, worst });
      const more = attempt + 1 < rounds + ctx.mode.spareRounds;
      progress(`${label}: round disturbed (other processes used ${worst.toFixed(2)} cores)${more ? '; measuring again' : ''}`);
    }
  }
  if (kept.length < rounds) {
    disturbed.sort((a, b) => a.worst - b.worst);
    const fill = disturbed.slice(0, rounds - kept.length);
    kept.push(...fill.map((d) => d.r));
    ctx.notes.push(
      `${label}: ${fill.length} of ${rounds} rounds disturbed by other processes (up to ${Math.max(...fill.map((d) => d.worst)).toFixed(2)} cores); figures less reliable`,
    );
  }
  const out: Record<string, Record<string, W[]>> = {};
  for (const r of kept) {
    for (const [side, jobs] of Object.entries(r)) {
      for (const [job, ws] of Object.entries(jobs)) ((out[side] ??= {})[job] ??= []).push(...ws);
    }
  }
  return out;
}

/** A closed-loop load side: Nomen or the echo (grpc-load.ts), or a peer (`script` peer-load.ts with `extra` naming it). */
function grpcSide(ctx: Ctx, name: string, target: string, serverPid: number, jobs: GrpcJob[], errors: Record<string, string>, script = 'load/grpc-load.ts', extra: object = {}): Side<GrpcWindow> {
  const g = ctx.mode.grpc;
  return {
    name,
    run: async () => {
      const r = await runToResult<{ jobs: Record<string, GrpcJobResult> }>(
        runScript(
          script,
          { target, serverPid, connections: ctx.mode.connections, warmupMs: g.warmupMs, durationMs: g.durationMs, repeats: g.windowsPerRound, maxOpsPerWindow: g.maxOpsPerWindow, servicesPerConn: 50, jobs, ...extra },
          LOAD_CPU,
          { verbose: ctx.cli.verbose },
        ),
        (g.warmupMs + g.durationMs * g.windowsPerRound) * jobs.length + 90_000,
      );
      const out: Record<string, GrpcWindow[]> = {};
      for (const [k, j] of Object.entries(r.jobs)) {
        out[k] = j.windows;
        const key = `${name}/${k}`;
        if (j.firstError && !errors[key]) errors[key] = j.firstError;
      }
      return out;
    },
  };
}

async function prewarmGrpc(ctx: Ctx, target: string, jobs: GrpcJob[], script = 'load/grpc-load.ts', extra: object = {}): Promise<void> {
  const g = ctx.mode.grpc;
  if (g.prewarmMs <= 0) return;
  await runToResult(
    runScript(script, { target, connections: ctx.mode.connections, warmupMs: g.prewarmMs, durationMs: 200, repeats: 1, maxOpsPerWindow: 100_000, servicesPerConn: 50, jobs, ...extra }, LOAD_CPU, {
      verbose: ctx.cli.verbose,
    }),
    g.prewarmMs * jobs.length + 90_000,
  );
}

function httpSide(ctx: Ctx, name: string, serverPid: number, urls: { name: string; url: string }[]): Side<HttpRun> {
  const h = ctx.mode.http;
  return {
    name,
    run: async () =>
      (
        await runToResult<{ jobs: Record<string, HttpRun[]> }>(
          runScript('load/http-load.ts', { urls, serverPid, connections: h.connections, warmupSec: h.warmupSec, durationSec: h.durationSec, repeats: 1 }, LOAD_CPU, {
            verbose: ctx.cli.verbose,
          }),
          (h.warmupSec + h.durationSec) * 1000 * urls.length + 90_000,
        )
      ).jobs,
  };
}

async function prewarmHttp(ctx: Ctx, urls: { name: string; url: string }[]): Promise<void> {
  const h = ctx.mode.http;
  if (h.prewarmSec <= 0) return;
  await runToResult(
    runScript('load/http-load.ts', { urls, connections: h.connections, warmupSec: h.prewarmSec, durationSec: 0.2, repeats: 1 }, LOAD_CPU, { verbose: ctx.cli.verbose }),
    h.prewarmSec * 1000 * urls.length + 60_000,
  );
}

// ---------------------------------------------------------------------------------------------
// Rows

interface LoadSample {
  rate: number;
  p50: number;
  p99: number;
  cpu: number;
  load: number;
}

const fromGrpc = (ws: GrpcWindow[]): LoadSample[] =>
  ws.map((w) => ({ rate: w.opsPerSec, p50: w.latencyMs.p50, p99: w.latencyMs.p99, cpu: num(w.serverCpu), load: num(w.loadCpu) }));
const fromHttp = (runs: HttpRun[]): LoadSample[] => runs.map((r) => ({ rate: r.rps, p50: r.p50, p99: r.p99, cpu: num(r.serverCpu), load: num(r.loadCpu) }));

/**
 * Rows of one load scenario against one baseline: throughput, p50/p99, server and load-generator
 * CPU, server CPU per request, and the projected throughput at one full core. On a 2-core box the
 * load generator can saturate before the server does; CPU per request does not depend on that,
 * so "1 core ÷ CPU per request" is the better efficiency comparison. Ratios are taken per pair of
 * measurements made next to each other (same round), then summarised. `secondary` (a second
 * baseline for the same Nomen data) keeps only throughput, CPU per request and projection.
 */
function loadRows(
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

// ---------------------------------------------------------------------------------------------
// Scenarios a–c: gRPC register/query and HTTP list, each against its baseline

interface Baselines {
  echo?: { p: ScriptProcess; target: string };
  http?: { p: ScriptProcess; base: string };
}

async function startBaselines(ctx: Ctx): Promise<Baselines> {
  const port = await freePortPair();
  const echo = await startScript(ctx, 'baselines/grpc-echo.ts', { port: port + 1000 }, SERVER_CPU, 30_000);
  const http = await startScript(ctx, 'baselines/http-bare.ts', { port }, SERVER_CPU, 30_000);
  ctx.raw.baselineBodyBytes = {
    grpcSmall: echo.ready.smallBytes,
    grpcQuery100: echo.ready.queryBytes,
    httpSmall: http.ready.smallBytes,
    httpList100: http.ready.listBytes,
  };
  return { echo: { p: echo.p, target: `127.0.0.1:${port + 1000}` }, http: { p: http.p, base: `http://127.0.0.1:${port}` } };
}

async function runGrpcComparison(ctx: Ctx, server: ServerHandle, base: Baselines): Promise<void> {
  const { only } = ctx.cli;
  const mode = ctx.mode;
  const nomenJobs: GrpcJob[] = [];
  if (only.has('register')) nomenJobs.push({ name: 'register', mode: 'register' });
  if (only.has('query')) nomenJobs.push({ name: 'query', mode: 'query', service: 'bench-100', expectHosts: 100 });
  if (nomenJobs.length === 0) return;
  // The echo always runs both: its small answer is the baseline of both a and b.
  const echoJobs: GrpcJob[] = [
    { name: 'register', mode: 'register' },
    { name: 'query', mode: 'query', service: 'bench-100', expectHosts: 100 },
  ];
  const errors: Record<string, string> = {};
  const sides: Side<GrpcWindow>[] = [grpcSide(ctx, 'nomen', server.grpcAddress, server.pid, nomenJobs, errors)];
  if (base.echo) sides.unshift(grpcSide(ctx, 'echo', base.echo.target, base.echo.p.pid, echoJobs, errors));
  progress(`a./b. gRPC ${nomenJobs.map((j) => j.name).join(' + ')}, ${mode.connections} connections: warm-up`);
  await prewarmGrpc(ctx, server.grpcAddress, nomenJobs);
  if (base.echo) await prewarmGrpc(ctx, base.echo.target, echoJobs);
  progress(`a./b. gRPC: ${mode.grpc.rounds} alternating rounds${base.echo ? ' (echo / Nomen)' : ''}`);
  const r = await alternatingRounds(ctx, 'gRPC', sides, mode.grpc.rounds);
  ctx.raw.grpc = r;
  for (const [k, e] of Object.entries(errors)) ctx.notes.push(`gRPC ${k}: failed requests (first: ${e})`);
  const nomen = r.nomen ?? {};
  const echo = r.echo;
  for (const j of nomenJobs) {
    if ((nomen[j.name] ?? []).every((w) => w.ops === 0)) throw new Error(`gRPC ${j.name}: no successful request (${errors[`nomen/${j.name}`] ?? '?'})`);
  }
  if (nomen.register) {
    loadRows(ctx, `a. gRPC register (${mode.connections} conns)`, 'ops/s', fromGrpc(nomen.register), echo?.register && fromGrpc(echo.register), 'echo', { target: 0.7 });
  }
  if (nomen.query) {
    const label = `b. gRPC query 100 hosts (${mode.connections} conns)`;
    loadRows(ctx, label, 'ops/s', fromGrpc(nomen.query), echo?.register && fromGrpc(echo.register), 'echo small', { target: 0.7 });
    if (echo?.query) loadRows(ctx, label, 'ops/s', fromGrpc(nomen.query), fromGrpc(echo.query), 'echo 100-host', { secondary: true });
  }
}

async function runHttpComparison(ctx: Ctx, server: ServerHandle, base: Baselines): Promise<void> {
  const url = `${server.baseUrl}/nacos/v1/ns/instance/list?serviceName=DEFAULT_GROUP%40%40bench-100&namespaceId=public&clusters=&healthyOnly=false&udpPort=0`;
  const probe = await httpGet(url);
  const hosts = probe.status === 200 ? ((JSON.parse(probe.body) as { hosts?: unknown[] }).hosts?.length ?? 0) : -1;
  if (hosts !== 100) throw new Error(`instance/list answered ${probe.status} with ${hosts} hosts: ${probe.body.slice(0, 200)}`);
  ctx.raw.httpListBodyBytes = Buffer.byteLength(probe.body);
  const nomenUrls = [{ name: 'list', url }];
  const bareUrls = base.http
    ? [
        { name: 'small', url: `${base.http.base}/small` },
        { name: 'list', url: `${base.http.base}/list` },
      ]
    : [];
  const sides: Side<HttpRun>[] = [httpSide(ctx, 'nomen', server.pid, nomenUrls)];
  if (base.http) sides.unshift(httpSide(ctx, 'bare', base.http.p.pid, bareUrls));
  progress(`c. HTTP GET /nacos/v1/ns/instance/list (100 hosts, ${probe.body.length} bytes), ${ctx.mode.http.connections} connections: warm-up`);
  await prewarmHttp(ctx, nomenUrls);
  if (base.http) await prewarmHttp(ctx, bareUrls);
  progress(`c. HTTP: ${ctx.mode.http.rounds} alternating rounds${base.http ? ' (node:http / Nomen)' : ''}`);
  const r = await alternatingRounds(ctx, 'HTTP', sides, ctx.mode.http.rounds);
  ctx.raw.http = r;
  for (const [side, jobs] of Object.entries(r)) {
    for (const [job, runs] of Object.entries(jobs)) {
      const bad = runs.reduce((n, x) => n + x.errors + x.non2xx, 0);
      if (bad > 0) ctx.notes.push(`HTTP ${side}/${job}: ${bad} errors/non-2xx responses`);
    }
  }
  const nomen = r.nomen?.list ?? [];
  const label = `c. HTTP instance/list 100 hosts (${ctx.mode.http.connections} conns)`;
  const bare = r.bare;
  loadRows(ctx, label, 'req/s', fromHttp(nomen), bare?.list && fromHttp(bare.list), 'node:http 100-host', { latencyDigits: 0 });
  if (bare?.small) loadRows(ctx, label, 'req/s', fromHttp(nomen), fromHttp(bare.small), 'node:http small', { secondary: true });
}

// ---------------------------------------------------------------------------------------------
// Scenario d: push fan-out

async function fdLimit(): Promise<number> {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : 1024;
}

/**
 * One fan-out measurement of `requested` subscribers/watchers (`label` names it in notes): scaled
 * down to the open-file limit (`conns(s)` connections are needed), run after a quiet wait, and
 * halved once if it fails with more than 1000.
 */
async function fanOut(ctx: Ctx, label: string, requested: number, conns: (s: number) => number, run: (s: number) => Promise<PushResult>): Promise<PushResult> {
  const limit = await fdLimit();
  let s = requested;
  if (conns(s) + 200 > limit) {
    s = Math.max(1, limit - 500);
    ctx.notes.push(`${label}: S=${requested} scaled down to ${s} (open-file limit ${limit})`);
  }
  for (let attempt = 0; ; attempt++) {
    await quiet(ctx, `${label} S=${s}`);
    try {
      const r = await run(s);
      const missing = r.rounds.reduce((a, x) => a + x.missing, 0);
      if (missing > 0) ctx.notes.push(`${label} S=${s}: ${missing} notifications missing within ${ctx.mode.push.roundTimeoutMs} ms`);
      return r;
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      if (attempt > 0 || s <= 1000) throw e;
      const half = Math.floor(s / 2);
      ctx.notes.push(`${label}: S=${s} failed on this machine (${msg}); retried with S=${half}`);
      s = half;
    }
  }
}

async function runPush(ctx: Ctx, server: ServerHandle): Promise<void> {
  const results: PushResult[] = [];
  for (const requested of ctx.mode.push.subscribers) {
    const r = await fanOut(
      ctx,
      'push fan-out',
      requested,
      (s) => s,
      async (s) => {
        progress(`d. push fan-out: ${s} subscriber(s), ${ctx.mode.push.rounds} changes`);
        const p = runScript(
          'load/push-fanout.ts',
          {
            target: server.grpcAddress,
            serverPid: server.pid,
            service: `bench-push-${s}`,
            subscribers: s,
            rounds: ctx.mode.push.rounds,
            connectParallel: Math.min(64, s),
            roundTimeoutMs: ctx.mode.push.roundTimeoutMs,
            pauseMs: Math.max(ctx.mode.push.pauseMs, ctx.pushDelayMs * 2),
            maxLifetimeMs: 600_000,
          },
          LOAD_CPU,
          { verbose: ctx.cli.verbose },
        );
        return runToResult<PushResult>(p, 600_000);
      },
    );
    if (r.initialPushes < r.subscribers) ctx.notes.push(`push fan-out S=${r.subscribers}: only ${r.initialPushes} initial (post-subscribe) pushes arrived`);
    results.push(r);
    pushRows(ctx, r);
    peerPushCompare(ctx, 'Nomen', r);
  }
  ctx.raw.push = results;
}

/** Rows of one fan-out result; `who` names a peer (its figures go in the value column), `w` is the server's merge window. */
function pushRows(ctx: Ctx, r: PushResult, who = '', w = ctx.pushDelayMs): void {
  const label = `d. ${who ? `notify (${who})` : 'push fan-out'} S=${r.subscribers}`;
  const of = (pick: (x: PushRound) => number): Spread => spread(r.rounds.map(pick));
  for (const k of ['p50', 'p99', 'max'] as const) {
    ctx.rows.push({ scenario: label, metric: `${who ? 'notification' : 'push'} latency ${k}`, unit: 'ms', nomen: of((x) => x.fromResponseMs[k]), digits: 1, note: 'from change response' });
    if (w > 0) ctx.rows.push({ scenario: label, metric: `  minus ${w} ms window ${k}`, unit: 'ms', nomen: of((x) => x.fromResponseMs[k] - w), digits: 1 });
  }
  if (r.subscribers >= 100) {
    // /proc CPU time has 10 ms resolution: only meaningful for large fan-outs.
    ctx.rows.push({ scenario: label, metric: 'server CPU per push', unit: 'µs', nomen: of((x) => (num(x.serverCpuSec) / r.subscribers) * 1e6), digits: 0 });
    ctx.rows.push({ scenario: label, metric: 'load-generator CPU per push', unit: 'µs', nomen: of((x) => (x.loadCpuSec / r.subscribers) * 1e6), digits: 0 });
  }
  ctx.rows.push({ scenario: label, metric: 'setup: connect+subscribe', unit: 's', nomen: spread([(r.connectMs + r.subscribeMs) / 1000]), digits: 2 });
}

// ---------------------------------------------------------------------------------------------
// Scenarios e and f: memory, start → ready

/**
 * RSS of a fresh server `settleMs` after start, then with the memory layout loaded by the holder
 * `script` (kept connected while RSS is read, stopped afterwards).
 */
async function rssIdleAndLoaded(ctx: Ctx, server: { rss(): Rss | null }, script: string, args: object): Promise<{ idle: Rss; loaded: Rss; ready: ScriptEvent }> {
  const m = ctx.mode.memory;
  await sleep(m.settleMs);
  const idle = server.rss();
  const { p, ready } = await startScript(
    ctx,
    script,
    { ...args, connections: m.connections, servicesPerConn: m.servicesPerConn, instancesPerService: m.instancesPerService, prefix: 'bench-mem', maxLifetimeMs: 600_000 },
    LOAD_CPU,
    300_000,
  );
  try {
    await sleep(m.settleMs);
    const loaded = server.rss();
    if (!idle || !loaded) throw new Error('could not read /proc/<pid>/status');
    return { idle, loaded, ready };
  } finally {
    await p.stop();
  }
}

async function runMemory(ctx: Ctx): Promise<void> {
  const m = ctx.mode.memory;
  const total = m.connections * m.servicesPerConn * m.instancesPerService;
  await quiet(ctx, 'memory');
  progress(`e. memory: idle RSS, then ${total} instances in ${m.connections * m.servicesPerConn} services`);
  const server = await startServer(ctx, 'memory');
  try {
    const { idle, loaded, ready } = await rssIdleAndLoaded(ctx, server, 'load/hold.ts', { target: server.grpcAddress });
    const perInstance = ((loaded.rssKb - idle.rssKb) * 1024) / total;
    ctx.raw.memory = { idle, loaded, instances: total, load: ready };
    const row = (metric: string, unit: string, v: number, digits: number): void => {
      ctx.rows.push({ scenario: 'e. memory', metric, unit, nomen: spread([v]), digits });
    };
    row(`RSS idle ${m.settleMs / 1000} s after ready`, 'MiB', idle.rssKb / 1024, 1);
    row(`RSS with ${total.toLocaleString('en-US')} instances`, 'MiB', loaded.rssKb / 1024, 1);
    row('peak RSS (VmHWM) while loading', 'MiB', loaded.hwmKb / 1024, 1);
    row('RSS growth per instance', 'bytes', perInstance, 0);
    row(`batch load rate (${m.connections} conns)`, 'inst/s', Number(ready.instancesPerSec), 0);
    memoryCompare(ctx, 'Nomen', idle.rssKb, loaded.rssKb, total, Number(ready.instancesPerSec));
  } finally {
    await server.stop();
  }
}

async function runStartup(ctx: Ctx, extra: number[]): Promise<void> {
  const samples = [...extra];
  for (let i = 0; samples.length < ctx.mode.startupRuns && i < ctx.mode.startupRuns; i++) {
    await quiet(ctx, `start → ready run ${i + 1}`);
    const s = await startServer(ctx, `startup-${i}`);
    samples.push(s.readyMs);
    await s.stop();
  }
  ctx.raw.startupMs = samples;
  compare(ctx, 'Nomen', 'f. start → ready: spawn to ready', 'ms', 'lower', spread(samples), 0);
  ctx.rows.push({ scenario: 'f. start → ready', metric: `spawn to readiness 200 (${samples.length} runs)`, unit: 'ms', nomen: spread(samples), digits: 0 });
}

// ---------------------------------------------------------------------------------------------
// Scenario g: password flood (docs/security.md §3)

const FLOOD_ADMIN_PW = 'bench-flood-admin';
const FLOOD_TARGET_MS = 50;

/**
 * Auth on, 64 connections sending wrong passwords as fast as they are answered, while a readiness
 * probe and a token-authenticated naming read (one request in flight each) measure what the rest
 * of the world sees. Two set-ups: lockout off (every guess reaches the bcrypt pool or its full
 * queue: the worst case) and the defaults (the guessed name locks after 5 failures).
 */
async function runPasswordFlood(ctx: Ctx): Promise<void> {
  const f = ctx.mode.flood;
  const variants: { name: string; props: Record<string, string> }[] = [
    { name: 'lockout off', props: { 'nomen.auth.lockout.user.max-failures': '0', 'nomen.auth.lockout.source.max-failures': '0' } },
    { name: 'defaults', props: {} },
  ];
  const raw: Record<string, unknown[]> = {};
  for (const v of variants) {
    const label = `g. password flood, ${v.name} (${f.connections} conns)`;
    const quietP99: number[] = [];
    const floodReadyP99: number[] = [];
    const floodTokenP99: number[] = [];
    const floodReadyP50: number[] = [];
    const floodTokenP50: number[] = [];
    const floodRate: number[] = [];
    for (let round = 0; round < f.rounds; round++) {
      await quiet(ctx, label);
      progress(`${label}: round ${round + 1}/${f.rounds}`);
      const port = await freePortPair();
      const server = await startNomen({
        port,
        dataDir: mkdtempSync(join(ctx.tmp, 'data-flood-')),
        logFile: join(ctx.logDir, `nomen-flood-${v.name.replace(/\W+/g, '-')}-${round}.log`),
        cpu: SERVER_CPU,
        properties: {
          ...ctx.serverProps,
          'nacos.core.auth.enabled': 'true',
          'nacos.core.auth.plugin.nacos.token.secret.key': Buffer.alloc(32, 3).toString('base64'),
          'nomen.auth.admin.initial-password': FLOOD_ADMIN_PW,
          ...v.props,
        },
      });
      try {
        const login = await fetch(`${server.baseUrl}/nacos/v1/auth/login?username=nacos&password=${FLOOD_ADMIN_PW}`, { method: 'POST' });
        if (login.status !== 200) throw new Error(`login answered ${login.status}: ${await login.text()}`);
        const token = ((await login.json()) as { accessToken: string }).accessToken;
        const r = await runToResult<{ quiet: FloodPhase; flooded: FloodPhase }>(
          runScript('load/password-flood.ts', { base: server.baseUrl, token, username: 'nacos', flood: f.connections, quietMs: f.quietMs, floodMs: f.floodMs }, LOAD_CPU, {
            verbose: ctx.cli.verbose,
          }),
          f.quietMs + f.floodMs + 120_000,
        );
        if (!server.alive()) throw new Error('nomen died during the flood; see its log');
        (raw[v.name] ??= []).push(r);
        if (r.quiet.probeFailures + r.flooded.probeFailures > 0) ctx.notes.push(`${label}: ${r.quiet.probeFailures + r.flooded.probeFailures} probe requests did not answer 200`);
        quietP99.push(Math.max(r.quiet.readiness.p99, r.quiet.token.p99));
        floodReadyP99.push(r.flooded.readiness.p99);
        floodTokenP99.push(r.flooded.token.p99);
        floodReadyP50.push(r.flooded.readiness.p50);
        floodTokenP50.push(r.flooded.token.p50);
        floodRate.push(r.flooded.floodRate);
        progress(
          `${label}: readiness p99 ${fmt(r.flooded.readiness.p99)} ms, token p99 ${fmt(r.flooded.token.p99)} ms; flood ${fmt(r.flooded.floodRate, 0)} req/s ${JSON.stringify(r.flooded.floodStatus)}`,
        );
      } finally {
        await server.stop();
      }
    }
    const row = (metric: string, unit: string, values: number[], target?: boolean): void => {
      const sp = spread(values);
      ctx.rows.push({ scenario: label, metric, unit, nomen: sp, digits: unit === 'ms' ? 1 : 0, ...(target ? { target: `< ${FLOOD_TARGET_MS} ms`, met: sp.max < FLOOD_TARGET_MS } : {}) });
    };
    row('readiness p99 during the flood', 'ms', floodReadyP99, true);
    row('token request p99 during the flood', 'ms', floodTokenP99, true);
    row('readiness p50 during the flood', 'ms', floodReadyP50);
    row('token request p50 during the flood', 'ms', floodTokenP50);
    row('probe p99 without the flood', 'ms', quietP99);
    row('wrong-password answers (403/503)', 'req/s', floodRate);
  }
  ctx.raw.passwordFlood = raw;
}

// ---------------------------------------------------------------------------------------------
// Peers: etcd and ZooKeeper on the same machine, same CPU, same concurrency and payloads

const PEER_LABEL: Record<PeerName, string> = { etcd: 'etcd', zookeeper: 'ZooKeeper' };

/**
 * Figures compared across systems (Nomen and the peers) that do not come from paired rounds:
 * collected as the scenarios run, turned into "vs peer" rows and chart panels at the end.
 */
interface Compared {
  key: string;
  /** Shown in the chart only (the table has paired rows for it). */
  chartOnly?: boolean;
  unit: string;
  better: 'higher' | 'lower';
  digits?: number;
  values: Partial<Record<'Nomen' | PeerName, Spread>>;
}

function compare(ctx: Ctx, who: 'Nomen' | PeerName, key: string, unit: string, better: 'higher' | 'lower', value: Spread, digits?: number): void {
  let c = ctx.compared.find((x) => x.key === key);
  if (!c) ctx.compared.push((c = { key, unit, better, digits, values: {} }));
  c.values[who] = value;
}

/** A per-peer object in the raw results. */
function rawOf(ctx: Ctx, key: string): Record<string, unknown> {
  return (ctx.raw[key] ??= {}) as Record<string, unknown>;
}

async function startPeer(ctx: Ctx, peer: PeerName, label: string): Promise<PeerServer> {
  const port = await freePortPair();
  const dataDir = mkdtempSync(join(ctx.tmp, `${peer}-${label}-`));
  const s = await DRIVERS[peer].start({ port, dataDir, logFile: join(ctx.logDir, `${peer}-${label}.log`), cpu: SERVER_CPU });
  progress(`${peer} (${label}) ready in ${s.readyMs.toFixed(0)} ms (pid ${s.pid}, ${s.endpoint})`);
  return s;
}

async function withPeer(ctx: Ctx, peer: PeerName, label: string, f: (s: PeerServer) => Promise<void>): Promise<void> {
  const s = await startPeer(ctx, peer, label);
  try {
    await f(s);
    if (!s.alive()) throw new Error(`${peer} died during ${label}; see its log`);
  } finally {
    await s.stop();
  }
}

/** a./b. against the peers: register and query loads in alternating rounds Nomen / etcd / ZooKeeper. */
async function runPeerLoads(ctx: Ctx, server: ServerHandle, peers: PeerServer[]): Promise<void> {
  const { only } = ctx.cli;
  const jobs: GrpcJob[] = [];
  if (only.has('register')) jobs.push({ name: 'register', mode: 'register' });
  if (only.has('query')) jobs.push({ name: 'query', mode: 'query', service: 'bench-100', expectHosts: 100 });
  if (jobs.length === 0) return;
  const errors: Record<string, string> = {};
  const sides: Side<GrpcWindow>[] = [grpcSide(ctx, 'nomen', server.grpcAddress, server.pid, jobs, errors)];
  for (const p of peers) {
    const extra = { peer: p.name, endpoint: p.endpoint };
    sides.push(grpcSide(ctx, p.name, p.endpoint, p.pid, jobs, errors, 'load/peer-load.ts', extra));
    progress(`peers: ${p.name} ${jobs.map((j) => j.name).join(' + ')}, ${ctx.mode.connections} connections: warm-up`);
    await prewarmGrpc(ctx, p.endpoint, jobs, 'load/peer-load.ts', extra);
  }
  progress(`peers: ${ctx.mode.peerRounds} alternating rounds (${sides.map((x) => x.name).join(' / ')})`);
  const r = await alternatingRounds(ctx, 'peers', sides, ctx.mode.peerRounds);
  ctx.raw.peerLoads = r;
  for (const [k, e] of Object.entries(errors)) ctx.notes.push(`peers ${k}: failed requests (first: ${e})`);
  const nomen = r.nomen ?? {};
  for (const job of jobs) {
    const n = fromGrpc(nomen[job.name] ?? []);
    const letter = job.mode === 'register' ? 'a. register' : 'b. query 100 instances';
    const panel = (metric: string, unit: string, better: 'higher' | 'lower', f: (x: LoadSample) => number): void => {
      const key = `${letter}: ${metric}`;
      compare(ctx, 'Nomen', key, unit, better, spread(n.map(f)));
      for (const p of peers) compare(ctx, p.name, key, unit, better, spread(fromGrpc(r[p.name]?.[job.name] ?? []).map(f)));
      const c = ctx.compared.find((x) => x.key === key);
      if (c) c.chartOnly = true;
    };
    panel(`throughput (${ctx.mode.connections} conns)`, 'ops/s', 'higher', (x) => x.rate);
    panel('server CPU per operation', 'µs', 'lower', (x) => (x.cpu / x.rate) * 1e6);
    for (const p of peers) {
      const ws = r[p.name]?.[job.name] ?? [];
      if (ws.every((w) => w.ops === 0)) {
        ctx.notes.push(`peers: ${p.name} ${job.name}: no successful operation (${errors[`${p.name}/${job.name}`] ?? '?'})`);
        continue;
      }
      loadRows(ctx, `${letter} vs ${PEER_LABEL[p.name]} (${ctx.mode.connections} conns)`, 'ops/s', n, fromGrpc(ws), PEER_LABEL[p.name], {
        target: job.mode === 'register' ? 1.5 : undefined,
      });
    }
  }
}

/** d. against one peer: the same subscriber counts, the peer's watches instead of subscriptions. */
async function runPeerPush(ctx: Ctx, peer: PeerName): Promise<void> {
  const results: PushResult[] = [];
  // etcd watches are multiplexed on a client's watch stream: up to 1000 clients, 10 watches each at 10,000.
  const clients = (n: number): number => (peer === 'etcd' ? Math.min(n, 1000) : n);
  for (const requested of ctx.mode.push.subscribers) {
    await withPeer(ctx, peer, `push-${requested}`, async (server) => {
      const r = await fanOut(ctx, `${peer} watches`, requested, clients, async (s) => {
        progress(`d. ${peer}: ${s} watch(es) on ${clients(s)} connection(s), ${ctx.mode.push.rounds} changes`);
        const p = runScript(
          'load/peer-watch.ts',
          {
            peer,
            endpoint: server.endpoint,
            serverPid: server.pid,
            service: `bench-push-${s}`,
            subscribers: s,
            clients: clients(s),
            rounds: ctx.mode.push.rounds,
            connectParallel: Math.min(64, s),
            roundTimeoutMs: ctx.mode.push.roundTimeoutMs,
            pauseMs: ctx.mode.push.pauseMs,
            maxLifetimeMs: 600_000,
          },
          LOAD_CPU,
          { verbose: ctx.cli.verbose },
        );
        return runToResult<PushResult>(p, 600_000);
      });
      results.push(r);
      peerPushCompare(ctx, peer, r);
    });
  }
  rawOf(ctx, 'peerPush')[peer] = results;
}

/**
 * Notification latency of a fan-out result (Nomen's push or a peer's watch) into the comparison,
 * measured from *sending* the change: ZooKeeper triggers (serialises) all watch events before it
 * answers the create, so "from the change's response" goes negative there.
 */
function peerPushCompare(ctx: Ctx, who: 'Nomen' | PeerName, r: PushResult): void {
  for (const k of ['p50', 'p99', 'max'] as const) {
    compare(ctx, who, `d. notify ${r.subscribers.toLocaleString('en-US')} watcher(s): ${k} from change sent`, 'ms', 'lower', spread(r.rounds.map((x) => x.fromSendMs[k])), 1);
  }
}

/** e. against one peer: idle RSS, then the same 100k instances in 10k services. */
async function runPeerMemory(ctx: Ctx, peer: PeerName): Promise<void> {
  const m = ctx.mode.memory;
  const total = m.connections * m.servicesPerConn * m.instancesPerService;
  await quiet(ctx, `${peer} memory`);
  progress(`e. ${peer} memory: idle RSS, then ${total} instances in ${m.connections * m.servicesPerConn} services`);
  await withPeer(ctx, peer, 'memory', async (server) => {
    const { idle, loaded, ready } = await rssIdleAndLoaded(ctx, server, 'load/peer-hold.ts', { peer, endpoint: server.endpoint });
    rawOf(ctx, 'peerMemory')[peer] = { idle, loaded, instances: total, load: ready };
    memoryCompare(ctx, peer, idle.rssKb, loaded.rssKb, total, Number(ready.instancesPerSec));
  });
}

function memoryCompare(ctx: Ctx, who: 'Nomen' | PeerName, idleKb: number, loadedKb: number, total: number, rate: number): void {
  const m = ctx.mode.memory;
  compare(ctx, who, 'e. memory: RSS idle', 'MiB', 'lower', spread([idleKb / 1024]), 1);
  compare(ctx, who, `e. memory: RSS with ${total.toLocaleString('en-US')} instances (${m.connections} connections)`, 'MiB', 'lower', spread([loadedKb / 1024]), 1);
  compare(ctx, who, `e. memory: batch load rate (${m.instancesPerService} per request)`, 'inst/s', 'higher', spread([rate]), 0);
}

/** f. against one peer: spawn → ready of a fresh server, the same number of runs as Nomen. */
async function runPeerStartup(ctx: Ctx, peer: PeerName): Promise<void> {
  const samples: number[] = [];
  await quiet(ctx, `${peer} start → ready`);
  for (let i = 0; i < ctx.mode.startupRuns; i++) {
    const s = await startPeer(ctx, peer, `startup-${i}`);
    samples.push(s.readyMs);
    await s.stop();
  }
  rawOf(ctx, 'peerStartupMs')[peer] = samples;
  compare(ctx, peer, 'f. start → ready: spawn to ready', 'ms', 'lower', spread(samples), 0);
}

/** The "vs peer" rows (Nomen in the value column, the peer as baseline) of everything compared but not paired. */
function peerRows(ctx: Ctx): void {
  for (const c of ctx.compared) {
    if (c.chartOnly) continue;
    const nomen = c.values.Nomen;
    if (!nomen) continue;
    for (const peer of ctx.cli.peers) {
      const v = c.values[peer];
      if (!v || v.n === 0) continue;
      const [scenario, metric] = c.key.includes(': ') ? [c.key.slice(0, c.key.indexOf(': ')), c.key.slice(c.key.indexOf(': ') + 2)] : [c.key, 'value'];
      ctx.rows.push({
        scenario: `${scenario} vs ${PEER_LABEL[peer]}`,
        metric,
        unit: c.unit,
        nomen,
        baseline: v,
        baselineName: PEER_LABEL[peer],
        ratio: spread([nomen.median / v.median]),
        digits: c.digits,
      });
    }
  }
}

/** The chart: one panel per compared figure that has Nomen and at least one peer. */
function peerChart(ctx: Ctx, caption: string[]): string | null {
  const panels: ChartPanel[] = ctx.compared
    // Notification p50 and max are in the table; the chart keeps p99.
    .filter((c) => c.values.Nomen && ctx.cli.peers.some((p) => c.values[p]) && !/: (p50|max) from change sent$/.test(c.key))
    .map((c) => ({
      title: c.key,
      unit: c.unit,
      better: c.better,
      bars: (['Nomen', ...ctx.cli.peers] as const).flatMap((w) => {
        const v = c.values[w];
        return v ? [{ label: w === 'Nomen' ? 'Nomen' : PEER_LABEL[w], value: v }] : [];
      }),
    }));
  return panels.length ? renderChart(panels, caption) : null;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  const mode = cli.mode;
  installCleanup();
  const machine = machineInfo();
  const pinned = canPin() && pinSelf(LOAD_CPU);
  const date = new Date().toISOString().slice(0, 10);
  const tmp = mkdtempSync(join(tmpdir(), 'nomen-bench-'));
  const logDir = join(BENCH_DIR, 'results', `logs-${date}-${mode.name}`);
  const pushDelayMs = cli.pushDelayMs ?? Number(CONFIG_KEYS['nacos.naming.push.pushTaskDelay'].default);
  const serverProps: Record<string, string> = {};
  if (cli.pushDelayMs !== null) serverProps['nacos.naming.push.pushTaskDelay'] = String(cli.pushDelayMs);
  const ctx: Ctx = { cli, mode, rows: [], raw: {}, notes: [], tmp, logDir, pushDelayMs, serverProps, compared: [] };
  if (!pinned) {
    ctx.notes.push(hasTaskset() ? `only ${cpuCount()} CPU(s): server and load generators share cores` : 'taskset not found: server and load generators are not pinned');
  }
  progress(`mode ${mode.name}; ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, commit ${machine.commit}; pinned=${pinned}`);
  if (cli.peers.length > 0) {
    const { ok, problems } = ensurePeers(cli.peers, progress);
    for (const m of problems) ctx.notes.push(`peers: ${m}`);
    cli.peers = ok;
    ctx.raw.peerVersions = Object.fromEntries(ok.map((p) => [p, packageVersion(p === 'etcd' ? 'etcd-server' : 'zookeeper')]));
  }
  const errors: Record<string, string> = {};
  const attempt = async (name: string, f: () => Promise<void>): Promise<void> => {
    try {
      await f();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      errors[name] = msg;
      progress(`FAILED ${name}: ${msg}`);
      ctx.notes.push(`scenario ${name} FAILED: ${msg.split('\n')[0]}`);
    }
  };

  try {
    const startups: number[] = [];
    const has = (s: ScenarioName): boolean => cli.only.has(s);
    if (has('register') || has('query') || has('http') || has('push')) {
      await attempt('nomen scenarios', async () => {
        await quiet(ctx, 'nomen start');
        const server = await startServer(ctx, 'main');
        startups.push(server.readyMs);
        progress(`nomen ready in ${server.readyMs.toFixed(0)} ms (pid ${server.pid}, http ${server.port}, grpc ${server.grpcAddress})`);
        let base: Baselines = {};
        try {
          if (has('baseline') && (has('register') || has('query') || has('http'))) {
            base = await startBaselines(ctx);
            progress(`baselines ready: bare gRPC echo ${base.echo?.target}, bare node:http ${base.http?.base}`);
          }
          if (has('register') || has('query') || has('http')) {
            // The 100-host service for b and c, held by one connection for the whole phase.
            const { p: holder } = await startScript(
              ctx,
              'load/hold.ts',
              { target: server.grpcAddress, connections: 1, servicesPerConn: 1, instancesPerService: 100, prefix: 'bench-100', maxLifetimeMs: 1_800_000 },
              LOAD_CPU,
              60_000,
            );
            try {
              await attempt('a./b. gRPC', () => runGrpcComparison(ctx, server, base));
              if (has('http')) await attempt('c. HTTP', () => runHttpComparison(ctx, server, base));
              if (cli.peers.length > 0 && (has('register') || has('query'))) {
                await attempt('a./b. peers', async () => {
                  const peers: PeerServer[] = [];
                  try {
                    for (const p of cli.peers) peers.push(await startPeer(ctx, p, 'load'));
                    await runPeerLoads(ctx, server, peers);
                  } finally {
                    for (const p of peers) await p.stop();
                  }
                });
              }
            } finally {
              await holder.stop();
            }
          }
        } finally {
          await base.echo?.p.stop();
          await base.http?.p.stop();
        }
        try {
          if (has('push')) await attempt('d. push', () => runPush(ctx, server));
          if (!server.alive()) throw new Error('nomen died during the scenarios; see its log');
        } finally {
          await server.stop();
        }
      });
    }
    if (has('push')) for (const p of cli.peers) await attempt(`d. ${p} watches`, () => runPeerPush(ctx, p));
    if (has('memory')) await attempt('e. memory', () => runMemory(ctx));
    if (has('memory')) for (const p of cli.peers) await attempt(`e. ${p} memory`, () => runPeerMemory(ctx, p));
    if (has('startup')) {
      progress(`f. start → ready, ${mode.startupRuns} runs`);
      await attempt('f. startup', () => runStartup(ctx, startups));
      for (const p of cli.peers) await attempt(`f. ${p} startup`, () => runPeerStartup(ctx, p));
    }
    if (has('password-flood')) await attempt('g. password flood', () => runPasswordFlood(ctx));
    peerRows(ctx);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ report
  const elapsed = (Date.now() - T0) / 1000;
  process.stdout.write(`\nNomen standalone benchmark (${mode.name}), ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, commit ${machine.commit}\n\n`);
  process.stdout.write(textTable(ctx.rows) + '\n');
  if (ctx.notes.length) process.stdout.write('\nNotes:\n' + ctx.notes.map((n) => `  - ${n}`).join('\n') + '\n');
  process.stdout.write(`\n(${fmt(elapsed, 1)} s)\n`);

  // Partial runs (--only) never overwrite the complete run's file of the day.
  const partial = cli.only.size === SCENARIOS.length ? '' : `-only-${[...cli.only].join('-')}`;
  const resultsName = `${date}${mode.name === 'full' ? '' : '-quick'}${partial}.json`;
  const resultsFile = join(BENCH_DIR, 'results', resultsName);
  writeJson(resultsFile, {
    date: new Date().toISOString(),
    mode: mode.name,
    machine,
    pinned,
    settings: { ...mode, pushDelayMs, serverProps },
    rows: ctx.rows,
    notes: ctx.notes,
    errors,
    raw: ctx.raw,
    elapsedSec: elapsed,
  });
  process.stdout.write(`results: ${resultsFile}\n`);
  const peerNames = cli.peers.map((p) => `${PEER_LABEL[p]} ${String((ctx.raw.peerVersions as Record<string, unknown> | undefined)?.[p] ?? '')}`.trim());
  const chart = peerChart(ctx, [
    `Nomen vs ${peerNames.join(', ')}: ${date}, ${mode.name} run, commit ${machine.commit}`,
    `${machine.cpuModel}, ${machine.cores} cores (servers pinned to CPU ${SERVER_CPU}, load to CPU ${LOAD_CPU}), Node ${machine.node}; bars = median, whiskers = min–max`,
  ]);
  const chartName = `${date}${mode.name === 'full' ? '' : '-quick'}${partial}-peers.svg`;
  if (chart) {
    writeFileSync(join(BENCH_DIR, 'results', chartName), chart);
    process.stdout.write(`chart: bench/results/${chartName}\n`);
  }

  if (cli.docs && cli.only.size === SCENARIOS.length) {
    const g = mode.grpc;
    const h = mode.http;
    const settings =
      `${mode.connections} gRPC connections; gRPC: ${g.prewarmMs / 1000} s pre-warm per server, then ${g.rounds} alternating round(s) of ${g.windowsPerRound} × ${g.durationMs / 1000} s per job (after ${g.warmupMs / 1000} s load-generator warm-up); ` +
      `HTTP: ${h.connections} connections, ${h.rounds} alternating round(s) of ${h.durationSec} s per URL; push: ${mode.push.rounds} changes per S; ` +
      `push merge window (\`nacos.naming.push.pushTaskDelay\`) ${pushDelayMs} ms.`;
    const section = [
      `### ${date} — ${mode.name} — ${machine.cpuModel}, ${machine.cores} cores — Node ${machine.node} — commit ${machine.commit}`,
      '',
      `${machine.os}, ${machine.memGiB} GiB RAM. ${pinned ? `Servers pinned to CPU ${SERVER_CPU}, load generators to CPU ${LOAD_CPU} (taskset).` : 'Not pinned.'} ${settings}`,
      'Ratio = Nomen ÷ baseline, taken per pair of measurements made next to each other, median (min–max). For throughput higher is better; for latency and CPU lower is better.',
      '',
      markdownTable(ctx.rows),
      '',
      ...(cli.peers.length
        ? [
            `Peers (same machine and CPU, ${mode.connections} connections, instance JSON as Nomen's): ${cli.peers.map((p) => `**${peerNames[cli.peers.indexOf(p)]}**: ${DRIVERS[p].describe}`).join('; ')}. ` +
              '"vs etcd/ZooKeeper" rows: ratio = Nomen ÷ peer (register and query paired per round; the others medians of separate runs).',
            '',
          ]
        : []),
      ...(chart ? [`![Nomen vs peers](benchmarks-peers.svg)`, ''] : []),
      ...(ctx.notes.length ? ['Notes:', '', ...ctx.notes.map((n) => `- ${n}`), ''] : []),
      `Raw results: \`bench/results/${resultsName}\` (not committed). Run time ${fmt(elapsed, 0)} s.`,
    ].join('\n');
    upsertDocSection(join(ROOT, 'docs', 'benchmarks.md'), `${date}:${mode.name}`, section);
    if (chart) writeFileSync(join(ROOT, 'docs', 'benchmarks-peers.svg'), chart);
    process.stdout.write('docs: docs/benchmarks.md updated\n');
  }
  if (Object.keys(errors).length > 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
