/**
 * The HTTP config APIs in-process (docs/config-center.md "HTTP APIs"): v1 `/nacos/v1/cs/configs`
 * and history, v2 `/nacos/v2/cs/*` — status codes, bodies, headers, and that bad input is refused
 * with Nacos' answer and changes nothing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createHttpContext, form, json, query } from './helpers/http-context.js';

const V1 = '/nacos/v1/cs/configs';
const V2 = '/nacos/v2/cs/config';
const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/** What nacos-config sends on every request (docs/protocol/config.md §8.1). */
const NODE_CONFIG_HEADERS = { 'content-type': 'application/x-www-form-urlencoded; charset=utf8', 'client-version': 'nodejs-diamond-client/2.6.3', exConfigInfo: 'true' };

/** A publish the way nacos-config sends it: a pre-encoded form body with `%20` and empty optional fields. */
function nodePublish(app: FastifyInstance, dataId: string, content: string, extra = ''): Promise<LightMyRequestResponse> {
  const body = `dataId=${dataId}&group=DEFAULT_GROUP&content=${encodeURIComponent(content)}&tenant=&type=properties&appName=probe-app${extra}`;
  return app.inject({ method: 'POST', url: V1, headers: NODE_CONFIG_HEADERS, payload: body });
}

function nodeGet(app: FastifyInstance, dataId: string, tenant = ''): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: `${V1}?dataId=${dataId}&group=DEFAULT_GROUP&tenant=${tenant}`, headers: NODE_CONFIG_HEADERS });
}

describe('v1 /nacos/v1/cs/configs', () => {
  test('publish, read and delete the way nacos-config does (form Content-Type on GET/DELETE without a body)', async () => {
    const t = createHttpContext();
    const content = 'a=2 ü&x';
    const p = await nodePublish(t.app, 'probe.app.properties', content);
    assert.equal(p.statusCode, 200, p.body);
    assert.equal(p.body, 'true');

    const g = await nodeGet(t.app, 'probe.app.properties');
    assert.equal(g.statusCode, 200, g.body);
    assert.equal(g.body, content, 'the raw content, no newline');
    assert.equal(g.headers['content-md5'], md5(content));
    assert.equal(g.headers['config-type'], 'properties');
    assert.match(String(g.headers['content-type']), /^text\/plain/);
    assert.equal(g.headers['cache-control'], 'no-cache,no-store');
    assert.ok(!Number.isNaN(Date.parse(String(g.headers['last-modified']))));

    const d = await t.app.inject({ method: 'DELETE', url: `${V1}?dataId=probe.app.properties&group=DEFAULT_GROUP&tenant=`, headers: NODE_CONFIG_HEADERS });
    assert.equal(d.statusCode, 200, d.body);
    assert.equal(d.body, 'true');
    const gone = await nodeGet(t.app, 'probe.app.properties');
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.body, 'config data not exist\n');
    // Deleting what is not there is fine.
    assert.equal((await query(t.app, 'DELETE', V1, { dataId: 'nothing', group: 'DEFAULT_GROUP' })).body, 'true');
  });

  test('the Content-Type of a read follows the config type; `public` and a blank tenant are the same namespace', async () => {
    const t = createHttpContext();
    assert.equal((await form(t.app, 'POST', V1, { dataId: 'a.json', group: 'G', content: '{"a":1}', type: 'json', tenant: 'public' })).body, 'true');
    const g = await nodeGet(t.app, 'a.json').then(() => query(t.app, 'GET', V1, { dataId: 'a.json', group: 'G' }));
    assert.equal(g.statusCode, 200);
    assert.match(String(g.headers['content-type']), /^application\/json/);
    assert.equal(g.headers['config-type'], 'json');
  });

  test('bad input gets Nacos answers and changes nothing', async () => {
    const t = createHttpContext();
    await form(t.app, 'POST', V1, { dataId: 'keep', group: 'G', content: 'v1' });
    const before = t.snapshot();
    const cases: Array<[Record<string, string>, number, RegExp]> = [
      [{ dataId: 'bad id$', group: 'G', content: 'x' }, 400, /^Param 'dataId' is illegal, illegal characters should not appear in the param\.$/],
      [{ dataId: 'd', group: 'G G', content: 'x' }, 400, /^Param 'group' is illegal/],
      [{ dataId: 'd', group: 'G', content: 'x', tenant: 'bad/tenant' }, 400, /^Param 'namespaceId\/tenant' is illegal/],
      [{ dataId: 'd', group: 'G', content: '   ' }, 400, /^caused: content is blank : {4};$/],
      [{ dataId: 'd', group: 'G' }, 400, /^Param 'content' is required\.$/],
      [{ group: 'G', content: 'x' }, 400, /^Param 'dataId' is required\.$/],
      [{ dataId: 'd', group: 'G', content: 'x', desc: 'd'.repeat(129) }, 400, /^caused: too long desc, over 128;$/],
      [{ dataId: 'd', group: 'G', content: 'x', config_tags: 'a,b,c,d,e,f' }, 400, /^caused: too much config_tags, over 5;$/],
      [{ dataId: 'd', group: 'G', content: 'x', tag: 'x'.repeat(17) }, 400, /^caused: too long tag, over 16;$/],
    ];
    for (const [params, status, body] of cases) {
      const r = await form(t.app, 'POST', V1, params);
      assert.equal(r.statusCode, status, `${JSON.stringify(params)} → ${r.body}`);
      assert.match(r.body, body, JSON.stringify(params));
    }
    // A content over maxContent.
    const small = createHttpContext({ properties: { maxContent: '10' } });
    const big = await form(small.app, 'POST', V1, { dataId: 'd', group: 'G', content: 'x'.repeat(11) });
    assert.equal(big.statusCode, 400);
    assert.equal(big.body, 'caused: invalid content, over 10;');
    assert.equal(t.snapshot(), before);
  });

  test('CAS: a stale casMd5 header answers 500 `false` and keeps the stored content; the right one publishes', async () => {
    const t = createHttpContext();
    await form(t.app, 'POST', V1, { dataId: 'cas', group: 'G', content: 'one' });
    const before = t.snapshot();
    const stale = await form(t.app, 'POST', V1, { dataId: 'cas', group: 'G', content: 'two' }, { casMd5: md5('other') });
    assert.equal(stale.statusCode, 500);
    assert.equal(stale.body, 'false');
    assert.equal(t.snapshot(), before);
    const ok = await form(t.app, 'POST', V1, { dataId: 'cas', group: 'G', content: 'two' }, { casMd5: md5('one') });
    assert.equal(ok.body, 'true');
    assert.equal((await query(t.app, 'GET', V1, { dataId: 'cas', group: 'G' })).body, 'two');
  });

  test('detail (show=all), catalog and search with paging', async () => {
    const t = createHttpContext();
    await form(t.app, 'POST', V1, { dataId: 'app-a.yaml', group: 'G', content: 'k: a', type: 'yaml', appName: 'shop', desc: 'first', config_tags: 'x,y', tenant: 'dev' });
    await form(t.app, 'POST', V1, { dataId: 'app-b.yaml', group: 'G', content: 'k: b', type: 'yaml', tenant: 'dev' });
    await form(t.app, 'POST', V1, { dataId: 'other', group: 'H', content: 'o', tenant: 'dev' });

    const d = json<Record<string, unknown>>(await query(t.app, 'GET', V1, { show: 'all', dataId: 'app-a.yaml', group: 'G', tenant: 'dev' }));
    assert.equal(typeof d['id'], 'string');
    assert.deepEqual(
      { dataId: d['dataId'], group: d['group'], tenant: d['tenant'], content: d['content'], md5: d['md5'], type: d['type'], appName: d['appName'], desc: d['desc'], configTags: d['configTags'] },
      { dataId: 'app-a.yaml', group: 'G', tenant: 'dev', content: 'k: a', md5: md5('k: a'), type: 'yaml', appName: 'shop', desc: 'first', configTags: 'x,y' },
    );
    assert.equal(typeof d['createTime'], 'number');
    const missing = await query(t.app, 'GET', V1, { show: 'all', dataId: 'nope', group: 'G', tenant: 'dev' });
    assert.equal(missing.statusCode, 200);
    assert.equal(missing.body, '');

    const cat = json<{ code: number; data: Record<string, unknown> }>(await query(t.app, 'GET', `${V1}/catalog`, { dataId: 'app-a.yaml', group: 'G', tenant: 'dev' }));
    assert.equal(cat.code, 200);
    assert.equal(cat.data['desc'], 'first');
    assert.equal(cat.data['configTags'], 'x,y');

    type PageJson = { totalCount: number; pageNumber: number; pagesAvailable: number; pageItems: Array<{ dataId: string; tenant: string }> };
    const blur = json<PageJson>(await query(t.app, 'GET', V1, { search: 'blur', dataId: 'app-*', group: '', tenant: 'dev', pageNo: 1, pageSize: 1 }));
    assert.equal(blur.totalCount, 2);
    assert.equal(blur.pagesAvailable, 2);
    assert.equal(blur.pageItems.length, 1);
    const accurate = json<PageJson>(await query(t.app, 'GET', V1, { search: 'accurate', dataId: '', group: 'H', tenant: 'dev', pageNo: 1, pageSize: 10 }));
    assert.deepEqual(
      accurate.pageItems.map((i) => i.dataId),
      ['other'],
    );
    const bad = await query(t.app, 'GET', V1, { search: 'accurate', tenant: 'dev', pageNo: 'x', pageSize: 10 });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.body, 'For input string: "x"');
  });

  test('beta: published to listed IPs only, marked isBeta, queried and stopped', async () => {
    const t = createHttpContext();
    await form(t.app, 'POST', V1, { dataId: 'b', group: 'G', content: 'formal' });
    const p = await form(t.app, 'POST', V1, { dataId: 'b', group: 'G', content: 'beta' }, { betaIps: '127.0.0.9,127.0.0.10' });
    assert.equal(p.body, 'true', p.body);
    const asBeta = await t.app.inject({ method: 'GET', url: `${V1}?dataId=b&group=G`, remoteAddress: '127.0.0.9' });
    assert.equal(asBeta.body, 'beta');
    assert.equal(asBeta.headers['isbeta'], 'true');
    const viaProxy = await t.app.inject({ method: 'GET', url: `${V1}?dataId=b&group=G`, headers: { 'x-forwarded-for': '127.0.0.10, 10.0.0.1' } });
    assert.equal(viaProxy.body, 'beta', 'the first X-Forwarded-For entry is the client');
    const other = await t.app.inject({ method: 'GET', url: `${V1}?dataId=b&group=G`, remoteAddress: '127.0.0.8' });
    assert.equal(other.body, 'formal');
    assert.equal(other.headers['isbeta'], undefined);

    const q = json<{ code: number; message: string; data: { betaIps: string; content: string } }>(await query(t.app, 'GET', V1, { beta: 'true', dataId: 'b', group: 'G' }));
    assert.equal(q.message, 'query beta ok');
    assert.equal(q.data.betaIps, '127.0.0.9,127.0.0.10');
    assert.equal(q.data.content, 'beta');
    const stop = json<{ code: number; message: string; data: boolean }>(await query(t.app, 'DELETE', V1, { beta: 'true', dataId: 'b', group: 'G' }));
    assert.deepEqual(stop, { code: 200, message: 'stop beta ok', data: true });
    assert.equal((await t.app.inject({ method: 'GET', url: `${V1}?dataId=b&group=G`, remoteAddress: '127.0.0.9' })).body, 'formal');
    assert.equal(json<{ data: unknown }>(await query(t.app, 'GET', V1, { beta: 'true', dataId: 'b', group: 'G' })).data, null);
  });

  test('tag: a requested tag with no variant is 404; the tag variant is served and marked', async () => {
    const t = createHttpContext();
    await form(t.app, 'POST', V1, { dataId: 'tg', group: 'G', content: 'formal' });
    assert.equal((await query(t.app, 'GET', V1, { dataId: 'tg', group: 'G', tag: 'blue' })).statusCode, 404);
    await form(t.app, 'POST', V1, { dataId: 'tg', group: 'G', content: 'blue content', tag: 'blue' });
    const r = await query(t.app, 'GET', V1, { dataId: 'tg', group: 'G', tag: 'blue' });
    assert.equal(r.body, 'blue content');
    assert.equal(r.headers['tag'], 'blue');
    assert.equal((await query(t.app, 'GET', V1, { dataId: 'tg', group: 'G' })).body, 'formal');
  });
});

describe('v1 /nacos/v1/cs/history', () => {
  test('list (newest first, no content), row by nid, previous, configs of a namespace', async () => {
    const t = createHttpContext();
    const key = { dataId: 'h', group: 'G', tenant: 'dev' };
    await form(t.app, 'POST', V1, { ...key, content: 'v1' });
    await form(t.app, 'POST', V1, { ...key, content: 'v2' });
    type Row = { id: string; opType: string; content: string | null; md5: string | null; dataId: string; createdTime: string };
    const page = json<{ totalCount: number; pageItems: Row[] }>(await query(t.app, 'GET', '/nacos/v1/cs/history', { search: 'accurate', ...key }));
    assert.equal(page.totalCount, 2);
    assert.deepEqual(
      page.pageItems.map((r) => r.opType),
      ['U', 'I'],
    );
    assert.equal(page.pageItems[0]!.content, null);
    assert.match(page.pageItems[0]!.createdTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);

    const row = json<Row>(await query(t.app, 'GET', '/nacos/v1/cs/history', { nid: page.pageItems[0]!.id, ...key }));
    assert.equal(row.content, 'v1', 'an update row keeps the previous content');
    const wrongKey = await query(t.app, 'GET', '/nacos/v1/cs/history', { nid: page.pageItems[0]!.id, dataId: 'other', group: 'G', tenant: 'dev' });
    assert.equal(wrongKey.statusCode, 403);
    assert.equal(wrongKey.body, 'caused: Please check dataId, group or namespaceId.;');
    const none = await query(t.app, 'GET', '/nacos/v1/cs/history', { nid: '999999', ...key });
    assert.equal(none.statusCode, 200);
    assert.equal(none.body, '');

    const rec = json<{ id: string }>(await query(t.app, 'GET', V1, { show: 'all', ...key }));
    const prev = json<Row>(await query(t.app, 'GET', '/nacos/v1/cs/history/previous', { id: rec.id, ...key }));
    assert.equal(prev.id, page.pageItems[0]!.id);

    const list = json<Array<{ dataId: string; lastModified: number }>>(await query(t.app, 'GET', '/nacos/v1/cs/history/configs', { tenant: 'dev' }));
    assert.deepEqual(
      list.map((c) => c.dataId),
      ['h'],
    );
    assert.equal((await query(t.app, 'GET', '/nacos/v1/cs/history/configs', {})).statusCode, 400);
  });
});

describe('v2 /nacos/v2/cs', () => {
  test('config publish, read (Result envelope + headers), delete; not found is 404 code 20004', async () => {
    const t = createHttpContext();
    const p = await form(t.app, 'POST', V2, { dataId: 'v2', group: 'G', namespaceId: 'dev', content: 'hello', type: 'text' });
    assert.equal(p.statusCode, 200, p.body);
    assert.deepEqual(json(p), { code: 0, message: 'success', data: true });
    const g = await query(t.app, 'GET', V2, { dataId: 'v2', group: 'G', namespaceId: 'dev' });
    assert.deepEqual(json(g), { code: 0, message: 'success', data: 'hello' });
    assert.equal(g.headers['content-md5'], md5('hello'));
    assert.deepEqual(json(await query(t.app, 'DELETE', V2, { dataId: 'v2', group: 'G', namespaceId: 'dev' })), { code: 0, message: 'success', data: true });
    const nf = await query(t.app, 'GET', V2, { dataId: 'v2', group: 'G', namespaceId: 'dev' });
    assert.equal(nf.statusCode, 404);
    assert.deepEqual(json(nf), { code: 20004, message: 'resource not found', data: 'config data not exist' });
  });

  test('bad input: missing content (10000), illegal dataId (20002), CAS conflict (500, 20005), nothing changed', async () => {
    const t = createHttpContext();
    await form(t.app, 'POST', V2, { dataId: 'k', group: 'G', content: 'one' });
    const before = t.snapshot();
    const missing = await form(t.app, 'POST', V2, { dataId: 'k', group: 'G' });
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(json(missing), { code: 10000, message: 'parameter missing', data: "Required parameter 'content' type String is not present" });
    const illegal = await form(t.app, 'POST', V2, { dataId: 'bad id$', group: 'G', content: 'x' });
    assert.equal(illegal.statusCode, 400);
    assert.equal(json<{ code: number }>(illegal).code, 20002);
    const cas = await form(t.app, 'POST', V2, { dataId: 'k', group: 'G', content: 'two' }, { casMd5: md5('zzz') });
    assert.equal(cas.statusCode, 500);
    assert.deepEqual(json(cas), { code: 20005, message: 'resource conflict', data: 'Cas publish fail, server md5 may have changed.' });
    assert.equal(t.snapshot(), before);
  });

  test('history list, row, detail (before/after), previous, configs; searchDetail', async () => {
    const t = createHttpContext();
    const key = { dataId: 'h2', group: 'G', namespaceId: 'dev' };
    await form(t.app, 'POST', V2, { ...key, content: 'a' });
    await form(t.app, 'POST', V2, { ...key, content: 'b' });
    await form(t.app, 'POST', V2, { ...key, content: 'c' });
    type Row = { id: string; opType: string; content: string | null };
    const list = json<{ data: { totalCount: number; pageItems: Row[] } }>(await query(t.app, 'GET', '/nacos/v2/cs/history/list', key)).data;
    assert.equal(list.totalCount, 3);
    const [newest, middle, first] = list.pageItems as [Row, Row, Row];
    const detail = json<{ data: { originalContent: string | null; updatedContent: string | null } }>(await query(t.app, 'GET', '/nacos/v2/cs/history/detail', { ...key, nid: middle.id })).data;
    assert.deepEqual([detail.originalContent, detail.updatedContent], ['a', 'b']);
    const latest = json<{ data: { originalContent: string | null; updatedContent: string | null } }>(await query(t.app, 'GET', '/nacos/v2/cs/history/detail', { ...key, nid: newest.id })).data;
    assert.deepEqual([latest.originalContent, latest.updatedContent], ['b', 'c']);
    const ins = json<{ data: { originalContent: string | null; updatedContent: string | null } }>(await query(t.app, 'GET', '/nacos/v2/cs/history/detail', { ...key, nid: first.id })).data;
    // An insert's original side is empty text, as Nacos' HistoryService sets it.
    assert.deepEqual([ins.originalContent, ins.updatedContent], ['', 'a']);
    assert.equal(json<{ data: Row }>(await query(t.app, 'GET', '/nacos/v2/cs/history', { ...key, nid: first.id })).data.content, 'a');
    const nf = await query(t.app, 'GET', '/nacos/v2/cs/history', { ...key, nid: '424242' });
    assert.equal(nf.statusCode, 404);
    assert.equal(json<{ code: number }>(nf).code, 20004);
    const configs = json<{ data: Array<{ dataId: string }> }>(await query(t.app, 'GET', '/nacos/v2/cs/history/configs', { namespaceId: 'dev' })).data;
    assert.deepEqual(
      configs.map((c) => c.dataId),
      ['h2'],
    );
    // The bare Page<ConfigInfo> (ConfigControllerV2.searchConfigByDetails has no Result wrapper).
    const search = json<{ totalCount: number; pageItems: Array<{ dataId: string; content: string }> }>(
      await query(t.app, 'GET', '/nacos/v2/cs/config/searchDetail', { search: 'blur', dataId: 'h*', group: '', config_detail: '', namespaceId: 'dev', pageNo: 1, pageSize: 10 }),
    );
    assert.equal(search.totalCount, 1);
    assert.equal(search.pageItems[0]!.content, 'c');
  });
});

describe('v1 export, import, clone', () => {
  function multipart(file: Buffer, boundary = 'XyZ'): { payload: Buffer; headers: Record<string, string> } {
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="export.zip"\r\nContent-Type: application/zip\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    return { payload: Buffer.concat([head, file, tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
  }

  async function seed(t: ReturnType<typeof createHttpContext>): Promise<void> {
    await form(t.app, 'POST', V1, { dataId: 'app.yaml', group: 'G', content: 'k: v ü', type: 'yaml', appName: 'demo', desc: 'd' });
    await form(t.app, 'POST', V1, { dataId: 'plain', group: 'G', content: 'p' });
  }

  test('export=true: group/dataId entries and a .meta.yml line per config with an app name; exportV2 adds .metadata.yml', async () => {
    const t = createHttpContext();
    await seed(t);
    const r = await query(t.app, 'GET', V1, { export: 'true', tenant: '', group: 'G' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-disposition']), /^attachment;filename=nacos_config_export_\d{14}\.zip$/);
    const { readZip } = await import('../../src/transport/http/zip.js');
    const entries = readZip(r.rawPayload, { maxEntries: 100, maxTotalBytes: 1 << 20 });
    const byName = new Map(entries.map((e) => [e.name, e.data.toString('utf8')]));
    assert.equal(byName.get('G/app.yaml'), 'k: v ü');
    assert.equal(byName.get('G/plain'), 'p');
    assert.equal(byName.get('.meta.yml'), 'G.app~yaml.app=demo\r\n');

    const v2 = await query(t.app, 'GET', V1, { exportV2: 'true', dataId: 'app.yaml', group: 'G' });
    const v2Entries = new Map(readZip(v2.rawPayload, { maxEntries: 100, maxTotalBytes: 1 << 20 }).map((e) => [e.name, e.data.toString('utf8')]));
    assert.deepEqual([...v2Entries.keys()].sort(), ['.metadata.yml', 'G/app.yaml']);
    assert.equal(v2Entries.get('.metadata.yml'), 'metadata:\n- appName: demo\n  dataId: app.yaml\n  desc: d\n  group: G\n  type: yaml\n');
  });

  test('import of an export into another namespace, with the ABORT, SKIP and OVERWRITE policies', async () => {
    const t = createHttpContext();
    await seed(t);
    await query(t.app, 'POST', '/nacos/v1/console/namespaces', { customNamespaceId: 'dev', namespaceName: 'dev' });
    const zip = (await query(t.app, 'GET', V1, { exportV2: 'true', group: 'G' })).rawPayload;
    const up = multipart(zip);
    const first = await t.app.inject({ method: 'POST', url: `${V1}?import=true&namespace=dev`, ...up });
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(json(first), { code: 200, message: 'import success', data: { succCount: 2, skipCount: 0 } });
    const imported = json<Record<string, unknown>>(await query(t.app, 'GET', V1, { show: 'all', dataId: 'app.yaml', group: 'G', tenant: 'dev' }));
    assert.deepEqual([imported['content'], imported['type'], imported['appName'], imported['desc']], ['k: v ü', 'yaml', 'demo', 'd']);

    const again = json<{ data: { succCount: number; failData?: unknown[]; skipData?: unknown[] } }>(await t.app.inject({ method: 'POST', url: `${V1}?import=true&namespace=dev`, ...up }));
    assert.equal(again.data.succCount, 0);
    assert.equal(again.data.failData?.length, 1, 'ABORT stops at the first existing config');
    assert.equal(again.data.skipData?.length, 1, 'and skips the rest');
    const skip = json<{ data: { succCount: number; skipCount: number } }>(await t.app.inject({ method: 'POST', url: `${V1}?import=true&namespace=dev&policy=SKIP`, ...up }));
    assert.deepEqual([skip.data.succCount, skip.data.skipCount], [0, 2]);
    await form(t.app, 'POST', V1, { dataId: 'plain', group: 'G', content: 'changed', tenant: 'dev' });
    const over = json<{ data: { succCount: number } }>(await t.app.inject({ method: 'POST', url: `${V1}?import=true&namespace=dev&policy=OVERWRITE`, ...up }));
    assert.equal(over.data.succCount, 2);
    assert.equal((await query(t.app, 'GET', V1, { dataId: 'plain', group: 'G', tenant: 'dev' })).body, 'p');
  });

  test('import refusals: unknown namespace, no file, not a zip, bad metadata — each with Nacos code and nothing changed', async () => {
    const t = createHttpContext();
    await seed(t);
    const before = t.snapshot();
    const { writeZip } = await import('../../src/transport/http/zip.js');
    const cases: Array<[string, { payload: Buffer; headers: Record<string, string> }, number]> = [
      ['namespace=nope', multipart(Buffer.from('x')), 100001],
      ['', { payload: Buffer.from('a=b'), headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 100005],
      ['', multipart(Buffer.from('not a zip at all, just text')), 100004],
      ['', multipart(writeZip([{ name: '.metadata.yml', data: Buffer.from('metadata:\n- dataId: x\n') }, { name: 'G/x', data: Buffer.from('c') }], 0)), 100002],
      ['', multipart(writeZip([{ name: '.meta.yml', data: Buffer.from('no equals sign\r\n') }, { name: 'G/x', data: Buffer.from('c') }], 0)), 100002],
    ];
    for (const [extra, req, code] of cases) {
      const r = await t.app.inject({ method: 'POST', url: `${V1}?import=true&${extra}`, ...req });
      assert.equal(r.statusCode, 200, r.body);
      const b = json<{ code: number; data: { succCount: number } }>(r);
      assert.equal(b.code, code, `${extra} → ${r.body}`);
      assert.equal(b.data.succCount, 0);
    }
    assert.equal(t.snapshot(), before);
  });

  test('clone copies configs by id into a namespace under new names', async () => {
    const t = createHttpContext();
    await seed(t);
    await query(t.app, 'POST', '/nacos/v1/console/namespaces', { customNamespaceId: 'dev', namespaceName: 'dev' });
    const src = json<{ id: string }>(await query(t.app, 'GET', V1, { show: 'all', dataId: 'app.yaml', group: 'G' }));
    const r = await t.app.inject({
      method: 'POST',
      url: `${V1}?clone=true&tenant=dev&policy=ABORT`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify([{ cfgId: Number(src.id), dataId: 'copy.yaml', group: 'NEW_G' }]),
    });
    assert.deepEqual(json(r), { code: 200, message: 'Clone Completed Successfully', data: { succCount: 1, skipCount: 0 } });
    const copy = json<Record<string, unknown>>(await query(t.app, 'GET', V1, { show: 'all', dataId: 'copy.yaml', group: 'NEW_G', tenant: 'dev' }));
    assert.deepEqual([copy['content'], copy['type'], copy['appName']], ['k: v ü', 'yaml', 'demo']);
    const empty = await t.app.inject({ method: 'POST', url: `${V1}?clone=true&tenant=dev`, headers: { 'content-type': 'application/json' }, payload: '[]' });
    assert.equal(json<{ code: number }>(empty).code, 100006);
    const bad = await t.app.inject({ method: 'POST', url: `${V1}?clone=true&tenant=dev`, headers: { 'content-type': 'application/json' }, payload: '{"x":1}' });
    assert.equal(bad.statusCode, 400);
  });
});

describe('auth on: config resources `<ns>:<group>:config/<dataId>`', () => {
  const SECRET = Buffer.alloc(32, 7).toString('base64');

  async function setup() {
    const h = createHttpContext({ auth: true, properties: { 'nacos.core.auth.enabled': 'true', 'nacos.core.auth.plugin.nacos.token.secret.key': SECRET } });
    await h.auth!.initAdmin('adminpw');
    await h.auth!.createUser('app', 'pw');
    await h.auth!.addRole('apps', 'app');
    await h.auth!.addPermission('apps', 'public:G:config/app-*', 'r');
    await h.auth!.addPermission('apps', 'dev:*:*', 'rw');
    await h.configs.publish({ tenant: 'public', group: 'G', dataId: 'app-1', content: 'one', srcUser: 't', srcIp: '127.0.0.1' });
    await h.configs.publish({ tenant: 'public', group: 'G', dataId: 'secret', content: 's', srcUser: 't', srcIp: '127.0.0.1' });
    return h;
  }
  /** nacos-config sends the user name and password as plain parameters on every request. */
  const cred = { username: 'app', password: 'pw' };

  test('read needs r on the config; write needs w; refusals change nothing', async () => {
    const h = await setup();
    assert.equal((await query(h.app, 'GET', V1, { dataId: 'app-1', group: 'G', ...cred })).body, 'one');
    assert.equal((await query(h.app, 'GET', V1, { dataId: 'secret', group: 'G', ...cred })).statusCode, 403);
    assert.equal((await query(h.app, 'GET', V2, { dataId: 'app-1', group: 'G', ...cred })).statusCode, 200);
    assert.equal((await query(h.app, 'GET', V1, { dataId: 'app-1', group: 'G' })).statusCode, 403, 'no credentials');
    const before = h.snapshot();
    assert.equal((await form(h.app, 'POST', V1, { dataId: 'app-1', group: 'G', content: 'x', ...cred })).statusCode, 403, 'r is not w');
    assert.equal((await query(h.app, 'DELETE', V1, { dataId: 'app-1', group: 'G', ...cred })).statusCode, 403);
    // A search without a dataId or group names the whole namespace: `public:*:config/*`.
    assert.equal((await query(h.app, 'GET', V1, { search: 'blur', tenant: '', pageNo: 1, pageSize: 10, ...cred })).statusCode, 403);
    assert.equal(h.snapshot(), before);
    // rw on dev: publish, read, history, delete there.
    assert.equal((await form(h.app, 'POST', V1, { dataId: 'd', group: 'X', content: 'dev', tenant: 'dev', ...cred })).body, 'true');
    assert.equal((await query(h.app, 'GET', V1, { dataId: 'd', group: 'X', tenant: 'dev', ...cred })).body, 'dev');
    assert.equal((await query(h.app, 'GET', '/nacos/v2/cs/history/list', { dataId: 'd', group: 'X', namespaceId: 'dev', ...cred })).statusCode, 200);
    assert.equal((await query(h.app, 'DELETE', V2, { dataId: 'd', group: 'X', namespaceId: 'dev', ...cred })).statusCode, 200);
  });
});

describe('auth on: a request is checked on what its handler acts on', () => {
  const SECRET = Buffer.alloc(32, 8).toString('base64');
  const cred = { username: 'dev', password: 'pw' };

  async function setup() {
    const h = createHttpContext({ auth: true, properties: { 'nacos.core.auth.enabled': 'true', 'nacos.core.auth.plugin.nacos.token.secret.key': SECRET } });
    await h.auth!.initAdmin('adminpw');
    await h.auth!.createUser('dev', 'pw');
    await h.auth!.addRole('devs', 'dev');
    await h.auth!.addPermission('devs', 'dev:*:*', 'rw');
    await h.configs.publish({ tenant: 'public', group: 'G', dataId: 'secret', content: 's', srcUser: 't', srcIp: '127.0.0.1' });
    await h.store.write([{ table: 'namespace', key: 'dev', value: { showName: 'dev', desc: '' } }]);
    return h;
  }

  test('both namespace spellings: v1 acts on `tenant`, so `tenant` is checked (not `namespaceId`)', async () => {
    const h = await setup();
    const before = h.snapshot();
    const r = await form(h.app, 'POST', V1, { dataId: 'secret', group: 'G', content: 'overwritten', tenant: 'public', namespaceId: 'dev', ...cred });
    assert.equal(r.statusCode, 403, r.body);
    const g = await query(h.app, 'GET', V1, { dataId: 'secret', group: 'G', tenant: 'public', namespaceId: 'dev', ...cred });
    assert.equal(g.statusCode, 403);
    // v3 reads `groupName`, not `group`.
    assert.equal((await query(h.app, 'GET', '/nacos/v3/admin/cs/config', { dataId: 'secret', groupName: 'G', group: 'X', namespaceId: 'public', ...cred })).statusCode, 403);
    assert.equal(h.snapshot(), before);
  });

  test('clone sources are named by id only: each must be readable', async () => {
    const h = await setup();
    const id = h.configs.record({ tenant: 'public', group: 'G', dataId: 'secret' })!.id;
    const before = h.snapshot();
    const r = await h.app.inject({
      method: 'POST',
      url: `${V1}?clone=true&tenant=dev&username=dev&password=pw`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify([{ cfgId: Number(id), dataId: 'stolen', group: 'G' }]),
    });
    assert.equal(r.statusCode, 403, r.body);
    assert.equal(h.snapshot(), before);
  });
});

describe('v3 admin and console config APIs', () => {
  const A = '/nacos/v3/admin/cs';
  const C = '/nacos/v3/console/cs';

  test('config publish/read/delete with groupName; 404 and missing-parameter answers', async () => {
    const t = createHttpContext();
    const p = await form(t.app, 'POST', `${A}/config`, { dataId: 'v3.yaml', groupName: 'G', namespaceId: 'dev', content: 'k: v', type: 'yaml', desc: 'd' });
    assert.deepEqual(json(p), { code: 0, message: 'success', data: true });
    const d = json<{ data: Record<string, unknown> }>(await query(t.app, 'GET', `${A}/config`, { dataId: 'v3.yaml', groupName: 'G', namespaceId: 'dev' })).data;
    assert.deepEqual([d['namespaceId'], d['groupName'], d['dataId'], d['content'], d['type'], d['desc'], d['md5']], ['dev', 'G', 'v3.yaml', 'k: v', 'yaml', 'd', md5('k: v')]);
    const nf = await query(t.app, 'GET', `${A}/config`, { dataId: 'none', groupName: 'G', namespaceId: 'dev' });
    assert.equal(nf.statusCode, 404);
    assert.deepEqual(json(nf), { code: 20004, message: 'resource not found', data: 'Config not exist, please publish Config first.' });
    const noGroup = await form(t.app, 'POST', `${A}/config`, { dataId: 'x', group: 'G', content: 'c' });
    assert.equal(noGroup.statusCode, 400);
    assert.deepEqual(json(noGroup), { code: 10000, message: 'parameter missing', data: "Required parameter 'groupName' type String is not present" });
    const beta = await query(t.app, 'GET', `${C}/config/beta`, { dataId: 'v3.yaml', groupName: 'G', namespaceId: 'dev' });
    assert.equal(beta.statusCode, 404);
    assert.equal(json<{ data: string }>(beta).data, 'Config is not in beta.');

    const list = json<{ data: { totalCount: number; pageItems: Array<{ dataId: string; groupName: string }> } }>(await query(t.app, 'GET', `${C}/config/list`, { namespaceId: 'dev', dataId: 'v3*' })).data;
    assert.equal(list.totalCount, 1);
    assert.equal(list.pageItems[0]!.groupName, 'G');
    const hist = json<{ data: { totalCount: number } }>(await query(t.app, 'GET', `${A}/history/list`, { dataId: 'v3.yaml', groupName: 'G', namespaceId: 'dev' })).data;
    assert.equal(hist.totalCount, 1);

    assert.deepEqual(json(await query(t.app, 'DELETE', `${A}/config`, { dataId: 'v3.yaml', groupName: 'G', namespaceId: 'dev' })), { code: 0, message: 'success', data: true });
    assert.equal((await query(t.app, 'GET', `${A}/config`, { dataId: 'v3.yaml', groupName: 'G', namespaceId: 'dev' })).statusCode, 404);
  });

  test('batch delete by ids removes only configs of the request namespace', async () => {
    const t = createHttpContext();
    await form(t.app, 'POST', `${A}/config`, { dataId: 'a', groupName: 'G', namespaceId: 'dev', content: '1' });
    await form(t.app, 'POST', `${A}/config`, { dataId: 'b', groupName: 'G', content: '2' });
    const a = t.configs.record({ tenant: 'dev', group: 'G', dataId: 'a' })!.id;
    const b = t.configs.record({ tenant: 'public', group: 'G', dataId: 'b' })!.id;
    assert.equal((await query(t.app, 'DELETE', `${C}/config/batchDelete`, { ids: `${a},${b}`, namespaceId: 'dev' })).statusCode, 200);
    assert.equal(t.configs.record({ tenant: 'dev', group: 'G', dataId: 'a' }), null);
    assert.ok(t.configs.record({ tenant: 'public', group: 'G', dataId: 'b' }), 'another namespace is untouched');
  });
});

describe('v3 client read and the zip reader limits', () => {
  test('GET /nacos/v3/client/cs/config: the query answer as data; missing is HTTP 200 code 20004', async () => {
    const t = createHttpContext();
    await form(t.app, 'POST', V1, { dataId: 'c.yaml', group: 'G', content: 'k: v', type: 'yaml' });
    const r = json<{ code: number; data: Record<string, unknown> }>(await query(t.app, 'GET', '/nacos/v3/client/cs/config', { dataId: 'c.yaml', groupName: 'G' }));
    assert.equal(r.code, 0);
    assert.deepEqual([r.data['content'], r.data['md5'], r.data['contentType'], r.data['beta'], typeof r.data['lastModified']], ['k: v', md5('k: v'), 'yaml', false, 'number']);
    const nf = await query(t.app, 'GET', '/nacos/v3/client/cs/config', { dataId: 'none', groupName: 'G' });
    assert.equal(nf.statusCode, 200);
    assert.deepEqual(json(nf), { code: 20004, message: 'resource not found', data: null });
  });

  test('readZip refuses archives over the entry or inflated-size limits and corrupt entries; round trip otherwise', async () => {
    const { readZip, writeZip, ZipFormatError } = await import('../../src/transport/http/zip.js');
    const big = writeZip([{ name: 'G/big', data: Buffer.alloc(100_000, 0x61) }], 0);
    assert.ok(big.length < 1000, 'deflated');
    assert.throws(() => readZip(big, { maxEntries: 10, maxTotalBytes: 50_000 }), ZipFormatError);
    const many = writeZip([{ name: 'a/1', data: Buffer.from('1') }, { name: 'a/2', data: Buffer.from('2') }], 0);
    assert.throws(() => readZip(many, { maxEntries: 1, maxTotalBytes: 1000 }), ZipFormatError);
    assert.deepEqual(
      readZip(many, { maxEntries: 2, maxTotalBytes: 1000 }).map((e) => [e.name, e.data.toString()]),
      [['a/1', '1'], ['a/2', '2']],
    );
    const corrupt = Buffer.from(many);
    corrupt[33] = corrupt[33]! ^ 0xff; // the first byte of the first entry's data (after a 30-byte header and the 3-byte name)
    assert.throws(() => readZip(corrupt, { maxEntries: 2, maxTotalBytes: 1000 }), ZipFormatError);
    assert.throws(() => readZip(Buffer.from('PK not really'), { maxEntries: 2, maxTotalBytes: 1000 }), ZipFormatError);
  });
});

test('config reads and writes wait for readiness: a member that has not caught up answers 503, not a stale or empty config', async () => {
  const t = createHttpContext({ ready: false });
  for (const url of [`${V1}?dataId=a&group=DEFAULT_GROUP`, `${V2}?dataId=a&group=DEFAULT_GROUP`]) {
    const r = await t.app.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 503, url);
  }
  t.readiness.ready = true;
  assert.equal((await nodeGet(t.app, 'a')).statusCode, 404, 'served once ready (no such config)');
});

