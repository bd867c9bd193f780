/**
 * The opt-in conditioning of `convert`, measured on what it wrote: the output's A-law is
 * decoded (src/alaw.ts) and measured (src/audio-analysis.ts). Without a flag, the
 * conversion is faithful: no gain change.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFiles, type ConvertOptions } from '../src/convert/index.js';
import { codec, inParallel, makeSource, readPrompt, rmsDb, speechExpr, toneExpr, type Prompt } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
const src = (name: string): string => path.join(dir, 'src', name);
let runs = 0;

/** Convert one source with `options` into a fresh directory; return the measured output. */
async function convertOne(name: string, options: Omit<ConvertOptions, 'outDir'> = {}): Promise<Prompt> {
  const outDir = path.join(dir, `out-${runs++}`);
  const report = await convertFiles([src(name)], { outDir, ...options });
  const r = report.files[0]!;
  expect(r.errors).toEqual([]);
  expect(r.status).toBe('converted');
  return readPrompt(r.output!);
}

/** RMS of the steady middle of a 1 s tone (filters' start-up transient excluded). */
const steadyDb = (p: Prompt): number => rmsDb(p.samples, 2000, 6000);

beforeAll(async () => {
  dir = await makeTempDir('promptprep-convert-conditioning-');
  await fs.mkdir(path.join(dir, 'src'));
  await inParallel([
    // Short (under 3 s) speech-like prompts, too quiet and too loud.
    () => makeSource(src('quiet.wav'), { seconds: 1.8, expr: speechExpr(-45), rate: 16000 }),
    () => makeSource(src('loud.mp3'), { seconds: 1.8, expr: speechExpr(-8), rate: 44100, codec: codec('mp3') }),
    // A tone with 2 s of silence before and after.
    () => makeSource(src('padded.flac'), { seconds: 1, expr: toneExpr(440, -18), leadSeconds: 2, tailSeconds: 2, codec: codec('flac') }),
    // Too long for 12,000 bytes (1.49 s) as it is, short enough once its silence is trimmed.
    () => makeSource(src('short-in-silence.wav'), { seconds: 0.5, expr: toneExpr(440, -18), tailSeconds: 2.5 }),
    () => makeSource(src('long-in-silence.wav'), { seconds: 2, expr: toneExpr(440, -18), tailSeconds: 1 }),
    () => makeSource(src('hum-100.wav'), { seconds: 1, expr: toneExpr(100, -20), rate: 16000 }),
    () => makeSource(src('tone-1k.wav'), { seconds: 1, expr: toneExpr(1000, -20), rate: 16000 }),
    () => makeSource(src('tone-1k-30.wav'), { seconds: 1, expr: toneExpr(1000, -30), rate: 44100, channels: 2 }),
  ]);
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('convert --normalize', () => {
  it.each([
    ['quiet.wav', -45],
    ['loud.mp3', -8],
  ])('%s (about %d dBFS speech) ends within 1 dB of -22 dBFS active level, peaks <= -1 dBFS', async (name, level) => {
    const plain = await convertOne(name);
    // The test signal is what it claims to be (and, without --normalize, keeps its level).
    expect(Math.abs(plain.stats.activeDb - level), `source level ${plain.stats.activeDb}`).toBeLessThan(1.5);
    expect(plain.seconds).toBeLessThan(3);

    const norm = await convertOne(name, { normalize: true });
    expect(Math.abs(norm.stats.activeDb + 22), `active ${norm.stats.activeDb} dBFS`).toBeLessThanOrEqual(1);
    expect(norm.stats.peakDb, `peak ${norm.stats.peakDb} dBFS`).toBeLessThanOrEqual(-1);
    expect(Math.abs(norm.seconds - plain.seconds)).toBeLessThan(0.001);
  });
});

describe('convert --trim-silence', () => {
  it('leaves margins under 0.5 s around the tone and keeps the tone', async () => {
    const plain = await convertOne('padded.flac');
    expect(plain.stats.leadingSilenceSeconds).toBeGreaterThan(1.9);
    expect(plain.stats.trailingSilenceSeconds).toBeGreaterThan(1.9);

    const trimmed = await convertOne('padded.flac', { trimSilence: true });
    expect(trimmed.stats.leadingSilenceSeconds).toBeLessThan(0.5);
    expect(trimmed.stats.trailingSilenceSeconds).toBeLessThan(0.5);
    expect(trimmed.seconds).toBeGreaterThanOrEqual(1);
    expect(trimmed.seconds).toBeLessThan(2);
    expect(Math.abs(trimmed.stats.activeDb + 18)).toBeLessThan(1);
    // The whole second of tone is still there.
    expect(trimmed.stats.activeRatio * trimmed.seconds).toBeGreaterThan(0.95);
  });
});

describe('convert --trim-silence on a source over the size limit', () => {
  const maxBytes = 12_000;

  it.each(['fail', 'trim'] as const)('fits once trimmed: converted, nothing cut (--on-oversize %s)', async (onOversize) => {
    const outDir = path.join(dir, `fits-${onOversize}`);
    const report = await convertFiles([src('short-in-silence.wav')], { outDir, maxBytes, onOversize, trimSilence: true });
    const r = report.files[0]!;
    expect(r.errors).toEqual([]);
    expect(r.status).toBe('converted');
    expect(r.warnings.map((w) => w.code)).not.toContain('cut-to-fit');
    expect(r.stats?.cutToFit).toBe(false);
    const prompt = await readPrompt(r.output!);
    expect(prompt.seconds).toBeGreaterThanOrEqual(0.5);
    expect(prompt.seconds).toBeLessThan(1);
  });

  it('still too long once trimmed: too-long, or cut to fit with --on-oversize trim', async () => {
    const failed = await convertFiles([src('long-in-silence.wav')], { outDir: path.join(dir, 'long-fail'), maxBytes, trimSilence: true });
    expect(failed.files[0]!.status).toBe('failed');
    expect(failed.files[0]!.errors.map((e) => e.code)).toEqual(['too-long']);
    const cut = await convertFiles([src('long-in-silence.wav')], { outDir: path.join(dir, 'long-cut'), maxBytes, trimSilence: true, onOversize: 'trim' });
    expect(cut.files[0]!.status).toBe('converted');
    expect(cut.files[0]!.warnings.map((w) => w.code)).toContain('cut-to-fit');
    expect(cut.files[0]!.stats?.cutToFit).toBe(true);
    expect((await readPrompt(cut.files[0]!.output!)).bytes.length).toBeLessThanOrEqual(maxBytes);
  });
});

describe('convert --band-limit', () => {
  it('attenuates a 100 Hz tone by more than 10 dB', async () => {
    const plain = await convertOne('hum-100.wav');
    const limited = await convertOne('hum-100.wav', { bandLimit: true });
    expect(Math.abs(steadyDb(plain) + 20)).toBeLessThan(0.5);
    expect(steadyDb(limited), `100 Hz: ${steadyDb(limited)} dBFS`).toBeLessThan(steadyDb(plain) - 10);
  });

  it('leaves a 1 kHz tone nearly unchanged (< 1 dB)', async () => {
    const plain = await convertOne('tone-1k.wav');
    const limited = await convertOne('tone-1k.wav', { bandLimit: true });
    expect(Math.abs(steadyDb(limited) - steadyDb(plain)), `1 kHz: ${steadyDb(limited)} vs ${steadyDb(plain)}`).toBeLessThan(1);
    expect(Math.abs(steadyDb(limited) + 20)).toBeLessThan(1);
  });
});

describe('convert without conditioning flags', () => {
  it('changes no gain: a -30 dBFS 1 kHz source converts to -30 dBFS (within 0.5 dB)', async () => {
    const out = await convertOne('tone-1k-30.wav');
    expect(Math.abs(out.stats.rmsDb + 30), `${out.stats.rmsDb} dBFS`).toBeLessThanOrEqual(0.5);
    expect(Math.abs(steadyDb(out) + 30)).toBeLessThanOrEqual(0.5);
  });
});
