/**
 * Register A/B: the gRPC register load (`bench/load/grpc-load.ts`, the bench's scenario a) against
 * two or more builds of Nomen, alternating, in the same minutes. Every build runs as its own
 * server (pinned to CPU 0, the load to CPU 1 as in `npm run bench`), all started once and kept
 * up; each round runs the load once against each server, in an order that rotates every round so
 * no build always goes first. Prints, per round and build: throughput, server CPU per register
 * (µs, median of the round's windows) and the CPU other processes used meanwhile; then the median
 * per build over the rounds.
 *
 *   node --import tsx bench/tools/register-ab.ts <label>=<dir with dist/cli.js>[,env K=V...] ... \
 *     [--rounds 4] [--warmup-ms 5000] [--window-ms 5000] [--windows 3] [--connections 32] [--cpu-prof DIR] [--keep]
 *
 * A build may carry environment variables and node options after its directory:
 * `http2=/work/x,NOMEN_SDK_TRANSPORT=http2`, `traced=/work/x,--trace-gc`.
 * `zookeeper=peer` (or `etcd=peer`) adds that peer (bench/peers/, installed as for `npm run bench`)
 * as one more side, driven by `bench/load/peer-load.ts` with the same connections and services.
 * Used for docs/benchmarks.md, "Register path, second pass".
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median, parseBuild, runTool, startBuild, stopBuilds, type Build } from '../lib/ab-builds.js';
import { runToResult } from '../lib/context.js';
import { canPin, cpuSeconds, freePortPair, installCleanup, pinSelf, runScript, sleep, type ProcessHandle } from '../lib/proc.js';
import type { GrpcJobResult, GrpcWindow } from '../lib/types.js';
import { PEERS, type PeerName } from '../peers/common.js';
import { DRIVERS } from '../peers/drivers.js';

interface Opts {
  builds: Build[];
  rounds: number;
  warmupMs: number;
  windowMs: number;
  windows: number;
  connections: number;
  cpuProf: string | null;
  /** Keep the servers' data and logs (printed at the end). */
  keep: boolean;
}

function parseArgs(argv: readonly string[]): Opts {
  const o: Opts = { builds: [], rounds: 4, warmupMs: 5000, windowMs: 5000, windows: 3, connections: 32, cpuProf: null, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--warmup-ms') o.warmupMs = Number(next());
    else if (a === '--window-ms') o.windowMs = Number(next());
    else if (a === '--windows') o.windows = Number(next());
    else if (a === '--connections') o.connections = Number(next());
    else if (a === '--cpu-prof') o.cpuProf = resolve(next());
    else if (a === '--keep') o.keep = true;
    else o.builds.push(parseBuild(a));
  }
  if (o.builds.length === 0) throw new Error('no build given');
  return o;
}

interface Server {
  build: Build;
  p: ProcessHandle;
  grpc: string;
  /** The load script and its extra arguments (peers: which peer). */
  script: string;
  extra: object;
}

const isPeer = (b: Build): b is Build & { label: PeerName } => b.dir.endsWith('/peer') && (PEERS as readonly string[]).includes(b.label);

async function startServer(b: Build, tmp: string, cpuProf: string | null): Promise<Server> {
  const port = await freePortPair();
  const dataDir = join(tmp, `${b.label}-data`);
  if (isPeer(b)) {
    mkdirSync(dataDir, { recursive: true });
    const p = await DRIVERS[b.label].start({ port, dataDir, logFile: join(tmp, `${b.label}.log`), cpu: canPin() ? 0 : null });
    return { build: b, p, grpc: p.endpoint, script: 'load/peer-load.ts', extra: { peer: b.label, endpoint: p.endpoint } };
  }
  const { p, grpc } = await startBuild(b, tmp, cpuProf);
  return { build: b, p, grpc, script: 'load/grpc-load.ts', extra: {} };
}

async function load(o: Opts, s: Server, warmupMs: number, windows: number): Promise<GrpcWindow[]> {
  const r = await runToResult<{ jobs: Record<string, GrpcJobResult> }>(
    runScript(
      s.script,
      {
        target: s.grpc,
        serverPid: s.p.pid,
        connections: o.connections,
        warmupMs,
        durationMs: o.windowMs,
        repeats: windows,
        maxOpsPerWindow: 200_000,
        servicesPerConn: 50,
        jobs: [{ name: 'register', mode: 'register' }],
        ...s.extra,
      },
      canPin() ? 1 : null,
    ),
    warmupMs + o.windowMs * windows + 90_000,
  );
  const job = r.jobs['register'];
  if (!job) throw new Error('no register result');
  if (job.firstError) process.stderr.write(`${s.build.label}: first error ${job.firstError}\n`);
  return job.windows;
}


const perOpUs = (w: GrpcWindow): number => (w.serverCpu !== null && w.opsPerSec > 0 ? (w.serverCpu / w.opsPerSec) * 1e6 : NaN);

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  installCleanup();
  if (canPin()) pinSelf(1);
  const tmp = mkdtempSync(join(tmpdir(), 'nomen-register-ab-'));
  const servers: Server[] = [];
  try {
    for (const b of o.builds) servers.push(await startServer(b, tmp, o.cpuProf));
    // Prewarm every server (JIT) before the first measured round, as the bench does.
    for (const s of servers) await load(o, s, o.warmupMs, 1);
    const perBuild = new Map<string, number[]>();
    const opsBuild = new Map<string, number[]>();
    console.log(`round\tbuild\tops/s\tµs/register (windows)\tother CPU (cores)\tload avg\tidle CPU (ms/s)`);
    for (let r = 0; r < o.rounds; r++) {
      const order = servers.map((_, i) => servers[(i + r) % servers.length]!);
      for (const s of order) {
        // The server's own background CPU while no load runs (timers, checks): at a low request
        // rate it is a visible share of the CPU per request.
        const c0 = cpuSeconds(s.p.pid);
        await sleep(1000);
        const c1 = cpuSeconds(s.p.pid);
        const idleMsPerS = c0 !== null && c1 !== null ? (c1 - c0) * 1000 : NaN;
        const ws = await load(o, s, 1500, o.windows);
        const us = ws.map(perOpUs);
        const ops = ws.map((w) => w.opsPerSec);
        const other = ws.map((w) => w.otherCpu ?? NaN);
        (perBuild.get(s.build.label) ?? perBuild.set(s.build.label, []).get(s.build.label)!).push(median(us));
        (opsBuild.get(s.build.label) ?? opsBuild.set(s.build.label, []).get(s.build.label)!).push(median(ops));
        const la = (await import('node:os')).loadavg()[0]!.toFixed(2);
        console.log(`${r}\t${s.build.label}\t${Math.round(median(ops))}\t${Math.round(median(us))} (${us.map((u) => Math.round(u)).join(', ')})\t${other.map((x) => x.toFixed(2)).join(', ')}\t${la}\t${idleMsPerS.toFixed(1)}`);
      }
    }
    console.log('\nbuild\tµs/register per round (median of rounds)\tops/s (median)');
    for (const s of servers) {
      const us = perBuild.get(s.build.label) ?? [];
      console.log(`${s.build.label}\t${us.map((u) => Math.round(u)).join(', ')} (${Math.round(median(us))})\t${Math.round(median(opsBuild.get(s.build.label) ?? []))}`);
    }
  } finally {
    await stopBuilds(servers, tmp, o.keep);
  }
}

runTool(main);
