/** Scenario d ("push"): push fan-out on Nomen, and the same fan-out as watches on the peers. */
import { spawnSync } from 'node:child_process';
import { runScript, type ServerHandle } from '../lib/proc.js';
import { spread, type Spread } from '../lib/stats.js';
import type { PushResult, PushRound } from '../lib/types.js';
import type { PeerName } from '../peers/common.js';
import { LOAD_CPU, num, progress, quiet, runToResult, startServer, type Ctx } from '../lib/context.js';
import { compare, rawOf } from '../lib/compare.js';
import { withPeer } from '../lib/peer-server.js';

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
export async function fanOut(ctx: Ctx, label: string, requested: number, conns: (s: number) => number, run: (s: number) => Promise<PushResult>): Promise<PushResult> {
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

export async function runPush(ctx: Ctx, server: ServerHandle): Promise<void> {
  const results: PushResult[] = [];
  for (const requested of ctx.mode.push.subscribers) {
    const r = await nomenFanOut(ctx, server, requested, ctx.pushDelayMs);
    if (r.initialPushes < r.subscribers) ctx.notes.push(`push fan-out S=${r.subscribers}: only ${r.initialPushes} initial (post-subscribe) pushes arrived`);
    results.push(r);
    pushRows(ctx, r);
    peerPushCompare(ctx, 'Nomen', r);
  }
  ctx.raw.push = results;
}

/**
 * d. with the merge window at 0 (issue 14 asks for both settings): the largest subscriber count
 * again, on a server of its own started with `nacos.naming.push.pushTaskDelay=0`. Its figures are
 * compared with the peers' under the key `…, window 0` (a watch has no window). Skipped when the
 * run's window is 0 already.
 */
export async function runPushWindow0(ctx: Ctx): Promise<void> {
  if (ctx.pushDelayMs === 0) return;
  const requested = Math.max(...ctx.mode.push.subscribers);
  await quiet(ctx, 'nomen start (push, window 0)');
  const server = await startServer(ctx, 'push-window0', { 'nacos.naming.push.pushTaskDelay': '0' });
  try {
    const r = await nomenFanOut(ctx, server, requested, 0);
    pushRows(ctx, r, '', 0, ', window 0');
    peerPushCompare(ctx, 'Nomen', r, WINDOW0);
    ctx.raw.pushWindow0 = r;
  } finally {
    await server.stop();
  }
}

/** The compare-key suffix of the window-0 fan-out. */
const WINDOW0 = ', window 0';

function nomenFanOut(ctx: Ctx, server: ServerHandle, requested: number, windowMs: number): Promise<PushResult> {
  return fanOut(
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
          pauseMs: Math.max(ctx.mode.push.pauseMs, windowMs * 2),
          maxLifetimeMs: 600_000,
        },
        LOAD_CPU,
        { verbose: ctx.cli.verbose },
      );
      return runToResult<PushResult>(p, 600_000);
    },
  );
}

/** Rows of one fan-out result; `who` names a peer (its figures go in the value column), `w` is the server's merge window. */
export function pushRows(ctx: Ctx, r: PushResult, who = '', w = ctx.pushDelayMs, suffix = ''): void {
  const label = `d. ${who ? `notify (${who})` : 'push fan-out'} S=${r.subscribers}${suffix}`;
  const of = (pick: (x: PushRound) => number): Spread => spread(r.rounds.map(pick));
  for (const k of ['p50', 'p99', 'max'] as const) {
    ctx.rows.push({ scenario: label, metric: `${who ? 'notification' : 'push'} latency ${k}`, unit: 'ms', nomen: of((x) => x.fromResponseMs[k]), digits: 1, note: 'from change response' });
    if (w > 0) ctx.rows.push({ scenario: label, metric: `  minus ${w} ms window ${k}`, unit: 'ms', nomen: of((x) => x.fromResponseMs[k] - w), digits: 1 });
  }
  if (r.subscribers >= 100) {
    // /proc CPU time has 10 ms resolution: only meaningful for large fan-outs.
    ctx.rows.push({ scenario: label, metric: 'server CPU per push', unit: 'µs', nomen: of((x) => (num(x.serverCpuSec) / r.subscribers) * 1e6), digits: 0 });
    ctx.rows.push({ scenario: label, metric: 'load-generator CPU per push', unit: 'µs', nomen: of((x) => (x.loadCpuSec / r.subscribers) * 1e6), digits: 0 });
    // A GC pause in the load generator delays every push it reads afterwards (docs/benchmarks.md
    // "Push fan-out on the http2 transport (2026-12-07, second look)").
    if (r.rounds.every((x) => x.loadGcMs !== undefined)) ctx.rows.push({ scenario: label, metric: 'load-generator GC in the round', unit: 'ms', nomen: of((x) => x.loadGcMs ?? 0), digits: 0 });
  }
  ctx.rows.push({ scenario: label, metric: 'setup: connect+subscribe', unit: 's', nomen: spread([(r.connectMs + r.subscribeMs) / 1000]), digits: 2 });
}

/** d. against one peer: the same subscriber counts, the peer's watches instead of subscriptions. */
export async function runPeerPush(ctx: Ctx, peer: PeerName): Promise<void> {
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
export function peerPushCompare(ctx: Ctx, who: 'Nomen' | PeerName, r: PushResult, suffix = ''): void {
  for (const k of ['p50', 'p99', 'max'] as const) {
    const key = (sfx: string): string => `d. notify ${r.subscribers.toLocaleString('en-US')} watcher(s)${sfx}: ${k} from change sent`;
    const v = spread(r.rounds.map((x) => x.fromSendMs[k]));
    compare(ctx, who, key(suffix), 'ms', 'lower', v, 1);
    // A peer's watch has no merge window: its figure also stands beside Nomen's window-0 run.
    if (who !== 'Nomen' && ctx.compared.some((c) => c.key === key(WINDOW0))) compare(ctx, who, key(WINDOW0), 'ms', 'lower', v, 1);
  }
}
