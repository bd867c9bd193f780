/**
 * The README's main job, run exactly as documented on the committed samples in
 * fixtures/sources/, compared with fixtures/sources.expected.json.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, STACK_LINE } from './helpers/cli.js';
import { readPrompt } from './helpers/convert-audio.js';
import { parseConvertJson, parseConvertText } from './helpers/convert-cli.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { listChunks } from './helpers/wav-edit.js';

const SOURCES = path.join(REPO_ROOT, 'fixtures', 'sources');

interface ExpectedFile {
  status: string;
  output?: string;
  errors?: string[];
}
interface ExpectedRun {
  command: string[];
  exitCode: number;
  files: Record<string, ExpectedFile>;
}
interface Expected {
  withRename: ExpectedRun;
  withoutRename: ExpectedRun;
}

let dir: string;
/** A copy of the checkout's fixtures/sources: the documented command runs as written, but not in the checkout. */
let project: string;
let expected: Expected;

beforeAll(async () => {
  dir = await makeTempDir('promptprep-convert-fixtures-');
  project = path.join(dir, 'project');
  await fs.cp(SOURCES, path.join(project, 'fixtures', 'sources'), { recursive: true });
  expected = JSON.parse(await fs.readFile(path.join(SOURCES, '..', 'sources.expected.json'), 'utf8')) as Expected;
});

afterAll(async () => {
  await removeTempDir(dir);
});

const args = (run: ExpectedRun, out: string): string[] => run.command.map((a) => (a === '<dir>' ? out : a));

describe('fixtures/sources: the README main job', () => {
  it('the samples are small: each under 40 KB, all under 150 KB', async () => {
    const names = (await fs.readdir(SOURCES)).filter((n) => !n.startsWith('.'));
    expect(names.sort()).toEqual(Object.keys(expected.withRename.files).sort());
    let total = 0;
    for (const n of names) {
      const { size } = await fs.stat(path.join(SOURCES, n));
      expect(size, n).toBeLessThan(40 * 1024);
      total += size;
    }
    expect(total).toBeLessThan(150 * 1024);
  });

  it('`node dist/cli.cjs convert fixtures/sources --out <dir> --rename` gives expected.json', async () => {
    const run = expected.withRename;
    const out = path.join(dir, 'prompts');
    const a = args(run, out);
    expect(a).toEqual(['convert', 'fixtures/sources', '--out', out, '--rename']);
    const res = await runCli(a, { cwd: project });
    expect(res.stderr).not.toMatch(STACK_LINE);
    expect(res.code).toBe(run.exitCode);
    const text = parseConvertText(res.stdout);
    const got = Object.fromEntries(
      text.files.map((f) => [
        path.basename(f.source),
        {
          status: f.tag === 'FAILED' ? 'failed' : f.tag,
          ...(f.output ? { output: path.relative(out, f.output) } : {}),
          ...(f.errors.length ? { errors: f.errors } : {}),
        },
      ]),
    );
    expect(got).toEqual(run.files);
    for (const f of text.files) expect(f.source.startsWith('fixtures/sources/'), f.source).toBe(true);
    for (const f of text.files) expect(f.warnings).toEqual([]);

    // Every prompt written is canonical and passes `promptprep check`.
    const outputs = Object.values(run.files).flatMap((f) => (f.output ? [f.output] : []));
    for (const o of outputs) await readPrompt(path.join(out, o));
    const check = await runCli(['check', out]);
    expect(check.code).toBe(0);

    // The A-law sample keeps its audio bytes; only its header is cleaned.
    const source = await fs.readFile(path.join(SOURCES, 'already-alaw.wav'));
    const d = listChunks(source).find((c) => c.id === 'data')!;
    const prompt = await readPrompt(path.join(out, 'already-alaw.wav'));
    expect(listChunks(source).map((c) => c.id)).toContain('LIST');
    expect(prompt.data.equals(source.subarray(d.offset + 8, d.offset + 8 + d.size))).toBe(true);
  });

  it('without --rename, as expected.json says', async () => {
    const run = expected.withoutRename;
    const out = path.join(dir, 'plain');
    const res = await runCli([...args(run, out), '--json'], { cwd: project });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(run.exitCode);
    const report = parseConvertJson(res.stdout);
    const got = Object.fromEntries(
      report.files.map((f) => [
        path.basename(f.source),
        {
          status: f.status,
          ...(f.output ? { output: path.relative(out, f.output) } : {}),
          ...(f.errors.length ? { errors: f.errors.map((e) => e.code) } : {}),
        },
      ]),
    );
    expect(got).toEqual(run.files);
  });
});
