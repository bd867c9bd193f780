/**
 * A slow writer: sources written in chunks over about three seconds, with gaps shorter
 * than --stable-ms, must be converted from their complete content. An MP3 has no length
 * in a header, so a copy taken early would convert silently to a shorter prompt; only
 * the completeness check stands between it and a cut-off prompt.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../src/check.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { ev, killAllWatchers, runOnce, startWatch } from './helpers/watch-harness.js';
import { decodedSamples8k, filesUnder, makeMp3, pcmWav, promptSeconds, sha256, sha256Of, writeSlowly } from './helpers/watch-files.js';

let tmp: string;
beforeAll(async () => {
  tmp = await makeTempDir('promptprep-watch-slow-');
});
afterEach(async () => {
  await killAllWatchers();
});
afterAll(async () => {
  await removeTempDir(tmp);
});

describe('slow writer', () => {
  it('converts a WAV and an MP3 written in chunks every 300 ms from their complete content', async () => {
    const root = path.join(tmp, 'root');
    const inbox = path.join(root, 'inbox');
    const wav = pcmWav({ seconds: 4, seed: 1, frequency: 300 });
    const mp3Path = await makeMp3(path.join(tmp, 'slow.mp3'), 4, 700);
    const mp3 = await fs.readFile(mp3Path);
    const mp3Samples = await decodedSamples8k(mp3Path);

    const proc = startWatch([root, '--stable-ms', '1500']);
    await proc.waitFor(ev('watching'), 'watching');
    const t0 = Date.now();
    // 11 chunks, 300 ms apart: 3 s of writing, never a pause as long as --stable-ms.
    await Promise.all([
      writeSlowly(path.join(inbox, 'slowwav.wav'), wav, 11, 300),
      writeSlowly(path.join(inbox, 'callerHintTone', 'slowmp3.mp3'), mp3, 11, 300),
    ]);
    const writing = Date.now() - t0;
    expect(writing).toBeGreaterThanOrEqual(2900);

    const a = await proc.waitFor(ev('archived', 'slowwav.wav'), 'slowwav.wav archived', { timeoutMs: 20_000 });
    const b = await proc.waitFor(ev('archived', 'callerHintTone/slowmp3.mp3'), 'slowmp3.mp3 archived', { timeoutMs: 20_000 });
    expect(a.version).toBe(1);
    expect(b.version).toBe(1);
    const exit = await proc.stop();
    expect(exit.code, proc.tail()).toBe(0);

    // Taken once, from the complete file: no retries, no rejections, no second version.
    expect(proc.count(ev('rejected'))).toBe(0);
    expect(proc.count(ev('converted'))).toBe(2);
    expect(proc.count(ev('queued'))).toBe(2);

    const wavPrompt = await fs.readFile(path.join(root, 'ready', 'slowwav.wav'));
    expect(Math.abs(promptSeconds(wavPrompt) - 4)).toBeLessThanOrEqual(0.05);
    const mp3Prompt = await fs.readFile(path.join(root, 'ready', 'callerHintTone', 'slowmp3.wav'));
    expect(Math.abs(promptSeconds(mp3Prompt) - mp3Samples / 8000)).toBeLessThanOrEqual(0.05);

    // The archived sources are the complete files.
    expect(await sha256Of(path.join(root, 'archive', 'slowwav.v1.wav'))).toBe(sha256(wav));
    expect(await sha256Of(path.join(root, 'archive', 'callerHintTone', 'slowmp3.v1.mp3'))).toBe(sha256(mp3));
    const report = await checkFiles([path.join(root, 'ready')]);
    expect(report.summary).toMatchObject({ total: 2, passed: 2 });
    expect(await filesUnder(inbox)).toEqual([]);
  });

  it('--once waits for a pre-existing file that is still being written', async () => {
    const root = path.join(tmp, 'root-once');
    const inbox = path.join(root, 'inbox');
    const mp3Path = await makeMp3(path.join(tmp, 'once.mp3'), 3, 550);
    const mp3 = await fs.readFile(mp3Path);
    const mp3Samples = await decodedSamples8k(mp3Path);
    await fs.mkdir(inbox, { recursive: true });
    // The writer starts before the watcher and goes on for about 2.4 s after.
    const writing = writeSlowly(path.join(inbox, 'growing.mp3'), mp3, 9, 300);
    await new Promise((r) => setTimeout(r, 100));
    const [{ exit, proc }] = await Promise.all([runOnce([root, '--stable-ms', '1200']), writing]);
    expect(exit.code, proc.tail()).toBe(0);
    const prompt = await fs.readFile(path.join(root, 'ready', 'growing.wav'));
    expect(Math.abs(promptSeconds(prompt) - mp3Samples / 8000)).toBeLessThanOrEqual(0.05);
    expect(await sha256Of(path.join(root, 'archive', 'growing.v1.mp3'))).toBe(sha256(mp3));
  });
});
