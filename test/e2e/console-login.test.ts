/**
 * The console's login page, in a real browser, against the real server with auth on
 * (`nacos.core.auth.enabled=true`, admin `nacos` created from `nomen.auth.admin.initial-password`):
 * the page asks for a login because `/nacos/v1/console/server/state` says `auth_enabled: "true"`,
 * refuses bad credentials with the server's message, then every API call carries the token in
 * the `accessToken` header and never in a URL or form body (docs/security.md §9); a
 * token the server rejects, and logging out, return to the login page. Without auth the console
 * opens directly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { TestServer } from '../integration/helpers/server.js';
import { ConsoleBrowser, screenshot } from './helpers/browser.js';
import { waitForText } from './helpers/page.js';

const ADMIN_PW = 'secret-pw';

describe('web console: login page', { timeout: 60_000 }, () => {
  let browser: ConsoleBrowser;
  let server: TestServer;
  let secured: TestServer;
  /** API calls the page made after logging in: the header token, and whether the URL or body held one. */
  const calls: { path: string; token: string | null; leaked: boolean }[] = [];
  /** Every request URL the page made (to check that no token and no password is ever in one). */
  const urls: string[] = [];

  before(async () => {
    [browser, server, secured] = await Promise.all([
      ConsoleBrowser.launch(),
      TestServer.start({ name: 'e2e-console-noauth' }),
      TestServer.start({ name: 'e2e-console-auth', properties: { 'nacos.core.auth.enabled': true, 'nomen.auth.admin.initial-password': ADMIN_PW } }),
    ]);
    const r = await secured.request('POST', '/nacos/v1/ns/instance', {
      query: { serviceName: 'behind-login', ip: '127.0.0.31', port: 8031, username: 'nacos', password: ADMIN_PW },
    });
    assert.equal(r.status, 200, r.text);
  });

  after(async () => {
    await browser?.close();
    await server?.dispose();
    await secured?.dispose();
  });

  it('the secured server reports auth enabled and refuses an API call without a token', async () => {
    const state = await secured.get('/nacos/v1/console/server/state');
    assert.equal(state.status, 200, state.text);
    assert.equal((JSON.parse(state.text) as { auth_enabled: string }).auth_enabled, 'true');
    assert.equal((await secured.get('/nacos/v1/ns/catalog/services', { pageNo: 1, pageSize: 10 })).status, 403);
  });

  it('shows the login page when auth is enabled, refuses bad credentials, then sends the token on every call', async () => {
    const page: Page = await browser.page();
    page.on('request', (req) => {
      const u = new URL(req.url());
      urls.push(req.url());
      if (u.pathname.startsWith('/nacos/v') && !u.pathname.includes('/auth/') && !u.pathname.endsWith('/server/state')) {
        const leaked = u.searchParams.has('accessToken') || /accessToken=/.test(req.postData() ?? '');
        calls.push({ path: u.pathname, token: req.headers()['accesstoken'] ?? null, leaked });
      }
    });
    await page.goto(`http://127.0.0.1:${secured.port}/nacos/`);
    const form = page.getByTestId('login-form');
    await form.waitFor();
    await screenshot(page, 'login');

    await form.locator('input[name=username]').fill('nacos');
    await form.locator('input[name=password]').fill('wrong');
    await form.getByRole('button', { name: 'Sign in' }).click();
    await waitForText('login error', form.getByRole('alert'), /User not found/);

    calls.length = 0;
    await form.locator('input[name=password]').fill(ADMIN_PW);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-testid=service-row][data-service="behind-login"]').waitFor();
    assert.ok(calls.length > 0);
    assert.deepEqual(calls.filter((c) => !c.token), [], 'every call after login carries the token header');
    assert.deepEqual(calls.filter((c) => c.leaked), [], 'no call carries the token in its URL or body');
    assert.deepEqual(urls.filter((u) => /accessToken|password|eyJ/.test(u)), [], 'no URL holds a token or a password');

    // A token the server rejects sends the user back to the login page.
    await page.evaluate('localStorage.setItem("nomen.session", JSON.stringify({ accessToken: "stale", username: "nacos", tokenTtl: 1, globalAdmin: true }))');
    await page.reload();
    await page.getByTestId('login-form').waitFor();

    // Logging out returns to the login page too.
    await page.getByTestId('login-form').locator('input[name=username]').fill('nacos');
    await page.getByTestId('login-form').locator('input[name=password]').fill(ADMIN_PW);
    await page.getByTestId('login-form').getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    await page.close();
  });

  it('without the auth endpoints the console opens directly (no login page)', async () => {
    const page: Page = await browser.page();
    await page.goto(`http://127.0.0.1:${server.port}/nacos/`);
    await page.getByTestId('services-table').waitFor();
    assert.equal(await page.getByTestId('login-form').count(), 0);
    assert.equal(await page.getByTestId('logout').count(), 0);
    await page.close();
  });
});
