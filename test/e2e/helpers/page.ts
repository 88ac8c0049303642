/** Small waiting helpers over playwright-core locators (playwright-core has no `expect`). */
import type { Locator, Page } from 'playwright-core';
import { waitFor } from '../../integration/helpers/server.js';

/** Waits until the locator's (first match's) text matches; returns the text. */
export async function waitForText(what: string, locator: Locator, expected: string | RegExp, timeoutMs = 10_000): Promise<string> {
  return waitFor(
    `${what} to read ${String(expected)}`,
    async () => {
      if ((await locator.count()) === 0) return undefined;
      const t = ((await locator.first().textContent({ timeout: 1000 })) ?? '').trim();
      const ok = typeof expected === 'string' ? t === expected : expected.test(t);
      return ok ? t : undefined;
    },
    timeoutMs,
    150,
  );
}

/** Waits until the locator matches exactly `n` elements. */
export async function waitForCount(what: string, locator: Locator, n: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(`${what}: ${n} element(s)`, async () => ((await locator.count()) === n ? true : undefined), timeoutMs, 150);
}

/** Waits until an element's attribute has the value. */
export async function waitForAttr(what: string, locator: Locator, attr: string, value: string, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    `${what}: ${attr}=${value}`,
    async () => ((await locator.count()) > 0 && (await locator.first().getAttribute(attr, { timeout: 1000 })) === value ? true : undefined),
    timeoutMs,
    150,
  );
}

/** Collects page errors, Content-Security-Policy refusals and failed API calls, for the assertion messages. */
export function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  page.on('response', (r) => {
    // The server-state probe is allowed to 404 (no auth on this build).
    if (r.status() >= 500 || (r.status() >= 400 && !r.url().includes('/v1/console/server/state'))) problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return problems;
}
