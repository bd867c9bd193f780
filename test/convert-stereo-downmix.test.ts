/**
 * Issue #13.8, stereo: ffmpeg's mono mix of a stereo source is the average of its
 * channels, so speech in one channel only comes out 6 dB down. convert keeps that mix
 * byte for byte (no boost into clipping) and says so with a downmix-level warning, in
 * text and JSON; a stereo source with the speech in both channels gets no warning.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAnalysisOptions } from '../src/audio-analysis.js';
import { buildDecodePlan } from '../src/decode-plan.js';
import { SIDE_SECONDS, stereoDownmixWarning } from '../src/downmix.js';
import { ffmpegFeatures, locateFfmpeg, runDecodePlan } from '../src/ffmpeg.js';
import { runCli } from './helpers/cli.js';
import { readPrompt, speechExpr } from './helpers/convert-audio.js';
import { parseConvertJson, parseConvertText } from './helpers/convert-cli.js';
import { runFfmpeg } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
const p = (...parts: string[]): string => path.join(dir, ...parts);

/** A 2 s stereo source from one aevalsrc expression per channel ('0' for a silent channel). */
async function stereo(out: string, left: string, right: string, codecArgs: string[] = ['-c:a', 'pcm_s16le'], seconds = 2): Promise<void> {
  await runFfmpeg(['-f', 'lavfi', '-i', `aevalsrc=exprs=${left}|${right}:s=44100:d=${seconds}:c=stereo`, ...codecArgs, out]);
}

beforeAll(async () => {
  dir = await makeTempDir('promptprep-stereo-');
  await fs.mkdir(p('src'));
  const speech = speechExpr(-20);
  await stereo(p('src', 'left-only.mp3'), speech, '0', ['-c:a', 'libmp3lame', '-b:a', '128k']);
  await stereo(p('src', 'right-only.wav'), '0', speech);
  await stereo(p('src', 'both.wav'), speech, speech);
  // Past SIDE_SECONDS: the side signal is measured over the first minute only.
  await fs.mkdir(p('long'));
  await stereo(p('long', 'left-long.wav'), speech, '0', ['-c:a', 'pcm_s16le', '-ar', '16000'], SIDE_SECONDS + 15);
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('the side signal of a long stereo source', () => {
  it(`is decoded for its first ${SIDE_SECONDS} s only, and a source with speech in one channel is still warned about`, async () => {
    const binary = await locateFfmpeg();
    const { soxr } = await ffmpegFeatures(binary);
    const plan = buildDecodePlan([{ source: p('long', 'left-long.wav'), rawPath: p('long', 'mix'), encoding: 'alaw', side: { path: p('long', 'side') } }], {
      sampleRate: 8000,
      channels: 1,
      soxr,
      bandLimit: false,
    });
    const run = await runDecodePlan(binary, plan);
    expect(run.ok, run.errorText).toBe(true);
    const [mix, side] = run.data as [Buffer, Buffer];
    expect(mix.length).toBe((SIDE_SECONDS + 15) * 8000);
    expect(Math.abs(side.length / 2 - SIDE_SECONDS * 8000)).toBeLessThan(100);
    const warning = stereoDownmixWarning(mix, new Int16Array(side.buffer, side.byteOffset, side.length / 2), 8000, defaultAnalysisOptions);
    expect(warning?.message).toMatch(/6\.0 dB quieter/);
  });
});

describe('convert: several stereo sources longer than the side signal, in one run', () => {
  it('converts each one whole, with its warning (they share an ffmpeg process, whose side-signal slot moves on before the mix does)', async () => {
    // 70 s and 130 s: within a group of prompts, and long sources sharing a process.
    await fs.mkdir(p('many-long'));
    const speech = speechExpr(-20);
    const seconds = [70, 75, 130, 135];
    await Promise.all(seconds.map((s, i) => stereo(p('many-long', `long-${i}.mp3`), speech, i % 2 === 0 ? '0' : speech, ['-c:a', 'libmp3lame', '-b:a', '64k', '-ar', '22050'], s)));
    const res = await runCli(['convert', 'many-long', '--out', 'out-many-long', '--json', '--no-ledger', '--max-bytes', '1500000'], { cwd: dir });
    const report = parseConvertJson(res.stdout);
    expect(res.code, res.stderr).toBe(0);
    for (const [i, s] of seconds.entries()) {
      const f = report.files.find((x) => path.basename(x.source) === `long-${i}.mp3`);
      expect(f?.status, JSON.stringify(f?.errors)).toBe('converted');
      expect(Math.abs(((f?.stats as { durationSeconds?: number } | undefined)?.durationSeconds ?? 0) - s), `long-${i}.mp3`).toBeLessThan(0.1);
      expect(f?.warnings.some((w) => w.code === 'downmix-level'), `long-${i}.mp3`).toBe(i % 2 === 0);
    }
  }, 120_000);
});

describe('convert: a stereo source whose speech is in one channel', () => {
  it('JSON: downmix-level on each one-channel source (6 dB quieter than the louder channel), none when both channels carry it', async () => {
    const res = await runCli(['convert', 'src', '--out', 'out-json', '--json', '--no-ledger'], { cwd: dir });
    expect(res.stderr).toBe('');
    const files = new Map(parseConvertJson(res.stdout).files.map((f) => [path.basename(f.source), f]));
    for (const name of ['left-only.mp3', 'right-only.wav']) {
      const f = files.get(name);
      expect(f?.status, name).toBe('converted');
      const w = f?.warnings.find((x) => x.code === 'downmix-level');
      expect(w?.message, `${name}: ${JSON.stringify(f?.warnings)}`).toMatch(/stereo source .* 6\.\d dB quieter than in its louder channel .*one channel only/);
    }
    expect(files.get('both.wav')?.warnings).toEqual([]);
    // The mix itself is ffmpeg's average, not boosted: the one-channel prompt is 6 dB under the two-channel one.
    const one = (await readPrompt(p('out-json', 'right-only.wav'))).stats.activeDb;
    const two = (await readPrompt(p('out-json', 'both.wav'))).stats.activeDb;
    expect(two - one).toBeGreaterThan(5.5);
    expect(two - one).toBeLessThan(6.5);
  });

  it('text: the warning is printed under the file, and a --normalize run (16-bit decode path) warns too', async () => {
    for (const extra of [[], ['--normalize']]) {
      const res = await runCli(['convert', 'src', '--out', `out-text${extra.length}`, '--no-ledger', ...extra], { cwd: dir });
      expect(res.code, res.stderr).toBe(0);
      const files = new Map(parseConvertText(res.stdout).files.map((f) => [path.basename(f.source), f]));
      expect(files.get('left-only.mp3')?.warnings, extra.join(' ')).toContain('downmix-level');
      expect(files.get('right-only.wav')?.warnings, extra.join(' ')).toContain('downmix-level');
      expect(files.get('both.wav')?.warnings ?? [], extra.join(' ')).not.toContain('downmix-level');
      expect(res.stdout).toMatch(/downmix-level: The stereo source .* 6\.\d dB quieter than in its louder channel/);
    }
  });
});
