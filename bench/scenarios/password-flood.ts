/** Scenario g ("password-flood"): readiness and token-read latency under a wrong-password flood (docs/security.md §3). */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { freePortPair, runScript, startNomen } from '../lib/proc.js';
import { fmt, spread } from '../lib/stats.js';
import type { FloodPhase } from '../lib/types.js';
import { LOAD_CPU, SERVER_CPU, progress, quiet, runToResult, type Ctx } from '../lib/context.js';

const FLOOD_ADMIN_PW = 'bench-flood-admin';
const FLOOD_TARGET_MS = 50;

/**
 * Auth on, 64 connections sending wrong passwords as fast as they are answered, while a readiness
 * probe and a token-authenticated naming read (one request in flight each) measure what the rest
 * of the world sees. Two set-ups: lockout off (every guess reaches the bcrypt pool or its full
 * queue: the worst case) and the defaults (the guessed name locks after 5 failures).
 */
export async function runPasswordFlood(ctx: Ctx): Promise<void> {
  const f = ctx.mode.flood;
  const variants: { name: string; props: Record<string, string> }[] = [
    { name: 'lockout off', props: { 'nomen.auth.lockout.user.max-failures': '0', 'nomen.auth.lockout.source.max-failures': '0' } },
    { name: 'defaults', props: {} },
  ];
  const raw: Record<string, unknown[]> = {};
  for (const v of variants) {
    const label = `g. password flood, ${v.name} (${f.connections} conns)`;
    const quietP99: number[] = [];
    const floodReadyP99: number[] = [];
    const floodTokenP99: number[] = [];
    const floodReadyP50: number[] = [];
    const floodTokenP50: number[] = [];
    const floodRate: number[] = [];
    for (let round = 0; round < f.rounds; round++) {
      await quiet(ctx, label);
      progress(`${label}: round ${round + 1}/${f.rounds}`);
      const port = await freePortPair();
      const server = await startNomen({
        port,
        dataDir: mkdtempSync(join(ctx.tmp, 'data-flood-')),
        logFile: join(ctx.logDir, `nomen-flood-${v.name.replace(/\W+/g, '-')}-${round}.log`),
        cpu: SERVER_CPU,
        properties: {
          ...ctx.serverProps,
          'nacos.core.auth.enabled': 'true',
          'nacos.core.auth.plugin.nacos.token.secret.key': Buffer.alloc(32, 3).toString('base64'),
          'nomen.auth.admin.initial-password': FLOOD_ADMIN_PW,
          ...v.props,
        },
      });
      try {
        const login = await fetch(`${server.baseUrl}/nacos/v1/auth/login?username=nacos&password=${FLOOD_ADMIN_PW}`, { method: 'POST' });
        if (login.status !== 200) throw new Error(`login answered ${login.status}: ${await login.text()}`);
        const token = ((await login.json()) as { accessToken: string }).accessToken;
        const r = await runToResult<{ quiet: FloodPhase; flooded: FloodPhase }>(
          runScript('load/password-flood.ts', { base: server.baseUrl, token, username: 'nacos', flood: f.connections, quietMs: f.quietMs, floodMs: f.floodMs }, LOAD_CPU, {
            verbose: ctx.cli.verbose,
          }),
          f.quietMs + f.floodMs + 120_000,
        );
        if (!server.alive()) throw new Error('nomen died during the flood; see its log');
        (raw[v.name] ??= []).push(r);
        if (r.quiet.probeFailures + r.flooded.probeFailures > 0) ctx.notes.push(`${label}: ${r.quiet.probeFailures + r.flooded.probeFailures} probe requests did not answer 200`);
        quietP99.push(Math.max(r.quiet.readiness.p99, r.quiet.token.p99));
        floodReadyP99.push(r.flooded.readiness.p99);
        floodTokenP99.push(r.flooded.token.p99);
        floodReadyP50.push(r.flooded.readiness.p50);
        floodTokenP50.push(r.flooded.token.p50);
        floodRate.push(r.flooded.floodRate);
        progress(
          `${label}: readiness p99 ${fmt(r.flooded.readiness.p99)} ms, token p99 ${fmt(r.flooded.token.p99)} ms; flood ${fmt(r.flooded.floodRate, 0)} req/s ${JSON.stringify(r.flooded.floodStatus)}`,
        );
      } finally {
        await server.stop();
      }
    }
    const row = (metric: string, unit: string, values: number[], target?: boolean): void => {
      const sp = spread(values);
      ctx.rows.push({ scenario: label, metric, unit, nomen: sp, digits: unit === 'ms' ? 1 : 0, ...(target ? { target: `< ${FLOOD_TARGET_MS} ms`, met: sp.max < FLOOD_TARGET_MS } : {}) });
    };
    row('readiness p99 during the flood', 'ms', floodReadyP99, true);
    row('token request p99 during the flood', 'ms', floodTokenP99, true);
    row('readiness p50 during the flood', 'ms', floodReadyP50);
    row('token request p50 during the flood', 'ms', floodTokenP50);
    row('probe p99 without the flood', 'ms', quietP99);
    row('wrong-password answers (403/503)', 'req/s', floodRate);
  }
  ctx.raw.passwordFlood = raw;
}
