/**
 * Browser harness for the console e2e tests: playwright-core driving Debian's Chromium
 * (`apt-get install -y chromium`, installed by .ci/run). No browser download: the executable is
 * /usr/bin/chromium unless NOMEN_E2E_CHROMIUM says otherwise. Screenshots go to test-artifacts/.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { artifactPath } from '../../integration/helpers/server.js';

export const CHROMIUM = process.env.NOMEN_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that keep Chromium off the (closed) network and quiet in a sandboxed CI (root, no GPU). */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

export class ConsoleBrowser {
  private constructor(
    private readonly browser: Browser,
    readonly context: BrowserContext,
  ) {}

  static async launch(): Promise<ConsoleBrowser> {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does) or set NOMEN_E2E_CHROMIUM`);
    }
    // playwright gives every launch a fresh temporary profile and removes it on close.
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 } });
    context.setDefaultTimeout(15_000);
    return new ConsoleBrowser(browser, context);
  }

  async page(): Promise<Page> {
    return this.context.newPage();
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}

/** Saves a full-page screenshot as test-artifacts/console-<name>.png and returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = artifactPath(`console-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
