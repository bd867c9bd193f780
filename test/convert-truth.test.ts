/**
 * `convert` tells the truth about what it did and what it would do: the codec of a
 * source as it is, a dry run that fails what a real run fails, a 5.1 downmix that keeps
 * the dialogue level (and says so when it cannot), a large normalizing gain named, and
 * readable names for Chinese file names under --rename. Each runs the built CLI in a
 * temp folder on audio made by real ffmpeg.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { codec, exists, makeSource, makeVideoOnly, speechExpr } from './helpers/convert-audio.js';
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
