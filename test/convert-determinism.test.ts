/**
 * The same input and options always give the same bytes: run to run, directory to
 * directory, alone or in a batch of 40 mixed sources, with one ffmpeg job or two.
 * Includes the regression for soxr's random dither on integer input (16-bit FLAC and
 * WAV), fixed in decode-plan.ts by resampling in float.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFiles, type ConvertReport } from '../src/convert/index.js';
import { encodeAlaw } from '../src/alaw.js';
import { buildDecodePlan, filterChain } from '../src/decode-plan.js';
import { ffmpegFeatures, locateFfmpeg, runDecodePlan } from '../src/ffmpeg.js';
import { codec, inParallel, makeSource, toneExpr, speechExpr, type SourceSpec } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let src: string;

/** 40 short sources of many kinds, rates and channel counts. */
const KINDS: { ext: string; spec: SourceSpec }[] = [
  { ext: 'flac', spec: { codec: codec('flac'), rate: 44100, channels: 2 } }, // 16-bit stereo FLAC
  { ext: 'wav', spec: { codec: codec('s16'), rate: 44100 } }, // 16-bit WAV
  { ext: 'mp3', spec: { codec: codec('mp3'), rate: 44100 } },
  { ext: 'ogg', spec: { codec: codec('vorbis'), rate: 22050 } },
  { ext: 'opus', spec: { codec: codec('opus'), rate: 48000, format: 'ogg' } },
  { ext: 'm4a', spec: { codec: codec('aac'), rate: 32000, channels: 2 } },
  { ext: 'wav', spec: { codec: codec('s24'), rate: 48000, channels: 2 } },
  { ext: 'wav', spec: { codec: codec('f32'), rate: 16000 } },
  { ext: 'wav', spec: { codec: codec('mulaw'), rate: 8000 } },
  { ext: 'wav', spec: { codec: codec('alaw'), rate: 8000, bitexact: false } },
];
const SOURCES = Array.from({ length: 40 }, (_, i) => {
  const kind = KINDS[i % KINDS.length]!;
  const name = `s${String(i).padStart(2, '0')}-${kind.spec.codec![1]}.${kind.ext}`;
  const expr = i % 3 === 0 ? speechExpr(-20 - (i % 7)) : toneExpr(200 + 37 * i, -15 - (i % 11));
  return { name, spec: { seconds: 0.3 + (i % 4) * 0.1, expr, ...kind.spec } };
});

async function bytesOf(report: ConvertReport): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of report.files) {
    expect([path.basename(f.source), f.status, f.errors]).toEqual([path.basename(f.source), 'converted', []]);
    out.set(path.basename(f.source), await fs.readFile(f.output!));
  }
  return out;
}

function expectSameBytes(a: Map<string, Buffer>, b: Map<string, Buffer>, label: string): void {
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  const differing = [...a.keys()].filter((k) => !a.get(k)!.equals(b.get(k)!));
  expect(differing, label).toEqual([]);
}

beforeAll(async () => {
  dir = await makeTempDir('promptprep-convert-determinism-');
  src = path.join(dir, 'src');
  await fs.mkdir(src);
  await inParallel(SOURCES.map((s) => () => makeSource(path.join(src, s.name), s.spec)));
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('convert: determinism', () => {
  let jobs1: Map<string, Buffer>;
  let jobs2: Map<string, Buffer>;

  beforeAll(async () => {
    jobs1 = await bytesOf(await convertFiles([src], { outDir: path.join(dir, 'batch-j1'), jobs: 1 }));
    jobs2 = await bytesOf(await convertFiles([src], { outDir: path.join(dir, 'batch-j2'), jobs: 2 }));
  });

  it('a batch of 40 mixed sources gives the same bytes with --jobs 1 and --jobs 2', () => {
    expect(jobs1.size).toBe(40);
    expectSameBytes(jobs1, jobs2, 'jobs 1 vs jobs 2');
  });

  it('two runs into different directories give identical bytes', async () => {
    const again = await bytesOf(await convertFiles([src], { outDir: path.join(dir, 'batch-j2-again'), jobs: 2 }));
    expectSameBytes(jobs2, again, 'run 1 vs run 2');
  });

  it('a file converted alone gives the same bytes as in the batch (one of each kind, and the last)', async () => {
    const alone = new Map<string, Buffer>();
    const picked = [...SOURCES.slice(0, KINDS.length), SOURCES[SOURCES.length - 1]!];
    await inParallel(
      picked.map((s, i) => async () => {
        const report = await convertFiles([path.join(src, s.name)], { outDir: path.join(dir, 'alone', String(i)), jobs: 1 });
        for (const [k, v] of await bytesOf(report)) alone.set(k, v);
      }),
    );
    expectSameBytes(new Map(picked.map((s) => [s.name, jobs1.get(s.name)!])), alone, 'alone vs batch');
  });

  it('options are part of the bytes too: --normalize is deterministic across job counts', async () => {
    const subset = SOURCES.slice(0, 10).map((s) => path.join(src, s.name));
    const a = await bytesOf(await convertFiles(subset, { outDir: path.join(dir, 'norm-1'), jobs: 1, normalize: true, trimSilence: true, bandLimit: true }));
    const b = await bytesOf(await convertFiles(subset, { outDir: path.join(dir, 'norm-2'), jobs: 2, normalize: true, trimSilence: true, bandLimit: true }));
    expectSameBytes(a, b, 'conditioned jobs 1 vs jobs 2');
  });
});

describe('A-law straight from ffmpeg', () => {
  // A faithful conversion has ffmpeg write the A-law codes; conditioning decodes to 16 bits
  // and encodes in-process. The two must agree, or the bytes would depend on the options
  // in a way nobody asked for.
  it('is byte for byte encodeAlaw of the 16-bit decode, for every source kind', async () => {
    const binary = await locateFfmpeg();
    const { soxr } = await ffmpegFeatures(binary);
    const kinds = SOURCES.slice(0, KINDS.length);
    const jobs = kinds.flatMap((s, i) => [
      { source: path.join(src, s.name), rawPath: path.join(dir, `both-${i}.alaw`), encoding: 'alaw' as const },
      { source: path.join(src, s.name), rawPath: path.join(dir, `both-${i}.s16`), encoding: 's16le' as const },
    ]);
    const result = await runDecodePlan(binary, buildDecodePlan(jobs, { sampleRate: 8000, channels: 1, soxr, bandLimit: false }));
    expect(result).toMatchObject({ ok: true, errorText: '', failedInputs: [] });
    const differing: string[] = [];
    for (const [i, s] of kinds.entries()) {
      const codes = result.data![2 * i]!;
      const raw = result.data![2 * i + 1]!;
      expect(codes.length, s.name).toBeGreaterThan(1000);
      const encoded = encodeAlaw(new Int16Array(raw.buffer, raw.byteOffset, raw.length >> 1));
      if (!Buffer.from(encoded).equals(codes)) differing.push(s.name);
    }
    expect(differing).toEqual([]);
  });
});

describe('regression: soxr dither on integer input', () => {
  // soxr, given 16-bit samples, adds randomly seeded dither: the same 16-bit FLAC or WAV
  // decoded to different samples on every run. Resampling in float avoids it.
  const integerSources = SOURCES.slice(0, 2).map((s) => s.name); // 16-bit stereo FLAC, 16-bit WAV

  it('the filter chain resamples in float, with soxr and without', () => {
    for (const soxr of [true, false]) {
      const chain = filterChain({ sampleRate: 8000, channels: 1, soxr, bandLimit: false });
      expect(chain[0]).toContain('internal_sample_fmt=fltp');
      if (soxr) expect(chain[0]).toContain('resampler=soxr');
    }
  });

  it('decoding a 16-bit stereo FLAC and a 16-bit WAV twice gives identical samples', async () => {
    expect(integerSources[0]).toMatch(/\.flac$/);
    expect(integerSources[1]).toMatch(/pcm_s16le\.wav$/);
    const binary = await locateFfmpeg();
    const { soxr } = await ffmpegFeatures(binary);
    const raws: Buffer[][] = [];
    for (const run of [0, 1, 2]) {
      const jobs = integerSources.map((n, i) => ({ source: path.join(src, n), rawPath: path.join(dir, `raw-${run}-${i}.s16`) }));
      const result = await runDecodePlan(binary, buildDecodePlan(jobs, { sampleRate: 8000, channels: 1, soxr, bandLimit: false }));
      expect(result).toMatchObject({ ok: true, errorText: '', failedInputs: [] });
      raws.push(result.data!);
    }
    for (const i of [0, 1]) {
      expect(raws[0]![i]!.length).toBeGreaterThan(1000);
      expect(raws[1]![i]!.equals(raws[0]![i]!), integerSources[i]).toBe(true);
      expect(raws[2]![i]!.equals(raws[0]![i]!), integerSources[i]).toBe(true);
    }
  });

  it('converting them again and again gives identical prompts', async () => {
    const runs: Map<string, Buffer>[] = [];
    for (const run of [0, 1, 2]) {
      const report = await convertFiles(
        integerSources.map((n) => path.join(src, n)),
        { outDir: path.join(dir, `integer-${run}`), jobs: 1 },
      );
      runs.push(await bytesOf(report));
    }
    expectSameBytes(runs[0]!, runs[1]!, 'run 1 vs run 2');
    expectSameBytes(runs[0]!, runs[2]!, 'run 1 vs run 3');
  });
});
