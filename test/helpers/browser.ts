/**
 * A real browser for end-to-end tests: playwright-core driving Debian's `chromium`
 * package. Playwright's own browser downloads are not reachable from CI (only the npm
 * registry and Debian's apt are), so the harness uses the system binary and never
 * downloads anything; `.ci/run` installs the package where it is missing.
 *
 *   const browser = await launchBrowser();          // beforeAll
 *   const page = await newPage(browser);            // a fresh context: no cookies shared
 *   await page.goto(url); ...; await screenshot(page, 'desk-prompts');
 *   await closeBrowser(browser);                    // afterAll
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { REPO_ROOT } from './cli.js';

/** Debian's chromium; PROMPTPREP_CHROMIUM names another Chromium binary (other systems). */
export const CHROMIUM_PATH = process.env.PROMPTPREP_CHROMIUM || '/usr/bin/chromium';

/** Every page gets the same size, so screenshots are comparable from run to run. */
export const VIEWPORT = { width: 1280, height: 800 } as const;

/** Where screenshots go: ignored by git and by the checkout-unchanged check. */
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results');

/**
 * Headless, and quiet on the network: no update checks, sync, field trials or QUIC probes
 * that could reach for the internet (there is none in CI) or add noise to timings.
 * --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start. --disable-gpu:
 * there is no GPU. Playwright adds most of these itself; they are listed so the harness
 * does not depend on its defaults. Each launch runs on a fresh temporary profile
 * (Playwright passes its own new --user-data-dir and removes it on close).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const CHROMIUM_MISSING_HINT = 'install it with `apt-get install -y chromium` (Debian/Ubuntu), or set PROMPTPREP_CHROMIUM to a Chromium binary';

export async function launchBrowser(o: { executablePath?: string } = {}): Promise<Browser> {
  const executablePath = o.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    throw new Error(`The browser tests need Chromium at ${executablePath}, and it is not there: ${CHROMIUM_MISSING_HINT}.`);
  }
  try {
    return await chromium.launch({ executablePath, headless: true, chromiumSandbox: false, args: [...CHROMIUM_ARGS], timeout: 30_000 });
  } catch (err) {
    throw new Error(`Chromium at ${executablePath} did not start (${(err as Error).message.split('\n')[0]}); if it is broken or too old, ${CHROMIUM_MISSING_HINT}.`, { cause: err });
  }
}

export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  await browser?.close();
}

export interface PageOptions extends Pick<BrowserContextOptions, 'locale' | 'extraHTTPHeaders' | 'baseURL'> {
  /** Fail a step that waits longer than this (ms): well under the test timeout, so the message says which step. */
  timeoutMs?: number;
}

/**
 * A page in its own browser context (own cookies and storage), at the fixed viewport.
 * `locale` sets both navigator.language and Accept-Language. Closed with the browser.
 */
export async function newPage(browser: Browser, o: PageOptions = {}): Promise<Page> {
  const { timeoutMs = 15_000, ...contextOptions } = o;
  const context = await browser.newContext({ viewport: { ...VIEWPORT }, ...contextOptions });
  context.setDefaultTimeout(timeoutMs);
  return context.newPage();
}

/**
 * What went wrong in the page: uncaught exceptions and console errors (a script blocked by
 * the Content-Security-Policy shows here). Call right after newPage; read at the end.
 */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  return errors;
}

/** Write the page's screenshot to test-results/<name>.png and return its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`screenshot name "${name}": use lower-case letters, digits and "-"`);
  await fs.mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
