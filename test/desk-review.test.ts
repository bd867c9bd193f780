/**
 * The review desk in a real browser, against a desk serving a seeded project: the prompt
 * list (rows, counts, filters, search), one prompt (history, audio, A/B, waveform), the
 * review actions with the CLI's rules and messages, and live updates from a shell.
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
let page: Page;
let errors: string[];

/** What the tests read of the page's <audio> (the tests are type-checked without the DOM library). */
interface AudioEl {
  readyState: number;
  duration: number;
  currentTime: number;
  currentSrc: string;
  addEventListener(type: string, listener: (...args: unknown[]) => void, options?: { once: boolean }): void;
}

const row = (name: string) => page.locator(`tr[data-name="${name}"]`);

beforeAll(async () => {
  dir = await makeTempDir('promptprep-desk-');
  p = await Project.create(dir, {
    prompts: {
      'wait_voice1.wav': { scene: 'callerHintTone', description: 'Welcome, please hold' },
      'record_notice.wav': { scene: 'recordHintTone', description: 'This call is recorded' },
      'last_minute.wav': { scene: 'lastMinVoice' },
    },
  });
  await p.source('wait_voice1.wav', { seconds: 2.5, frequency: 440 });
  await p.source('record_notice.wav', { seconds: 1.5, frequency: 550 });
  await p.source('last_minute.wav', { seconds: 1, frequency: 660 });
  await p.source('spare.wav', { seconds: 1.2, frequency: 770 });
  ok(await p.convert());
  ok(await p.run(['upload', 'wait_voice1.wav', 'record_notice.wav', 'last_minute.wav']));
  ok(await p.run(['review', 'wait_voice1.wav', 'submitted']));
  ok(await p.run(['review', 'record_notice.wav', 'submitted']));
  ok(await p.run(['review', 'record_notice.wav', 'approved']));
  desk = await startDesk(dir);
  browser = await launchBrowser();
  page = await newPage(browser, { locale: 'en-US' });
  errors = pageErrors(page);
  await page.goto(desk.url);
  await page.locator('[data-testid="live"].on').waitFor();
});

afterAll(async () => {
  await closeBrowser(browser);
  const code = await desk?.stop();
  expect(code).toBe(0);
  await removeTempDir(dir);
});

describe('desk: the prompt list', () => {
  it('shows one row per prompt with its state, and the counts per state', async () => {
    await expect.poll(() => page.locator('tr[data-name]').count()).toBe(4);
    expect(await row('wait_voice1.wav').getAttribute('data-state')).toBe('in-review');
    expect(await row('record_notice.wav').getAttribute('data-state')).toBe('approved');
    expect(await row('last_minute.wav').getAttribute('data-state')).toBe('awaiting-upload');
    expect(await row('spare.wav').getAttribute('data-state')).toBe('prepared');
    expect(await row('wait_voice1.wav').textContent()).toContain('Welcome, please hold');
    expect(await row('record_notice.wav').locator('td.inuse').textContent()).toBe('record_notice.wav');
    const count = (s: string) => page.locator(`.counts [data-state="${s}"] b`).textContent();
    expect(await count('total')).toBe('4');
    expect(await count('in-review')).toBe('1');
    expect(await count('approved')).toBe('1');
    expect(await count('awaiting-upload')).toBe('1');
    expect(await count('prepared')).toBe('1');
    await screenshot(page, 'desk-prompts');
  });

  it('filters by state and scene, and searches names and descriptions', async () => {
    await page.selectOption('[data-testid="state-filter"]', 'approved');
    await expect.poll(() => page.locator('tr[data-name]').count()).toBe(1);
    expect(await page.locator('tr[data-name]').getAttribute('data-name')).toBe('record_notice.wav');
    await page.selectOption('[data-testid="state-filter"]', '');
    await page.selectOption('[data-testid="scene-filter"]', 'lastMinVoice');
    await expect.poll(() => page.locator('tr[data-name]').getAttribute('data-name')).toBe('last_minute.wav');
    expect(await page.locator('tr[data-name]').count()).toBe(1);
    await page.selectOption('[data-testid="scene-filter"]', '');
    await page.fill('[data-testid="search"]', 'please hold');
    await expect.poll(() => page.locator('tr[data-name]').count()).toBe(1);
    expect(await page.locator('tr[data-name]').getAttribute('data-name')).toBe('wait_voice1.wav');
    await screenshot(page, 'desk-search');
    await page.fill('[data-testid="search"]', '');
    await expect.poll(() => page.locator('tr[data-name]').count()).toBe(4);
  });
});

describe('desk: one prompt', () => {
  it('opens with its history, levels and check findings', async () => {
    await row('wait_voice1.wav').click();
    const detail = page.locator('[data-testid="detail"]');
    await detail.waitFor();
    expect(await detail.locator('h2').textContent()).toBe('wait_voice1.wav');
    const history = detail.locator('[data-testid="history"] tbody tr');
    await expect.poll(() => history.count()).toBe(3);
    expect(await history.nth(2).textContent()).toContain('review command');
    await detail.locator('[data-testid="levels"]').waitFor();
    expect(await detail.locator('[data-testid="levels"]').textContent()).toContain('2.500 s');
    expect(await detail.locator('[data-testid="findings"]').textContent()).toContain('passes check');
  });

  it('plays the prompt as PCM: the browser reports its duration within 10 ms of the true one', async () => {
    const audio = page.locator('[data-testid="audio"]');
    const duration = await audio.evaluate(
      (el: AudioEl) =>
        new Promise<number>((resolve) => (el.readyState >= 1 ? resolve(el.duration) : el.addEventListener('loadedmetadata', () => resolve(el.duration), { once: true }))),
    );
    expect(Math.abs(duration - 2.5)).toBeLessThan(0.01);
    await page.locator('[data-testid="waveform"] ').waitFor();
    await expect.poll(() => page.locator('[data-testid="waveform"]').evaluate((el) => el.children.length)).toBeGreaterThan(0);
    await screenshot(page, 'desk-prompt-detail');
  });

  it('switches between prompt and source at the same position', async () => {
    const audio = page.locator('[data-testid="audio"]');
    await audio.evaluate(async (el: AudioEl) => {
      el.currentTime = 1.25;
      await new Promise((r) => el.addEventListener('seeked', r, { once: true }));
    });
    await page.click('[data-testid="ab-source"]');
    await expect.poll(() => audio.getAttribute('data-which')).toBe('source');
    await expect
      .poll(() => audio.evaluate((el: AudioEl) => ({ src: new URL(el.currentSrc).pathname, t: Math.round(el.currentTime * 100) / 100 })))
      .toEqual({ src: expect.stringMatching(/^\/api\/versions\/\d+\/source$/), t: 1.25 });
    await page.click('[data-testid="ab-prompt"]');
    await expect
      .poll(() => audio.evaluate((el: AudioEl) => ({ src: new URL(el.currentSrc).pathname, t: Math.round(el.currentTime * 100) / 100 })))
      .toEqual({ src: expect.stringMatching(/^\/api\/versions\/\d+\/audio$/), t: 1.25 });
  });
});

describe('desk: review actions', () => {
  it('approves with the button, and the row changes', async () => {
    await page.click('[data-action="approved"]');
    await expect.poll(() => page.locator('[data-testid="outcome"]').textContent()).toBe('wait_voice1.wav version 1 (wait_voice1.wav) is now approved on huawei-console.');
    await expect.poll(() => row('wait_voice1.wav').getAttribute('data-state')).toBe('approved');
    await screenshot(page, 'desk-approved');
    const { json } = await p.status();
    expect(json.prompts.find((r) => r.name === 'wait_voice1.wav')?.state).toBe('approved');
  });

  it('a refused action shows the CLI\'s message, and nothing changes', async () => {
    // The CLI's own refusal for the same request, on the same ledger.
    const cli = await p.run(['review', 'wait_voice1.wav', 'rejected', '--reason', 'x']);
    expect(cli.code).toBe(2);
    const cliMessage = cli.stderr.replace(/^promptprep: /, '').trim();
    const before = await fs.readFile(p.ledgerFile);
    await page.fill('[data-testid="reason-input"]', 'too quiet');
    await page.click('[data-action="rejected"]');
    await expect.poll(() => page.locator('[data-testid="outcome"].refused').textContent()).toBe(cliMessage);
    expect(cliMessage).toContain('it cannot be recorded as rejected');
    expect(await row('wait_voice1.wav').getAttribute('data-state')).toBe('approved');
    const { json } = await p.status();
    expect(json.prompts.find((r) => r.name === 'wait_voice1.wav')).toMatchObject({ state: 'approved', reason: null });
    expect((await fs.readFile(p.ledgerFile)).equals(before)).toBe(true);
    await screenshot(page, 'desk-refused');
  });

  it('rejects with a reason, and the list shows it', async () => {
    ok(await p.run(['upload', 'spare.wav']));
    ok(await p.run(['review', 'spare.wav', 'submitted']));
    await row('spare.wav').click();
    await page.locator('[data-testid="detail"] h2', { hasText: 'spare.wav' }).waitFor();
    await page.fill('[data-testid="reason-input"]', '背景噪音过大');
    await page.click('[data-action="rejected"]');
    await expect.poll(() => row('spare.wav').getAttribute('data-state')).toBe('rejected');
    expect(await row('spare.wav').locator('[data-testid="reason"]').textContent()).toBe('背景噪音过大');
    const { json } = await p.status();
    expect(json.prompts.find((r) => r.name === 'spare.wav')).toMatchObject({ state: 'rejected', reason: '背景噪音过大' });
    await screenshot(page, 'desk-rejected');
  });

  it('shows a review recorded from a shell within 2 seconds, without a reload', async () => {
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    ok(await p.run(['review', 'last_minute.wav', 'submitted']));
    const recorded = Date.now();
    await row('last_minute.wav').locator('[data-testid="state"]', { hasText: 'In review' }).waitFor({ timeout: 5000 });
    expect(Date.now() - recorded).toBeLessThan(2000);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
  });

  it('had no script errors (the CSP let everything run)', () => {
    // The refused review's 409 is the one failed request the tests asked for.
    expect(errors.filter((e) => !e.includes('status of 409'))).toEqual([]);
  });
});
