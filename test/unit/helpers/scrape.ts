/** Prometheus scrapes in unit tests: every sample of `/nacos/actuator/prometheus` as `name{labels}` → value. */
import assert from 'node:assert/strict';
import { query, type HttpContext } from './http-context.js';

export async function scrape(t: HttpContext): Promise<Map<string, number>> {
  const r = await query(t.app, 'GET', '/nacos/actuator/prometheus');
  assert.equal(r.statusCode, 200, r.body);
  const out = new Map<string, number>();
  for (const line of r.body.split('\n')) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}
