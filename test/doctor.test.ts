/**
 * `promptprep doctor`: run as a user would (the built CLI, in a temp project of its own),
 * with real ffmpegs, real config files and real ledgers.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../src/doctor.js';
import { versionAtLeast } from '../src/doctor.js';
import { locateFfmpeg } from '../src/ffmpeg.js';
import { Ledger } from '../src/ledger/ledger.js';
import { runCli } from './helpers/cli.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let seq = 0;

beforeAll(async () => {
  dir = await makeTempDir('promptprep-doctor-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

/** A fresh project folder, with this config (if any). */
async function project(config?: unknown): Promise<string> {
  const p = path.join(dir, `project-${++seq}`);
  await fs.mkdir(p);
  if (config !== undefined) await fs.writeFile(path.join(p, 'promptprep.config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return p;
}

const CREDENTIALS_UNSET = { PROMPTPREP_CEC_APP_KEY: undefined, PROMPTPREP_CEC_APP_SECRET: undefined, PROMPTPREP_CEC_CALLBACK_SECRET: undefined };

async function doctor(cwd: string, env: Record<string, string | undefined> = {}, args: string[] = []) {
  const r = await runCli(['doctor', '--json', ...args], { cwd, env: { FFMPEG_PATH: undefined, ...CREDENTIALS_UNSET, ...env } });
  return { ...r, report: JSON.parse(r.stdout) as DoctorReport };
}

describe('promptprep doctor', () => {
  it('a fresh project: exit 0, the ffmpeg in use with every source looked at, Node, defaults, the ledger to be', async () => {
    const cwd = await project();
    const { code, report, stderr } = await doctor(cwd);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    const expected = await locateFfmpeg({ ...process.env, FFMPEG_PATH: undefined } as NodeJS.ProcessEnv);
    expect(report.ffmpeg.chosen).toMatchObject({ path: expected.path, source: expected.source });
    expect(report.ffmpeg.chosen?.version).toMatch(/\S/);
    expect(report.ffmpeg.candidates.map((c) => c.source).filter((s, i, a) => a.indexOf(s) === i)).toEqual(['FFMPEG_PATH', 'ffmpeg-static', 'PATH', '@ffmpeg-installer/ffmpeg']);
    expect(report.ffmpeg.candidates[0]).toMatchObject({ source: 'FFMPEG_PATH', status: 'absent', reason: 'FFMPEG_PATH is not set' });
    expect(report.node).toEqual({ ok: true, version: process.versions.node, required: '20.19' });
    expect(report.config).toMatchObject({ ok: true, path: null, profile: { id: 'huawei-privatenumber' } });
    const ledgerFile = path.join(await fs.realpath(cwd), '.promptprep', 'ledger.sqlite');
    expect(report.ledger).toMatchObject({ ok: true, exists: false });
    expect(await fs.realpath(path.dirname(path.dirname(report.ledger.path!)))).toBe(path.dirname(path.dirname(ledgerFile)));
    // Reads only: no ledger, no .promptprep folder.
    expect(await fs.readdir(cwd)).toEqual([]);
    expect(report.upload.platform).toBe('huawei-console');
  });

  it('text: one line a check, each ffmpeg source with why it was passed over, and a closing verdict', async () => {
    const cwd = await project();
    const r = await runCli(['doctor'], { cwd, env: { FFMPEG_PATH: undefined } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok {3}ffmpeg {2}\S+ \(from (ffmpeg-static|PATH|@ffmpeg-installer\/ffmpeg)\), ffmpeg \S+, with(out)? libsoxr$/m);
    expect(r.stdout).toMatch(/^ {7}1\. FFMPEG_PATH: absent, FFMPEG_PATH is not set$/m);
    expect(r.stdout).toMatch(/^ {7}\d\. @ffmpeg-installer\/ffmpeg \S+ \[ffmpeg \S+, libsoxr; @ffmpeg-installer\/\S+ \d+\.\d+\.\d+\]: (chosen|not needed)/m);
    for (const section of ['node', 'config', 'ledger', 'cache', 'upload']) expect(r.stdout).toMatch(new RegExp(`^ok {3}${section} `, 'm'));
    expect(r.stdout).toMatch(/Everything this project needs is there\.\n$/);
  });

  it('with no ffmpeg on PATH and no FFMPEG_PATH: the npm registry binary, and why each earlier one was passed over', async () => {
    const cwd = await project();
    const { code, report } = await doctor(cwd, { PATH: path.join(dir, 'no-such-bin') });
    expect(code).toBe(0);
    const bySource = Object.fromEntries(report.ffmpeg.candidates.map((c) => [c.source, c]));
    expect(bySource.PATH).toMatchObject({ status: 'absent', reason: 'no ffmpeg on PATH' });
    if (bySource['ffmpeg-static']?.status === 'absent') {
      expect(report.ffmpeg.chosen?.source).toBe('@ffmpeg-installer/ffmpeg');
      expect(bySource['@ffmpeg-installer/ffmpeg']).toMatchObject({ status: 'chosen', features: { soxr: true } });
    } else {
      expect(report.ffmpeg.chosen?.source).toBe('ffmpeg-static');
    }
  });

  it('a broken FFMPEG_PATH: exit 1, and the problem names the path; the others are listed but not used', async () => {
    const cwd = await project();
    const bad = path.join(dir, 'nowhere', 'ffmpeg');
    const { code, report } = await doctor(cwd, { FFMPEG_PATH: bad });
    expect(code).toBe(1);
    expect(report.ffmpeg.ok).toBe(false);
    expect(report.ffmpeg.candidates[0]).toMatchObject({ source: 'FFMPEG_PATH', path: bad, status: 'unusable', reason: 'no executable file is there' });
    expect(report.ffmpeg.candidates.filter((c) => c.status === 'chosen')).toEqual([]);
    expect(report.ffmpeg.candidates.some((c) => c.status === 'not-needed' && c.reason === 'FFMPEG_PATH is set, so no other ffmpeg is used')).toBe(true);
    expect(report.problems).toEqual([`ffmpeg: FFMPEG_PATH is set to "${bad}", but no executable file is there. Fix the path or unset FFMPEG_PATH.`]);
  });

  it('a config that uploads to huawei-cec: which credentials are set, never their values; exit 1 until all are', async () => {
    const cwd = await project({ upload: { platform: 'huawei-cec' } });
    const key = 'doctor-app-key-canary-31f5';
    const secret = 'DOCTOR-APP-SECRET-canary-8e21';
    const callback = 'doctor_callback_canary_5d9a4c77';
    const partial = await doctor(cwd, { PROMPTPREP_CEC_APP_KEY: key, PROMPTPREP_CEC_APP_SECRET: secret });
    expect(partial.code).toBe(1);
    expect(partial.report.upload.credentials.map((c) => [c.name, c.set, c.needed])).toEqual([
      ['PROMPTPREP_CEC_APP_KEY', true, true],
      ['PROMPTPREP_CEC_APP_SECRET', true, true],
      ['PROMPTPREP_CEC_CALLBACK_SECRET', false, true],
    ]);
    expect(partial.report.problems).toEqual(['upload: the config uploads to huawei-cec, but PROMPTPREP_CEC_CALLBACK_SECRET is not set.']);
    const malformed = await doctor(cwd, { PROMPTPREP_CEC_APP_KEY: key, PROMPTPREP_CEC_APP_SECRET: secret, PROMPTPREP_CEC_CALLBACK_SECRET: 'short!' });
    expect(malformed.code).toBe(1);
    expect(malformed.report.problems[0]).toMatch(/PROMPTPREP_CEC_CALLBACK_SECRET is set, but not 16-128 letters/);
    const all = { PROMPTPREP_CEC_APP_KEY: key, PROMPTPREP_CEC_APP_SECRET: secret, PROMPTPREP_CEC_CALLBACK_SECRET: callback };
    const full = await doctor(cwd, all);
    expect(full.code).toBe(0);
    const text = await runCli(['doctor'], { cwd, env: { FFMPEG_PATH: undefined, ...all } });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ok {3}upload {2}huawei-cec$/m);
    expect(text.stdout).toMatch(/^ {7}PROMPTPREP_CEC_APP_SECRET: set$/m);
    for (const out of [partial.stdout, malformed.stdout, full.stdout, text.stdout, text.stderr]) {
      for (const value of [key, secret, callback, 'short!']) expect(out).not.toContain(value);
    }
    // The console workflow needs none of them.
    const consoleProject = await project({ upload: { platform: 'huawei-console' } });
    const none = await doctor(consoleProject);
    expect(none.code).toBe(0);
    expect(none.report.upload.credentials.every((c) => !c.needed && !c.set)).toBe(true);
  });

  it('a config with an error: exit 1, naming the file and the key', async () => {
    const cwd = await project({ convert: { normalise: true } });
    const { code, report } = await doctor(cwd);
    expect(code).toBe(1);
    expect(report.config.ok).toBe(false);
    expect(await fs.realpath(report.config.path!)).toBe(path.join(await fs.realpath(cwd), 'promptprep.config.json'));
    expect(report.problems[0]).toMatch(/^config: .*promptprep\.config\.json has an error/);
    expect(report.problems[0]).toContain('convert');
    expect(report.ledger).toMatchObject({ ok: false, path: null });
  });

  it('the ledger: an existing one opens (schema shown); one that is not SQLite is a problem; neither is changed', async () => {
    const cwd = await project();
    const good = path.join(cwd, 'good.sqlite');
    Ledger.open(good).close();
    const before = await fs.readFile(good);
    const ok = await doctor(cwd, {}, ['--ledger', good]);
    expect(ok.code).toBe(0);
    expect(ok.report.ledger).toMatchObject({ ok: true, exists: true, path: good });
    expect(ok.report.ledger.detail).toMatch(/^opens \(schema \d+\)$/);
    expect((await fs.readFile(good)).equals(before)).toBe(true);

    const junk = path.join(cwd, 'junk.sqlite');
    await fs.writeFile(junk, 'this is not a database, it is a note someone saved here');
    const bad = await doctor(cwd, {}, ['--ledger', junk]);
    expect(bad.code).toBe(1);
    expect(bad.report.ledger).toMatchObject({ ok: false, exists: true });
    expect(bad.report.problems).toEqual([expect.stringMatching(new RegExp(`^ledger: ${junk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not open: .*not a database`))]);
  });

  it('--help teaches: the search order, exit codes, examples', async () => {
    const r = await runCli(['doctor', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('FFMPEG_PATH, the ffmpeg-static');
    expect(r.stdout).toMatch(/Exit codes:\n {2}0 +.*\n {2}1 +/);
    expect(r.stdout).toContain('promptprep doctor --json');
  });

  it('compares versions as numbers', () => {
    expect(versionAtLeast('20.19.0', '20.19')).toBe(true);
    expect(versionAtLeast('v20.20.2', '20.19')).toBe(true);
    expect(versionAtLeast('20.9.0', '20.19')).toBe(false);
    expect(versionAtLeast('22.0.0', '20.19')).toBe(true);
    expect(versionAtLeast('18.20.4', '20.19')).toBe(false);
  });
});
