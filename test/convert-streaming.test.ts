/**
 * `convert --json` streams its report: each file's entry is written once it and every
 * file before it are done (in the order of the sources, as before), so a run of any size
 * holds no report, and what a killed run printed is a true prefix of the report. The text
 * is exactly the layout of JSON.stringify(report, null, 2). A run takes its sources a
 * window at a time (convertItemsEach), so a reader that holds the report back holds the
 * run back too, and a run for several profiles streams its report the same way.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFilesEach, type ConvertFileResult } from '../src/convert/index.js';
import { getProfile } from '../src/profile.js';
import { convertTargetsEach } from '../src/targets/convert.js';
import Database from 'better-sqlite3';
import { CLI, runCli } from './helpers/cli.js';
import { parseConvertJson } from './helpers/convert-cli.js';
import { activeResources, waitUntilIdle, waitUntilSettled } from './helpers/process-idle.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { alawWav, pcmWav } from './helpers/watch-files.js';

const FILES = 24;
let tmp: string;
let src: string;
let alawSrc: string;
const stems = Array.from({ length: FILES }, (_, k) => `p${String(k).padStart(2, '0')}`);

beforeAll(async () => {
  tmp = await makeTempDir('promptprep-convert-streaming-');
  src = path.join(tmp, 'src');
  await fs.mkdir(src);
  // The first half need ffmpeg; the second half are conforming A-law, copied without it,
  // so later sources finish before earlier ones.
  for (const [k, stem] of stems.entries()) {
    const data = k < FILES / 2 ? pcmWav({ seconds: 0.3, seed: k, frequency: 300 + k * 11 }) : alawWav({ seconds: 0.3, seed: k, frequency: 300 + k * 11 });
    await fs.writeFile(path.join(src, `${stem}.wav`), data);
  }
  // All copied, which finish in order: a kill after the n-th leaves a long printed prefix.
  alawSrc = path.join(tmp, 'alaw');
  await fs.mkdir(alawSrc);
  for (const [k, stem] of stems.entries()) await fs.writeFile(path.join(alawSrc, `${stem}.wav`), alawWav({ seconds: 0.3, seed: k, frequency: 300 + k * 11 }));
});
afterAll(async () => {
  await removeTempDir(tmp);
});

/** The .wav files directly in `dir` (none when it does not exist yet). */
async function outputsIn(dir: string): Promise<number> {
  return (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.wav')).length;
}

describe('convert --json streams its report', () => {
  it('in the order of the sources, whatever order they finish in, in the layout of JSON.stringify', async () => {
    const dir = path.join(tmp, 'whole');
    await fs.mkdir(dir);
    const r = await runCli(['convert', src, '--out', path.join(dir, 'out'), '--json', '--jobs', '2'], { cwd: dir, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = parseConvertJson(r.stdout);
    expect(report.files.map((f) => path.basename(f.source, '.wav'))).toEqual(stems);
    expect(report.summary).toEqual({ total: FILES, converted: FILES, skipped: 0, failed: 0, planned: 0 });
    expect(r.stdout).toBe(`${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
  }, 150_000);

  it('writes entries while the run goes on: a run killed part-way has printed the finished files before it', async () => {
    const dir = path.join(tmp, 'killed');
    await fs.mkdir(dir);
    // Killed (SIGKILL, no exit handlers) once the 20th output is in place.
    const r = await runCli(['convert', alawSrc, '--out', path.join(dir, 'out'), '--json', '--jobs', '2'], {
      cwd: dir,
      env: { PROMPTPREP_CRASH_AT: 'placed:20' },
      timeoutMs: 120_000,
    });
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout.startsWith('{\n  "files": [\n    {\n')).toBe(true);
    // Complete entries, in source order, for a prefix of the sources: the text up to the
    // last complete entry, closed, parses.
    const cut = r.stdout.lastIndexOf('\n    }');
    expect(cut).toBeGreaterThan(0);
    const prefix = JSON.parse(`${r.stdout.slice(0, cut)}\n    }\n  ]\n}`) as { files: ConvertFileResult[] };
    expect(prefix.files.length).toBeGreaterThan(0);
    expect(prefix.files.length).toBeLessThan(FILES);
    expect(prefix.files.map((f) => path.basename(f.source, '.wav'))).toEqual(stems.slice(0, prefix.files.length));
    for (const f of prefix.files) {
      expect(f.status).toBe('converted');
      // Reported only once durable: the output is there, whole.
      expect((await fs.stat(f.output as string)).size).toBe(f.stats?.bytes);
    }
  }, 150_000);

  it('convertFilesEach hands results on in source order and keeps none', async () => {
    const seen: string[] = [];
    const finished: string[] = [];
    const summary = await convertFilesEach(
      [src],
      { outDir: path.join(tmp, 'lib-out'), jobs: 2, onFile: (f) => finished.push(path.basename(f.source, '.wav')) },
      (f) => seen.push(path.basename(f.source, '.wav')),
    );
    expect(seen).toEqual(stems);
    expect([...finished].sort()).toEqual(stems);
    expect(summary).toEqual({ total: FILES, converted: FILES, skipped: 0, failed: 0, planned: 0 });
  }, 150_000);

  it('takes sources a window at a time: while the reader holds the report back, the run stops taking sources, then finishes', async () => {
    // More sources than one job's window (3 groups of 50), each decoded by ffmpeg.
    const many = path.join(tmp, 'many');
    await fs.mkdir(many);
    const names = Array.from({ length: 200 }, (_, k) => `m${String(k).padStart(3, '0')}`);
    for (const [k, stem] of names.entries()) await fs.writeFile(path.join(many, `${stem}.wav`), pcmWav({ seconds: 0.1, seed: k, frequency: 300 + k }));
    const out = path.join(tmp, 'many-out');
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    let holding = (): void => undefined;
    const firstHeld = new Promise<void>((resolve) => (holding = resolve));
    const baseline = activeResources();
    const run = convertFilesEach([many], { outDir: out, jobs: 1 }, (f) => {
      seen.push(path.basename(f.source, '.wav'));
      if (seen.length > 1) return undefined;
      // The first result is not taken yet (a full stdout, say).
      holding();
      return held;
    });
    await Promise.race([firstHeld, run]);
    // What was in flight finishes; nothing more starts while the reader is held: the run
    // comes to rest (no ffmpeg, file request or timer of its own left) with part of the
    // sources done, each handed on. At rest, not after a count stopped changing for a
    // while, which a loaded machine's slow start or a slow group can look like.
    expect(await waitUntilSettled(baseline, 90_000), `the run did not come to rest while held (${seen.length} handed on)`).toBe(true);
    const whileHeld = await outputsIn(out);
    expect(whileHeld).toBeGreaterThan(0);
    expect(whileHeld).toBe(seen.length);
    expect(whileHeld).toBeLessThan(names.length);
    release();
    const summary = await run;
    expect(summary).toEqual({ total: names.length, converted: names.length, skipped: 0, failed: 0, planned: 0 });
    expect(seen).toEqual(names);
    expect(await outputsIn(out)).toBe(names.length);
  }, 150_000);
});

describe('a run for several profiles streams its report too', () => {
  const profiles = 'huawei-privatenumber,asterisk';

  it('convert --profile a,b --json: the layout of JSON.stringify, files in source then target order, and the targets list after them', async () => {
    const dir = path.join(tmp, 'targets-whole');
    await fs.mkdir(dir);
    const r = await runCli(['convert', src, '--out', path.join(dir, 'out'), '--profile', profiles, '--json', '--jobs', '2', '--no-ledger'], { cwd: dir, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
    const report = JSON.parse(r.stdout) as { files: (ConvertFileResult & { target: string })[]; targets: { profile: string; summary: { converted: number } }[]; summary: { total: number } };
    expect(Object.keys(report)).toEqual(['files', 'targets', 'summary']);
    expect(report.files.map((f) => `${path.basename(f.source, '.wav')} ${f.target}`)).toEqual(stems.flatMap((s) => [`${s} huawei-privatenumber`, `${s} asterisk`]));
    expect(report.targets.map((t) => [t.profile, t.summary.converted])).toEqual([
      ['huawei-privatenumber', FILES],
      ['asterisk', FILES],
    ]);
    expect(report.summary.total).toBe(2 * FILES);
  }, 150_000);

  it('writes entries while the run goes on: a run killed part-way has printed the outputs finished before it', async () => {
    const dir = path.join(tmp, 'targets-killed');
    await fs.mkdir(dir);
    const r = await runCli(['convert', alawSrc, '--out', path.join(dir, 'out'), '--profile', profiles, '--json', '--jobs', '2', '--no-ledger'], {
      cwd: dir,
      env: { PROMPTPREP_CRASH_AT: 'placed:30' },
      timeoutMs: 120_000,
    });
    expect(r.signal).toBe('SIGKILL');
    const cut = r.stdout.lastIndexOf('\n    }');
    expect(cut).toBeGreaterThan(0);
    const prefix = JSON.parse(`${r.stdout.slice(0, cut)}\n    }\n  ]\n}`) as { files: (ConvertFileResult & { target: string })[] };
    expect(prefix.files.length).toBeGreaterThan(0);
    expect(prefix.files.length).toBeLessThan(2 * FILES);
    const order = stems.flatMap((s) => [`${s} huawei-privatenumber`, `${s} asterisk`]);
    expect(prefix.files.map((f) => `${path.basename(f.source, '.wav')} ${f.target}`)).toEqual(order.slice(0, prefix.files.length));
    for (const f of prefix.files) expect((await fs.stat(f.output as string)).size).toBe(f.stats?.bytes);
  }, 150_000);

  it('convertTargetsEach hands results on in report order, keeps none, and returns the per-target totals', async () => {
    const seen: string[] = [];
    const out = path.join(tmp, 'targets-lib');
    const totals = await convertTargetsEach(
      [src],
      {
        jobs: 2,
        targets: [
          { profile: getProfile('huawei-privatenumber'), outDir: path.join(out, 'huawei-privatenumber') },
          { profile: getProfile('asterisk'), outDir: path.join(out, 'asterisk') },
        ],
      },
      (f) => void seen.push(`${path.basename(f.source, '.wav')} ${f.target}`),
    );
    expect(seen).toEqual(stems.flatMap((s) => [`${s} huawei-privatenumber`, `${s} asterisk`]));
    expect(totals.summary).toEqual({ total: 2 * FILES, converted: 2 * FILES, skipped: 0, failed: 0, planned: 0 });
    expect(totals.targets.map((t) => [t.profile, t.summary.converted])).toEqual([
      ['huawei-privatenumber', FILES],
      ['asterisk', FILES],
    ]);
  }, 150_000);
});

describe('the ledger is written while the run goes on', () => {
  it('prompts are in the ledger while later sources still wait; the rest once the run ends', async () => {
    const dir = path.join(tmp, 'ledger-overlap');
    const many = path.join(dir, 'src');
    await fs.mkdir(many, { recursive: true });
    const count = 400;
    for (let k = 0; k < count; k++) await fs.writeFile(path.join(many, `l${String(k).padStart(3, '0')}.wav`), pcmWav({ seconds: 0.1, seed: k, frequency: 500 + k }));
    const ledgerFile = path.join(dir, 'ledger.sqlite');
    const rows = async (): Promise<number> => {
      try {
        const db = new Database(ledgerFile, { readonly: true, fileMustExist: true });
        try {
          return (db.prepare('SELECT count(*) AS n FROM versions').get() as { n: number }).n;
        } finally {
          db.close();
        }
      } catch {
        return 0;
      }
    };
    // stdout is not read: once its buffer is full (a socket pair under Node's 'pipe',
    // some 200 KB, a fraction of the 400 entries' report) the run holds new sources back
    // (the report waits for its reader), so it cannot end; the prompts it finished must
    // still reach the ledger, a batch at a time, while it waits.
    const out = path.join(dir, 'out');
    const child = spawn(process.execPath, [CLI, 'convert', many, '--out', out, '--json', '--jobs', '1', '--ledger', ledgerFile], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pause();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let alive = true;
    void exited.then(() => (alive = false));
    try {
      // Held back, the run comes to rest once what it had taken is finished: no ffmpeg, no
      // thread running or runnable, none woken for a second (longer than the recorder's
      // batch time, so no commit is pending). Seen from the process, not from the ledger:
      // how long a loaded machine takes to start the run or between batches does not matter.
      const rested = await waitUntilIdle(child.pid as number, 1_000, 90_000);
      expect(rested, `the run did not come to rest while its report waited (${await rows()} in the ledger, ${await outputsIn(out)} outputs)\n${stderr}`).toBe(true);
      // The ledger first, then the outputs: both only grow, so equal means every prompt
      // finished by the time the ledger was read was in it.
      const recorded = await rows();
      const placed = await outputsIn(out);
      expect(alive, stderr).toBe(true);
      expect(recorded).toBeGreaterThan(0);
      expect(recorded).toBe(placed);
      expect(recorded).toBeLessThan(count);
    } finally {
      child.stdout.resume();
    }
    expect(await exited, stderr).toBe(0);
    expect(await rows()).toBe(count);
    // Every result that found stdout full waited for the same drain: no listener a result
    // (Node warned of a leak past 10 and printed it on stderr).
    expect(stderr).toBe('');
  }, 150_000);
});
