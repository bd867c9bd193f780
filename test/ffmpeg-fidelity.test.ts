/**
 * Every ffmpeg promptprep may pick (FFMPEG_PATH, ffmpeg-static, PATH, the npm registry's
 * @ffmpeg-installer binary) must give correct prompts: the A-law bytes are our table's,
 * a tone comes out clean and at its level, a band-limited one too, and the same source
 * gives the same bytes every time. Each usable binary found here is run, and each test
 * names the binary it ran with. The registry's binary is ffmpeg 4.1, the system's 5.1.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAlaw } from '../src/alaw.js';
import { buildDecodePlan } from '../src/decode-plan.js';
import { ffmpegFeatures, runDecodePlan, searchFfmpeg, type FfmpegBinary } from '../src/ffmpeg.js';
import { runCli } from './helpers/cli.js';
import { codec, inParallel, makeSource, readPrompt, rmsDb, toneExpr, type SourceSpec } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

// Every source of ffmpeg that has a usable binary on this machine, in the order they are tried.
const search = await searchFfmpeg({ all: true });
const binaries: FfmpegBinary[] = search.candidates
  .filter((c) => (c.status === 'chosen' || c.status === 'not-needed') && c.path !== null)
  .map((c) => ({ path: c.path as string, source: c.source }));
const label = (b: FfmpegBinary): string => `${b.source} (${b.path})`;

const LEVEL_DB = -18;
const sources: { name: string; spec: SourceSpec }[] = [
  { name: 'pcm16-44k-stereo.wav', spec: { rate: 44100, channels: 2, codec: codec('s16') } },
  { name: 'flac-48k.flac', spec: { rate: 48000, codec: codec('flac') } },
  { name: 'float-16k.wav', spec: { rate: 16000, codec: codec('f32') } },
  { name: 'mp3-44k.mp3', spec: { rate: 44100, codec: codec('mp3') } },
];
/**
 * Lowest SNR accepted for a 440 Hz tone at -18 dBFS. A-law's own quantization allows
 * about 38 dB; both the 5.1 and the 4.1 binary give 37.4 (38.1 from the MP3).
 */
const MIN_SNR_DB = 35;

let dir: string;
const src = (name: string): string => path.join(dir, 'src', name);

beforeAll(async () => {
  dir = await makeTempDir('promptprep-ffmpeg-fidelity-');
  await fs.mkdir(path.join(dir, 'src'));
  await inParallel([
    ...sources.map((s) => () => makeSource(src(s.name), { seconds: 1.5, expr: toneExpr(440, LEVEL_DB), ...s.spec })),
    () => makeSource(src('tone-1k.wav'), { seconds: 1, expr: toneExpr(1000, -20), rate: 16000 }),
  ]);
});

afterAll(async () => {
  await removeTempDir(dir);
});

/**
 * Signal-to-noise ratio of a sine at `frequency`: the best-fitting sine (least squares,
 * with an offset) is the signal, whatever is left is noise.
 */
function sineSnrDb(samples: Int16Array, frequency: number, rate: number): number {
  // Leave out the resampler's start and end.
  const from = Math.round(rate * 0.05);
  const to = samples.length - from;
  let ss = 0, sc = 0, cc = 0, s1 = 0, c1 = 0, n = 0, ys = 0, yc = 0, y1 = 0;
  for (let i = from; i < to; i++) {
    const w = (2 * Math.PI * frequency * i) / rate;
    const s = Math.sin(w), c = Math.cos(w), y = samples[i] as number;
    ss += s * s; sc += s * c; cc += c * c; s1 += s; c1 += c; n++;
    ys += y * s; yc += y * c; y1 += y;
  }
  // Solve the 3x3 normal equations [ss sc s1; sc cc c1; s1 c1 n] [a b d] = [ys yc y1] (Cramer).
  const det = (m: number[][]): number =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const A = [[ss, sc, s1], [sc, cc, c1], [s1, c1, n]];
  const rhs = [ys, yc, y1];
  const D = det(A);
  const solve = (k: number): number => det(A.map((row, r) => row.map((v, col) => (col === k ? rhs[r]! : v)))) / D;
  const [a, b, d] = [solve(0), solve(1), solve(2)];
  let signal = 0, noise = 0;
  for (let i = from; i < to; i++) {
    const w = (2 * Math.PI * frequency * i) / rate;
    const fit = a * Math.sin(w) + b * Math.cos(w);
    signal += fit * fit;
    noise += ((samples[i] as number) - fit - d) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

describe('the binaries tested here', () => {
  it('include the npm registry binary (@ffmpeg-installer/ffmpeg), the last fallback', () => {
    expect(binaries.map((b) => b.source)).toContain('@ffmpeg-installer/ffmpeg');
    expect(search.candidates.find((c) => c.source === '@ffmpeg-installer/ffmpeg')?.features?.soxr).toBe(true);
  });
});

describe.each(binaries.map((b, i) => [label(b), b, i] as const))('with ffmpeg from %s', (_name, binary, index) => {
  const env = { FFMPEG_PATH: binary.path, PROMPTPREP_CACHE_DIR: '' };
  const outDir = (what: string): string => path.join(dir, `binary-${index}-${what}`);

  it('A-law written by ffmpeg is byte for byte our table applied to its 16-bit decode', async () => {
    const { soxr } = await ffmpegFeatures(binary);
    const jobs = sources.flatMap((s, i) => [
      { source: src(s.name), rawPath: `${outDir('raw')}-${i}.alaw`, encoding: 'alaw' as const },
      { source: src(s.name), rawPath: `${outDir('raw')}-${i}.s16`, encoding: 's16le' as const },
    ]);
    const run = await runDecodePlan(binary, buildDecodePlan(jobs, { sampleRate: 8000, channels: 1, soxr, bandLimit: false }));
    expect(run).toMatchObject({ ok: true, errorText: '', failedInputs: [] });
    for (let i = 0; i < sources.length; i++) {
      const codes = run.data![2 * i]!;
      const raw = run.data![2 * i + 1]!;
      expect(codes.length, sources[i]!.name).toBeGreaterThan(10_000);
      expect(Buffer.from(encodeAlaw(new Int16Array(raw.buffer, raw.byteOffset, raw.length >> 1))).equals(codes), sources[i]!.name).toBe(true);
    }
  });

  it('convert: every prompt passes check, keeps the level (0.5 dB) and the tone clean (SNR), the same bytes twice', async () => {
    const names = sources.map((s) => src(s.name));
    const first = await runCli(['convert', ...names, '--out', outDir('a'), '--no-ledger', '--json'], { env });
    expect(first.code, first.stderr).toBe(0);
    const again = await runCli(['convert', ...names, '--out', outDir('b'), '--no-ledger', '--jobs', '1'], { env });
    expect(again.code, again.stderr).toBe(0);
    const check = await runCli(['check', outDir('a')]);
    expect(check.code, check.stdout).toBe(0);
    for (const s of sources) {
      const out = `${path.basename(s.name, path.extname(s.name))}.wav`;
      const prompt = await readPrompt(path.join(outDir('a'), out));
      expect(prompt.seconds).toBeCloseTo(1.5, 2);
      expect(Math.abs(rmsDb(prompt.samples, 800, 11_200) - LEVEL_DB), `${s.name} level`).toBeLessThan(0.5);
      expect(sineSnrDb(prompt.samples, 440, 8000), `${s.name} SNR`).toBeGreaterThan(MIN_SNR_DB);
      expect(prompt.bytes.equals(await fs.readFile(path.join(outDir('b'), out))), `${s.name} deterministic`).toBe(true);
    }
  });

  it('convert --band-limit --normalize: a 1 kHz tone passes the band (within 1 dB of -22 dBFS), the same bytes twice', async () => {
    const run = (what: string) => runCli(['convert', src('tone-1k.wav'), '--out', outDir(what), '--no-ledger', '--band-limit', '--normalize'], { env });
    expect((await run('band-a')).code).toBe(0);
    expect((await run('band-b')).code).toBe(0);
    const a = await readPrompt(path.join(outDir('band-a'), 'tone-1k.wav'));
    expect(Math.abs(a.stats.activeDb - -22)).toBeLessThan(1);
    expect(sineSnrDb(a.samples, 1000, 8000)).toBeGreaterThan(30);
    expect(a.bytes.equals(await fs.readFile(path.join(outDir('band-b'), 'tone-1k.wav')))).toBe(true);
  });
});
