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
import { codec, makeSource, speechExpr } from './helpers/convert-audio.js';
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
