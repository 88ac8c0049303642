/**
 * Scenario k ("raft"): persistent writes through a 3-member cluster and failover, Nomen beside a
 * 3-member etcd cluster. The measurement itself is bench/raft.ts (also runnable alone as
 * `npm run bench:raft`); this scenario runs it as a child process with the orchestrator's mode and
 * turns its results into the run's "vs etcd" rows and chart panels, so that the persistent-write
 * figures sit in the same table as every other comparison (docs/benchmarks.md).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { compare, rawOf } from '../lib/compare.js';
import { progress, quiet, type Ctx } from '../lib/context.js';
import { BENCH_DIR, ROOT } from '../lib/proc.js';
import { spread } from '../lib/stats.js';

const Latency = z.object({ p50: z.number(), p99: z.number() }).passthrough();
const RaftResults = z.object({
  throughput: z.array(
    z.object({ system: z.string(), concurrency: z.number(), opsPerSec: z.number(), failed: z.number(), latency: Latency, cpuMsPerWrite: z.number().nullable() }).passthrough(),
  ),
  failover: z.record(z.string(), z.array(z.number())),
});

export async function runRaft(ctx: Ctx): Promise<void> {
  const withEtcd = ctx.cli.peers.includes('etcd');
  const out = join(ctx.tmp, 'raft.json');
  const args = ['--import', 'tsx', join(BENCH_DIR, 'raft.ts'), '--no-docs', '--json-out', out, '--concurrency', '8,64'];
  if (ctx.mode.name === 'quick') args.push('--quick');
  if (!withEtcd) args.push('--nomen-only');
  await quiet(ctx, 'k. persistent writes');
  progress(`k. persistent writes: bench/raft.ts ${args.slice(3).join(' ')}`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const keep = (b: Buffer): void => {
      for (const l of b.toString().split('\n')) if (l.trim()) lines.push(l);
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    };
    child.stdout.on('data', (b: Buffer) => {
      keep(b);
      if (ctx.cli.verbose) process.stderr.write(b);
    });
    child.stderr.on('data', keep);
    // bench/raft.ts bounds each of its own waits; this is the outer bound.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`bench/raft.ts ended with ${signal ?? code}: ${lines.slice(-5).join(' | ')}`));
    });
  });
  const r = RaftResults.parse(JSON.parse(readFileSync(out, 'utf8')));
  rawOf(ctx, 'raft').results = r;
  for (const t of r.throughput) {
    const who = t.system === 'Nomen' ? 'Nomen' : t.system === 'etcd' ? 'etcd' : null;
    if (who === null) continue;
    const k = `k. persistent writes, 3 members, ${t.concurrency} in flight`;
    compare(ctx, who, `${k}: throughput`, 'writes/s', 'higher', spread([t.opsPerSec]), 0);
    compare(ctx, who, `${k}: latency p50`, 'ms', 'lower', spread([t.latency.p50]), 1);
    if (t.cpuMsPerWrite !== null) compare(ctx, who, `${k}: server CPU per write`, 'ms', 'lower', spread([t.cpuMsPerWrite]), 2);
    if (who === 'Nomen') {
      ctx.rows.push({ scenario: `k. persistent writes (3 members, ${t.concurrency} in flight)`, metric: 'throughput', unit: 'writes/s', nomen: spread([t.opsPerSec]), digits: 0 });
      ctx.rows.push({ scenario: `k. persistent writes (3 members, ${t.concurrency} in flight)`, metric: 'latency p50', unit: 'ms', nomen: spread([t.latency.p50]), digits: 1 });
    }
  }
  for (const [system, times] of Object.entries(r.failover)) {
    const who = system === 'Nomen' ? 'Nomen' : system === 'etcd' ? 'etcd' : null;
    if (who === null || times.length === 0) continue;
    compare(ctx, who, 'k. failover: kill -9 of the leader → first acknowledged write', 'ms', 'lower', spread(times), 0);
    if (who === 'Nomen') ctx.rows.push({ scenario: 'k. failover (kill -9 of the leader)', metric: `to the first acknowledged write (${times.length} rounds)`, unit: 'ms', nomen: spread(times), digits: 0 });
  }
}
