/**
 * The official Nacos 3 web console (built from the Nacos sources with npm, vendored as
 * vendor/nacos-console-ui/static; docs/console.md "The official Nacos 3 console") in Chromium
 * against a real Nomen member: the service list, a service's instances and the namespace list show
 * what was registered in Nomen. The UI calls relative `v3/console/...` URLs; a small server owned
 * by this test serves the UI under `/nacos/` on 127.0.0.1 and forwards `/nacos/v{1,2,3}/...` to
 * the member unchanged, as Nacos' own server would answer them on one port.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { httpRequest, REPO_ROOT, TestServer } from '../integration/helpers/server.js';
import { CHROMIUM, ConsoleBrowser, screenshot } from './helpers/browser.js';

const STATIC = join(REPO_ROOT, 'vendor/nacos-console-ui/static');
const NS = { id: 'e2e-nacos3-ns', name: 'Nacos3 UI namespace' };
const SVC = 'e2e-nacos3-orders';
const CONFIG = 'e2e-nacos3-app.properties';
const GROUP = 'E2E_GROUP';
const HOSTS = [
  { ip: '127.0.0.41', port: 8041 },
  { ip: '127.0.0.42', port: 8042 },
];
const WAIT = 20_000;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.eot': 'application/vnd.ms-fontobject',
};

/** Serves the vendored UI under /nacos/ and forwards the API paths to the Nomen member. */
async function startUiServer(memberPort: number, apiLog: string[]): Promise<Server> {
  const forward = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const h of ['content-type', 'accesstoken', 'authorization']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const init: RequestInit = { method: req.method ?? 'GET', headers };
    if (chunks.length > 0) init.body = Buffer.concat(chunks);
    const up = await fetch(`http://127.0.0.1:${memberPort}${path}`, init);
    apiLog.push(`${up.status} ${req.method} ${path}`);
    res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await up.arrayBuffer()));
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const done = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    };
    if (/^\/nacos\/v[123]\//.test(url.pathname)) {
      forward(req, res, url.pathname + url.search).catch((e: unknown) => done(502, String(e)));
      return;
    }
    if (!url.pathname.startsWith('/nacos/')) return done(404, 'not found');
    const rel = normalize(url.pathname.slice('/nacos/'.length) || 'index.html');
    if (rel.startsWith('..')) return done(400, 'bad path');
    readFile(join(STATIC, rel)).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' });
        res.end(body);
      },
      () => done(404, 'not found'),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

async function register(port: number, namespaceId: string): Promise<void> {
  for (const h of HOSTS) {
    const r = await httpRequest(port, 'POST', '/nacos/v2/ns/instance', {
      form: { namespaceId, groupName: GROUP, serviceName: SVC, ip: h.ip, port: h.port, ephemeral: false, metadata: '{"zone":"a"}' },
    });
    assert.equal(r.status, 200, r.text);
  }
}

describe('official Nacos 3 console UI against Nomen', { timeout: 120_000, skip: existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM}` }, () => {
  let member: TestServer;
  let ui: Server;
  let base: string;
  let browser: ConsoleBrowser;
  let page: Page;
  const apiLog: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    assert.ok(existsSync(join(STATIC, 'js/main.js')), 'vendor/nacos-console-ui/static is missing: node scripts/build-nacos-console-ui.mjs');
    [member, browser] = await Promise.all([TestServer.start({ name: 'e2e-nacos3-console' }), ConsoleBrowser.launch()]);
    ui = await startUiServer(member.port, apiLog);
    base = `http://127.0.0.1:${(ui.address() as AddressInfo).port}/nacos/`;
    const created = await httpRequest(member.port, 'POST', '/nacos/v1/console/namespaces', {
      form: { customNamespaceId: NS.id, namespaceName: NS.name, namespaceDesc: 'made by the e2e test' },
    });
    assert.equal(created.status, 200, created.text);
    await register(member.port, 'public');
    await register(member.port, NS.id);
    page = await browser.page();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => ui?.close(r));
    await member?.dispose();
  });

  /** The naming/namespace API calls the UI made that Nomen did not answer with 200. */
  const failedCalls = (): string[] => apiLog.filter((l) => /v3\/console\/(ns|core)\//.test(l) && !l.startsWith('200 '));

  it('lists Nomen services on the service management page', async () => {
    await page.goto(`${base}#/serviceManagement`);
    const row = page.locator('tr', { hasText: SVC });
    await row.first().waitFor({ timeout: WAIT });
    const text = await row.first().innerText();
    assert.match(text, new RegExp(GROUP));
    assert.match(text, /\b2\b/, `instance count in the row: ${text}`);
    await screenshot(page, 'nacos3-services');
    assert.deepEqual(failedCalls(), []);
    assert.ok(apiLog.some((l) => l.includes('/v3/console/ns/service/list')), apiLog.join('\n'));
  });

  it("shows a service's instances on its detail page", async () => {
    await page.goto(`${base}#/serviceDetail?name=${SVC}&groupName=${GROUP}`);
    for (const h of HOSTS) await page.locator('tr', { hasText: h.ip }).first().waitFor({ timeout: WAIT });
    const row = await page.locator('tr', { hasText: HOSTS[0]!.ip }).first().innerText();
    assert.match(row, new RegExp(String(HOSTS[0]!.port)));
    await screenshot(page, 'nacos3-instances');
    assert.deepEqual(failedCalls(), []);
    assert.ok(apiLog.some((l) => l.includes('/v3/console/ns/instance/list')), apiLog.join('\n'));
  });

  it('lists Nomen namespaces, and the service list follows the chosen namespace', async () => {
    await page.goto(`${base}#/namespace`);
    await page.locator('tr', { hasText: NS.name }).first().waitFor({ timeout: WAIT });
    assert.match(await page.locator('tr', { hasText: NS.name }).first().innerText(), new RegExp(NS.id));
    await screenshot(page, 'nacos3-namespaces');
    await page.goto(`${base}#/serviceManagement?namespace=${NS.id}`);
    await page.locator('tr', { hasText: SVC }).first().waitFor({ timeout: WAIT });
    assert.ok(apiLog.some((l) => l.includes('/v3/console/ns/service/list') && l.includes(`namespaceId=${NS.id}`)), apiLog.join('\n'));
    assert.deepEqual(failedCalls(), []);
    assert.deepEqual(pageErrors, []);
  });

  // function_mode is null (naming and config both on; docs/protocol/nacos3.md §4): the UI shows its
  // configuration pages too and its landing page redirects to the configuration list.
  it('lands on the configuration list, which shows a config published in Nomen', async () => {
    const published = await httpRequest(member.port, 'POST', '/nacos/v1/cs/configs', { form: { dataId: CONFIG, group: GROUP, content: 'a=1' } });
    assert.equal(published.status, 200, published.text);
    await page.goto(base);
    await page.waitForURL(/configurationManagement/, { timeout: WAIT });
    await page.locator('tr', { hasText: CONFIG }).first().waitFor({ timeout: WAIT });
    await screenshot(page, 'nacos3-configs');
    assert.ok(apiLog.some((l) => l.startsWith('200 ') && l.includes('/v3/console/cs/config/list')), apiLog.join('\n'));
    assert.deepEqual(pageErrors, []);
  });
});
