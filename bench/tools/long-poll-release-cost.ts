/**
 * Server CPU per released long poll (docs/benchmarks.md "Read cost and long-poll fan-out"): a
 * standalone member of `distDir` holds `polls` v1 long polls of one key (one keep-alive socket
 * each), a publish releases them all, and the member's CPU time (/proc/<pid>/stat) from the
 * publish until the last answer arrived is divided by `polls`. The clients do not poll again
 * within the window (the next round's polls are held before its publish), so the figure is the
 * release and the answers, not the new polls. Run two builds alternately on a busy machine.
 *
 *   node --import tsx bench/tools/long-poll-release-cost.ts <distDir> [polls=1000] [rounds=20]
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cpuSeconds, freePortPair } from '../lib/proc.js';

const dist = resolve(process.argv[2] ?? 'dist');
const polls = Number(process.argv[3] ?? 1000);
const rounds = Number(process.argv[4] ?? 20);
const DATA_ID = 'bench-release';
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const port = await freePortPair();
const dataDir = mkdtempSync(join(tmpdir(), 'nomen-release-'));
const child = spawn(process.execPath, [join(dist, 'cli.js'), 'start', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir, '--standalone'], { stdio: 'ignore' });
const base = `http://127.0.0.1:${port}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: polls + 10 });

function call(method: string, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((res, rej) => {
    const req = http.request(`${base}${path}`, { method, agent, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }, (r) => {
      let text = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (text += c));
      r.on('end', () => res({ status: r.statusCode ?? 0, text }));
    });
    req.on('error', rej);
    req.end(body);
  });
}

async function publish(content: string): Promise<void> {
  const r = await call('POST', '/nacos/v1/cs/configs', new URLSearchParams({ dataId: DATA_ID, group: 'DEFAULT_GROUP', content }).toString());
  if (r.status !== 200) throw new Error(`publish: ${r.status} ${r.text}`);
}

async function heldCount(): Promise<number> {
  const r = await call('GET', `/nacos/v1/cs/configs/listener?dataId=${DATA_ID}&group=DEFAULT_GROUP&aggregation=false`, '');
  return Object.keys((JSON.parse(r.text) as { lisentersGroupkeyStatus: Record<string, string> }).lisentersGroupkeyStatus).length;
}

try {
  for (let i = 0; ; i++) {
    if (i > 600) throw new Error('server not ready');
    const ok = await call('GET', '/nacos/v1/console/health/readiness', '').then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  let content = 'v=0';
  await publish(content);
  const perPoll: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const body = new URLSearchParams({ 'Listening-Configs': `${DATA_ID}\u0002DEFAULT_GROUP\u0002${md5(content)}\u0001` }).toString();
    // Each poll has its own client IP (X-Forwarded-For) so the listener query counts them.
    const answers = Array.from({ length: polls }, (_, i) => call('POST', '/nacos/v1/cs/configs/listener', body, { 'Long-Pulling-Timeout': '30000', 'X-Forwarded-For': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
    while ((await heldCount()) < polls) await new Promise((r) => setTimeout(r, 20));
    content = `v=${round}`;
    const c0 = cpuSeconds(child.pid!)!;
    await publish(content);
    const got = await Promise.all(answers);
    const c1 = cpuSeconds(child.pid!)!;
    if (got.some((g) => g.status !== 200 || !g.text.startsWith(DATA_ID))) throw new Error('a poll was not released with the key');
    perPoll.push(((c1 - c0) / polls) * 1e6);
  }
  const sorted = [...perPoll].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const total = perPoll.reduce((a, b) => a + b, 0) / perPoll.length;
  console.log(JSON.stringify({ dist, polls, rounds, cpuPerReleasedPollUs: { mean: Math.round(total), median: Math.round(median), min: Math.round(sorted[0]!), max: Math.round(sorted.at(-1)!) } }));
} finally {
  agent.destroy();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
