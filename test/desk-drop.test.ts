/**
 * Dropping audio files on the desk's page: converted as `convert` would when there is no
 * watch inbox, into the inbox when there is one (watch takes them from there); the rows
 * arrive by themselves, rejections come with their reason, and an upload over the cap or
 * cut off mid-way leaves nothing behind.
 */
import { promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser, newPage, pageErrors, screenshot } from './helpers/browser.js';
import { startDesk, type RunningDesk } from './helpers/desk.js';
import { makeTone } from './helpers/ffmpeg.js';
import { ok, Project } from './helpers/ledger-project.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let browser: Browser;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await closeBrowser(browser);
  for (const c of cleanup.reverse()) await c();
});

async function project(prefix: string, config: Record<string, unknown> = {}): Promise<Project> {
  const dir = await makeTempDir(prefix);
  cleanup.push(() => removeTempDir(dir));
  return Project.create(dir, config);
}

async function serve(p: Project, args: string[] = []): Promise<RunningDesk> {
  const desk = await startDesk(p.dir, args);
  cleanup.push(() => desk.stop());
  return desk;
}

/** Drop files on the page the way a browser does: a drop event carrying them (the tests are type-checked without the DOM library). */
async function dropFiles(page: Page, files: { name: string; data: Buffer }[]): Promise<void> {
  const payload = JSON.stringify(files.map((f) => ({ name: f.name, b64: f.data.toString('base64') })));
  await page.evaluate(`(() => {
    const dt = new DataTransfer();
    for (const f of ${payload}) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    const target = document.querySelector('.desk');
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  })()`);
}

async function tone(dir: string, name: string, seconds: number, frequency: number): Promise<Buffer> {
  const file = path.join(dir, name);
  await makeTone(file, { seconds, frequency, codec: 'pcm_s16le', sampleRate: 16000 });
  return fs.readFile(file);
}

describe('desk: drop without a watch inbox', () => {
  it('converts dropped files as convert would; rows arrive, rejections with their reason', async () => {
    const p = await project('promptprep-desk-drop-', { prompts: { 'welcome.wav': { scene: 'callerHintTone' } } });
    const desk = await serve(p, ['--out', 'ready-prompts']);
    const page = await newPage(browser, { locale: 'en-US' });
    const errors = pageErrors(page);
    await page.goto(desk.url);
    await page.locator('[data-testid="live"].on').waitFor();
    const welcome = await tone(p.path('sources'), 'welcome.wav', 1.5, 440);
    await dropFiles(page, [
      { name: 'welcome.wav', data: welcome },
      { name: 'not audio.mp3', data: Buffer.from('this is not an mp3 file at all\n'.repeat(50)) },
    ]);
    await page.locator('tr[data-name="welcome.wav"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('tr[data-name="welcome.wav"]').getAttribute('data-state')).toBe('prepared');
    await expect.poll(() => page.locator('li.drop[data-name="welcome.wav"]').getAttribute('data-state')).toBe('converted');
    const refused = page.locator('li.drop[data-name="not audio.mp3"]');
    await expect.poll(() => refused.getAttribute('data-state'), { timeout: 30_000 }).toBe('failed');
    // The reason is convert's own finding for the same file.
    await fs.writeFile(p.path('sources', 'not audio.mp3'), 'this is not an mp3 file at all\n'.repeat(50));
    const cli = await p.run(['convert', 'sources/not audio.mp3', '--out', 'elsewhere', '--no-ledger']);
    const code = /error\s+(\S+):/.exec(cli.stdout)?.[1];
    expect(code, cli.stdout).toBeTruthy();
    expect(await refused.textContent()).toContain(`${code}:`);
    // The prompt is where convert puts it, recorded with its source, which the page can play.
    expect(await fs.readdir(p.path('ready-prompts'))).toContain('welcome.wav');
    const { json } = await p.status();
    expect(json.prompts.map((r) => r.name)).toEqual(['welcome.wav']);
    await page.locator('tr[data-name="welcome.wav"]').click();
    expect(await page.locator('[data-testid="ab-source"]').isEnabled()).toBe(true);
    await screenshot(page, 'desk-drop');
    expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });
});

describe('desk: drop into the watch inbox', () => {
  let p: Project;
  let desk: RunningDesk;

  beforeAll(async () => {
    p = await project('promptprep-desk-inbox-');
    await fs.mkdir(p.path('watch', 'inbox'), { recursive: true });
    desk = await serve(p);
  });

  it('puts dropped files into the inbox, and the row arrives when watch has converted them', async () => {
    const page = await newPage(browser, { locale: 'en-US' });
    await page.goto(desk.url);
    await page.locator('[data-testid="live"].on').waitFor();
    expect(await page.locator('[data-testid="dropzone"]').textContent()).toContain('watch/inbox/');
    const data = await tone(p.path('sources'), 'hold_music.wav', 1, 500);
    await dropFiles(page, [{ name: 'hold_music.wav', data }]);
    await expect.poll(() => page.locator('li.drop[data-name="hold_music.wav"]').getAttribute('data-state')).toBe('queued');
    expect((await fs.readFile(p.path('watch', 'inbox', 'hold_music.wav'))).equals(data)).toBe(true);
    expect(await fs.readdir(p.path('watch', 'inbox'))).toEqual(['hold_music.wav']);
    ok(await p.run(['watch', '--once', '--stable-ms', '200']));
    await page.locator('tr[data-name="hold_music.wav"]').waitFor({ timeout: 5000 });
    await expect.poll(() => page.locator('li.drop[data-name="hold_music.wav"]').getAttribute('data-state')).toBe('converted');
  });

  it('refuses a file over the cap and an unsafe name, and an upload cut off mid-way leaves nothing in the inbox', async () => {
    const small = await startDesk(p.dir, ['--max-upload-bytes', '1000']);
    cleanup.push(() => small.stop());
    const post = (base: string, name: string, body: Buffer) =>
      fetch(new URL('/api/drop', base), { method: 'POST', headers: { 'X-Promptprep-Desk': '1', 'Content-Type': 'application/octet-stream', 'X-File-Name': encodeURIComponent(name) }, body });
    let res = await post(small.url, 'big.wav', Buffer.alloc(5000, 1));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toContain('larger than the desk accepts (1000 bytes');
    res = await post(desk.url, '../escape.wav', Buffer.alloc(100, 1));
    expect(res.status).toBe(400);
    res = await post(desk.url, '.hidden.wav', Buffer.alloc(100, 1));
    expect(res.status).toBe(400);

    // Declares 100,000 bytes, sends 30,000, and hangs up.
    await new Promise<void>((resolve) => {
      const url = new URL('/api/drop', desk.url);
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'X-Promptprep-Desk': '1', 'Content-Type': 'application/octet-stream', 'X-File-Name': 'cut.wav', 'Content-Length': '100000' } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(30_000, 7), () => setTimeout(() => {
        req.destroy();
        resolve();
      }, 300));
    });
    await new Promise((r) => setTimeout(r, 500));
    const left = (await fs.readdir(p.path('watch', 'inbox'))).filter((n) => n !== 'hold_music.wav');
    expect(left).toEqual([]);
    expect(await fs.readdir(p.path('watch', 'inbox'))).not.toContain('cut.wav');
  });
});
