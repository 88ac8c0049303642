/** Scenario f ("startup"): spawn to ready of a fresh server, Nomen and the peers. */
import { spread } from '../lib/stats.js';
import type { PeerName } from '../peers/common.js';
import { quiet, startServer, type Ctx } from '../lib/context.js';
import { compare, rawOf } from '../lib/compare.js';
import { startPeer } from '../lib/peer-server.js';

export async function runStartup(ctx: Ctx, extra: number[]): Promise<void> {
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

/** f. against one peer: spawn → ready of a fresh server, the same number of runs as Nomen. */
export async function runPeerStartup(ctx: Ctx, peer: PeerName): Promise<void> {
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
