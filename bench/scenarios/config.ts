/**
 * Configuration-center scenarios (docs/benchmarks.md "Configuration center"), Nomen beside etcd and
 * ZooKeeper in the same run:
 *  h. config-read: one 1 KB config read in closed loops: Nomen HTTP v1 `GET /nacos/v1/cs/configs`
 *     (autocannon) and gRPC `ConfigQueryRequest`, etcd Range of one key, ZooKeeper getData; all in
 *     alternating rounds, compared on throughput and on projected throughput at one server core.
 *  i. config-push: publish → every one of 1,000 listeners notified: Nomen gRPC listeners and HTTP
 *     long polls, etcd watches, ZooKeeper data watches; p50/p99/max from the change sent, and the
 *     publish's own round trip with 1,000 listeners.
 *  j. config-memory: 10,000 configs × 1 KB written, RSS, then restarts on the same data: spawn →
 *     ready and RSS after the restart.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { configContent } from '../lib/bodies.js';
import { PEER_LABEL, compare, rawOf } from '../lib/compare.js';
import { LOAD_CPU, SERVER_CPU, num, progress, quiet, runToResult, type Ctx } from '../lib/context.js';
import { startPeer } from '../lib/peer-server.js';
import { freePortPair, runScript, sleep, startNomen, type ProcessHandle, type Rss, type ServerHandle } from '../lib/proc.js';
import { alternatingRounds, grpcSide, httpSide, prewarmGrpc, prewarmHttp, type Side } from '../lib/rounds.js';
import { fromGrpc, loadRows, type LoadSample } from '../lib/rows.js';
import { spread, type Spread } from '../lib/stats.js';
import type { GrpcJob, GrpcWindow, HttpRun, PushResult, PushRound } from '../lib/types.js';
import { DRIVERS } from '../peers/drivers.js';
import type { PeerName, PeerServer } from '../peers/common.js';
import { fanOut } from './push.js';

export const CONFIG_BYTES = 1024;
export const CONFIG_LISTENERS = 1000;
export const MEMORY_CONFIGS = 10_000;
const READ_ID = 'bench-cfg-read';

/** An autocannon run as a closed-loop window, so HTTP and gRPC sides share one set of alternating rounds. */
export function httpAsWindow(r: HttpRun, durationSec: number): GrpcWindow {
  return {
    ops: Math.round(r.rps * durationSec),
    opsPerSec: r.rps,
    errors: r.errors + r.non2xx,
    latencyMs: { count: Math.round(r.rps * durationSec), mean: NaN, p50: r.p50, p90: r.p90, p99: r.p99, p999: NaN, max: r.max },
    serverCpu: r.serverCpu,
    loadCpu: r.loadCpu,
    otherCpu: r.otherCpu,
  };
}

async function publishHttp(server: ServerHandle, dataId: string, content: string): Promise<void> {
  const body = new URLSearchParams({ dataId, group: 'DEFAULT_GROUP', content, type: 'text' });
  const r = await fetch(`${server.baseUrl}/nacos/v1/cs/configs`, { method: 'POST', body });
  const text = await r.text();
  if (r.status !== 200 || text !== 'true') throw new Error(`config publish answered ${r.status}: ${text.slice(0, 200)}`);
}

/** h. config read: Nomen HTTP and gRPC, and the peers, in alternating rounds. */
export async function runConfigRead(ctx: Ctx, server: ServerHandle, peers: PeerServer[]): Promise<void> {
  await publishHttp(server, READ_ID, configContent('read', CONFIG_BYTES));
  const job: GrpcJob = { name: 'config-get', mode: 'config-get', dataId: READ_ID, configBytes: CONFIG_BYTES };
  const url = `${server.baseUrl}/nacos/v1/cs/configs?dataId=${READ_ID}&group=DEFAULT_GROUP`;
  const urls = [{ name: 'config-get', url }];
  const errors: Record<string, string> = {};
  const http = httpSide(ctx, 'nomen-http', server.pid, urls);
  const sides: Side<GrpcWindow>[] = [
    grpcSide(ctx, 'nomen-grpc', server.grpcAddress, server.pid, [job], errors),
    { name: 'nomen-http', run: async () => ({ 'config-get': ((await http.run())['config-get'] ?? []).map((x) => httpAsWindow(x, ctx.mode.http.durationSec)) }) },
  ];
  progress(`h. config read (${CONFIG_BYTES} B), ${ctx.mode.connections} connections: warm-up`);
  await prewarmGrpc(ctx, server.grpcAddress, [job]);
  await prewarmHttp(ctx, urls);
  for (const p of peers) {
    const extra = { peer: p.name, endpoint: p.endpoint };
    sides.push(grpcSide(ctx, p.name, p.endpoint, p.pid, [job], errors, 'load/peer-load.ts', extra));
    await prewarmGrpc(ctx, p.endpoint, [job], 'load/peer-load.ts', extra);
  }
  const rounds = Math.max(ctx.mode.peerRounds, 1);
  progress(`h. config read: ${rounds} alternating rounds (${sides.map((x) => x.name).join(' / ')})`);
  const r = await alternatingRounds(ctx, 'config read', sides, rounds);
  ctx.raw.configRead = r;
  for (const [k, e] of Object.entries(errors)) ctx.notes.push(`config read ${k}: failed requests (first: ${e})`);
  const of = (side: string): LoadSample[] => fromGrpc(r[side]?.['config-get'] ?? []);
  const nomen = { grpc: of('nomen-grpc'), http: of('nomen-http') };
  for (const [t, samples] of Object.entries(nomen)) {
    const label = `h. config read ${t === 'grpc' ? 'gRPC ConfigQuery' : 'HTTP v1 get'} (${ctx.mode.connections} conns)`;
    if (peers.length === 0) loadRows(ctx, label, 'ops/s', samples, undefined, '');
    for (const p of peers) loadRows(ctx, `${label} vs ${PEER_LABEL[p.name]}`, 'ops/s', samples, of(p.name), PEER_LABEL[p.name], { target: 1 });
    const key = `h. config read ${t === 'grpc' ? 'gRPC' : 'HTTP'}: ops/s at 1 server core`;
    compare(ctx, 'Nomen', key, 'ops/s', 'higher', spread(samples.map((x) => x.rate / x.cpu)), 0);
    for (const p of peers) compare(ctx, p.name, key, 'ops/s', 'higher', spread(of(p.name).map((x) => x.rate / x.cpu)), 0);
    const c = ctx.compared.find((x) => x.key === key);
    if (c) c.chartOnly = true;
  }
}

function fanOutArgs(ctx: Ctx, s: number, dataId: string): object {
  return {
    service: dataId,
    subscribers: s,
    rounds: ctx.mode.push.rounds,
    connectParallel: Math.min(64, s),
    roundTimeoutMs: ctx.mode.push.roundTimeoutMs,
    pauseMs: ctx.mode.push.pauseMs,
    maxLifetimeMs: 600_000,
    configBytes: CONFIG_BYTES,
  };
}

/** Rows and comparison of one config fan-out (`who` = "gRPC", "HTTP long poll" or a peer). */
function configPushRows(ctx: Ctx, who: string, r: PushResult): void {
  const label = `i. config notify ${r.subscribers.toLocaleString('en-US')} listeners (${who})`;
  const of = (pick: (x: PushRound) => number): Spread => spread(r.rounds.map(pick));
  for (const k of ['p50', 'p99', 'max'] as const) ctx.rows.push({ scenario: label, metric: `latency ${k}`, unit: 'ms', nomen: of((x) => x.fromSendMs[k]), digits: 1, note: 'from publish sent' });
  ctx.rows.push({ scenario: label, metric: 'publish round trip', unit: 'ms', nomen: of((x) => x.changeRttMs), digits: 1 });
  ctx.rows.push({ scenario: label, metric: 'server CPU per notification', unit: 'µs', nomen: of((x) => (num(x.serverCpuSec) / r.subscribers) * 1e6), digits: 0 });
}

const pushKey = (transport: string, n: number, k: string): string => `i. config notify ${n.toLocaleString('en-US')} listeners, Nomen ${transport}: ${k} from publish sent`;
const TRANSPORTS = { grpc: 'gRPC', http: 'HTTP long poll' } as const;

/** i. config push on Nomen: gRPC listeners, then HTTP long polls. */
export async function runConfigPush(ctx: Ctx, server: ServerHandle): Promise<void> {
  const out: Record<string, PushResult> = {};
  for (const [transport, name] of Object.entries(TRANSPORTS)) {
    const r = await fanOut(ctx, `config listeners (${name})`, CONFIG_LISTENERS, (s) => s, async (s) => {
      progress(`i. config push: ${s} ${name} listeners, ${ctx.mode.push.rounds} publishes`);
      const args = { ...fanOutArgs(ctx, s, `bench-cfg-push-${transport}`), target: server.grpcAddress, baseUrl: server.baseUrl, serverPid: server.pid, transport };
      return runToResult<PushResult>(runScript('load/config-fanout.ts', args, LOAD_CPU, { verbose: ctx.cli.verbose }), 600_000);
    });
    out[transport] = r;
    configPushRows(ctx, name, r);
    for (const k of ['p50', 'p99', 'max'] as const) compare(ctx, 'Nomen', pushKey(name, r.subscribers, k), 'ms', 'lower', spread(r.rounds.map((x) => x.fromSendMs[k])), 1);
  }
  ctx.raw.configPush = out;
}

/** i. against one peer: 1,000 watches of one key (etcd: 1,000 clients; ZooKeeper: 1,000 sessions). */
export async function runPeerConfigPush(ctx: Ctx, peer: PeerName): Promise<void> {
  const s0 = await startPeer(ctx, peer, 'config-push');
  try {
    const r = await fanOut(ctx, `${peer} config watches`, CONFIG_LISTENERS, (s) => s, async (s) => {
      progress(`i. ${peer}: ${s} config watches, ${ctx.mode.push.rounds} writes`);
      const args = { ...fanOutArgs(ctx, s, 'bench-cfg-push'), peer, endpoint: s0.endpoint, serverPid: s0.pid, clients: s, config: true };
      return runToResult<PushResult>(runScript('load/peer-watch.ts', args, LOAD_CPU, { verbose: ctx.cli.verbose }), 600_000);
    });
    rawOf(ctx, 'peerConfigPush')[peer] = r;
    configPushRows(ctx, PEER_LABEL[peer], r);
    for (const name of Object.values(TRANSPORTS)) {
      for (const k of ['p50', 'p99', 'max'] as const) compare(ctx, peer, pushKey(name, r.subscribers, k), 'ms', 'lower', spread(r.rounds.map((x) => x.fromSendMs[k])), 1);
    }
  } finally {
    await s0.stop();
  }
}

interface MemoryFigures {
  idle: Rss;
  loaded: Rss;
  fillPerSec: number;
  restartReadyMs: number[];
  restartRss: Rss[];
}

/** Starts `system` on `dataDir` (same port each time), as a ProcessHandle with its client target. */
type Starter = (label: string) => Promise<{ h: ProcessHandle; target: string }>;

async function memoryOf(ctx: Ctx, system: 'nomen' | PeerName, start: Starter): Promise<MemoryFigures> {
  const settle = ctx.mode.memory.settleMs;
  const restarts = ctx.mode.name === 'full' ? 3 : 1;
  await quiet(ctx, `${system} config memory`);
  const first = await start('config-memory');
  let idle: Rss | null;
  let loaded: Rss | null;
  let fillPerSec: number;
  try {
    await sleep(settle);
    idle = first.h.rss();
    const args = { system, target: first.target, count: MEMORY_CONFIGS, bytes: CONFIG_BYTES, connections: 16, prefix: 'bench-cfg-mem', maxLifetimeMs: 600_000 };
    const r = await runToResult<{ perSec: number }>(runScript('load/config-fill.ts', args, LOAD_CPU, { verbose: ctx.cli.verbose }), 600_000);
    fillPerSec = r.perSec;
    await sleep(settle);
    loaded = first.h.rss();
  } finally {
    await first.h.stop();
  }
  const restartReadyMs: number[] = [];
  const restartRss: Rss[] = [];
  for (let i = 0; i < restarts; i++) {
    await quiet(ctx, `${system} config restart`);
    const s = await start(`config-restart-${i}`);
    try {
      restartReadyMs.push(s.h.readyMs);
      await sleep(settle);
      const rss = s.h.rss();
      if (rss) restartRss.push(rss);
    } finally {
      await s.h.stop();
    }
  }
  if (!idle || !loaded) throw new Error('could not read /proc/<pid>/status');
  return { idle, loaded, fillPerSec, restartReadyMs, restartRss };
}

function memoryRows(ctx: Ctx, who: 'Nomen' | PeerName, f: MemoryFigures): void {
  const name = who === 'Nomen' ? 'Nomen' : PEER_LABEL[who];
  const label = `j. ${MEMORY_CONFIGS.toLocaleString('en-US')} configs × ${CONFIG_BYTES} B (${name})`;
  const rows: [string, string, Spread, number, 'higher' | 'lower'][] = [
    ['RSS idle', 'MiB', spread([f.idle.rssKb / 1024]), 1, 'lower'],
    ['RSS loaded', 'MiB', spread([f.loaded.rssKb / 1024]), 1, 'lower'],
    ['RSS after restart', 'MiB', spread(f.restartRss.map((x) => x.rssKb / 1024)), 1, 'lower'],
    ['restart: spawn to ready', 'ms', spread(f.restartReadyMs), 0, 'lower'],
    ['write rate (16 clients)', 'configs/s', spread([f.fillPerSec]), 0, 'higher'],
  ];
  for (const [metric, unit, v, digits, better] of rows) {
    ctx.rows.push({ scenario: label, metric, unit, nomen: v, digits });
    compare(ctx, who, `j. ${MEMORY_CONFIGS.toLocaleString('en-US')} configs × 1 KB: ${metric}`, unit, better, v, digits);
  }
}

/** j. on Nomen. */
export async function runConfigMemory(ctx: Ctx): Promise<void> {
  const port = await freePortPair();
  const dataDir = mkdtempSync(join(ctx.tmp, 'data-config-memory-'));
  progress(`j. config memory: ${MEMORY_CONFIGS} configs × ${CONFIG_BYTES} B on Nomen, then restarts`);
  const f = await memoryOf(ctx, 'nomen', async (label) => {
    const h = await startNomen({ port, dataDir, logFile: join(ctx.logDir, `nomen-${label}.log`), cpu: SERVER_CPU, properties: ctx.serverProps, readyTimeoutMs: 120_000 });
    return { h, target: h.grpcAddress };
  });
  ctx.raw.configMemory = f;
  memoryRows(ctx, 'Nomen', f);
}

/** j. on one peer: the same configs, the same restarts. */
export async function runPeerConfigMemory(ctx: Ctx, peer: PeerName): Promise<void> {
  const port = await freePortPair();
  const dataDir = mkdtempSync(join(ctx.tmp, `${peer}-config-memory-`));
  progress(`j. config memory: ${MEMORY_CONFIGS} configs × ${CONFIG_BYTES} B on ${peer}, then restarts`);
  const f = await memoryOf(ctx, peer, async (label) => {
    const h = await DRIVERS[peer].start({ port, dataDir, logFile: join(ctx.logDir, `${peer}-${label}.log`), cpu: SERVER_CPU });
    return { h, target: h.endpoint };
  });
  rawOf(ctx, 'peerConfigMemory')[peer] = f;
  memoryRows(ctx, peer, f);
}
