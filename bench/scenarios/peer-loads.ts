/** Scenarios a and b against the peers: register and query in alternating rounds Nomen / etcd / ZooKeeper. */
import type { ServerHandle } from '../lib/proc.js';
import { spread } from '../lib/stats.js';
import type { GrpcJob, GrpcWindow } from '../lib/types.js';
import type { PeerServer } from '../peers/common.js';
import { progress, type Ctx } from '../lib/context.js';
import { alternatingRounds, grpcSide, prewarmGrpc, type Side } from '../lib/rounds.js';
import { fromGrpc, loadRows, type LoadSample } from '../lib/rows.js';
import { PEER_LABEL, compare } from '../lib/compare.js';

/** a./b. against the peers: register and query loads in alternating rounds Nomen / etcd / ZooKeeper. */
export async function runPeerLoads(ctx: Ctx, server: ServerHandle, peers: PeerServer[]): Promise<void> {
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
