/**
 * Password-flood load (scenario "g. password flood", docs/security.md §3): `flood` closed-loop
 * HTTP connections send `username` + a different wrong password on every request, while two
 * probe loops (one request in flight each) measure what everyone else sees: the readiness probe
 * and a naming read with a valid token. First a `quietMs` phase with the probes alone, then the
 * flood phase. Latencies are wall time per probe request in ms; flood answers are counted by
 * status. Run pinned to its own core by the orchestrator.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { emit, hardDeadline, runMain, scriptArgs } from '../lib/script.js';
import { summarizeLatencies } from '../lib/stats.js';
import type { FloodPhase } from '../lib/types.js';

interface Args {
  base: string;
  token: string;
  /** User name the flood guesses for (`nacos`: a known user; anything else: unknown). */
  username: string;
  flood: number;
  quietMs: number;
  floodMs: number;
}

function get(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent, timeout: 30_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** One request in flight until `until`; returns latencies (ms) and non-200 answers. */
async function probeLoop(url: string, until: number): Promise<{ ms: number[]; failures: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ms: number[] = [];
  let failures = 0;
  while (performance.now() < until) {
    const t0 = performance.now();
    const status = await get(agent, url);
    ms.push(performance.now() - t0);
    if (status !== 200) failures++;
  }
  agent.destroy();
  return { ms, failures };
}

async function floodLoop(a: Args, agent: Agent, worker: number, until: number, status: Record<string, number>): Promise<number> {
  let n = 0;
  while (performance.now() < until) {
    const pw = `wrong-${worker}-${n}-${Math.random().toString(36).slice(2)}`;
    const url = `${a.base}/nacos/v1/ns/instance/list?serviceName=flood&username=${encodeURIComponent(a.username)}&password=${pw}`;
    const s = String(await get(agent, url));
    status[s] = (status[s] ?? 0) + 1;
    n++;
  }
  return n;
}

async function phase(a: Args, durationMs: number, flood: number): Promise<FloodPhase> {
  const until = performance.now() + durationMs;
  const floodAgent = new Agent({ keepAlive: true, maxSockets: flood });
  const floodStatus: Record<string, number> = {};
  const floods = Array.from({ length: flood }, (_, i) => floodLoop(a, floodAgent, i, until, floodStatus));
  const [ready, token, counts] = await Promise.all([
    probeLoop(`${a.base}/nacos/v1/console/health/readiness`, until),
    probeLoop(`${a.base}/nacos/v1/ns/instance/list?serviceName=flood&accessToken=${encodeURIComponent(a.token)}`, until),
    Promise.all(floods),
  ]);
  floodAgent.destroy();
  const total = counts.reduce((x, y) => x + y, 0);
  return {
    readiness: summarizeLatencies(ready.ms),
    token: summarizeLatencies(token.ms),
    probeFailures: ready.failures + token.failures,
    floodStatus,
    floodRate: total / (durationMs / 1000),
  };
}

runMain(async () => {
  const a = scriptArgs<Args>();
  hardDeadline(a.quietMs + a.floodMs + 90_000);
  emit('ready');
  const quiet = await phase(a, a.quietMs, 0);
  const flooded = await phase(a, a.floodMs, a.flood);
  emit('result', { quiet, flooded });
});
