/**
 * Crash trials of the built `promptprep convert`: killed with SIGKILL at many moments of
 * a 50-file batch (some exact, through the PROMPTPREP_CRASH_AT hook of src/crash-point.ts;
 * some after n files were reported; some at random), then run again plainly. The re-run
 * must exit 0 with every output valid and recorded (in its stats record and the ledger),
 * and leave nothing stale in --out or in the temp folder (TMPDIR, one per trial).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../src/check.js';
import { readStatsRecord } from '../src/convert/index.js';
import { CLI, runCli, type CliResult } from './helpers/cli.js';
import { parseConvertJson } from './helpers/convert-cli.js';
import { listTree } from './helpers/convert-audio.js';
import { counts } from './helpers/ledger-fixtures.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { alawWav, pcmWav, sha256, sha256Of } from './helpers/watch-files.js';

const FILES = 50;
let tmp: string;
let src: string;
const sourceSha = new Map<string, string>();
const stems = Array.from({ length: FILES }, (_, k) => `p${String(k).padStart(2, '0')}`);

beforeAll(async () => {
  tmp = await makeTempDir('promptprep-convert-crash-');
  src = path.join(tmp, 'src');
  await fs.mkdir(src);
  // Half need ffmpeg (16-bit 16 kHz), half are conforming A-law (copied, no ffmpeg).
  for (const [k, stem] of stems.entries()) {
    const data = k % 2 === 0 ? pcmWav({ seconds: 0.4, seed: k, frequency: 300 + k * 7 }) : alawWav({ seconds: 0.4, seed: k, frequency: 300 + k * 7 });
    await fs.writeFile(path.join(src, `${stem}.wav`), data);
    sourceSha.set(stem, sha256(data));
  }
});
afterAll(async () => {
  await removeTempDir(tmp);
});

interface Trial {
  dir: string;
  out: string;
  tmpdir: string;
  ledger: string;
}

async function newTrial(name: string): Promise<Trial> {
  const dir = path.join(tmp, name);
  const t = { dir, out: path.join(dir, 'out'), tmpdir: path.join(dir, 'tmp'), ledger: path.join(dir, 'ledger.sqlite') };
  await fs.mkdir(t.tmpdir, { recursive: true });
  return t;
}

const env = (t: Trial, extra: Record<string, string | undefined> = {}) => ({
  TMPDIR: t.tmpdir,
  PROMPTPREP_CACHE_DIR: path.join(tmp, 'cache'),
  PROMPTPREP_CRASH_AT: undefined,
  ...extra,
});
const args = (t: Trial, extra: string[]) => ['convert', src, '--out', t.out, '--ledger', t.ledger, '--jobs', '2', ...extra];

/** Spawn convert, kill it with SIGKILL once `when` resolves (given the count of reported files). */
async function killedRun(t: Trial, extra: string[], when: (reported: () => number) => Promise<unknown>): Promise<{ signal: NodeJS.Signals | null; reported: number }> {
  const child = spawn(process.execPath, [CLI, ...args(t, extra)], { cwd: t.dir, env: { ...process.env, ...env(t) } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let reported = 0;
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    reported += lines.filter((l) => /^(converted|skipped|FAILED) /.test(l)).length;
  });
  child.stderr.resume();
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  await Promise.race([when(() => reported), exited]);
  child.kill('SIGKILL');
  return { signal: await exited, reported };
}

const afterReported = (n: number) => async (reported: () => number) => {
  while (reported() < n) await new Promise((r) => setTimeout(r, 2));
};
const afterMs = (ms: number) => () => new Promise((r) => setTimeout(r, ms));

async function verify(t: Trial, note: string, rerun: CliResult): Promise<void> {
  expect(rerun.code, `${note}\n${rerun.stdout.slice(-3000)}\n${rerun.stderr}`).toBe(0);
  const report = parseConvertJson(rerun.stdout);
  expect(report.summary, note).toMatchObject({ total: FILES, failed: 0 });
  const outputs = stems.map((s) => path.join(t.out, `${s}.wav`));
  for (const [k, stem] of stems.entries()) {
    const out = outputs[k] as string;
    const record = await readStatsRecord(out);
    expect(record?.sourceSha256, `${note}: ${stem} record`).toBe(sourceSha.get(stem));
    expect(record?.outputSha256, `${note}: ${stem} record matches the output`).toBe(await sha256Of(out));
  }
  const checked = await checkFiles(outputs);
  expect(checked.files.filter((f) => !f.ok).map((f) => f.path), note).toEqual([]);
  // Nothing but the prompts and their records: no partial, no scratch.
  expect(await listTree(t.out), `${note}: --out`).toEqual(['.promptprep/', ...stems.map((s) => `.promptprep/${s}.wav.json`), ...stems.map((s) => `${s}.wav`)]);
  expect(await listTree(t.tmpdir), `${note}: temp folder`).toEqual([]);
  expect(counts(t.ledger).prompts, `${note}: every prompt in the ledger`).toBe(FILES);
}

type Kill = { label: string; first: (t: Trial, extra: string[]) => Promise<{ signal: NodeJS.Signals | null; detail: string }> };

/** The process kills itself (SIGKILL) the n-th time it reaches the moment. */
const at = (moment: string, n: number): Kill => ({
  label: `at ${moment} #${n}`,
  first: async (t, extra) => {
    const r = await runCli(args(t, extra), { cwd: t.dir, env: env(t, { PROMPTPREP_CRASH_AT: `${moment}:${n}` }), timeoutMs: 60_000 });
    return { signal: r.signal, detail: r.stdout.split('\n').filter((l) => l.startsWith('converted ')).length + ' reported' };
  },
});
const afterFiles = (n: number): Kill => ({
  label: `after ${n} file(s) were reported`,
  first: async (t, extra) => {
    const r = await killedRun(t, extra, afterReported(n));
    return { signal: r.signal, detail: `${r.reported} reported` };
  },
});
const random = (k: number): Kill => {
  const ms = 30 + Math.floor(Math.random() * 1500);
  return {
    label: `at random #${k} (${ms} ms)`,
    first: async (t, extra) => {
      const r = await killedRun(t, extra, afterMs(ms));
      return { signal: r.signal, detail: `${r.reported} reported` };
    },
  };
};

const kills: Kill[] = [
  // The output's bytes are on disk under a hidden name; its record is not written yet.
  at('staged', 1),
  at('staged', 24),
  // The record is durable; the output is not in place yet.
  at('recorded', 1),
  at('recorded', 17),
  at('recorded', 50),
  // The output is in place.
  at('placed', 1),
  at('placed', 2),
  at('placed', 13),
  at('placed', 26),
  at('placed', 49),
  at('placed', 50),
  afterFiles(1),
  afterFiles(5),
  afterFiles(20),
  afterFiles(35),
  afterFiles(50),
  random(1),
  random(2),
  random(3),
  random(4),
];

describe('convert killed with SIGKILL, then run again plainly', () => {
  it.each(kills.map((k, i) => [k.label, k, i] as const))('killed %s: the re-run completes, all valid, nothing stale', async (label, kill, i) => {
    const t = await newTrial(`fresh${i}`);
    const first = await kill.first(t, []);
    const note = `killed ${label} (${first.detail})`;
    // The run may have finished before a random kill; an exact one must have hit.
    if (label.startsWith('at ') && !label.startsWith('at random')) expect(first.signal, note).toBe('SIGKILL');
    const rerun = await runCli(args(t, ['--json']), { cwd: t.dir, env: env(t), timeoutMs: 60_000 });
    await verify(t, note, rerun);
  }, 120_000);
});

describe('convert killed while it replaces its own outputs (options changed), then run again', () => {
  const replacing: Kill[] = [at('staged', 5), at('recorded', 5), at('placed', 5), afterFiles(10)];
  it.each(replacing.map((k, i) => [k.label, k, i] as const))('killed %s: the re-run completes, all valid, nothing stale', async (label, kill, i) => {
    const t = await newTrial(`replace${i}`);
    const prep = await runCli(args(t, []), { cwd: t.dir, env: env(t), timeoutMs: 60_000 });
    expect(prep.code, prep.stdout + prep.stderr).toBe(0);
    const first = await kill.first(t, ['--band-limit']);
    const note = `killed ${label} (${first.detail})`;
    if (label.startsWith('at ')) expect(first.signal, note).toBe('SIGKILL');
    const rerun = await runCli(args(t, ['--band-limit', '--json']), { cwd: t.dir, env: env(t), timeoutMs: 60_000 });
    await verify(t, note, rerun);
  }, 120_000);
});
