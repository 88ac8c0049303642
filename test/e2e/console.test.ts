/**
 * The web console in a real browser (Debian's Chromium via playwright-core) against the real
 * server, with a service registered by the real Nacos Rust SDK (gRPC): find it, edit a weight and
 * see the SDK's next push carry it, take an instance offline and see it leave the SDK's view; edit
 * service metadata; namespace CRUD; subscribers. Screenshots land in test-artifacts/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { hostAddrs, RustClient, type PushEvent } from '../integration/helpers/rust-client.js';
import { addrs, jsonOf, TestServer, waitFor } from '../integration/helpers/server.js';
import { ConsoleBrowser, screenshot } from './helpers/browser.js';
import { waitForCount, waitForText, watchPage } from './helpers/page.js';

const SVC = 'e2e-console-orders';
const A = { ip: '127.0.0.21', port: 8001 };
const B = { ip: '127.0.0.22', port: 8002 };
const WAIT = 10_000;

describe('web console (standalone) with the real Rust SDK', { timeout: 90_000 }, () => {
  let server: TestServer;
  let sdk: RustClient;
  let browser: ConsoleBrowser;
  let page: Page;
  let problems: string[];

  before(async () => {
    server = await TestServer.start({ name: 'e2e-console' });
    [sdk, browser] = await Promise.all([RustClient.start(server.port, { label: 'e2e-console' }), ConsoleBrowser.launch()]);
    page = await browser.page();
    problems = watchPage(page);
    page.on('dialog', (d) => void d.accept());
  });

  after(async () => {
    await browser?.close();
    await sdk?.kill();
    await server?.dispose();
  });

  const row = (addr: { ip: string; port: number }) => page.locator(`[data-testid=instance-row][data-addr="${addr.ip}:${addr.port}"]`);
  const hostOf = (e: PushEvent, addr: { ip: string; port: number }) => e.hosts.find((h) => h.ip === addr.ip && h.port === addr.port);

  it('serves the page and its assets with caching headers', async () => {
    const index = await fetch(`http://127.0.0.1:${server.port}/nacos/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    // Security headers (docs/console.md): the page below runs under this CSP, and watchPage reports any refusal.
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(index.headers.get('x-frame-options'), 'DENY');
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(index.headers.get('referrer-policy'), 'no-referrer');
    const html = await index.text();
    const asset = /\/nacos\/assets\/[\w.-]+\.js/.exec(html)?.[0];
    assert.ok(asset, `no script asset in ${html}`);
    const js = await fetch(`http://127.0.0.1:${server.port}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/nacos/index.html`)).status, 200);
    const missing = await fetch(`http://127.0.0.1:${server.port}/nacos/assets/missing.js`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /No such API/);
  });

  it('finds the SDK service, edits a weight (seen in the next push) and takes an instance offline (gone from the SDK view)', async () => {
    await sdk.batchRegister(SVC, [
      { ...A, weight: 1, metadata: { zone: 'a' } },
      { ...B, weight: 1, metadata: { zone: 'b' } },
    ]);
    await sdk.subscribe(SVC, 'watch');
    await sdk.waitForEvent((e) => e.subId === 'watch' && hostAddrs(e.hosts).join() === '127.0.0.21:8001,127.0.0.22:8002', WAIT, 'the first push');

    await page.goto(`http://127.0.0.1:${server.port}/nacos/`);
    await page.getByTestId('filter-name').fill('console-ord');
    await page.getByTestId('filter-hide-empty').check();
    await page.getByTestId('filter-query').click();
    const svcRow = page.locator(`[data-testid=service-row][data-service="${SVC}"]`);
    await waitForText('the service row', svcRow.locator('td').nth(3), '2');
    await waitForText('service count', page.getByTestId('services-count'), '1 service');
    await screenshot(page, 'services');

    await svcRow.getByRole('link', { name: 'Details' }).click();
    await waitForText('title', page.getByTestId('service-title'), SVC);
    await waitForCount('instance rows', page.getByTestId('instance-row'), 2);

    // Edit the weight of A.
    await row(A).getByTestId('instance-edit').click();
    const dialog = page.getByTestId('edit-instance-dialog');
    await dialog.locator('input[name=weight]').fill('3.5');
    await dialog.getByTestId('save').click();
    await dialog.waitFor({ state: 'detached' });
    await waitForText('weight of A in the table', row(A).getByTestId('instance-weight'), '3.5');
    const weighted = await sdk.waitForEvent((e) => e.subId === 'watch' && hostOf(e, A)?.weight === 3.5, WAIT, 'a push with the new weight');
    assert.equal(hostOf(weighted, B)?.weight, 1, 'B keeps its weight');
    assert.deepEqual(hostOf(weighted, A)?.metadata, { zone: 'a' }, 'the SDK metadata survives the edit');

    // Take B offline.
    await row(B).getByTestId('instance-offline').click();
    await waitForText('B state in the table', row(B).getByTestId('instance-enabled'), 'offline');
    const offline = await sdk.waitForEvent(
      (e) => e.subId === 'watch' && e.seq > weighted.seq && (hostOf(e, B) === undefined || hostOf(e, B)?.enabled === false),
      WAIT,
      'a push without B',
    );
    assert.ok(hostOf(offline, A), 'A is still pushed');
    const list = await server.listInstances(`DEFAULT_GROUP@@${SVC}`);
    assert.deepEqual(addrs(list.hosts), ['127.0.0.21:8001'], 'HTTP list shows enabled instances only');
    await screenshot(page, 'service-detail');

    // And back online.
    await row(B).getByTestId('instance-online').click();
    await waitForText('B state in the table', row(B).getByTestId('instance-enabled'), 'online');
    await sdk.waitForEvent((e) => e.subId === 'watch' && e.seq > offline.seq && hostOf(e, B)?.enabled === true, WAIT, 'a push with B again');
    assert.deepEqual(problems, []);
  });

  it('edits the protect threshold and metadata of the service', async () => {
    await page.goto(`http://127.0.0.1:${server.port}/nacos/#/service?name=${SVC}&group=DEFAULT_GROUP`);
    await page.getByTestId('edit-service').click();
    const dialog = page.getByTestId('edit-service-dialog');
    await dialog.locator('input[name=protectThreshold]').fill('0.4');
    await dialog.locator('textarea[name=metadata]').fill('owner=team-a\ntier=gold');
    await dialog.getByTestId('save').click();
    await dialog.waitFor({ state: 'detached' });
    await waitForText('threshold', page.getByTestId('service-threshold'), '0.4');
    await waitForText('metadata', page.getByTestId('service-metadata'), /owner=team-a.*tier=gold/);
    const r = jsonOf<{ protectThreshold: number; metadata: Record<string, string> }>(await server.get('/nacos/v1/ns/service', { serviceName: SVC }));
    assert.equal(r.protectThreshold, 0.4);
    assert.deepEqual(r.metadata, { owner: 'team-a', tier: 'gold' });

    // A bad threshold is refused in the dialog and nothing is sent.
    await page.getByTestId('edit-service').click();
    await dialog.locator('input[name=protectThreshold]').fill('7');
    await dialog.getByTestId('save').click();
    await waitForText('dialog error', dialog.getByRole('alert'), /between 0 and 1/);
    await page.keyboard.press('Escape');
    assert.equal(jsonOf<{ protectThreshold: number }>(await server.get('/nacos/v1/ns/service', { serviceName: SVC })).protectThreshold, 0.4);
  });

  it('creates and deletes a service', async () => {
    await page.goto(`http://127.0.0.1:${server.port}/nacos/#/services`);
    await page.getByTestId('create-service').click();
    const dialog = page.getByRole('dialog', { name: 'Create service' });
    await dialog.locator('input[name=serviceName]').fill('e2e-created');
    await dialog.locator('input[name=protectThreshold]').fill('0.2');
    await dialog.locator('textarea[name=metadata]').fill('{"owner":"ops"}');
    await dialog.getByTestId('save').click();
    await dialog.waitFor({ state: 'detached' });
    const created = jsonOf<{ protectThreshold: number; metadata: Record<string, string> }>(await server.get('/nacos/v1/ns/service', { serviceName: 'e2e-created' }));
    assert.deepEqual([created.protectThreshold, created.metadata], [0.2, { owner: 'ops' }]);

    await page.getByTestId('filter-name').fill('e2e-created');
    await page.getByTestId('filter-hide-empty').uncheck();
    await page.getByTestId('filter-query').click();
    const row = page.locator('[data-testid=service-row][data-service="e2e-created"]');
    await row.getByRole('button', { name: 'Delete' }).click();
    await waitForCount('the deleted service row', row, 0);
    assert.equal((await server.get('/nacos/v1/ns/service', { serviceName: 'e2e-created' })).status, 400);
  });

  it('lists the SDK as a subscriber', async () => {
    await page.goto(`http://127.0.0.1:${server.port}/nacos/#/subscribers?name=${SVC}&group=DEFAULT_GROUP`);
    await waitFor('a subscriber row', async () => ((await page.getByTestId('subscriber-row').count()) >= 1 ? true : undefined), WAIT);
    const text = (await page.getByTestId('subscribers-table').textContent()) ?? '';
    assert.match(text, new RegExp(`DEFAULT_GROUP@@${SVC}`));
  });

  it('creates a namespace, switches to it and deletes it', async () => {
    await page.goto(`http://127.0.0.1:${server.port}/nacos/#/namespaces`);
    await page.getByTestId('create-namespace').click();
    const dialog = page.getByTestId('namespace-dialog');
    await dialog.locator('input[name=namespaceId]').fill('e2e-ns');
    await dialog.locator('input[name=namespaceName]').fill('E2E namespace');
    await dialog.getByTestId('save').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid=namespace-row][data-ns="e2e-ns"]').waitFor();
    const nsList = jsonOf<{ data: { namespace: string }[] }>(await server.get('/nacos/v1/console/namespaces'));
    assert.ok(nsList.data.some((n) => n.namespace === 'e2e-ns'));

    // Switch: the services page of the new namespace does not show the public service.
    await page.getByTestId('namespace-switch').selectOption('e2e-ns');
    await page.getByTestId('nav-services').click();
    await waitForText('service count', page.getByTestId('services-count'), '0 services');
    await page.getByTestId('namespace-switch').selectOption('public');

    await page.getByTestId('nav-namespaces').click();
    await page.locator('[data-testid=namespace-row][data-ns="e2e-ns"]').getByTestId('delete-namespace').click();
    await waitForCount('the deleted namespace row', page.locator('[data-testid=namespace-row][data-ns="e2e-ns"]'), 0);
    const after = jsonOf<{ data: { namespace: string }[] }>(await server.get('/nacos/v1/console/namespaces'));
    assert.ok(!after.data.some((n) => n.namespace === 'e2e-ns'));
  });
});
