/**
 * Push fan-out A/B: the bench's scenario d (10,000 subscribers of one service, one change, every
 * subscriber's first push carrying it timed from the change's response) against two or more
 * builds at once. Every build runs as its own server pinned to CPU 0; ONE load generator
 * (bench/load/push-ab.ts, pinned to CPU 1) holds `--subscribers` connections on each and
 * alternates the change rounds between them, the order rotating every round, so two builds'
 * rounds are taken seconds apart on the same machine (the quick bench's separate runs are a
 * minute apart, and on a shared box the noise between them is larger than the effect).
 * Prints per round and build: p50 / p99 / max from the change's response, server CPU per push,
 * load-generator CPU per push, load average; then the median p99 per build.
 *
 *   node --import tsx bench/tools/push-ab.ts grpcjs=.,NOMEN_SDK_TRANSPORT=grpc-js http2=.,NOMEN_SDK_TRANSPORT=http2 \
 *     [--subscribers 5000] [--rounds 8] [--push-delay 100] [--property k=v ...] [--keep]
 *
 * With two builds of 9,500 subscribers each (one load generator holds both within the open-file
 * limit of 20,000), the first build's subscribers wait idle while the second connects: give
 * `--property nomen.grpc.client-detection.idle-ms=600000` so no ClientDetectionRequest fan-out
 * lands in a measured round.
 *
 * Build syntax as in bench/tools/register-ab.ts. Used for docs/benchmarks.md, "Push fan-out on
 * the http2 transport (2026-12-07, second look)".
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, parseBuild, runTool, startBuild, stopBuilds, type Build } from '../lib/ab-builds.js';
import { canPin, installCleanup, pinSelf, runScript, type ProcessHandle } from '../lib/proc.js';
import type { PushRound } from '../lib/types.js';

interface Opts {
  builds: Build[];
  subscribers: number;
  rounds: number;
  pushDelayMs: number | null;
  /** Server properties (`--property k=v`, repeatable), given to every build. */
  props: Record<string, string>;
  keep: boolean;
}

function parseArgs(argv: readonly string[]): Opts {
  const o: Opts = { builds: [], subscribers: 5000, rounds: 8, pushDelayMs: null, props: {}, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v)) throw new Error(`${a} needs a number`);
      return v;
    };
    if (a === '--subscribers') o.subscribers = next();
    else if (a === '--rounds') o.rounds = next();
    else if (a === '--push-delay') o.pushDelayMs = next();
    else if (a === '--keep') o.keep = true;
    else if (a === '--property') {
      const kv = argv[++i] ?? '';
      const e = kv.indexOf('=');
      if (e <= 0) throw new Error(`--property needs k=v, got ${kv}`);
      o.props[kv.slice(0, e)] = kv.slice(e + 1);
    }
    else o.builds.push(parseBuild(a));
  }
  if (o.builds.length === 0) throw new Error('no build given');
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  installCleanup();
  if (canPin()) pinSelf(1);
  const tmp = mkdtempSync(join(tmpdir(), 'nomen-push-ab-'));
  const servers: { b: Build; p: ProcessHandle; grpc: string }[] = [];
  const props: Record<string, string> = o.pushDelayMs !== null ? { ...o.props, 'nacos.naming.push.pushTaskDelay': String(o.pushDelayMs) } : o.props;
  try {
    for (const b of o.builds) servers.push({ b, ...(await startBuild(b, tmp, null, props)) });
    const p = runScript(
      'load/push-ab.ts',
      {
        targets: servers.map((s) => ({ label: s.b.label, target: s.grpc, serverPid: s.p.pid })),
        service: 'bench-push-ab',
        subscribers: o.subscribers,
        rounds: o.rounds,
        connectParallel: 64,
        roundTimeoutMs: 30_000,
        pauseMs: Math.max(500, 2 * (o.pushDelayMs ?? 100)),
        maxLifetimeMs: 1_800_000,
      },
      canPin() ? 1 : null,
    );
    const r = await p.waitEvent('result', 1_800_000);
    await p.stop(5000);
    const { sides, loads } = r as unknown as { sides: { label: string; rounds: PushRound[]; streamsClosed: number }[]; loads: number[] };
    console.log('round\tbuild\tp50 / p99 / max (ms)\tserver µs/push\tload µs/push\tload GC ms (longest)\tmissing');
    const n = o.subscribers;
    for (let k = 0; k < o.rounds; k++) {
      for (const s of sides) {
        const x = s.rounds[k];
        if (!x) continue;
        const f = x.fromResponseMs;
        console.log(`${k + 1}\t${s.label}\t${f.p50.toFixed(0)} / ${f.p99.toFixed(0)} / ${f.max.toFixed(0)}\t${x.serverCpuSec === null ? '-' : ((x.serverCpuSec / n) * 1e6).toFixed(0)}\t${((x.loadCpuSec / n) * 1e6).toFixed(0)}\t${(x.loadGcMs ?? 0).toFixed(0)} (${(x.loadGcMaxMs ?? 0).toFixed(0)})\t${x.missing}`);
      }
    }
    console.log(`load average (1 min) after each round: ${loads.map((l) => l.toFixed(1)).join(', ')}`);
    console.log('\nbuild\tp99 per round (ms)\tmedian p99 (rounds 2..)\tmedian server µs/push');
    for (const s of sides) {
      const warm = s.rounds.slice(1);
      console.log(`${s.label}\t${s.rounds.map((x) => x.fromResponseMs.p99.toFixed(0)).join(', ')}\t${median(warm.map((x) => x.fromResponseMs.p99)).toFixed(0)}\t${median(warm.map((x) => ((x.serverCpuSec ?? NaN) / n) * 1e6)).toFixed(0)}`);
    }
    // Pairs: round k of every build, lower p99 wins.
    if (sides.length === 2) {
      const [a, b] = sides as [(typeof sides)[0], (typeof sides)[0]];
      let aw = 0;
      for (let k = 1; k < Math.min(a.rounds.length, b.rounds.length); k++) if (a.rounds[k]!.fromResponseMs.p99 < b.rounds[k]!.fromResponseMs.p99) aw++;
      console.log(`${a.label} had the lower p99 in ${aw} of ${Math.min(a.rounds.length, b.rounds.length) - 1} warm round pairs`);
    }
  } finally {
    await stopBuilds(servers, tmp, o.keep);
  }
}

runTool(main);
