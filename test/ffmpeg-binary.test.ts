/**
 * Which ffmpeg is used (FFMPEG_PATH, then ffmpeg-static, then PATH), what happens when
 * there is none, the per-binary cache of what it can do, and how many run at once.
 */
import { promises as fs, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegNotFoundError, locateFfmpeg, noFfmpegError, searchFfmpeg, type FfmpegCandidate } from '../src/ffmpeg.js';
import { ffmpegEnv } from '../src/ffmpeg-env.js';
import { groupFiles } from '../src/convert/plan.js';
import { REPO_ROOT, runCli, runCommand } from './helpers/cli.js';
import { BITEXACT, runFfmpeg } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let realFfmpeg: string;
/** ffmpeg-static is optional: when its binary is installed it comes before PATH. */
let staticBinary: string | null = null;
/** The binary of the @ffmpeg-installer package for this platform; null when it did not install. */
let installerBinary: string | null = null;

beforeAll(async () => {
  dir = await makeTempDir('promptprep-ffmpeg-');
  realFfmpeg = (await locateFfmpeg()).path;
  try {
    const p = createRequire(import.meta.url)('ffmpeg-static') as unknown;
    if (typeof p === 'string' && (await fs.stat(p).catch(() => null))) staticBinary = p;
  } catch {
    staticBinary = null;
  }
  try {
    installerBinary = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch {
    installerBinary = null; // the test that needs it says so
  }
});
afterAll(async () => {
  await removeTempDir(dir);
});

async function freshDir(name: string): Promise<string> {
  const d = path.join(dir, name);
  await fs.mkdir(d, { recursive: true });
  return d;
}

/**
 * A real ffmpeg whose `-encoders` and `-filters` listings leave out the given names: a
 * build without them, as far as promptprep can tell (it decides from those listings).
 */
async function lackingFfmpeg(name: string, lacks: { encoders?: string[]; filters?: string[] }): Promise<string> {
  const d = await freshDir(name);
  const binary = path.join(d, 'ffmpeg');
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const drop = (names: string[] = []): string => (names.length > 0 ? names.map((n) => `-e ${quote(` ${n} `)}`).join(' ') : `-e '^$'`);
  await fs.writeFile(
    binary,
    [
      '#!/bin/sh',
      `if [ "$2" = "-encoders" ]; then ${quote(realFfmpeg)} "$@" | grep -v -F ${drop(lacks.encoders)}; exit 0; fi`,
      `if [ "$2" = "-filters" ]; then ${quote(realFfmpeg)} "$@" | grep -v -F ${drop(lacks.filters)}; exit 0; fi`,
      `exec ${quote(realFfmpeg)} "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return binary;
}

describe('finding ffmpeg', () => {
  it('FFMPEG_PATH comes first, even with ffmpeg on PATH', async () => {
    const d = await freshDir('env-first');
    const chosen = path.join(d, 'my-ffmpeg');
    await fs.symlink(realFfmpeg, chosen);
    const onPath = await freshDir('env-first-path');
    await fs.symlink(realFfmpeg, path.join(onPath, 'ffmpeg'));
    await expect(locateFfmpeg({ FFMPEG_PATH: chosen, PATH: onPath })).resolves.toEqual({ path: chosen, source: 'FFMPEG_PATH' });
  });

  it('a FFMPEG_PATH that is set but wrong is an error that names it, not a quiet fallback', async () => {
    const onPath = await freshDir('wrong-env-path');
    await fs.symlink(realFfmpeg, path.join(onPath, 'ffmpeg'));
    const missing = path.join(dir, 'no-such-ffmpeg');
    const err = await locateFfmpeg({ FFMPEG_PATH: missing, PATH: onPath }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegNotFoundError);
    expect((err as Error).message).toContain(missing);
    const notExecutable = path.join(dir, 'not-executable');
    await fs.writeFile(notExecutable, '#!/bin/sh\n', { mode: 0o644 });
    await expect(locateFfmpeg({ FFMPEG_PATH: notExecutable, PATH: onPath })).rejects.toThrow(/no executable file/);
  });

  it('without FFMPEG_PATH: ffmpeg-static when it is installed, else ffmpeg on PATH', async () => {
    const onPath = await freshDir('path-only');
    await fs.symlink(realFfmpeg, path.join(onPath, 'ffmpeg'));
    const found = await locateFfmpeg({ PATH: `${path.join(dir, 'nothing-here')}${path.delimiter}${onPath}` });
    if (staticBinary) expect(found).toEqual({ path: staticBinary, source: 'ffmpeg-static' });
    else expect(found).toEqual({ path: path.join(onPath, 'ffmpeg'), source: 'PATH' });
  });

  it('with no FFMPEG_PATH, no ffmpeg-static binary and none on PATH: the binary from the npm registry package', async () => {
    const empty = await freshDir('empty-path');
    const found = await locateFfmpeg({ PATH: empty });
    if (staticBinary) {
      expect(found).toMatchObject({ source: 'ffmpeg-static' });
      return;
    }
    // @ffmpeg-installer/ffmpeg is an optional dependency with a binary package for this platform (linux-x64, darwin-arm64, ...).
    expect(installerBinary, '@ffmpeg-installer/ffmpeg (an optional dependency) is installed').not.toBeNull();
    expect(found.source).toBe('@ffmpeg-installer/ffmpeg');
    expect(found.path).toBe(installerBinary);
    const search = await searchFfmpeg({ env: { PATH: empty } });
    expect(search.candidates.map((c) => [c.source, c.status])).toEqual([
      ['FFMPEG_PATH', 'absent'],
      ['ffmpeg-static', 'absent'],
      ['PATH', 'absent'],
      ['@ffmpeg-installer/ffmpeg', 'chosen'],
    ]);
    const chosen = search.candidates[3] as FfmpegCandidate;
    expect(chosen.package).toMatch(new RegExp(`^@ffmpeg-installer/${process.platform}-${process.arch} \\d`));
    expect(chosen.features).toMatchObject({ soxr: true });
    expect(chosen.features?.encoders).toContain('pcm_alaw');
  });

  it('with none at all, the error says how to get one', async () => {
    const empty = await freshDir('empty-path-2');
    const search = await searchFfmpeg({ env: { PATH: empty }, sources: ['FFMPEG_PATH', 'PATH'] });
    expect(search.chosen).toBeNull();
    const err = noFfmpegError(search);
    expect(err).toBeInstanceOf(FfmpegNotFoundError);
    expect(err.message).toMatch(/^ffmpeg was not found/);
    expect(err.message).toMatch(/apt-get install ffmpeg/);
    expect(err.message).toMatch(/FFMPEG_PATH/);
    expect(err.message).toMatch(/ffmpeg-static/);
    expect(err.message).toMatch(/FFMPEG_BINARIES_URL/);
    expect(err.message).toMatch(/@ffmpeg-installer\/ffmpeg/);
    expect(err.message).toMatch(/promptprep doctor/);
  });

  it('an ffmpeg that does not run, or lacks an encoder, is passed over for the next one, and the search says why', async () => {
    const d = await freshDir('pass-over');
    const broken = path.join(d, 'broken');
    await fs.mkdir(broken);
    await fs.writeFile(path.join(broken, 'ffmpeg'), '#!/bin/sh\necho "cannot execute: wrong architecture" >&2\nexit 126\n', { mode: 0o755 });
    const noAlaw = await lackingFfmpeg('no-alaw', { encoders: ['pcm_alaw'] });
    const good = await freshDir('pass-over-good');
    await fs.symlink(realFfmpeg, path.join(good, 'ffmpeg'));
    const PATH = [broken, path.dirname(noAlaw), good].join(path.delimiter);
    const search = await searchFfmpeg({ env: { PATH }, sources: ['FFMPEG_PATH', 'PATH'] });
    expect(search.chosen).toEqual({ path: path.join(good, 'ffmpeg'), source: 'PATH' });
    expect(search.candidates.map((c) => [c.path, c.status])).toEqual([
      [null, 'absent'],
      [path.join(broken, 'ffmpeg'), 'unusable'],
      [noAlaw, 'unusable'],
      [path.join(good, 'ffmpeg'), 'chosen'],
    ]);
    expect(search.candidates[1]?.reason).toMatch(/did not run: .*wrong architecture/);
    expect(search.candidates[2]?.reason).toBe('it has no encoder "pcm_alaw" (needed for encoding G.711 A-law)');
    expect(search.candidates[2]?.features?.version).toMatch(/\d/);

    // Nothing usable: the error lists each binary and what is wrong with it.
    const none = await searchFfmpeg({ env: { PATH: [broken, path.dirname(noAlaw)].join(path.delimiter) }, sources: ['FFMPEG_PATH', 'PATH'] });
    const message = noFfmpegError(none).message;
    expect(message).toContain(`${noAlaw} (from PATH, ffmpeg `);
    expect(message).toContain('no encoder "pcm_alaw"');
    expect(message).toContain(`${path.join(broken, 'ffmpeg')} (from PATH): it did not run`);
  });

  it('the CLI: an FFMPEG_PATH binary that lacks a filter the options need is a setup error naming both (exit 2)', async () => {
    const noHighpass = await lackingFfmpeg('no-highpass', { filters: ['highpass'] });
    const src = path.join(await freshDir('cli-lacking'), 'tone.mp3');
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libmp3lame', src]);
    const env = { FFMPEG_PATH: noHighpass, PROMPTPREP_CACHE_DIR: '' };
    const out = path.join(dir, 'cli-lacking-out');
    const r = await runCli(['convert', src, '--out', out, '--no-ledger', '--band-limit'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`FFMPEG_PATH is set to "${noHighpass}" (ffmpeg `);
    expect(r.stderr).toContain('no filter "highpass" (needed for --band-limit)');
    expect(await fs.readdir(out).catch(() => [])).toEqual([]);
    // Without --band-limit the same binary has all it needs.
    expect((await runCli(['convert', src, '--out', out, '--no-ledger'], { env })).code).toBe(0);
  });

  it('the CLI: a missing ffmpeg is a setup error (exit 2) with the fix, and leaves no output', async () => {
    const src = path.join(await freshDir('cli-missing'), 'hello.mp3');
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libmp3lame', src]);
    const out = path.join(dir, 'cli-missing-out');
    const r = await runCli(['convert', src, '--out', out, '--no-ledger'], { env: { FFMPEG_PATH: path.join(dir, 'absent', 'ffmpeg') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/FFMPEG_PATH is set to ".*absent\/ffmpeg", but no executable file is there/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const left = await fs.readdir(out).catch(() => []);
    expect(left.filter((n) => n.endsWith('.wav'))).toEqual([]);
  });
});

/**
 * A stand-in for ffmpeg that logs how it was called and then runs the real one: which
 * calls were `-version`, and when each decode started and ended.
 */
async function loggingFfmpeg(name: string, delaySeconds = 0): Promise<{ binary: string; log: string }> {
  const d = await freshDir(name);
  const binary = path.join(d, 'ffmpeg');
  const log = path.join(d, 'calls.log');
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  await fs.writeFile(
    binary,
    [
      '#!/bin/sh',
      `log=${quote(log)}`,
      'if [ "$2" = "-version" ]; then echo version >> "$log"; fi',
      // A decode reads its sources as -i inputs or as amovie sources of a -filter_complex graph.
      'case " $* " in *" -i "*|*" -filter_complex "*) decode=1 ;; *) decode=0 ;; esac',
      'if [ "$decode" = 1 ]; then',
      '  echo "start $$" >> "$log"',
      ...(delaySeconds > 0 ? [`  sleep ${delaySeconds}`] : []),
      `  ${quote(realFfmpeg)} "$@"; rc=$?`,
      '  echo "end $$" >> "$log"',
      '  exit $rc',
      'fi',
      `exec ${quote(realFfmpeg)} "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return { binary, log };
}

const logLines = async (log: string): Promise<string[]> => (await fs.readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);

describe('what ffmpeg can do is asked once per binary', () => {
  let src: string;
  beforeAll(async () => {
    src = path.join(await freshDir('cache-src'), 'note.mp3');
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=300:duration=1', '-c:a', 'libmp3lame', src]);
  });
  let outSeq = 0;
  const convert = (binary: string, cacheDir: string) =>
    runCli(['convert', src, '--out', path.join(dir, `cache-out-${++outSeq}`), '--no-ledger', '--json'], {
      env: { FFMPEG_PATH: binary, PROMPTPREP_CACHE_DIR: cacheDir },
    });
  const versionCalls = async (log: string) => (await logLines(log)).filter((l) => l === 'version').length;

  it('remembers the answer, and asks again when the binary changes or the cache is unreadable', async () => {
    const { binary, log } = await loggingFfmpeg('cache-bin');
    const cacheDir = path.join(dir, 'cache-1');
    expect((await convert(binary, cacheDir)).code).toBe(0);
    expect(await versionCalls(log)).toBe(1);
    const cached = JSON.parse(await fs.readFile(path.join(cacheDir, 'ffmpeg-features.json'), 'utf8')) as Record<string, { version: string; soxr: boolean }>;
    expect(Object.keys(cached)).toEqual([await fs.realpath(binary)]);

    expect((await convert(binary, cacheDir)).code).toBe(0);
    expect(await versionCalls(log)).toBe(1);

    // A replaced binary (here: a new mtime) is asked again.
    const later = new Date(Date.now() + 60_000);
    await fs.utimes(binary, later, later);
    expect((await convert(binary, cacheDir)).code).toBe(0);
    expect(await versionCalls(log)).toBe(2);

    await fs.writeFile(path.join(cacheDir, 'ffmpeg-features.json'), '{ not json');
    expect((await convert(binary, cacheDir)).code).toBe(0);
    expect(await versionCalls(log)).toBe(3);
    expect(() => JSON.parse(readFileSync(path.join(cacheDir, 'ffmpeg-features.json'), 'utf8'))).not.toThrow();
  });

  it('an empty PROMPTPREP_CACHE_DIR turns the cache off; an unwritable one is no error', async () => {
    const { binary, log } = await loggingFfmpeg('cache-off');
    expect((await convert(binary, '')).code).toBe(0);
    expect((await convert(binary, '')).code).toBe(0);
    expect(await versionCalls(log)).toBe(2);

    const aFile = path.join(dir, 'cache-is-a-file');
    await fs.writeFile(aFile, 'x');
    const r = await convert(binary, path.join(aFile, 'sub'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('how many ffmpeg processes run at once', () => {
  let longDir: string;
  const cpus = os.availableParallelism();
  beforeAll(async () => {
    // Three sources long enough (130 s) to keep a CPU busy each. Long sources that fit share
    // processes; the tests that count processes cut them to fit (CUT_TO_FIT), which gives
    // each an ffmpeg of its own.
    longDir = await freshDir('long-sources');
    await Promise.all(
      [0, 1, 2].map((i) =>
        runFfmpeg(['-f', 'lavfi', '-i', `sine=frequency=${300 + 100 * i}:duration=130`, '-ac', '1', '-ar', '8000', '-c:a', 'libmp3lame', '-b:a', '16k', path.join(longDir, `long_${i}.mp3`)]),
      ),
    );
  });

  /** 100 s of A-law: each 130 s source is cut to fit, a decode of its own. */
  const CUT_TO_FIT = ['--on-oversize', 'trim', '--max-bytes', '800000'];

  /** The most decodes that were running at the same moment, from the start/end log. */
  const mostAtOnce = (lines: string[]): number => {
    let running = 0;
    let most = 0;
    for (const l of lines) {
      if (l.startsWith('start ')) most = Math.max(most, ++running);
      else if (l.startsWith('end ')) running--;
    }
    return most;
  };

  it('by default, the last decodes (at most twice the CPU count) all start together', async () => {
    // Each decode is held 0.5 s, so ones that may run together do overlap.
    const { binary, log } = await loggingFfmpeg('jobs-default', 0.5);
    const r = await runCli(['convert', longDir, '--out', path.join(dir, 'jobs-default-out'), '--no-ledger', ...CUT_TO_FIT], { env: { FFMPEG_PATH: binary, PROMPTPREP_CACHE_DIR: '' } });
    expect(r.code).toBe(0);
    const lines = await logLines(log);
    expect(lines.filter((l) => l.startsWith('start ')).length).toBe(3);
    // 3 decodes: all at once when 3 <= 2 x CPUs, else one per CPU until that holds.
    expect(mostAtOnce(lines)).toBe(3 <= 2 * cpus ? 3 : Math.max(cpus, 2));
  });

  it('conforming A-law sources converted in the same run (no ffmpeg) do not hold the decodes back', async () => {
    const mixed = await freshDir('mixed-sources');
    for (const name of await fs.readdir(longDir)) await fs.copyFile(path.join(longDir, name), path.join(mixed, name));
    // Enough in-process conversions that, counted alone, they would keep the limit at one per CPU.
    await Promise.all(
      Array.from({ length: 4 * cpus + 4 }, (_, i) =>
        runFfmpeg(['-f', 'lavfi', '-i', `sine=frequency=${400 + i}:duration=1`, '-ar', '8000', '-ac', '1', '-c:a', 'pcm_alaw', ...BITEXACT, path.join(mixed, `alaw_${i}.wav`)]),
      ),
    );
    const { binary, log } = await loggingFfmpeg('jobs-mixed', 0.5);
    const r = await runCli(['convert', mixed, '--out', path.join(dir, 'jobs-mixed-out'), '--no-ledger', '--json', ...CUT_TO_FIT], { env: { FFMPEG_PATH: binary, PROMPTPREP_CACHE_DIR: '' } });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { summary: { converted: number } }).summary.converted).toBe(4 * cpus + 4 + 3);
    const lines = await logLines(log);
    expect(lines.filter((l) => l.startsWith('start ')).length).toBe(3);
    expect(mostAtOnce(lines)).toBe(3 <= 2 * cpus ? 3 : Math.max(cpus, 2));
  });

  it('groups of short prompts keep one ffmpeg a CPU to the end, however much audio a group holds', async () => {
    // 4 s prompts, two rounds of groups of 50 (100 a CPU): 200 s of audio a group, which
    // once counted as a long decode and started the last two rounds' groups all at once.
    const short = await freshDir('short-sources');
    const one = path.join(short, 'prompt.mp3');
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=4', '-ac', '1', '-ar', '8000', '-c:a', 'libmp3lame', '-b:a', '16k', one]);
    const count = 100 * cpus;
    for (let i = 0; i < count; i++) await fs.link(one, path.join(short, `p_${String(i).padStart(4, '0')}.mp3`));
    await fs.rm(one);
    const { binary, log } = await loggingFfmpeg('jobs-short', 0.5);
    const r = await runCli(['convert', short, '--out', path.join(dir, 'jobs-short-out'), '--no-ledger'], { env: { FFMPEG_PATH: binary, PROMPTPREP_CACHE_DIR: '' } });
    expect(r.code, r.stderr).toBe(0);
    const lines = await logLines(log);
    expect(lines.filter((l) => l.startsWith('start ')).length).toBeGreaterThan(cpus);
    expect(mostAtOnce(lines)).toBe(cpus);
  }, 120_000);

  it('long sources that fit share ffmpeg processes, in groups as groupFiles sizes them', async () => {
    const { binary, log } = await loggingFfmpeg('jobs-long-shared');
    const r = await runCli(['convert', longDir, '--out', path.join(dir, 'jobs-long-shared-out'), '--no-ledger', '--json'], { env: { FFMPEG_PATH: binary, PROMPTPREP_CACHE_DIR: '' } });
    expect(r.code, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { status: string; stats?: { durationSeconds: number } }[] }).files;
    expect(files.map((f) => [f.status, Math.round(f.stats?.durationSeconds ?? 0)])).toEqual([
      ['converted', 130],
      ['converted', 130],
      ['converted', 130],
    ]);
    const lines = await logLines(log);
    expect(lines.filter((l) => l.startsWith('start ')).length).toBe(Math.ceil(3 / groupFiles(3, cpus)));
  });

  it('--jobs is a strict cap', async () => {
    const { binary, log } = await loggingFfmpeg('jobs-one', 0.5);
    const r = await runCli(['convert', longDir, '--out', path.join(dir, 'jobs-one-out'), '--no-ledger', '--jobs', '1', ...CUT_TO_FIT], { env: { FFMPEG_PATH: binary, PROMPTPREP_CACHE_DIR: '' } });
    expect(r.code).toBe(0);
    const lines = await logLines(log);
    expect(lines.filter((l) => l.startsWith('start ')).length).toBe(3);
    expect(mostAtOnce(lines)).toBe(1);
  });
});

describe('the environment ffmpeg runs with', () => {
  it('adds the huge-page malloc hint on Linux, keeps the user\'s own tunables, and lets theirs decide', () => {
    expect(ffmpegEnv({ PATH: '/bin' }, 'linux')).toEqual({ PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
    expect(ffmpegEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, 'linux').GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    expect(ffmpegEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, 'linux').GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=0');
    expect(ffmpegEnv({ PATH: '/bin' }, 'darwin')).toEqual({ PATH: '/bin' });
    // The caller's object is never changed.
    const mine = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' };
    ffmpegEnv(mine, 'linux');
    expect(mine).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
  });

  it('every ffmpeg a convert starts gets it, and the user\'s own setting wins', async () => {
    const d = await freshDir('env-ffmpeg');
    const binary = path.join(d, 'ffmpeg');
    const log = path.join(d, 'env.log');
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    await fs.writeFile(binary, ['#!/bin/sh', `echo "\${GLIBC_TUNABLES-unset}" >> ${quote(log)}`, `exec ${quote(realFfmpeg)} "$@"`, ''].join('\n'), { mode: 0o755 });
    const src = await freshDir('env-src');
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-ac', '2', '-ar', '44100', '-c:a', 'libmp3lame', path.join(src, 'stereo.mp3')]);
    const env = { FFMPEG_PATH: binary, PROMPTPREP_CACHE_DIR: '' };
    const r = await runCli(['convert', src, '--out', path.join(dir, 'env-out'), '--no-ledger'], { env: { ...env, GLIBC_TUNABLES: '' } });
    expect(r.code, r.stderr).toBe(0);
    const first = (await fs.readFile(log, 'utf8')).trim().split('\n');
    // The capability questions and the decode.
    expect(first.length).toBeGreaterThanOrEqual(2);
    expect(new Set(first)).toEqual(new Set([process.platform === 'linux' ? 'glibc.malloc.hugetlb=1' : '']));
    await fs.rm(log);
    const r2 = await runCli(['convert', src, '--out', path.join(dir, 'env-out2'), '--no-ledger'], { env: { ...env, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' } });
    expect(r2.code, r2.stderr).toBe(0);
    expect(new Set((await fs.readFile(log, 'utf8')).trim().split('\n'))).toEqual(new Set(['glibc.malloc.hugetlb=0']));
  });
});

describe('the test suite itself', () => {
  it('without a usable ffmpeg, stops before any test with the message the CLI gives', async () => {
    // vitest on one small file, with this checkout's config (and so its globalSetup); the
    // report goes to the terminal only, so nothing is written in the checkout.
    const r = await runCommand(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/alaw.test.ts', '--reporter=default'], {
      cwd: REPO_ROOT,
      env: { FFMPEG_PATH: path.join(dir, 'absent', 'ffmpeg'), CI: '1' },
    });
    const output = r.stdout + r.stderr;
    expect(r.code).toBe(1);
    expect(output).toContain(`promptprep: FFMPEG_PATH is set to "${path.join(dir, 'absent', 'ffmpeg')}", but no executable file is there.`);
    expect(output).not.toMatch(/Tests\s+\d+ (passed|failed)/);
    expect(output).not.toMatch(/^tests use ffmpeg \S+ at /m);
  });
});
