/** Scenario c ("http"): HTTP v1 instance/list of 100 hosts against bare node:http. */
import { httpGet, type ServerHandle } from '../lib/proc.js';
import type { HttpRun } from '../lib/types.js';
import { progress, type Ctx } from '../lib/context.js';
import { alternatingRounds, httpSide, prewarmHttp, type Side } from '../lib/rounds.js';
import { fromHttp, loadRows } from '../lib/rows.js';
import type { Baselines } from './baseline.js';

export async function runHttpComparison(ctx: Ctx, server: ServerHandle, base: Baselines): Promise<void> {
  const url = `${server.baseUrl}/nacos/v1/ns/instance/list?serviceName=DEFAULT_GROUP%40%40bench-100&namespaceId=public&clusters=&healthyOnly=false&udpPort=0`;
  const probe = await httpGet(url);
  const hosts = probe.status === 200 ? ((JSON.parse(probe.body) as { hosts?: unknown[] }).hosts?.length ?? 0) : -1;
  if (hosts !== 100) throw new Error(`instance/list answered ${probe.status} with ${hosts} hosts: ${probe.body.slice(0, 200)}`);
  ctx.raw.httpListBodyBytes = Buffer.byteLength(probe.body);
  const nomenUrls = [{ name: 'list', url }];
  const bareUrls = base.http
    ? [
        { name: 'small', url: `${base.http.base}/small` },
        { name: 'list', url: `${base.http.base}/list` },
      ]
    : [];
  const sides: Side<HttpRun>[] = [httpSide(ctx, 'nomen', server.pid, nomenUrls)];
  if (base.http) sides.unshift(httpSide(ctx, 'bare', base.http.p.pid, bareUrls));
  progress(`c. HTTP GET /nacos/v1/ns/instance/list (100 hosts, ${probe.body.length} bytes), ${ctx.mode.http.connections} connections: warm-up`);
  await prewarmHttp(ctx, nomenUrls);
  if (base.http) await prewarmHttp(ctx, bareUrls);
  progress(`c. HTTP: ${ctx.mode.http.rounds} alternating rounds${base.http ? ' (node:http / Nomen)' : ''}`);
  const r = await alternatingRounds(ctx, 'HTTP', sides, ctx.mode.http.rounds);
  ctx.raw.http = r;
  for (const [side, jobs] of Object.entries(r)) {
    for (const [job, runs] of Object.entries(jobs)) {
      const bad = runs.reduce((n, x) => n + x.errors + x.non2xx, 0);
      if (bad > 0) ctx.notes.push(`HTTP ${side}/${job}: ${bad} errors/non-2xx responses`);
    }
  }
  const nomen = r.nomen?.list ?? [];
  const label = `c. HTTP instance/list 100 hosts (${ctx.mode.http.connections} conns)`;
  const bare = r.bare;
  loadRows(ctx, label, 'req/s', fromHttp(nomen), bare?.list && fromHttp(bare.list), 'node:http 100-host', { latencyDigits: 0 });
  if (bare?.small) loadRows(ctx, label, 'req/s', fromHttp(nomen), fromHttp(bare.small), 'node:http small', { secondary: true });
}
