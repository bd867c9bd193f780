/**
 * The browser harness itself: Debian's Chromium starts under playwright-core, loads a page
 * from a local server, runs its script, takes a click and writes a screenshot. The desk's
 * browser tests stand on this; when it fails, they all would, for this reason.
 */
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser, newPage, pageErrors, RESULTS_DIR, screenshot, VIEWPORT } from './helpers/browser.js';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>harness</title>
<script src="/app.js" defer></script></head>
<body><button id="go">count</button><p id="out">0</p><p id="lang"></p></body></html>`;
const SCRIPT = `let n = 0;
document.getElementById('lang').textContent = navigator.language;
document.getElementById('go').addEventListener('click', () => { document.getElementById('out').textContent = String(++n); });`;

let browser: Browser;
let server: http.Server;
let base: string;
const seen: { url: string; acceptLanguage: string | undefined }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', acceptLanguage: req.headers['accept-language'] });
    if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(SCRIPT);
    else if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "script-src 'self'" }).end(PAGE);
    else if (req.url === '/favicon.ico') res.writeHead(204).end();
    else res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await closeBrowser(browser);
  server?.close();
});

describe('browser harness', () => {
  it('loads a page with its script, takes clicks, and writes a screenshot under test-results/', async () => {
    const page = await newPage(browser, { locale: 'zh-CN' });
    const errors = pageErrors(page);
    await page.goto(`${base}/`);
    await page.click('#go');
    await page.click('#go');
    await expect.poll(() => page.textContent('#out')).toBe('2');
    expect(await page.textContent('#lang')).toBe('zh-CN');
    expect(seen.find((s) => s.url === '/')?.acceptLanguage).toMatch(/^zh-CN/);
    expect(page.viewportSize()).toEqual(VIEWPORT);

    const file = await screenshot(page, 'browser-harness');
    expect(file).toBe(path.join(RESULTS_DIR, 'browser-harness.png'));
    const png = await fs.readFile(file);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // IHDR width/height: the fixed viewport (the page is shorter than it).
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([VIEWPORT.width, VIEWPORT.height]);
    expect(errors).toEqual([]);
  });

  it('reports a script the Content-Security-Policy blocks', async () => {
    const page = await newPage(browser);
    const errors = pageErrors(page);
    await page.route(`${base}/inline`, (route) =>
      route.fulfill({ contentType: 'text/html', headers: { 'content-security-policy': "script-src 'self'" }, body: '<script>document.title = "ran"</script>' }),
    );
    await page.goto(`${base}/inline`);
    expect(await page.title()).toBe('');
    await expect.poll(() => errors.join('\n')).toMatch(/Content Security Policy/);
  });

  it('fails with the install command when Chromium is missing', async () => {
    await expect(launchBrowser({ executablePath: '/nonexistent/chromium' })).rejects.toThrow(/\/nonexistent\/chromium.*apt-get install -y chromium/);
  });
});
