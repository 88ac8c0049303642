/** Scenario e ("memory"): RSS idle and with 100k instances, on Nomen and on the peers. */
import { sleep, type Rss, type ScriptEvent } from '../lib/proc.js';
import { spread } from '../lib/stats.js';
import type { PeerName } from '../peers/common.js';
import { LOAD_CPU, progress, quiet, startScript, startServer, type Ctx } from '../lib/context.js';
import { compare, rawOf } from '../lib/compare.js';
import { withPeer } from '../lib/peer-server.js';

/**
 * RSS of a fresh server `idleSettleMs` after ready (issue 14 asks for 10 s: Nomen's ready-GCs run
 * in the first ~7 s, docs/benchmarks.md "Idle memory"), then `settleMs` after the memory layout
 * was loaded by the holder `script` (kept connected while RSS is read, stopped afterwards).
 */
async function rssIdleAndLoaded(ctx: Ctx, server: { rss(): Rss | null }, script: string, args: object): Promise<{ idle: Rss; loaded: Rss; ready: ScriptEvent }> {
  const m = ctx.mode.memory;
  await sleep(m.idleSettleMs);
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

export async function runMemory(ctx: Ctx): Promise<void> {
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
    row(`RSS idle ${m.idleSettleMs / 1000} s after ready`, 'MiB', idle.rssKb / 1024, 1);
    row(`anonymous memory (RssAnon) idle ${m.idleSettleMs / 1000} s after ready`, 'MiB', idle.anonKb / 1024, 1);
    row(`RSS with ${total.toLocaleString('en-US')} instances`, 'MiB', loaded.rssKb / 1024, 1);
    row('peak RSS (VmHWM) while loading', 'MiB', loaded.hwmKb / 1024, 1);
    row('RSS growth per instance', 'bytes', perInstance, 0);
    row(`batch load rate (${m.connections} conns)`, 'inst/s', Number(ready.instancesPerSec), 0);
    memoryCompare(ctx, 'Nomen', idle, loaded.rssKb, total, Number(ready.instancesPerSec));
  } finally {
    await server.stop();
  }
}

/** e. against one peer: idle RSS, then the same 100k instances in 10k services. */
export async function runPeerMemory(ctx: Ctx, peer: PeerName): Promise<void> {
  const m = ctx.mode.memory;
  const total = m.connections * m.servicesPerConn * m.instancesPerService;
  await quiet(ctx, `${peer} memory`);
  progress(`e. ${peer} memory: idle RSS, then ${total} instances in ${m.connections * m.servicesPerConn} services`);
  await withPeer(ctx, peer, 'memory', async (server) => {
    const { idle, loaded, ready } = await rssIdleAndLoaded(ctx, server, 'load/peer-hold.ts', { peer, endpoint: server.endpoint });
    rawOf(ctx, 'peerMemory')[peer] = { idle, loaded, instances: total, load: ready };
    memoryCompare(ctx, peer, idle, loaded.rssKb, total, Number(ready.instancesPerSec));
  });
}

export function memoryCompare(ctx: Ctx, who: 'Nomen' | PeerName, idle: Rss, loadedKb: number, total: number, rate: number): void {
  const m = ctx.mode.memory;
  compare(ctx, who, `e. memory: RSS idle ${m.idleSettleMs / 1000} s after ready`, 'MiB', 'lower', spread([idle.rssKb / 1024]), 1);
  compare(ctx, who, `e. memory: anonymous memory (RssAnon) idle ${m.idleSettleMs / 1000} s after ready`, 'MiB', 'lower', spread([idle.anonKb / 1024]), 1);
  compare(ctx, who, `e. memory: RSS with ${total.toLocaleString('en-US')} instances (${m.connections} connections)`, 'MiB', 'lower', spread([loadedKb / 1024]), 1);
  compare(ctx, who, `e. memory: batch load rate (${m.instancesPerService} per request)`, 'inst/s', 'higher', spread([rate]), 0);
}
