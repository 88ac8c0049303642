/** Scenarios a and b ("register", "query"): gRPC register and 100-host query against the bare echo. */
import type { ServerHandle } from '../lib/proc.js';
import type { GrpcJob, GrpcWindow } from '../lib/types.js';
import { progress, type Ctx } from '../lib/context.js';
import { alternatingRounds, grpcSide, prewarmGrpc, type Side } from '../lib/rounds.js';
import { fromGrpc, loadRows } from '../lib/rows.js';
import type { Baselines } from './baseline.js';

export async function runGrpcComparison(ctx: Ctx, server: ServerHandle, base: Baselines): Promise<void> {
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
