/**
 * `promptprep convert` as a command: exit codes (0 all good, 1 some file failed, 2 usage
 * or configuration), the --json report's shape, the non-TTY text (one line per file and
 * a summary), --dry-run, --shard, and never a stack trace on stderr.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, CLI, runCli, STACK_LINE, type CliResult } from './helpers/cli.js';
import { codec, exists, inParallel, listTree, makeSource, readPrompt } from './helpers/convert-audio.js';
import { parseConvertJson, parseConvertText } from './helpers/convert-cli.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let good: string;
let mixed: string;
const p = (...parts: string[]): string => path.join(dir, ...parts);
let outs = 0;
const freshOut = (): string => p(`out-${outs++}`);

function expectNoStack(res: CliResult): void {
  expect(res.stderr).not.toMatch(STACK_LINE);
  expect(res.stdout).not.toMatch(STACK_LINE);
  expect(res.signal).toBeNull();
}

beforeAll(async () => {
  dir = await makeTempDir('promptprep-convert-cli-');
  good = p('good');
  mixed = p('mixed');
  await fs.mkdir(good);
  await fs.mkdir(mixed);
  await inParallel([
    () => makeSource(path.join(good, 'one.mp3'), { seconds: 0.5, codec: codec('mp3'), rate: 44100 }),
    () => makeSource(path.join(good, 'two.flac'), { seconds: 0.5, codec: codec('flac') }),
    () => makeSource(path.join(good, 'three.wav'), { seconds: 0.5, codec: codec('alaw'), rate: 8000 }),
    () => makeSource(path.join(mixed, 'fine.ogg'), { seconds: 0.5, codec: codec('vorbis'), rate: 22050 }),
    () => fs.writeFile(path.join(mixed, 'text.mp3'), 'not audio at all\n'),
    () => makeSource(path.join(mixed, 'bad name.wav'), { seconds: 0.5 }),
  ]);
  await fs.writeFile(p('bad-config.json'), JSON.stringify({ convert: { normalise: true } }));
  await fs.writeFile(p('broken-config.json'), '{ "convert": ');
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('convert CLI: exit codes', () => {
  it('0 with its output read by something that stops early (`| head`): no crash, every file written', async () => {
    const out = freshOut();
    const child = spawn(process.execPath, [CLI, 'convert', good, '--out', out], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the CLI writes its first line, so every write meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    for (const n of ['one.wav', 'two.wav', 'three.wav']) await readPrompt(path.join(out, n));
  });

  it('0 when every file converts', async () => {
    const out = freshOut();
    const res = await runCli(['convert', good, '--out', out]);
    expectNoStack(res);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    for (const n of ['one.wav', 'two.wav', 'three.wav']) await readPrompt(path.join(out, n));
  });

  it('1 when some file fails; the others are still written', async () => {
    const out = freshOut();
    const res = await runCli(['convert', mixed, '--out', out]);
    expectNoStack(res);
    expect(res.code).toBe(1);
    expect((await listTree(out)).filter((f) => !f.startsWith('.'))).toEqual(['fine.wav']);
  });

  it.concurrent.each([
    ['missing --out', ['convert', 'GOOD'], '--out'],
    ['an unknown flag', ['convert', 'GOOD', '--out', 'NEVER', '--normalise'], '--normalise'],
    ['a missing input path', ['convert', 'NO-SUCH', '--out', 'NEVER'], 'no-such-dir'],
    ['--shard 3/2', ['convert', 'GOOD', '--out', 'NEVER', '--shard', '3/2'], '3/2'],
    ['--shard x', ['convert', 'GOOD', '--out', 'NEVER', '--shard', 'x'], '--shard'],
    ['--jobs 0', ['convert', 'GOOD', '--out', 'NEVER', '--jobs', '0'], '--jobs'],
    ['a config with an unknown key', ['convert', 'GOOD', '--out', 'NEVER', '--config', 'BAD-CONFIG'], 'normalise'],
    ['a config that is not JSON', ['convert', 'GOOD', '--out', 'NEVER', '--config', 'BROKEN-CONFIG'], 'broken-config.json'],
  ])('2 for %s, with a message and nothing written', async (label, template, mentions) => {
    const never = p(`never-${label.replace(/\W+/g, '-')}`);
    const map: Record<string, string> = { GOOD: good, NEVER: never, 'NO-SUCH': p('no-such-dir'), 'BAD-CONFIG': p('bad-config.json'), 'BROKEN-CONFIG': p('broken-config.json') };
    const res = await runCli(template.map((a) => map[a] ?? a));
    expectNoStack(res);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().length).toBeGreaterThan(0);
    expect(res.stderr).toContain(mentions);
    expect(res.stdout).toBe('');
    expect(await exists(never)).toBe(false);
  });
});

describe('convert CLI: output', () => {
  it('--json prints the report: files with source, output, status, errors, warnings; a summary', async () => {
    const out = freshOut();
    const res = await runCli(['convert', mixed, good, '--out', out, '--json']);
    expectNoStack(res);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    const report = parseConvertJson(res.stdout);
    expect(Object.keys(report).sort()).toEqual(['files', 'summary']);
    expect(report.summary).toMatchObject({ total: 6, converted: 4, skipped: 0, failed: 2 });
    for (const k of ['total', 'converted', 'skipped', 'failed'] as const) expect(typeof report.summary[k]).toBe('number');
    for (const f of report.files) {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['source', 'output', 'status', 'errors', 'warnings']));
      expect(typeof f.source).toBe('string');
      expect(Array.isArray(f.warnings)).toBe(true);
      for (const e of [...f.errors, ...f.warnings]) {
        expect(Object.keys(e).sort()).toEqual(['code', 'message']);
        expect(typeof e.code).toBe('string');
        expect(typeof e.message).toBe('string');
      }
      if (f.status === 'converted') {
        expect(f.errors).toEqual([]);
        expect(typeof f.output).toBe('string');
      } else {
        expect(f.status).toBe('failed');
        expect(f.output).toBeNull();
        expect(f.errors.length).toBeGreaterThan(0);
      }
    }
    const bySource = Object.fromEntries(report.files.map((f) => [path.basename(f.source), [f.status, f.errors.map((e) => e.code)]]));
    expect(bySource).toEqual({
      'bad name.wav': ['failed', ['name-charset']],
      'fine.ogg': ['converted', []],
      'text.mp3': ['failed', ['not-audio']],
      'one.mp3': ['converted', []],
      'two.flac': ['converted', []],
      'three.wav': ['converted', []],
    });
    // Sources are reported sorted by path, whatever order they were given or finished in.
    expect(report.files.map((f) => path.relative(dir, f.source))).toEqual([
      'good/one.mp3',
      'good/three.wav',
      'good/two.flac',
      'mixed/bad name.wav',
      'mixed/fine.ogg',
      'mixed/text.mp3',
    ]);
  });

  it('non-TTY text: one line per file plus a summary line, findings indented, no colours', async () => {
    const out = freshOut();
    const res = await runCli(['convert', mixed, good, '--out', out]);
    expectNoStack(res);
    expect(res.stdout).not.toMatch(ANSI);
    expect(res.stderr).toBe('');
    const text = parseConvertText(res.stdout);
    expect(text.files.length).toBe(6);
    expect(text.topLines.length).toBe(7);
    expect(text.topLines[6]).toBe(text.summary);
    expect(text.summary).toBe('6 file(s): 4 converted, 0 skipped (up to date), 2 failed.');
    const failed = text.files.filter((f) => f.tag === 'FAILED');
    expect(failed.map((f) => [path.basename(f.source), f.errors]).sort()).toEqual([
      ['bad name.wav', ['name-charset']],
      ['text.mp3', ['not-audio']],
    ]);
    for (const f of text.files.filter((x) => x.tag === 'converted')) expect(await exists(f.output!)).toBe(true);

    // A re-run: every good file is "skipped", on one line each.
    const again = parseConvertText((await runCli(['convert', good, '--out', out])).stdout);
    expect(again.files.map((f) => f.tag)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(again.summary).toBe('3 file(s): 0 converted, 3 skipped (up to date), 0 failed.');
  });

  it('--dry-run writes nothing (no output directory) and reports "planned"', async () => {
    const out = p('dry', 'prompts');
    const json = await runCli(['convert', good, '--out', out, '--dry-run', '--json']);
    expectNoStack(json);
    expect(json.code).toBe(0);
    const report = parseConvertJson(json.stdout);
    expect(report.files.map((f) => f.status)).toEqual(['planned', 'planned', 'planned']);
    expect(report.summary).toMatchObject({ total: 3, converted: 0, skipped: 0, failed: 0 });
    const text = await runCli(['convert', good, '--out', out, '-n']);
    expect(text.code).toBe(0);
    expect(parseConvertText(text.stdout).files.map((f) => f.tag)).toEqual(['would convert', 'would convert', 'would convert']);
    expect(text.stdout).toContain('nothing written');
    expect(await exists(p('dry'))).toBe(false);
  });

  it('--shard i/n: the shards partition the sources', async () => {
    const seen: string[] = [];
    for (const shard of ['1/2', '2/2']) {
      const out = freshOut();
      const res = await runCli(['convert', good, mixed, '--out', out, '--shard', shard, '--json']);
      expectNoStack(res);
      seen.push(...parseConvertJson(res.stdout).files.map((f) => path.basename(f.source)));
    }
    expect(seen.sort()).toEqual(['bad name.wav', 'fine.ogg', 'one.mp3', 'text.mp3', 'three.wav', 'two.flac']);
  });

  it('every output passes `promptprep check` (exit 0)', async () => {
    const out = freshOut();
    expect((await runCli(['convert', good, mixed, '--out', out, '--rename'])).code).toBe(1);
    expect((await listTree(out)).filter((f) => !f.startsWith('.'))).toEqual(['bad_name.wav', 'fine.wav', 'one.wav', 'three.wav', 'two.wav']);
    const check = await runCli(['check', out]);
    expectNoStack(check);
    expect(check.code).toBe(0);
  });
});
