/**
 * The desk's safety rules end to end: loopback by default; beyond it, no start without
 * PROMPTPREP_DESK_TOKEN, no request without a session, no change from another site; audio
 * only by ledger id; a strict Content-Security-Policy on the page.
 */
import { promises as fs } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser, newPage, pageErrors, screenshot } from './helpers/browser.js';
import { deskPost, startDesk, type RunningDesk } from './helpers/desk.js';
import { ok, Project } from './helpers/ledger-project.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const TOKEN = 'desk-token-for-the-team-0123456789';
let dir: string;
let p: Project;
let browser: Browser;
const desks: RunningDesk[] = [];

beforeAll(async () => {
  dir = await makeTempDir('promptprep-desk-safety-');
  p = await Project.create(dir, { prompts: { 'a.wav': { scene: 'waitVoice' } } });
  await p.source('a.wav');
  ok(await p.convert());
  ok(await p.run(['upload']));
  ok(await p.run(['review', 'a.wav', 'submitted']));
  browser = await launchBrowser();
});

afterAll(async () => {
  await closeBrowser(browser);
  for (const d of desks) await d.stop();
  await removeTempDir(dir);
});

describe('desk: on loopback', () => {
  let desk: RunningDesk;
  beforeAll(async () => {
    desk = await startDesk(dir);
    desks.push(desk);
  });

  it('listens on 127.0.0.1 and sends a strict Content-Security-Policy', async () => {
    expect(desk.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(desk.url);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('refuses a cross-site POST, and one not sent by its own page, changing nothing', async () => {
    const before = await fs.readFile(p.ledgerFile);
    let res = await deskPost(desk.url, '/api/prompts/a.wav/review', { action: 'approved' }, { Origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    const plain = await fetch(new URL('/api/prompts/a.wav/review', desk.url), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"action":"approved"}' });
    expect(plain.status).toBe(403);
    expect((await fs.readFile(p.ledgerFile)).equals(before)).toBe(true);
    res = await deskPost(desk.url, '/api/prompts/a.wav/review', { action: 'approved' });
    expect(res.status).toBe(200);
    expect(res.body.lines).toEqual(['a.wav version 1 (a.wav) is now approved on huawei-console.']);
  });

  it('serves audio only by ledger id, never by a path', async () => {
    for (const bad of ['/api/versions/..%2F..%2Fetc%2Fpasswd/audio', '/api/versions/1%2F..%2F/source', '/api/versions/-1/audio', '/api/versions/999/audio', '/api/versions/999/source']) {
      const res = await fetch(new URL(bad, desk.url));
      expect([400, 404], bad).toContain(res.status);
      expect(await res.text()).not.toContain('root:');
    }
    const res = await fetch(new URL('/api/versions/1/audio', desk.url), { headers: { Range: 'bytes=0-43' } });
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 4).toString()).toBe('RIFF');
  });
});

describe('desk: beyond loopback', () => {
  it('refuses to start without PROMPTPREP_DESK_TOKEN, or with a short one', async () => {
    let res = await p.run(['desk', '--host', '0.0.0.0', '--port', '0']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('PROMPTPREP_DESK_TOKEN');
    res = await (await import('./helpers/cli.js')).runCli(['desk', '--host', '0.0.0.0', '--port', '0'], { cwd: dir, env: { PROMPTPREP_DESK_TOKEN: 'short' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('at least 16');
    expect(res.stderr).not.toContain('short');
  });

  it('asks for the token, then works with a session; requests without one and cross-site POSTs are refused', async () => {
    const desk = await startDesk(dir, ['--host', '0.0.0.0'], { PROMPTPREP_DESK_TOKEN: TOKEN });
    desks.push(desk);
    const base = desk.url.replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(new URL('/api/prompts', base))).status).toBe(401);
    expect((await deskPost(base, '/api/prompts/a.wav/review', { action: 'retired' })).status).toBe(401);

    const page = await newPage(browser, { locale: 'en-US' });
    const errors = pageErrors(page);
    await page.goto(base);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.fill('input[name="token"]', TOKEN);
    await Promise.all([page.waitForURL(base), page.click('button[type="submit"]')]);
    await page.locator('tr[data-name="a.wav"]').waitFor();
    expect(await page.locator('tr[data-name="a.wav"]').getAttribute('data-state')).toBe('approved');
    await screenshot(page, 'desk-signed-in');

    // The session's cookies, used from another site: refused, nothing changed.
    const cookies = await page.context().cookies();
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const csrf = cookies.find((c) => c.name === 'desk_csrf')?.value ?? '';
    const before = await fs.readFile(p.ledgerFile);
    let res = await deskPost(base, '/api/upload', {}, { Cookie: cookie, 'X-CSRF-Token': csrf, Origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    res = await deskPost(base, '/api/upload', {}, { Cookie: cookie });
    expect(res.status).toBe(403);
    expect((await fs.readFile(p.ledgerFile)).equals(before)).toBe(true);
    expect(desk.output()).not.toContain(TOKEN);
    expect(errors).toEqual([]);
  });
});
