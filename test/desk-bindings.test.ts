/**
 * The desk's bindings and outbox views, and its Chinese page, in a real browser: the
 * same fragments and notes as `promptprep bindings`, a copy button that copies exactly
 * that JSON, the outbox staged as `promptprep upload` stages it, and the console's own
 * words for the states.
 */
import { promises as fs } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser, newPage, pageErrors, screenshot } from './helpers/browser.js';
import { startDesk, type RunningDesk } from './helpers/desk.js';
import { ok, Project } from './helpers/ledger-project.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let p: Project;
let desk: RunningDesk;
let browser: Browser;

beforeAll(async () => {
  dir = await makeTempDir('promptprep-desk-bindings-');
  p = await Project.create(dir, {
    prompts: {
      'wait_voice1.wav': { scene: 'callerHintTone', description: '欢迎致电' },
      'record_notice.wav': { scene: 'recordHintTone' },
      'callback.wav': { scene: 'callbackTone' },
      'new_notice.wav': { scene: 'calleeHintTone' },
    },
  });
  await p.source('wait_voice1.wav', { frequency: 440 });
  await p.source('record_notice.wav', { frequency: 550 });
  await p.source('callback.wav', { frequency: 660 });
  await p.source('new_notice.wav', { frequency: 880 });
  ok(await p.convert());
  ok(await p.run(['upload', 'wait_voice1.wav', 'record_notice.wav', 'callback.wav']));
  for (const n of ['wait_voice1.wav', 'record_notice.wav', 'callback.wav']) ok(await p.run(['review', n, 'submitted']));
  ok(await p.run(['review', 'wait_voice1.wav', 'approved']));
  ok(await p.run(['review', 'record_notice.wav', 'approved']));
  ok(await p.run(['review', 'callback.wav', 'rejected', '--reason', '音量过低']));
  desk = await startDesk(dir);
  browser = await launchBrowser();
});

afterAll(async () => {
  await closeBrowser(browser);
  expect(await desk?.stop()).toBe(0);
  await removeTempDir(dir);
});

async function open(locale: string): Promise<{ page: Page; errors: string[] }> {
  const page = await newPage(browser, { locale });
  const errors = pageErrors(page);
  await page.goto(desk.url);
  await page.locator('tr[data-name]').first().waitFor();
  return { page, errors };
}

describe('desk: bindings', () => {
  it('shows each mode\'s fragment and what is missing, as `promptprep bindings` prints them, and copies the JSON', async () => {
    const { page, errors } = await open('en-US');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.click('[data-tab="bindings"]');
    for (const mode of ['AX', 'AXB', 'AXYB', 'AXE', 'X']) {
      const cli = ok(await p.run(['bindings', '--mode', mode]));
      const section = page.locator(`section.mode[data-mode="${mode}"]`);
      expect(JSON.parse((await section.locator('pre').textContent()) as string)).toEqual(JSON.parse(cli.stdout));
      const notes = cli.stderr.trim().split('\n').filter((l) => l.includes(': '));
      for (const n of notes.filter((l) => !l.includes('has no scene'))) expect(await section.locator('.missing').textContent()).toContain(n);
    }
    const axb = ok(await p.run(['bindings', '--mode', 'AXB']));
    await page.click('[data-testid="copy-AXB"]');
    await expect.poll(() => page.locator('[data-testid="copy-AXB"]').textContent()).toBe('Copied');
    expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(axb.stdout.trim());
    expect(JSON.parse(axb.stdout)).toEqual({ preVoice: { callerHintTone: 'wait_voice1.wav' }, recordHintTone: 'record_notice.wav' });
    await screenshot(page, 'desk-bindings');
    expect(errors).toEqual([]);
  });
});

describe('desk: outbox', () => {
  it('stages the outbox as `promptprep upload` does and shows its checklist', async () => {
    const { page, errors } = await open('en-US');
    await page.click('[data-tab="outbox"]');
    await page.click('[data-testid="stage"]');
    const checklist = page.locator('[data-testid="checklist"]');
    await expect.poll(() => checklist.textContent()).toContain('Upload 1 file(s) in the Huawei Cloud console');
    expect(await checklist.textContent()).toContain('outbox/new_notice.wav');
    expect(await checklist.textContent()).toContain('promptprep review <file> submitted');
    expect((await fs.readdir(p.path('outbox'))).sort()).toEqual(['new_notice.wav']);
    const { json } = await p.status();
    expect(json.prompts.find((r) => r.name === 'new_notice.wav')?.state).toBe('awaiting-upload');
    // Staging again is what `upload` says when nothing is prepared.
    const cli = ok(await p.run(['upload']));
    await page.click('[data-testid="stage"]');
    await expect.poll(() => checklist.textContent()).toBe(cli.stdout);
    await page.click('[data-testid="stage"]');
    await screenshot(page, 'desk-outbox');
    expect(errors).toEqual([]);
  });
});

describe('desk: Chinese', () => {
  it('renders in Simplified Chinese from Accept-Language, with the console\'s terms, and switches to English', async () => {
    const { page, errors } = await open('zh-CN');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    const text = (await page.textContent('body')) as string;
    expect(text).toContain('审核通过');
    expect(text).toContain('未通过审核');
    expect(text).toContain('审核说明');
    expect(text).toContain('文件说明');
    expect(await page.locator('tr[data-name="callback.wav"] [data-testid="state"]').textContent()).toBe('未通过审核');
    expect(await page.locator('tr[data-name="callback.wav"] [data-testid="reason"]').textContent()).toBe('音量过低');
    expect(await page.locator('tr[data-name="wait_voice1.wav"] td.scene').textContent()).toBe('主叫通话前放音 (callerHintTone)');
    await page.locator('tr[data-name="callback.wav"]').click();
    await page.locator('[data-testid="detail"] [data-testid="levels"]').waitFor();
    await screenshot(page, 'desk-zh-cn');
    await page.click('[data-testid="lang"]');
    await expect.poll(() => page.locator('tr[data-name="callback.wav"] [data-testid="state"]').textContent()).toBe('Rejected');
    // The choice is kept: the next page load is in English despite Accept-Language.
    await page.reload();
    await expect.poll(() => page.getAttribute('html', 'lang')).toBe('en');
    expect(errors).toEqual([]);
  });
});
