/**
 * `/nacos/v3/console/*` against fixtures written from Nacos 3.0.3's sources and the protocol notes
 * (test/fixtures/nacos3/console/README.md), never from our output: HTTP status, exact bodies of
 * errors, and for successes the fixed fields plus the same keys and JSON value types.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createHttpContext, form, query, type HttpContext } from './helpers/http-context.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'nacos3', 'console');
const C = '/nacos/v3/console';

interface Fixture {
  status: number;
  body: unknown;
}

function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Fixture;
}

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Differences in keys and value types between `actual` and the fixture `expected`. Array items are
 * compared with the fixture's first item. `open` paths are maps whose keys vary (metadata, extendInfo…):
 * there the fixture's keys must be present, more are allowed.
 */
function shapeDiff(actual: unknown, expected: unknown, path: string, open: ReadonlySet<string>, out: string[]): void {
  if (kind(actual) !== kind(expected)) {
    out.push(`${path || '(root)'}: ${kind(actual)} instead of ${kind(expected)}`);
    return;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length > 0) for (const a of actual) shapeDiff(a, expected[0], `${path}[]`, open, out);
    return;
  }
  if (kind(expected) !== 'object') return;
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  for (const k of Object.keys(e)) {
    if (!(k in a)) out.push(`${path}.${k}: missing`);
    else shapeDiff(a[k], e[k], `${path}.${k}`, open, out);
  }
  if (!open.has(path)) for (const k of Object.keys(a)) if (!(k in e)) out.push(`${path}.${k}: not in Nacos' shape`);
}

function assertMatches(res: LightMyRequestResponse, name: string, open: readonly string[] = []): void {
  const f = fixture(name);
  const body: unknown = JSON.parse(res.body);
  assert.equal(res.statusCode, f.status, `${name}: HTTP status (${res.body})`);
  if (f.status !== 200 || kind(body) !== 'object' || !('code' in (body as object))) {
    if (f.status !== 200) return assert.deepEqual(body, f.body, `${name}: error body`);
  }
  const diffs: string[] = [];
  shapeDiff(body, f.body, '', new Set(open), diffs);
  assert.deepEqual(diffs, [], `${name}: shape`);
  const b = body as Record<string, unknown>;
  const e = f.body as Record<string, unknown>;
  if ('code' in e) assert.deepEqual([b['code'], b['message']], [e['code'], e['message']], `${name}: code and message`);
}

async function withService(): Promise<HttpContext> {
  const t = createHttpContext();
  for (const ip of ['127.0.80.1', '127.0.80.2']) {
    const r = await form(t.app, 'POST', '/nacos/v2/ns/instance', { serviceName: 'svc', ip, port: 8080 });
    assert.equal(r.statusCode, 200, r.body);
  }
  return t;
}

test('v3 console services: list, detail (hosts null), selector types, missing name, unknown service, page check', async () => {
  const t = await withService();
  assertMatches(await query(t.app, 'GET', `${C}/ns/service/list`, { pageNo: 1, pageSize: 10 }), 'service-list');
  assertMatches(await query(t.app, 'GET', `${C}/ns/service`, { serviceName: 'svc' }), 'service-detail', ['.data.clusterMap', '.data.metadata', '.data.clusterMap.DEFAULT.metadata']);
  assertMatches(await query(t.app, 'GET', `${C}/ns/service/selector/types`), 'selector-types');
  assertMatches(await query(t.app, 'GET', `${C}/ns/service`, {}), 'service-missing-name');
  assertMatches(await query(t.app, 'GET', `${C}/ns/service`, { serviceName: 'nosuch' }), 'service-not-found');
  assertMatches(await query(t.app, 'GET', `${C}/ns/service/list`, { pageNo: 0 }), 'page-not-positive');
  assertMatches(await form(t.app, 'PUT', `${C}/ns/service`, { serviceName: 'nosuch' }), 'service-update-not-found');

  // Paging as Nacos' PageUtil: pagesAvailable = total / pageSize + 1 (integer division), 0 for none.
  const page = (await query(t.app, 'GET', `${C}/ns/service/list`, { pageNo: 1, pageSize: 1 })).json<{ data: Record<string, unknown> }>().data;
  assert.deepEqual([page['totalCount'], page['pagesAvailable']], [1, 2]);
  const none = (await query(t.app, 'GET', `${C}/ns/service/list`, { namespaceId: 'empty' })).json<{ data: Record<string, unknown> }>().data;
  assert.deepEqual(none, { totalCount: 0, pageNumber: 1, pagesAvailable: 0, pageItems: [] });
});

test('v3 console service writes: create (ephemeral false by default), update, cluster, delete answer "ok" and apply', async () => {
  const t = createHttpContext();
  assertMatches(await form(t.app, 'POST', `${C}/ns/service`, { serviceName: 'made', protectThreshold: 0.5 }), 'write-ok');
  const detail = (await query(t.app, 'GET', `${C}/ns/service`, { serviceName: 'made' })).json<{ data: Record<string, unknown> }>().data;
  assert.deepEqual([detail['ephemeral'], detail['protectThreshold']], [false, 0.5]);
  assertMatches(await form(t.app, 'PUT', `${C}/ns/service`, { serviceName: 'made', protectThreshold: 0.2, metadata: 'k=v' }), 'write-ok');
  assert.deepEqual((await query(t.app, 'GET', `${C}/ns/service`, { serviceName: 'made' })).json<{ data: Record<string, unknown> }>().data['metadata'], { k: 'v' });
  assertMatches(
    await form(t.app, 'PUT', `${C}/ns/service/cluster`, { serviceName: 'made', clusterName: 'DEFAULT', checkPort: 80, useInstancePort4Check: true, healthChecker: '{"type":"NONE"}' }),
    'write-ok',
  );
  assertMatches(await form(t.app, 'DELETE', `${C}/ns/service`, { serviceName: 'made' }), 'write-ok');
  assert.equal((await query(t.app, 'GET', `${C}/ns/service`, { serviceName: 'made' })).statusCode, 404, 'deleted');
});

test('v3 console instances and subscribers: Page<Instance>, unknown cluster 404, operator update', async () => {
  const t = await withService();
  assertMatches(await query(t.app, 'GET', `${C}/ns/instance/list`, { serviceName: 'svc', clusterName: 'DEFAULT', pageNo: 1, pageSize: 10 }), 'instance-list', ['.data.pageItems[].metadata']);
  assertMatches(await query(t.app, 'GET', `${C}/ns/instance/list`, { serviceName: 'svc', clusterName: 'NOPE' }), 'instance-list-cluster-not-found');
  assertMatches(await query(t.app, 'GET', `${C}/ns/instance/list`, { serviceName: 'nosuch' }), 'service-not-found');
  assertMatches(await form(t.app, 'PUT', `${C}/ns/instance`, { serviceName: 'svc', ip: '127.0.80.1', port: 8080, weight: 3, enabled: false, ephemeral: true }), 'write-ok');
  const items = (await query(t.app, 'GET', `${C}/ns/instance/list`, { serviceName: 'svc' })).json<{ data: { pageItems: Record<string, unknown>[] } }>().data.pageItems;
  const one = items.find((i) => i['ip'] === '127.0.80.1')!;
  assert.deepEqual([one['weight'], one['enabled']], [3, false]);

  // A subscriber (a v1 UDP subscriber through instance/list).
  const sub = await query(t.app, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'svc', udpPort: 9999, clientIP: '127.0.80.9' }, { 'user-agent': 'Nacos-Java-Client:v3.0.3' });
  assert.equal(sub.statusCode, 200);
  const subs = await query(t.app, 'GET', `${C}/ns/service/subscribers`, { serviceName: 'svc' });
  assertMatches(subs, 'subscribers');
  assert.equal(subs.json<{ data: { totalCount: number } }>().data.totalCount, 1);
});

test('v3 console core: namespaces (list, get, create, duplicate, exist, update, delete), cluster nodes, state, health, announcement', async () => {
  const t = createHttpContext({ ready: true });
  assertMatches(await query(t.app, 'GET', `${C}/core/namespace/list`), 'namespace-list');
  assertMatches(await query(t.app, 'GET', `${C}/core/namespace`, { namespaceId: 'nosuch' }), 'namespace-not-found');
  assertMatches(await form(t.app, 'POST', `${C}/core/namespace`, { customNamespaceId: 'dev', namespaceName: 'Dev', namespaceDesc: 'd' }), 'namespace-write-ok');
  assertMatches(await form(t.app, 'POST', `${C}/core/namespace`, { customNamespaceId: 'dev', namespaceName: 'Dev' }), 'namespace-exists');
  assert.deepEqual((await query(t.app, 'GET', `${C}/core/namespace/exist`, { customNamespaceId: 'dev' })).json(), { code: 0, message: 'success', data: true });
  assert.deepEqual((await query(t.app, 'GET', `${C}/core/namespace/exist`, { customNamespaceId: '' })).json(), { code: 0, message: 'success', data: false });
  assertMatches(await form(t.app, 'PUT', `${C}/core/namespace`, { namespaceId: 'dev', namespaceName: 'Development', namespaceDesc: '' }), 'namespace-write-ok');
  assert.equal((await query(t.app, 'GET', `${C}/core/namespace`, { namespaceId: 'dev' })).json<{ data: { namespaceShowName: string } }>().data.namespaceShowName, 'Development');
  // The parameter checker refuses a bad id before the handler (400), nothing is written.
  assert.equal((await form(t.app, 'POST', `${C}/core/namespace`, { customNamespaceId: 'bad id', namespaceName: 'x' })).statusCode, 400);
  assert.equal((await form(t.app, 'POST', `${C}/core/namespace`, { customNamespaceId: 'ok-id', namespaceName: 'a@b' })).statusCode, 400);
  assert.equal((await query(t.app, 'GET', `${C}/core/namespace/list`)).json<{ data: unknown[] }>().data.length, 2);
  assertMatches(await form(t.app, 'DELETE', `${C}/core/namespace`, { namespaceId: 'dev' }), 'namespace-write-ok');
  assert.equal((await query(t.app, 'GET', `${C}/core/namespace/list`)).json<{ data: unknown[] }>().data.length, 1);

  assertMatches(await query(t.app, 'GET', `${C}/core/cluster/nodes`), 'cluster-nodes', ['.data[].extendInfo', '.data[].abilities']);
  // The state is a bare map of strings (no Result envelope); Nacos has more keys than these.
  const state = await query(t.app, 'GET', `${C}/server/state`);
  assertMatches(state, 'server-state', ['']);
  // Every value a string but function_mode: null, as Nacos with both naming and config on.
  const { function_mode: mode, ...rest } = state.json<Record<string, unknown>>();
  assert.equal(mode, null);
  assert.equal(Object.values(rest).every((v) => typeof v === 'string'), true);
  assert.equal(state.json<Record<string, string>>()['console_ui_enabled'], 'true');
  assertMatches(await query(t.app, 'GET', `${C}/health/liveness`), 'health-liveness');
  assertMatches(await query(t.app, 'GET', `${C}/health/readiness`), 'health-liveness');
  assertMatches(await query(t.app, 'GET', `${C}/server/announcement`, { language: 'fr' }), 'announcement-bad-language');
  assert.deepEqual((await query(t.app, 'GET', `${C}/server/guide`)).json(), { code: 0, message: 'success', data: null });
});
