/**
 * Garbage in gives a finding, never a crash, a stack trace or a hang: zero bytes, noise
 * named .wav, a directory named x.wav, an unreadable file or directory, symbolic-link
 * loops, a dangling link, a FIFO named x.wav.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile, checkFiles } from '../src/check.js';
import { isRoot, parseJsonReport, runCli, runCliWithoutDacOverride, STACK_LINE } from './helpers/cli.js';
import { makeTone } from './helpers/ffmpeg.js';
import { verdict, type Verdict } from './helpers/findings.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { noiseBytes } from './helpers/wav-edit.js';

const execFileP = promisify(execFile);

let dir: string;
let lib: string;
const p = (...parts: string[]): string => path.join(lib, ...parts);

const unreadable: Verdict = { ok: false, errors: ['unreadable'], warnings: [] };

beforeAll(async () => {
  dir = await makeTempDir('promptprep-garbage-');
  lib = path.join(dir, 'lib');
  await fs.mkdir(lib);
  await makeTone(p('good.wav'));
  await fs.writeFile(p('zero.wav'), Buffer.alloc(0));
  await fs.writeFile(p('random.wav'), noiseBytes(10_000, 42));
  await fs.mkdir(p('x.wav'));
  await fs.symlink('loop-b.wav', p('loop-a.wav'));
  await fs.symlink('loop-a.wav', p('loop-b.wav'));
  await fs.symlink('self.wav', p('self.wav'));
  await fs.symlink('missing-target.wav', p('dangling.wav'));
  await execFileP('mkfifo', [p('fifo.wav')]);
  // A directory link back up the tree: walked once, never forever.
  await fs.mkdir(p('nested'));
  await fs.symlink('..', p('nested', 'up'));
  await fs.copyFile(p('good.wav'), p('nested', 'inner.wav'));
  // Permission tests (the CLI runs without CAP_DAC_OVERRIDE when the tests run as root).
  await fs.copyFile(p('good.wav'), p('locked.wav'));
  await fs.chmod(p('locked.wav'), 0o000);
  await fs.mkdir(p('locked-dir'));
  await fs.copyFile(p('good.wav'), p('locked-dir', 'hidden-away.wav'));
  await fs.chmod(p('locked-dir'), 0o000);
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('in-process: every garbage input is a finding', () => {
  it.each([
    ['zero.wav', { ok: false, errors: ['empty'], warnings: [] }],
    ['random.wav', { ok: false, errors: ['not-wav'], warnings: [] }],
    ['x.wav', unreadable],
    ['loop-a.wav', unreadable],
    ['self.wav', unreadable],
    ['dangling.wav', unreadable],
    ['fifo.wav', unreadable],
  ] as const)('checkFile(%s)', async (name, expected) => {
    const result = await checkFile(p(name));
    expect(verdict(result)).toEqual(expected);
  });

  it('names the cause in words', async () => {
    const message = async (name: string): Promise<string> => (await checkFile(p(name))).errors[0]?.message ?? '';
    expect(await message('x.wav')).toMatch(/is a directory/);
    expect(await message('loop-a.wav')).toMatch(/symbolic link loop/);
    expect(await message('dangling.wav')).toMatch(/does not exist|missing/);
    expect(await message('fifo.wav')).toMatch(/not a regular file/);
  });

  it('checkFiles walks a library of garbage without throwing, one entry per problem', async () => {
    const report = await checkFiles([lib]);
    const byName = new Map(report.files.map((f) => [path.relative(lib, f.path), verdict(f)]));
    expect(byName.get('good.wav')).toEqual({ ok: true, errors: [], warnings: [] });
    expect(byName.get(path.join('nested', 'inner.wav'))).toEqual({ ok: true, errors: [], warnings: [] });
    expect(byName.get('zero.wav')).toEqual({ ok: false, errors: ['empty'], warnings: [] });
    expect(byName.get('random.wav')).toEqual({ ok: false, errors: ['not-wav'], warnings: [] });
    for (const name of ['x.wav', 'loop-a.wav', 'loop-b.wav', 'self.wav', 'dangling.wav', 'fifo.wav']) {
      expect(byName.get(name), name).toEqual(unreadable);
    }
    // The link back up the tree ("nested/up") is not walked a second time.
    expect([...byName.keys()].filter((k) => k.includes(`up${path.sep}`))).toEqual([]);
    expect(report.summary.total).toBe(report.files.length);
  });

  it('a file named explicitly twice is reported once', async () => {
    const report = await checkFiles([p('good.wav'), p('good.wav')]);
    expect(report.files.map((f) => f.path)).toEqual([p('good.wav')]);
  });
});

describe('the CLI on garbage: findings, exit 1, no stack trace, no hang', () => {
  it('checks the whole library', async () => {
    const res = await runCliWithoutDacOverride(['check', '--format', 'json', lib]);
    expect(res.signal).toBeNull();
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    const report = parseJsonReport(res.stdout);
    const byName = new Map(report.files.map((f) => [path.relative(lib, f.path), f]));
    expect(verdict(byName.get('locked.wav')!)).toEqual(unreadable);
    expect(byName.get('locked.wav')!.errors[0]!.message).toMatch(/permission denied/);
    // An unreadable directory is an entry too; a folder's name is not judged as a prompt name.
    expect(verdict(byName.get('locked-dir')!)).toEqual({ ok: false, errors: ['unreadable'], warnings: [] });
    expect(byName.get('locked-dir')!.errors.find((e) => e.code === 'unreadable')!.message).toMatch(/permission denied/);
    expect(verdict(byName.get('fifo.wav')!)).toEqual(unreadable);
    expect(verdict(byName.get('good.wav')!)).toEqual({ ok: true, errors: [], warnings: [] });
  });

  it.each([
    ['zero.wav', 'empty'],
    ['random.wav', 'not-wav'],
    ['x.wav', 'unreadable'],
    ['loop-a.wav', 'unreadable'],
    ['dangling.wav', 'unreadable'],
    ['fifo.wav', 'unreadable'],
  ])('check %s (named explicitly) reports %s', async (name, code) => {
    const res = await runCli(['check', p(name)], { timeoutMs: 20_000 });
    expect(res.signal).toBeNull();
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain(`error   ${code}:`);
    expect(res.stdout).not.toMatch(STACK_LINE);
  });

  it('an unreadable file is "unreadable: permission denied", also for root', async () => {
    // Guard the guard: as root, plain node would read the chmod-000 file.
    if (isRoot()) {
      const asRoot = await runCli(['check', '--format', 'json', p('locked.wav')]);
      expect(verdict(parseJsonReport(asRoot.stdout).files[0]!)).toEqual({ ok: true, errors: [], warnings: [] });
    }
    const res = await runCliWithoutDacOverride(['check', p('locked.wav')]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/error {3}unreadable: ".*locked\.wav" cannot be read: permission denied/);
  });
});
