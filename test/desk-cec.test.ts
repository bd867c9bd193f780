/**
 * Upload through CEC from the desk, against the local emulator of the documented API: the
 * same uploader and ledger steps as `promptprep upload --platform huawei-cec`, and the
 * same refusal when the credentials are missing.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../src/cec/emulator.js';
import { closeBrowser, launchBrowser, newPage, pageErrors, screenshot } from './helpers/browser.js';
import { APP_KEY, APP_SECRET, CEC_ENV, freePort } from './helpers/cec-harness.js';
import { deskPost, startDesk, type RunningDesk } from './helpers/desk.js';
import { ok, Project } from './helpers/ledger-project.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let p: Project;
let emulator: EmulatorHandle;
let browser: Browser;
const desks: RunningDesk[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ host: '127.0.0.1', port: 0, appKey: APP_KEY, appSecret: APP_SECRET, reviewDelayMs: 60_000 });
  dir = await makeTempDir('promptprep-desk-cec-');
  p = await Project.create(dir, {
    upload: { platform: 'huawei-cec' },
    cec: { baseUrl: emulator.url, callback: { port: await freePort() } },
    prompts: { 'welcome.wav': { scene: 'callerHintTone' } },
  });
  await p.source('welcome.wav');
  ok(await p.convert());
  browser = await launchBrowser();
});

afterAll(async () => {
  await closeBrowser(browser);
  for (const d of desks) await d.stop();
  await emulator?.close();
  await removeTempDir(dir);
});

describe('desk: CEC upload', () => {
  it('without credentials, refuses with the message `upload` gives, and uploads nothing', async () => {
    const noCreds = { PROMPTPREP_CEC_APP_KEY: undefined, PROMPTPREP_CEC_APP_SECRET: undefined, PROMPTPREP_CEC_CALLBACK_SECRET: undefined };
    const desk = await startDesk(dir, [], noCreds);
    desks.push(desk);
    const res = await deskPost(desk.url, '/api/upload', {});
    const cli = await (await import('./helpers/cli.js')).runCli(['upload'], { cwd: dir, env: noCreds });
    expect(cli.code).toBe(2);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(cli.stderr.replace(/^promptprep: /, '').trim());
    expect(emulator.files.size).toBe(0);
  });

  it('uploads with the button; the row goes in review with its fileId', async () => {
    const desk = await startDesk(dir, [], CEC_ENV);
    desks.push(desk);
    const page = await newPage(browser, { locale: 'en-US' });
    const errors = pageErrors(page);
    await page.goto(desk.url);
    await page.locator('tr[data-name="welcome.wav"]').waitFor();
    expect(await page.locator('tr[data-name="welcome.wav"]').getAttribute('data-state')).toBe('prepared');
    await page.click('[data-tab="outbox"]');
    await page.click('[data-testid="stage"]');
    await expect.poll(() => page.locator('[data-testid="checklist"]').textContent()).toMatch(/^uploaded welcome\.wav v1 \(fileId \d+\); in review$/);
    const fileId = [...emulator.files.keys()][0];
    expect(fileId).toBeTruthy();
    await page.click('[data-tab="prompts"]');
    await expect.poll(() => page.locator('tr[data-name="welcome.wav"]').getAttribute('data-state')).toBe('in-review');
    await page.locator('tr[data-name="welcome.wav"]').click();
    await expect.poll(() => page.locator('[data-testid="file-id"]').textContent()).toContain(fileId as string);
    await screenshot(page, 'desk-cec');
    const { json } = await p.status();
    expect(json.prompts[0]).toMatchObject({ name: 'welcome.wav', state: 'in-review' });
    expect(desk.output()).not.toContain(APP_SECRET);
    expect(errors).toEqual([]);
  });
});
