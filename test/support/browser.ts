import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (installed by .ci/run); Playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where browser tests save the screenshots docs/ shows. */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

/** A headless Chromium (Playwright gives it a fresh temporary profile), closed by `close`. */
export interface TestBrowser {
  browser: Browser;
  /** A fresh context (cookies of its own); `phone` gives a 390-px-wide touch viewport. */
  newContext(options?: { phone?: boolean; headers?: Record<string, string> }): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium headless. The flags keep it off the network (this machine has
 * none, and Chromium's background fetches otherwise fail noisily) and let it run as root.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    newContext: (options = {}) =>
      browser.newContext({
        viewport: options.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
        ...(options.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
        extraHTTPHeaders: options.headers,
      }),
    async close() {
      await browser.close();
    },
  };
}

/** Saves a full-page screenshot as docs/screenshots/<name>.png (docs embed these files). */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Signs a browser context in with an API key through the /login form. */
export async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.fill('#key', key);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}

/** How many pixels wider than the viewport the page is (0 or less: no sideways scrolling). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}
