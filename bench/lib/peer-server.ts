/** Starting and stopping a peer registry (etcd, ZooKeeper) for one phase of the run. */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { freePortPair } from './proc.js';
import type { PeerName, PeerServer } from '../peers/common.js';
import { DRIVERS } from '../peers/drivers.js';
import { SERVER_CPU, progress, type Ctx } from './context.js';

export async function startPeer(ctx: Ctx, peer: PeerName, label: string): Promise<PeerServer> {
  const port = await freePortPair();
  const dataDir = mkdtempSync(join(ctx.tmp, `${peer}-${label}-`));
  const s = await DRIVERS[peer].start({ port, dataDir, logFile: join(ctx.logDir, `${peer}-${label}.log`), cpu: SERVER_CPU });
  progress(`${peer} (${label}) ready in ${s.readyMs.toFixed(0)} ms (pid ${s.pid}, ${s.endpoint})`);
  return s;
}

export async function withPeer(ctx: Ctx, peer: PeerName, label: string, f: (s: PeerServer) => Promise<void>): Promise<void> {
  const s = await startPeer(ctx, peer, label);
  try {
    await f(s);
    if (!s.alive()) throw new Error(`${peer} died during ${label}; see its log`);
  } finally {
    await s.stop();
  }
}
