/**
 * Alternating measurement rounds (base, Nomen, Nomen, base, ...) and the load-generator sides
 * (gRPC closed loop, peer closed loop, autocannon) that run in them, with their pre-warm runs.
 */
import type { GrpcJob, GrpcJobResult, GrpcWindow, HttpRun, Disturbable } from './types.js';
import { runScript } from './proc.js';
import { LOAD_CPU, OTHER_LOAD_LIMIT, otherOf, progress, quiet, runToResult, type Ctx } from './context.js';

/** One side of a comparison: runs one round and returns its measurements per job. */
export interface Side<W extends Disturbable> {
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
export async function alternatingRounds<W extends Disturbable>(ctx: Ctx, label: string, sides: Side<W>[], rounds: number): Promise<Record<string, Record<string, W[]>>> {
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
export function grpcSide(ctx: Ctx, name: string, target: string, serverPid: number, jobs: GrpcJob[], errors: Record<string, string>, script = 'load/grpc-load.ts', extra: object = {}): Side<GrpcWindow> {
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

export async function prewarmGrpc(ctx: Ctx, target: string, jobs: GrpcJob[], script = 'load/grpc-load.ts', extra: object = {}): Promise<void> {
  const g = ctx.mode.grpc;
  if (g.prewarmMs <= 0) return;
  await runToResult(
    runScript(script, { target, connections: ctx.mode.connections, warmupMs: g.prewarmMs, durationMs: 200, repeats: 1, maxOpsPerWindow: 100_000, servicesPerConn: 50, jobs, ...extra }, LOAD_CPU, {
      verbose: ctx.cli.verbose,
    }),
    g.prewarmMs * jobs.length + 90_000,
  );
}

export function httpSide(ctx: Ctx, name: string, serverPid: number, urls: { name: string; url: string }[]): Side<HttpRun> {
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

export async function prewarmHttp(ctx: Ctx, urls: { name: string; url: string }[]): Promise<void> {
  const h = ctx.mode.http;
  if (h.prewarmSec <= 0) return;
  await runToResult(
    runScript('load/http-load.ts', { urls, connections: h.connections, warmupSec: h.prewarmSec, durationSec: 0.2, repeats: 1 }, LOAD_CPU, { verbose: ctx.cli.verbose }),
    h.prewarmSec * 1000 * urls.length + 60_000,
  );
}
