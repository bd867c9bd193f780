/**
 * The codecs end to end, as a user runs them (the built CLI, a temp project of its own):
 * `check --profile` judges by that platform's codec, a config's own profiles write GSM 6.10
 * WAV and headerless 16-bit PCM that `check` and ffprobe read back, and an ffmpeg built
 * without libgsm is named by `doctor` and by `convert`.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../src/doctor.js';
import { searchFfmpeg } from '../src/ffmpeg.js';
import { runCli } from './helpers/cli.js';
import { BITEXACT, FFMPEG, runFfmpeg } from './helpers/ffmpeg.js';
import { listTree, makeSource, speechExpr } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const execFileP = promisify(execFile);

let dir: string;
const at = (...p: string[]): string => path.join(dir, ...p);

const CONFIG = {
  profiles: {
    'asterisk-gsm': { extends: 'asterisk', codec: 'gsm', extension: '.WAV', title: 'Asterisk, GSM 6.10 in WAV' },
    'asterisk-sln': { extends: 'asterisk', container: 'raw', extension: '.sln', title: 'Asterisk, headerless 16-bit PCM' },
  },
};

beforeAll(async () => {
  dir = await makeTempDir('promptprep-codecs-cli-');
  await fs.mkdir(at('src'));
  await makeSource(at('src', 'welcome.wav'), { rate: 48000, seconds: 1.5, expr: speechExpr(-22) });
  await makeSource(at('src', 'goodbye.flac'), { rate: 44100, channels: 2, seconds: 1, expr: speechExpr(-20), codec: ['-c:a', 'flac'] });
  await fs.mkdir(at('ulaw'));
  await runFfmpeg(['-i', at('src', 'welcome.wav'), '-ar', '8000', '-c:a', 'pcm_mulaw', ...BITEXACT, at('ulaw', 'welcome.wav')]);
  await fs.writeFile(at('promptprep.config.json'), JSON.stringify(CONFIG));
});

afterAll(async () => {
  await removeTempDir(dir);
});

async function ffprobe(file: string, input: string[] = []): Promise<string> {
  const { stdout } = await execFileP(path.join(path.dirname(FFMPEG), 'ffprobe'), ['-v', 'error', ...input, '-show_entries', 'stream=codec_name,sample_rate,channels', '-of', 'csv=p=0', `file:${file}`]);
  return stdout.trim();
}

describe('check --profile judges by that platform\'s codec', () => {
  it('a µ-law WAV: right for amazon-connect (exit 0), an error for huawei-privatenumber naming its rule (exit 1)', async () => {
    const amazon = await runCli(['check', '--profile', 'amazon-connect', at('ulaw')], { cwd: dir });
    expect(amazon.code, amazon.stdout + amazon.stderr).toBe(0);
    const huawei = await runCli(['check', '--profile', 'huawei-privatenumber', at('ulaw')], { cwd: dir });
    expect(huawei.code).toBe(1);
    expect(huawei.stdout).toContain('welcome.wav');
    const text = huawei.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('G.711 µ-law (WAVE format tag 7); the huawei-privatenumber profile');
    expect(text).toContain('needs G.711 A-law (format tag 6)');
  });
});

describe('a config\'s own profiles: GSM 6.10 WAV (.WAV) and headerless 16-bit PCM (.sln)', () => {
  it.each([
    ['asterisk-gsm', '.WAV', [] as string[], 'gsm_ms,8000,1'],
    ['asterisk-sln', '.sln', ['-f', 's16le', '-ar', '8000', '-ac', '1'], 'pcm_s16le,8000,1'],
  ])('%s: convert writes it, check passes it, ffprobe reads it', async (id, ext, input, probe) => {
    const out = at(`out-${id}`);
    const convert = await runCli(['convert', at('src'), '--out', out, '--profile', id, '--no-ledger'], { cwd: dir });
    expect(convert.code, convert.stdout + convert.stderr).toBe(0);
    // The prompts (each has a .json record beside it).
    const files = (await listTree(out)).filter((f) => path.extname(f) === ext);
    expect(files).toHaveLength(2);
    const check = await runCli(['check', '--profile', id, out], { cwd: dir });
    expect(check.code, check.stdout).toBe(0);
    for (const f of files) expect(await ffprobe(path.join(out, f), input), f).toBe(probe);
    // The other Asterisk format is refused for it: a .wav (16-bit PCM WAV) is not a .sln.
    if (id === 'asterisk-sln') {
      const wrong = await runCli(['check', '--profile', id, at('src', 'welcome.wav')], { cwd: dir });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain('a WAV (RIFF) file');
    }
  });
});

describe('an ffmpeg without libgsm', () => {
  it('doctor fails naming the encoder the profile needs; convert names it too', async () => {
    const search = await searchFfmpeg({ all: true });
    const lacking = search.candidates.find((c) => c.path && c.features && !c.features.encoders.includes('libgsm_ms'));
    // The npm registry's ffmpeg 4.1 has no libgsm (test/ffmpeg-fidelity.test.ts requires it installed).
    expect(lacking, 'an ffmpeg without libgsm (the @ffmpeg-installer binary)').toBeDefined();
    const env = { FFMPEG_PATH: lacking!.path!, PROMPTPREP_CACHE_DIR: '' };
    await fs.writeFile(at('gsm.config.json'), JSON.stringify({ ...CONFIG, profile: 'asterisk-gsm' }));
    const doctor = await runCli(['doctor', '--json', '-c', at('gsm.config.json')], { cwd: dir, env });
    expect(doctor.code).toBe(1);
    const report = JSON.parse(doctor.stdout) as DoctorReport;
    expect(report.problems.join('\n')).toContain('no encoder "libgsm_ms" (needed for GSM 6.10 in WAV (profile asterisk-gsm))');
    const convert = await runCli(['convert', at('src', 'welcome.wav'), '--out', at('out-lacking'), '--profile', 'asterisk-gsm', '--no-ledger'], { cwd: dir, env });
    expect(convert.code).not.toBe(0);
    expect(convert.stdout + convert.stderr).toContain('libgsm_ms');
  });
});
