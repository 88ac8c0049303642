/**
 * The console's configuration pages in a real browser (Debian's Chromium via playwright-core)
 * against a real server process: create a JSON config in the CodeMirror editor, an edit with
 * invalid JSON refused in the page (nothing sent), history diff and rollback, beta publish and
 * stop, the listeners of a config (the real Node SDK `nacos-config` holding a long poll, which
 * also hears the console's edits), export → import, clone into another namespace. The page runs
 * under the console's strict CSP and the test fails on any refusal. Screenshots: test-artifacts/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataClient } from 'nacos-config';
import type { Page } from 'playwright-core';
import { artifactPath, jsonOf, TestServer, waitFor } from '../integration/helpers/server.js';
import { ConsoleBrowser, screenshot } from './helpers/browser.js';
import { waitForCount, waitForText, watchPage } from './helpers/page.js';

const DATA_ID = 'e2e.orders.json';
const GROUP = 'E2E_GROUP';
const OTHER_NS = 'e2e-cfg-target';
const BETA_IP = '127.0.0.77';
const WAIT = 10_000;

describe('web console: configurations', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: ConsoleBrowser;
  let page: Page;
  let problems: string[];
  let sdk: DataClient;
  const heard: (string | null)[] = [];

  const url = (hash: string) => `http://127.0.0.1:${server.port}/nacos/#${hash}`;
  const keyQuery = `dataId=${DATA_ID}&group=${GROUP}`;

  /** The stored content (null when missing), read as a client on `ip` would (beta rule). */
  const stored = async (opts: { tenant?: string; dataId?: string; ip?: string } = {}): Promise<string | null> => {
    const r = await server.request('GET', '/nacos/v1/cs/configs', {
      query: { dataId: opts.dataId ?? DATA_ID, group: GROUP, tenant: opts.tenant ?? '' },
      headers: opts.ip ? { 'X-Forwarded-For': opts.ip } : {},
    });
    return r.status === 404 ? null : r.text;
  };

  /**
   * Replaces the editor's text by typing, as a user would (the editor lives in a shadow root; locators
   * pierce it). On a loaded machine the click can land before the editor has focus, so Control+A selects
   * the page instead of the document and the typed text is appended; the whole gesture is then repeated
   * (a user would do the same) and the last text seen is reported if it never takes.
   */
  const typeInEditor = async (text: string) => {
    const content = page.getByTestId('config-editor').locator('.cm-content');
    const want = text.replace(/\n/g, ''); // the editor's lines have no separator in the DOM text
    let seen: string | null = null;
    for (let attempt = 0; attempt < 4; attempt++) {
      await content.click();
      await content.focus();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      const cleared = await waitFor('the editor is empty', async () => ((await content.textContent()) === '' ? true : undefined), 3000).catch(() => false);
      if (!cleared) continue;
      await page.keyboard.insertText(text);
      const took = await waitFor('the editor holds the typed text', async () => {
        seen = await content.textContent();
        return seen === want ? true : undefined;
      }, 3000).catch(() => false);
      if (took) return;
    }
    assert.fail(`the editor never held the typed text ${JSON.stringify(text)}; last seen ${JSON.stringify(seen)}`);
  };

  const publishFromEditor = async (text: string) => {
    await typeInEditor(text);
    await page.getByTestId('publish').click();
    await waitForText('the detail page', page.getByTestId('config-title'), DATA_ID);
  };

  before(async () => {
    server = await TestServer.start({ name: 'e2e-console-config' });
    browser = await ConsoleBrowser.launch();
    page = await browser.page();
    problems = watchPage(page);
    page.on('dialog', (d) => void d.accept());
    const ns = await server.request('POST', '/nacos/v1/console/namespaces', { form: { customNamespaceId: OTHER_NS, namespaceName: 'E2E target', namespaceDesc: '' } });
    assert.equal(ns.text, 'true');
  });

  after(async () => {
    sdk?.close();
    await browser?.close();
    await server?.dispose();
  });

  it('creates a JSON configuration in the highlighted editor', async () => {
    await page.goto(url('/configs'));
    await waitForText('config count', page.getByTestId('configs-count'), '0 configurations');
    await page.getByTestId('config-create').click();
    await page.locator('input[name=dataId]').fill(DATA_ID);
    await page.locator('input[name=group]').fill(GROUP);
    await page.locator('input[name=appName]').fill('orders');
    await page.locator('input[name=configTags]').fill('e2e');
    // The dataId's extension chose the format.
    assert.equal(await page.locator('input[name=type][value=json]').isChecked(), true);
    await typeInEditor('{"replicas": 1, "zone": "a"}');
    // Syntax highlighting: the JSON tokens are styled spans inside the shadow root.
    await waitFor('highlighted tokens', async () => ((await page.getByTestId('config-editor').locator('.cm-line span').count()) >= 3 ? true : undefined), WAIT);
    await waitForText('format state', page.getByTestId('format-state'), 'valid json');
    await screenshot(page, 'config-create');
    await page.getByTestId('publish').click();
    await waitForText('the detail page', page.getByTestId('config-title'), DATA_ID);
    await waitForText('type', page.getByTestId('config-type'), 'json');
    assert.equal(await stored(), '{"replicas": 1, "zone": "a"}');

    await page.getByTestId('nav-configs').click();
    await page.getByTestId('filter-dataId').fill('orders');
    await page.getByTestId('filter-query').click();
    await waitForCount('config rows', page.getByTestId('config-row'), 1);
    await page.getByTestId('filter-mode').selectOption('accurate');
    await page.getByTestId('filter-query').click();
    await waitForCount('no exact match for "orders"', page.getByTestId('config-row'), 0);
    await page.getByTestId('filter-dataId').fill(DATA_ID);
    await page.getByTestId('filter-query').click();
    await waitForCount('exact match', page.getByTestId('config-row'), 1);
    await screenshot(page, 'configs');
    assert.deepEqual(problems, []);
  });

  it('checks YAML, properties and XML as they are typed', async () => {
    await page.goto(url('/config/edit'));
    const cases: [string, string, RegExp, string][] = [
      ['yaml', 'a: [1, 2\nb: 3', /^Invalid YAML/, 'a:\n  - 1\nb: 3'],
      ['properties', 'server.port=8080\njust-a-key', /^Invalid properties: "just-a-key" is not key=value/, 'server.port=8080\nname: x\n# comment\nlong=a \\\n  b'],
      ['xml', '<a><b></a>', /^Invalid XML/, '<a><b/></a>'],
    ];
    for (const [type, bad, refusal, good] of cases) {
      await page.locator(`input[name=type][value=${type}]`).check();
      await typeInEditor(bad);
      await waitForText(`${type} refused`, page.getByTestId('format-state'), refusal);
      await typeInEditor(good);
      await waitForText(`${type} accepted`, page.getByTestId('format-state'), `valid ${type}`);
    }
    assert.deepEqual(problems, []);
  });

  it('refuses invalid JSON in the page (nothing sent); a valid edit reaches the nacos-config SDK and shows it as a listener', async () => {
    const cacheDir = artifactPath(join('nacos-config-cache', `e2e-${Date.now()}-${process.pid}`));
    mkdirSync(cacheDir, { recursive: true });
    sdk = new DataClient({ serverAddr: `127.0.0.1:${server.port}`, namespace: '', requestTimeout: 6000, cacheDir });
    await sdk.ready();
    sdk.subscribe({ dataId: DATA_ID, group: GROUP }, (c: string | null) => heard.push(c));

    await page.goto(url(`/config/edit?${keyQuery}`));
    await waitFor('the editor shows the content', async () => (((await page.getByTestId('config-editor').locator('.cm-content').textContent()) ?? '').includes('replicas') ? true : undefined), WAIT);
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.url());
    });
    await typeInEditor('{"replicas": 2, "zone": }');
    await page.getByTestId('publish').click();
    await waitForText('refusal', page.locator('form [role=alert]'), /Not published: Invalid JSON/);
    await waitForText('format state', page.getByTestId('format-state'), /Invalid JSON/);
    // The problem is marked in the editor too (lint).
    await page.getByTestId('config-editor').locator('.cm-lintRange-error').first().waitFor();
    await screenshot(page, 'config-invalid-json');
    assert.deepEqual(posts, [], 'nothing was sent');
    assert.equal(await stored(), '{"replicas": 1, "zone": "a"}');

    await publishFromEditor('{"replicas": 2, "zone": "a"}');
    assert.equal(await stored(), '{"replicas": 2, "zone": "a"}');
    await waitFor('the SDK heard the console edit', async () => (heard.includes('{"replicas": 2, "zone": "a"}') ? true : undefined), WAIT);

    // The SDK's long poll is listed on the detail page (refreshed every 5 s).
    await waitForCount('listener rows', page.getByTestId('listener-row'), 1, 15_000);
    await waitForText('listener', page.getByTestId('listener-row').locator('td').first(), '127.0.0.1');
    assert.deepEqual(problems, []);
  });

  it('shows the history side by side and rolls an update back', async () => {
    await page.goto(url(`/config/history?${keyQuery}`));
    await waitForCount('history rows', page.getByTestId('history-row'), 2);
    // Newest first: the update holds the content before it.
    const update = page.locator('[data-testid=history-row][data-op=U]');
    await update.getByTestId('history-compare').click();
    const diff = page.getByTestId('history-diff');
    await diff.locator('.cm-mergeView').waitFor();
    await waitFor('both sides', async () => ((await diff.locator('.cm-editor').count()) === 2 ? true : undefined), WAIT);
    await waitFor('the change is highlighted', async () => ((await diff.locator('.cm-changedLine, .cm-changedText').count()) > 0 ? true : undefined), WAIT);
    const sides = await diff.locator('.cm-content').allTextContents();
    assert.match(sides[0] ?? '', /"replicas": 2/, 'left: current');
    assert.match(sides[1] ?? '', /"replicas": 1/, 'right: after the rollback');
    await screenshot(page, 'config-history-diff');
    await page.getByTestId('rollback').click();
    await waitFor('rolled back', async () => ((await stored()) === '{"replicas": 1, "zone": "a"}' ? true : undefined), WAIT);
    await waitForCount('history rows after the rollback', page.getByTestId('history-row'), 3);
    await waitFor('the SDK heard the rollback', async () => (heard.at(-1) === '{"replicas": 1, "zone": "a"}' ? true : undefined), WAIT);
    // The rollback changed the content only: format, app and tags stay.
    const rec = jsonOf<{ type: string; appName: string; configTags: string | null }>(await server.get('/nacos/v1/cs/configs', { show: 'all', dataId: DATA_ID, group: GROUP, tenant: '' }));
    assert.deepEqual([rec.type, rec.appName, rec.configTags], ['json', 'orders', 'e2e']);
    assert.deepEqual(problems, []);
  });

  it('publishes a beta to one client IP, shows it against the formal content, and stops it', async () => {
    await page.goto(url(`/config/edit?${keyQuery}`));
    await waitFor('the editor shows the content', async () => (((await page.getByTestId('config-editor').locator('.cm-content').textContent()) ?? '').includes('replicas') ? true : undefined), WAIT);
    await page.locator('input[name=beta]').check();
    await page.locator('input[name=betaIps]').fill('not-an-ip');
    await typeInEditor('{"replicas": 9, "zone": "beta"}');
    await page.getByTestId('publish').click();
    await waitForText('refusal', page.locator('form [role=alert]'), /not an IP address/);
    await page.locator('input[name=betaIps]').fill(BETA_IP);
    await page.getByTestId('publish').click();
    await waitForText('beta IPs', page.getByTestId('beta-ips'), BETA_IP);
    await page.getByTestId('beta-diff').locator('.cm-mergeView').waitFor();
    await screenshot(page, 'config-beta');
    assert.equal(await stored({ ip: BETA_IP }), '{"replicas": 9, "zone": "beta"}', 'the beta client gets the beta');
    assert.equal(await stored(), '{"replicas": 1, "zone": "a"}', 'the others keep the formal content');

    await page.getByTestId('stop-beta').click();
    await waitForCount('the beta card', page.getByTestId('beta-card'), 0);
    assert.equal(await stored({ ip: BETA_IP }), '{"replicas": 1, "zone": "a"}');
    assert.deepEqual(problems, []);
  });

  it('exports to a zip and imports it back (with the conflict policy)', async () => {
    await page.goto(url('/configs'));
    await waitForCount('config rows', page.getByTestId('config-row'), 1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('config-export').click()]);
    assert.match(download.suggestedFilename(), /^nacos_config_export_\d{14}\.zip$/);
    const zipPath = await download.path();
    const zip = readFileSync(zipPath);
    assert.equal(zip.readUInt32LE(0), 0x04034b50, 'a zip archive');

    const importZip = async (policy: string) => {
      await page.getByTestId('config-import').click();
      const dialog = page.getByTestId('import-dialog');
      await dialog.locator('input[type=file]').setInputFiles({ name: download.suggestedFilename(), mimeType: 'application/zip', buffer: zip });
      await dialog.locator('select[name=policy]').selectOption(policy);
      await dialog.getByTestId('save').click();
      return dialog;
    };

    // Already there: SKIP skips it.
    let dialog = await importZip('SKIP');
    await waitForText('import result', dialog.getByTestId('transfer-result'), /0 written, 1 skipped/);
    await page.keyboard.press('Escape');

    // Deleted, then imported: back with its content and type.
    await page.locator(`[data-testid=config-row][data-key="${GROUP}/${DATA_ID}"]`).getByTestId('config-delete').click();
    await waitForText('config count', page.getByTestId('configs-count'), '0 configurations');
    assert.equal(await stored(), null);
    dialog = await importZip('ABORT');
    await waitForText('import result', dialog.getByTestId('transfer-result'), /1 written, 0 skipped/);
    await screenshot(page, 'config-import');
    await page.keyboard.press('Escape');
    await waitForText('config count', page.getByTestId('configs-count'), '1 configuration');
    assert.equal(await stored(), '{"replicas": 1, "zone": "a"}');
    const detail = jsonOf<{ type: string; appName: string }>(await server.get('/nacos/v1/cs/configs', { show: 'all', dataId: DATA_ID, group: GROUP, tenant: '' }));
    assert.deepEqual([detail.type, detail.appName], ['json', 'orders']);
    assert.deepEqual(problems, []);
  });

  it('clones the selected configuration into another namespace under a new name', async () => {
    await page.goto(url('/configs'));
    await page.locator(`[data-testid=config-row][data-key="${GROUP}/${DATA_ID}"]`).getByTestId('config-select').check();
    await page.getByTestId('config-clone').click();
    const dialog = page.getByTestId('clone-dialog');
    await dialog.locator('select[name=target]').selectOption(OTHER_NS);
    await dialog.getByLabel('target data ID').fill('e2e.orders.copy.json');
    await dialog.getByTestId('save').click();
    await waitForText('clone result', dialog.getByTestId('transfer-result'), /1 written, 0 skipped/);
    await page.keyboard.press('Escape');
    assert.equal(await stored({ tenant: OTHER_NS, dataId: 'e2e.orders.copy.json' }), '{"replicas": 1, "zone": "a"}');

    // The namespace switcher shows the copy on the list.
    await page.getByTestId('namespace-switch').selectOption(OTHER_NS);
    await waitForCount('the copy in the target namespace', page.locator(`[data-testid=config-row][data-key="${GROUP}/e2e.orders.copy.json"]`), 1);
    await screenshot(page, 'config-clone');
    await page.getByTestId('namespace-switch').selectOption('public');
    assert.deepEqual(problems, []);
  });
});
