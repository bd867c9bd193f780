/**
 * `convert` tells the truth about what it did and what it would do: the codec of a
 * source as it is, a dry run that fails what a real run fails, a 5.1 downmix that keeps
 * the dialogue level (and says so when it cannot), a large normalizing gain named, and
 * readable names for Chinese file names under --rename. Each runs the built CLI in a
 * temp folder on audio made by real ffmpeg.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { analyzeSamples } from '../src/audio-analysis.js';
import { codec, exists, makeSource, makeVideoOnly, readPrompt, speechExpr } from './helpers/convert-audio.js';
import { FFMPEG, runFfmpeg } from './helpers/ffmpeg.js';
import { parseConvertJson, type ConvertJsonFile } from './helpers/convert-cli.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
const p = (...parts: string[]): string => path.join(dir, ...parts);

beforeAll(async () => {
  dir = await makeTempDir('promptprep-convert-truth-');
});

afterAll(async () => {
  await removeTempDir(dir);
});

interface InputStats {
  input: { container: string; codec: string; sampleRate: number; channels: number } | null;
}

async function convertJson(args: string[]): Promise<ConvertJsonFile[]> {
  const res = await runCli(['convert', ...args, '--json', '--no-ledger'], { cwd: dir });
  expect(res.stderr).toBe('');
  return parseConvertJson(res.stdout).files;
}

describe('convert: the source codec is named as what it is', () => {
  it('a WAVE_FORMAT_EXTENSIBLE PCM source (24-bit) is "PCM", not "non-PCM (65534)"', async () => {
    await fs.mkdir(p('ext'));
    await makeSource(p('ext', 'studio24.wav'), { seconds: 0.5, rate: 48000, codec: codec('s24') });
    // ffmpeg writes 24-bit PCM as WAVE_FORMAT_EXTENSIBLE (tag 0xFFFE) with the PCM sub-format.
    const head = await fs.readFile(p('ext', 'studio24.wav'));
    expect(head.readUInt16LE(20)).toBe(0xfffe);
    const [file] = await convertJson(['ext', '--out', 'ext-out']);
    expect(file?.status).toBe('converted');
    const input = (file?.stats as InputStats).input;
    expect(input?.codec).toBe('PCM 24-bit (WAVE_FORMAT_EXTENSIBLE)');
    expect(input?.channels).toBe(1);
  });
});

describe('convert --normalize: a large gain is named', () => {
  it('a source ~35 dB under the target gets a normalize-large-gain warning; an ordinary one does not', async () => {
    await fs.mkdir(p('norm'));
    await makeSource(p('norm', 'whisper.flac'), { seconds: 1.5, expr: speechExpr(-57), codec: codec('flac') });
    await makeSource(p('norm', 'ordinary.flac'), { seconds: 1.5, expr: speechExpr(-30), codec: codec('flac') });
    const files = await convertJson(['norm', '--out', 'norm-out', '--normalize']);
    const byName = new Map(files.map((f) => [path.basename(f.source), f]));
    const whisper = byName.get('whisper.flac')!;
    expect(whisper.status).toBe('converted');
    const gain = (whisper.stats as { gainDb: number }).gainDb;
    expect(gain).toBeGreaterThan(30);
    const warning = whisper.warnings.find((w) => w.code === 'normalize-large-gain');
    expect(warning?.message).toContain(`${gain.toFixed(1)} dB`);
    expect(warning?.message).toMatch(/noise/);
    const ordinary = byName.get('ordinary.flac')!;
    expect((ordinary.stats as { gainDb: number }).gainDb).toBeGreaterThan(5);
    expect(ordinary.warnings.map((w) => w.code)).not.toContain('normalize-large-gain');
    // Text output shows it too.
    const res = await runCli(['convert', 'norm/whisper.flac', '--out', 'norm-text', '--normalize', '--no-ledger'], { cwd: dir });
    expect(res.stdout).toMatch(/warning\s+normalize-large-gain/);
  });
});

describe('convert --rename: Chinese names become pinyin', () => {
  it('欢迎语音.mp3 -> huanying_yuyin.wav; a name with nothing readable still gets a hash', async () => {
    await fs.mkdir(p('zh'));
    await makeSource(p('zh', '欢迎语音.mp3'), { seconds: 0.5, codec: codec('mp3'), rate: 22050 });
    await makeSource(p('zh', '请稍候Hold音乐v2.flac'), { seconds: 0.5, codec: codec('flac') });
    await makeSource(p('zh', '🎵.flac'), { seconds: 0.5, codec: codec('flac') });
    const files = await convertJson(['zh', '--out', 'zh-out', '--rename']);
    const outputs = Object.fromEntries(files.map((f) => [path.basename(f.source), f.output && path.basename(f.output)]));
    expect(outputs['欢迎语音.mp3']).toBe('huanying_yuyin.wav');
    expect(outputs['请稍候Hold音乐v2.flac']).toBe('qing_shaohou_Hold_yinyue_v2.wav');
    expect(outputs['🎵.flac']).toMatch(/^prompt-[0-9a-f]{8}\.wav$/);
    for (const f of files) expect(f.status).toBe('converted');
    expect((await fs.readdir(p('zh-out'))).filter((n) => !n.startsWith('.')).sort()).toEqual(
      ['huanying_yuyin.wav', 'qing_shaohou_Hold_yinyue_v2.wav', outputs['🎵.flac']].sort(),
    );
    // Without --rename the failure suggests the same name.
    const res = await runCli(['convert', 'zh/欢迎语音.mp3', '--out', 'zh-plain', '--no-ledger'], { cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('"huanying_yuyin.wav"');
  });
});

describe('convert --dry-run fails what a real run fails', () => {
  it('random bytes named .wav, text named .mp3 and a video with no audio fail in the dry run too', async () => {
    await fs.mkdir(p('dry'));
    await makeSource(p('dry', 'good.mp3'), { seconds: 0.5, codec: codec('mp3'), rate: 22050 });
    await makeSource(p('dry', 'alaw.wav'), { seconds: 0.5, codec: codec('alaw'), rate: 8000 });
    // Bytes that no decoder takes for audio (a fixed pattern, so the test is the same every run).
    const noise = Buffer.alloc(4096);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    await fs.writeFile(p('dry', 'noise.wav'), noise);
    await fs.writeFile(p('dry', 'notes.mp3'), 'call the studio on Monday\n');
    await makeVideoOnly(p('dry', 'silent-film.mp4'));
    const dry = await runCli(['convert', 'dry', '--out', 'dry-out', '--dry-run', '--json', '--no-ledger'], { cwd: dir });
    expect(await exists(p('dry-out'))).toBe(false);
    const real = await runCli(['convert', 'dry', '--out', 'real-out', '--json', '--no-ledger'], { cwd: dir });
    const summary = (stdout: string) =>
      Object.fromEntries(parseConvertJson(stdout).files.map((f) => [path.basename(f.source), [f.status, f.errors.map((e) => e.code)]]));
    const planned = summary(dry.stdout);
    const done = summary(real.stdout);
    expect(done).toEqual({
      'good.mp3': ['converted', []],
      'alaw.wav': ['converted', []],
      'noise.wav': ['failed', ['not-audio']],
      'notes.mp3': ['failed', ['not-audio']],
      'silent-film.mp4': ['failed', ['no-audio-stream']],
    });
    // The same verdicts, with "planned" where the real run converted.
    expect(planned).toEqual({ ...done, 'good.mp3': ['planned', []], 'alaw.wav': ['planned', []] });
    expect(dry.code).toBe(1);
    expect(real.code).toBe(1);
    // Text output: the failures are FAILED lines, not "would convert".
    const text = await runCli(['convert', 'dry', '--out', 'dry-out', '--dry-run', '--no-ledger'], { cwd: dir });
    expect(text.stdout).toMatch(/^FAILED +dry\/noise\.wav/m);
    expect(text.stdout).not.toMatch(/would convert dry\/(noise|notes|silent)/);
    expect(await exists(p('dry-out'))).toBe(false);
  });
});

/** A 5.1 WAV (FL FR FC LFE BL BR) with the speech-like signal `expr` in the channels named, silence elsewhere. */
async function make51(out: string, expr: string, channels: ('FL' | 'FR' | 'FC' | 'BL' | 'BR')[]): Promise<void> {
  const order = ['FL', 'FR', 'FC', 'LFE', 'BL', 'BR'];
  const exprs = order.map((c) => (channels.includes(c as never) ? expr : '0')).join('|');
  await runFfmpeg(['-f', 'lavfi', '-i', `aevalsrc=exprs=${exprs}:c=5.1:s=48000:d=2`, '-c:a', 'pcm_s16le', '-fflags', '+bitexact', out]);
}

/** One channel of a source, as ffmpeg decodes it at 8 kHz (its level is what the prompt should keep). */
async function channelLevel(file: string, channel: string): Promise<number> {
  const { stdout } = await promisify(execFile)(
    FFMPEG,
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', `file:${file}`, '-af', `pan=mono|c0=${channel}`, '-ar', '8000', '-f', 's16le', '-'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const buf = Buffer.from(stdout);
  return analyzeSamples(new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1), 8000).activeDb;
}

describe('convert: a 5.1 downmix keeps the dialogue level', () => {
  let files: Map<string, ConvertJsonFile>;
  beforeAll(async () => {
    await fs.mkdir(p('surround'));
    // Speech only in the centre channel, the way films and voice-over sessions deliver it.
    await make51(p('surround', 'centre.wav'), speechExpr(-21), ['FC']);
    // Loud speech on the front pair (a stereo mix inside 5.1): peaks near full scale.
    await make51(p('surround', 'front-pair.wav'), speechExpr(-8), ['FL', 'FR']);
    // The same loud speech in every channel but LFE: added up naively it would clip by far.
    await make51(p('surround', 'everywhere.wav'), speechExpr(-8), ['FL', 'FR', 'FC', 'BL', 'BR']);
    // Speech only in the left front channel: the mix is 6 dB down, and says so.
    await make51(p('surround', 'left-only.wav'), speechExpr(-21), ['FL']);
    // An ordinary loud stereo source: its downmix is ffmpeg's, unchanged.
    await makeSource(p('surround', 'stereo.wav'), { seconds: 2, expr: speechExpr(-8), channels: 2, rate: 48000 });
    files = new Map((await convertJson(['surround', '--out', 'surround-out'])).map((f) => [path.basename(f.source), f]));
  });
  const prompt = (name: string) => readPrompt(p('surround-out', `${path.basename(name, '.wav')}.wav`));

  it('centre-only speech: the prompt is within 1 dB of the centre channel, no warning', async () => {
    const source = await channelLevel(p('surround', 'centre.wav'), 'FC');
    expect(source).toBeGreaterThan(-22);
    expect(source).toBeLessThan(-20);
    const out = await prompt('centre.wav');
    expect(Math.abs(out.stats.activeDb - source), `prompt ${out.stats.activeDb} dBFS, centre ${source} dBFS`).toBeLessThan(1);
    expect(files.get('centre.wav')?.warnings).toEqual([]);
  });

  it('loud front-pair speech and speech in every channel: same level as the source, no clipping', async () => {
    for (const name of ['front-pair.wav', 'everywhere.wav']) {
      const source = await channelLevel(p('surround', name), 'FL');
      const out = await prompt(name);
      expect(Math.abs(out.stats.activeDb - source), `${name}: prompt ${out.stats.activeDb} dBFS, source ${source} dBFS`).toBeLessThan(1);
      expect(out.stats.clippedRuns, name).toBe(0);
      expect(out.stats.peakDb, name).toBeLessThan(-0.5);
      expect(files.get(name)?.warnings.map((w) => w.code), name).toEqual([]);
    }
  });

  it('speech in one side channel only: a downmix-level warning with the change', async () => {
    const f = files.get('left-only.wav');
    expect(f?.status).toBe('converted');
    const w = f?.warnings.find((x) => x.code === 'downmix-level');
    expect(w?.message).toMatch(/6\.\d dB quieter/);
  });

  it('a loud stereo source is not boosted: same level, no clipping', async () => {
    const source = await channelLevel(p('surround', 'stereo.wav'), 'FL');
    const out = await prompt('stereo.wav');
    expect(Math.abs(out.stats.activeDb - source)).toBeLessThan(1);
    expect(out.stats.clippedRuns).toBe(0);
    expect(files.get('stereo.wav')?.warnings).toEqual([]);
  });
});
