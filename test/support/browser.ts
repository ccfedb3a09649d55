import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';

/*
 * What the browser suites share: Debian's Chromium (installed by .ci/run), the two widths they look at
 * the pages in, screenshots in test/artifacts/, and pages whose script errors fail the test they ran in.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test/artifacts');
export const DESKTOP = { width: 1400, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Conditions, not sleeps: the machine may be slow, so give them time. */
export const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });

export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

/** On the search page: waits until the page shows the answer to its current search. */
export async function results(page: Page): Promise<void> {
  await poll(async () => (await page.locator('#results').getAttribute('aria-busy')) === null && (await page.locator('#status').textContent()) !== '').toBe(true);
}

export class TestBrowser {
  #errors: string[] = [];

  private constructor(private readonly browser: Browser) {}

  static async launch(args: string[] = []): Promise<TestBrowser> {
    mkdirSync(ARTIFACTS, { recursive: true });
    return new TestBrowser(await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', ...args] }));
  }

  /** A page of its own context (1400 px, en-US, Berlin time, unless `options` say otherwise), not yet navigated. */
  async page(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await this.browser.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId: 'Europe/Berlin', ...options });
    const page = await context.newPage();
    page.on('pageerror', (error) => this.#errors.push(error.message));
    return page;
  }

  /** For `afterEach`: closes every page's context; a test ends with no script error on any of its pages. */
  async endTest(): Promise<void> {
    for (const context of this.browser.contexts()) await context.close();
    const errors = this.#errors;
    this.#errors = [];
    expect(errors).toEqual([]);
  }

  close(): Promise<void> {
    return this.browser.close();
  }
}
