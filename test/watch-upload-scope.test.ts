/**
 * `watch --upload` uploads what its own root prepared, nothing else in the ledger, and a
 * failed upload is logged once with its reason and tried again only after a growing wait.
 * The built CLI against the CEC emulator, each its own process.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UploadRetries } from '../src/cec/watch-uploads.js';
import { CEC_ENV, freePort, waitUntil } from './helpers/cec-harness.js';
import { killAllCli, startCli } from './helpers/cec-process.js';
import { runCli } from './helpers/cli.js';
import type { StatusJson } from './helpers/ledger-project.js';
import { show } from './helpers/ledger-project.js';
import { makeTone } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir('promptprep-watch-upload-');
});
afterEach(async () => {
  await killAllCli();
  await removeTempDir(dir);
});

const tone = (file: string, frequency: number) =>
  makeTone(file, { seconds: 1, frequency, codec: 'pcm_s16le', sampleRate: 16000 });

async function status(): Promise<StatusJson> {
  const res = await runCli(['status', '--json'], { cwd: dir, env: CEC_ENV });
  return JSON.parse(res.stdout) as StatusJson;
}

describe('watch --upload', () => {
  it('uploads only what its root prepared, and logs a failed upload once', async () => {
    const apiPort = await freePort();
    const cbPort = await freePort();
    await fs.writeFile(
      path.join(dir, 'promptprep.config.json'),
      JSON.stringify({ upload: { platform: 'huawei-cec' }, cec: { baseUrl: `http://127.0.0.1:${apiPort}`, callback: { port: cbPort } } }),
    );
    // A prompt from `convert`: in the ledger, prepared, not this root's.
    await fs.mkdir(path.join(dir, 'sources'));
    await tone(path.join(dir, 'sources', 'converted.wav'), 300);
    let res = await runCli(['convert', 'sources', '--out', 'prompts', '--no-progress'], { cwd: dir, env: CEC_ENV });
    expect(res.code, show(res)).toBe(0);
    // Two prompts this root prepared earlier (watch without --upload); one file then lost.
    await fs.mkdir(path.join(dir, 'watch', 'inbox'), { recursive: true });
    await tone(path.join(dir, 'watch', 'inbox', 'early.wav'), 400);
    await tone(path.join(dir, 'watch', 'inbox', 'lost.wav'), 500);
    res = await runCli(['watch', 'watch', '--once', '--stable-ms', '0'], { cwd: dir, env: CEC_ENV });
    expect(res.code, show(res)).toBe(0);
    await fs.rm(path.join(dir, 'watch', 'ready', 'lost.wav'));

    const emulator = startCli(['emulator', '--port', String(apiPort), '--review-delay', '100', '--callback-retry-delay', '50'], { cwd: dir, env: CEC_ENV });
    await emulator.waitFor(/listening/, 'the emulator to listen');
    const watch = startCli(['watch', 'watch', '--upload', '--stable-ms', '300', '--log-format', 'json'], { cwd: dir, env: CEC_ENV });
    await watch.waitFor(/receiving CEC review callbacks/, 'the receiver in watch');
    const stateOf = (st: StatusJson, n: string) => st.prompts.find((p) => p.name === n)?.state;
    await waitUntil(async () => stateOf(await status(), 'early.wav') === 'approved', `early.wav approved; watch log:\n${watch.stderr.slice(-2000)}`, 30_000, 250);
    // A new drop: another upload pass runs.
    await tone(path.join(dir, 'new.wav'), 600);
    await fs.rename(path.join(dir, 'new.wav'), path.join(dir, 'watch', 'inbox', 'new.wav'));
    const st = await waitUntil(
      async () => {
        const s = await status();
        return stateOf(s, 'new.wav') === 'approved' ? s : null;
      },
      `new.wav approved; watch log:\n${watch.stderr.slice(-2000)}`,
      30_000,
      250,
    );
    expect(await watch.stop()).toEqual({ code: 0, signal: null });
    expect(await emulator.stop()).toEqual({ code: 0, signal: null });

    // Not this root's: never uploaded by the watcher (an explicit `upload` would).
    expect(stateOf(st, 'converted.wav')).toBe('prepared');
    expect(watch.stderr).not.toContain('converted.wav');
    // The lost file: logged once, with the reason and when it is tried again; still prepared.
    expect(stateOf(st, 'lost.wav')).toBe('prepared');
    const failures = watch.jsonLines().filter((l) => l.event === 'upload-failed');
    expect(failures, watch.stderr).toHaveLength(1);
    expect(failures[0]).toMatchObject({ name: 'lost.wav', version: 1, retryInMs: 30_000 });
    expect(String(failures[0]!.msg)).toMatch(/lost\.wav v1 not uploaded: the prepared file .*lost\.wav is missing; convert the source again; trying again in 30 s/);
  });
});

describe('UploadRetries: the wait after each failure', () => {
  it('doubles up to the cap, logs only news, and lets a version through once due', () => {
    let now = 0;
    const r = new UploadRetries(1000, 5000, () => now);
    expect(r.due('a.wav', 1)).toBe(true);
    expect(r.failed('a.wav', 1, 'missing')).toEqual({ waitMs: 1000, news: true });
    expect(r.due('a.wav', 1)).toBe(false);
    now = 1000;
    expect(r.due('a.wav', 1)).toBe(true);
    expect(r.failed('a.wav', 1, 'missing')).toEqual({ waitMs: 2000, news: false });
    expect(r.failed('a.wav', 1, 'missing')).toEqual({ waitMs: 4000, news: false });
    expect(r.failed('a.wav', 1, 'platform said no')).toEqual({ waitMs: 5000, news: true });
    expect(r.nextDue()).toBe(6000);
    // Another version of the same prompt is its own case.
    expect(r.due('a.wav', 2)).toBe(true);
    expect(r.succeeded('a.wav', 1)).toBe(true);
    expect(r.due('a.wav', 1)).toBe(true);
    expect(r.nextDue()).toBeNull();
  });
});
