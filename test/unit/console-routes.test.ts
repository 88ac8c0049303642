/** Serving of the web console (page, assets, caching, not built, turned off) and the overview route, in-process. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { NacosError } from '../../src/core/errors.js';
import { NamespaceCatalog } from '../../src/naming/namespaces.js';
import { selfMembers } from '../../src/transport/http/members.js';
import { CONSOLE_HEADERS, consoleRoutes } from '../../src/transport/http/routes/console.js';
import { createHttpContext } from './helpers/http-context.js';

const root = mkdtempSync(join(tmpdir(), 'nomen-console-unit-'));
const built = join(root, 'built');
mkdirSync(join(built, 'assets'), { recursive: true });
writeFileSync(join(built, 'index.html'), '<!doctype html><title>console</title>');
writeFileSync(join(built, 'assets', 'index-abc123.js'), 'console.log(1)');

function appWith(dir: string, properties: Record<string, string> = {}): FastifyInstance {
  const { ctx } = createHttpContext({ properties });
  const app = Fastify();
  app.setErrorHandler((e, _req, reply) => reply.code(e instanceof NacosError ? e.status : 500).send(e instanceof Error ? e.message : String(e)));
  consoleRoutes(app, { ctx, members: selfMembers(ctx), namespaces: new NamespaceCatalog(ctx.naming.store) }, dir);
  return app;
}

describe('console routes', () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it('serves the page without caching and hashed assets for a year', async () => {
    const app = appWith(built);
    for (const url of ['/nacos/', '/nacos/index.html']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.match(String(r.headers['content-type']), /text\/html/);
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.match(r.body, /<title>console<\/title>/);
    }
    const js = await app.inject({ url: '/nacos/assets/index-abc123.js' });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal((await app.inject({ url: '/nacos/assets/other.js' })).statusCode, 404);
    // No way out of the assets folder (index.html sits one level up).
    assert.equal((await app.inject({ url: '/nacos/assets/..%2findex.html' })).statusCode, 404);
    await app.close();
  });

  it('assets answer HEAD, conditional and range requests (the inner static app passes them on)', async () => {
    const app = appWith(built);
    const url = '/nacos/assets/index-abc123.js';
    const head = await app.inject({ method: 'HEAD', url });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], String('console.log(1)'.length));
    assert.equal(head.body, '');
    const first = await app.inject({ url });
    const etag = String(first.headers['etag']);
    assert.match(etag, /^W\/"/);
    assert.equal((await app.inject({ url, headers: { 'if-none-match': etag } })).statusCode, 304);
    const part = await app.inject({ url, headers: { range: 'bytes=0-6' } });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 0-6/${'console.log(1)'.length}`);
    assert.equal(part.body, 'console');
    await app.close();
  });

  it('the page and its assets carry a self-only CSP, X-Frame-Options DENY, nosniff and no Referer', async () => {
    const app = appWith(built);
    for (const url of ['/nacos/', '/nacos/index.html', '/nacos/assets/index-abc123.js']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /(^|; )script-src 'self'(;|$)/, url);
      assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, url);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, url);
      assert.equal(r.headers['x-frame-options'], 'DENY', url);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', url);
    }
    assert.deepEqual(Object.keys(CONSOLE_HEADERS).sort(), ['content-security-policy', 'referrer-policy', 'x-content-type-options', 'x-frame-options']);
    await app.close();
  });

  it('every API answer says nosniff, errors included', async () => {
    const { app } = createHttpContext();
    for (const url of ['/nacos/v1/ns/instance/list?serviceName=x', '/nacos/v1/console/health/readiness', '/nacos/v1/ns/instance/list', '/nacos/nope']) {
      const r = await app.inject({ url });
      assert.equal(r.headers['x-content-type-options'], 'nosniff', `${url} (${r.statusCode})`);
    }
    await app.close();
  });

  it('the overview asks the members with the caller token in a header, never in the URL', async () => {
    const app = appWith(built);
    const seen: { url: string; token: unknown }[] = [];
    app.addHook('onRequest', async (req) => {
      seen.push({ url: req.url, token: req.headers['accesstoken'] });
    });
    for (const presented of [{ url: '/nacos/v1/console/cluster/overview?accessToken=T1' }, { url: '/nacos/v1/console/cluster/overview', headers: { accessToken: 'T1' } }]) {
      seen.length = 0;
      assert.equal((await app.inject(presented)).statusCode, 200);
      const inner = seen.slice(1);
      assert.ok(inner.length > 0, 'the overview asked this member in-process');
      for (const r of inner) {
        assert.doesNotMatch(r.url, /accessToken/i, r.url);
        assert.equal(r.token, 'T1', r.url);
      }
    }
    await app.close();
  });

  it('answers 404 with a hint when the console is not built', async () => {
    const app = appWith(join(root, 'missing'));
    const r = await app.inject({ url: '/nacos/' });
    assert.equal(r.statusCode, 404);
    assert.match(r.body, /npm run build/);
    await app.close();
  });

  it('nacos.console.ui.enabled=false serves no page, the overview API stays', async () => {
    const app = appWith(built, { 'nacos.console.ui.enabled': 'false' });
    assert.equal((await app.inject({ url: '/nacos/' })).statusCode, 404);
    const o = await app.inject({ url: '/nacos/v1/console/cluster/overview' });
    assert.equal(o.statusCode, 200);
    const body = JSON.parse(o.body) as { self: string; mode: string; members: { address: string; self: boolean; reachable: boolean }[] };
    assert.equal(body.mode, 'standalone');
    assert.deepEqual(body.members.map((m) => [m.address, m.self]), [['127.0.0.1:8848', true]]);
    await app.close();
  });
});
