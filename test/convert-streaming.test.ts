/**
 * `convert --json` streams its report: each file's entry is written once it and every
 * file before it are done (in the order of the sources, as before), so a run of any size
 * holds no report, and what a killed run printed is a true prefix of the report. The text
 * is exactly the layout of JSON.stringify(report, null, 2).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFilesEach, type ConvertFileResult } from '../src/convert/index.js';
import { runCli } from './helpers/cli.js';
import { parseConvertJson } from './helpers/convert-cli.js';
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
});
