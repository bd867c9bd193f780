/**
 * What `convert` may replace and leave behind (issue #12.3-7, #13.13): a kill between
 * placing an output and recording it, leftovers of killed runs, outputs promptprep did not
 * write (or that changed since), links at output paths, hidden output names, folders
 * named like audio files, links that leave the input tree, and an --out folder made only
 * when something is written.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFiles, readStatsRecord } from '../src/convert/index.js';
import { ownerTag } from '../src/stale-files.js';
import { runCli } from './helpers/cli.js';
import { parseConvertJson } from './helpers/convert-cli.js';
import { listTree, readPrompt } from './helpers/convert-audio.js';
import { counts } from './helpers/ledger-fixtures.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { alawWav, pcmWav, sha256Of } from './helpers/watch-files.js';

let tmp: string;
let n = 0;
/** A fresh folder for one test. */
async function fresh(): Promise<string> {
  const dir = path.join(tmp, `t${n++}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  tmp = await makeTempDir('promptprep-convert-safety-');
});
afterAll(async () => {
  await removeTempDir(tmp);
});

const codes = (f: { errors: { code: string }[] } | undefined) => (f?.errors ?? []).map((e) => e.code);

async function sources(dir: string, names: string[]): Promise<string> {
  const src = path.join(dir, 'src');
  await fs.mkdir(src, { recursive: true });
  for (const [k, name] of names.entries()) {
    await fs.writeFile(path.join(src, name), k % 2 === 0 ? pcmWav({ seconds: 0.4, seed: k }) : alawWav({ seconds: 0.4, seed: k }));
  }
  return src;
}

/** The CLI in `dir`, with its own temp folder, cache and ledger. */
async function cli(dir: string, args: string[], env: Record<string, string | undefined> = {}) {
  await fs.mkdir(path.join(dir, 'tmp'), { recursive: true });
  return runCli(args, {
    cwd: dir,
    env: { TMPDIR: path.join(dir, 'tmp'), PROMPTPREP_CACHE_DIR: path.join(dir, 'cache'), PROMPTPREP_CRASH_AT: undefined, ...env },
    timeoutMs: 60_000,
  });
}

describe('#12.3 a kill between placing an output and recording it', () => {
  it('never leaves an output without its record: a plain re-run completes, and every prompt reaches the ledger', async () => {
    const dir = await fresh();
    const src = await sources(dir, ['a.wav', 'b.wav', 'c.wav', 'd.wav']);
    const out = path.join(dir, 'out');
    const ledger = path.join(dir, 'ledger.sqlite');
    // Killed (SIGKILL, by the PROMPTPREP_CRASH_AT hook) right after the 2nd output was renamed into place.
    const first = await cli(dir, ['convert', src, '--out', out, '--ledger', ledger], { PROMPTPREP_CRASH_AT: 'placed:2' });
    expect(first.signal, first.stdout + first.stderr).toBe('SIGKILL');
    const placed = (await listTree(out)).filter((f) => /^[a-d]\.wav$/.test(f));
    expect(placed.length).toBeGreaterThanOrEqual(2);
    for (const f of placed) expect(await readStatsRecord(path.join(out, f)), `${f} is in place, so its record is too`).not.toBeNull();

    const again = await cli(dir, ['convert', src, '--out', out, '--ledger', ledger, '--json']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(parseConvertJson(again.stdout).summary).toMatchObject({ total: 4, failed: 0 });
    expect(counts(ledger).prompts).toBe(4);
  });
});

describe('#12.4 leftovers of killed runs', () => {
  it('the next run removes the hidden partial files a killed run left in --out and --out/.promptprep', async () => {
    const dir = await fresh();
    const src = await sources(dir, ['a.wav', 'b.wav', 'c.wav']);
    const out = path.join(dir, 'out');
    // Killed with the first output's bytes written (hidden) and its record half done.
    const first = await cli(dir, ['convert', src, '--out', out, '--no-ledger'], { PROMPTPREP_CRASH_AT: 'staged:1' });
    expect(first.signal).toBe('SIGKILL');
    const partials = (await listTree(out)).filter((f) => f.endsWith('.partial'));
    expect(partials.length).toBeGreaterThanOrEqual(1);
    // One in the records folder too, as a kill in the middle of the record's write leaves it.
    await fs.mkdir(path.join(out, '.promptprep'), { recursive: true });
    const deadTag = path.basename(partials[0] as string).replace(/^.*\.([0-9a-f]{8}-\d+)-[0-9a-f]{12}\.partial$/, '$1');
    await fs.writeFile(path.join(out, '.promptprep', `.a.wav.json.${deadTag}-0123456789ab.partial`), '{"promp');

    const again = await cli(dir, ['convert', src, '--out', out, '--no-ledger']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await listTree(out)).toEqual(['.promptprep/', '.promptprep/a.wav.json', '.promptprep/b.wav.json', '.promptprep/c.wav.json', 'a.wav', 'b.wav', 'c.wav']);
  });

  it('the next run removes the decode scratch a killed run left in the temp folder', async () => {
    const dir = await fresh();
    const tmpdir = path.join(dir, 'tmp');
    const src = await sources(dir, ['a.wav', 'b.wav', 'c.wav']);
    const out = path.join(dir, 'out');
    // Killed while ffmpeg decodes into its scratch folder.
    const first = await cli(dir, ['convert', src, '--out', out, '--no-ledger'], { PROMPTPREP_CRASH_AT: 'decoding:1' });
    expect(first.signal).toBe('SIGKILL');
    expect((await fs.readdir(tmpdir)).length).toBeGreaterThanOrEqual(1);
    const again = await cli(dir, ['convert', src, '--out', out, '--no-ledger']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await listTree(tmpdir)).toEqual([]);
  });

  it("keeps the partial files of a run that is still going (another --shard into the same folder)", async () => {
    const dir = await fresh();
    const src = await sources(dir, ['a.wav']);
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    // This test process is alive: its tag marks a write in progress.
    const live = path.join(out, `.b.wav.${ownerTag()}-0123456789ab.partial`);
    await fs.writeFile(live, 'RIFF');
    const report = await convertFiles([src], { outDir: out });
    expect(report.summary.failed).toBe(0);
    expect(await fs.readFile(live, 'utf8')).toBe('RIFF');
  });
});

describe('#12.5 an output whose bytes no longer match the record is someone else\'s', () => {
  it.each([
    ['replaced by another file', async (o: string, other: string) => fs.copyFile(other, o)],
    ['edited in place', async (o: string) => fs.appendFile(o, Buffer.from([0]))],
  ])('%s: left untouched without --force (output-exists), replaced with it', async (_label, change) => {
    const dir = await fresh();
    const src = await sources(dir, ['a.wav', 'other.wav']);
    const out = path.join(dir, 'out');
    expect((await convertFiles([src], { outDir: out })).summary.converted).toBe(2);
    const a = path.join(out, 'a.wav');
    await change(a, path.join(out, 'other.wav'));
    const changed = await sha256Of(a);

    const report = await convertFiles([src], { outDir: out });
    const fa = report.files.find((f) => f.source.endsWith('a.wav'));
    expect(fa?.status).toBe('failed');
    expect(codes(fa)).toEqual(['output-exists']);
    expect(fa?.errors[0]?.message).toMatch(/not what promptprep wrote there/);
    expect(await sha256Of(a)).toBe(changed);
    // The other file is still promptprep's own, up to date.
    expect(report.files.find((f) => f.source.endsWith('other.wav'))?.status).toBe('skipped');

    const forced = await convertFiles([src], { outDir: out, force: true });
    expect(forced.files.find((f) => f.source.endsWith('a.wav'))?.status).toBe('converted');
    expect(await sha256Of(a)).toBe((await readStatsRecord(a))?.outputSha256);
  });
});

describe('#12.6 a link at an output path', () => {
  it.each([
    ['dangling', 'nowhere.wav'],
    ['to an existing file', 'elsewhere.wav'],
  ])('%s: output-exists without --force, the link left as it is; --force replaces the link, not its target', async (_label, target) => {
    const dir = await fresh();
    const src = await sources(dir, ['a.wav']);
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'elsewhere.wav'), 'not mine');
    const link = path.join(out, 'a.wav');
    await fs.symlink(target, link);

    const report = await convertFiles([src], { outDir: out });
    expect(codes(report.files[0])).toEqual(['output-exists']);
    expect(report.files[0]?.errors[0]?.message).toMatch(/symbolic link/);
    expect((await fs.lstat(link)).isSymbolicLink()).toBe(true);
    expect(await fs.readlink(link)).toBe(target);

    const forced = await convertFiles([src], { outDir: out, force: true });
    expect(forced.files[0]?.status).toBe('converted');
    expect((await fs.lstat(link)).isFile()).toBe(true);
    await readPrompt(link);
    expect(await fs.readFile(path.join(out, 'elsewhere.wav'), 'utf8')).toBe('not mine');
  });
});

describe('#12.7 names and the input walk', () => {
  it('a source named "..ogg" fails name-hidden with a suggestion; --rename gives it a visible name', async () => {
    const dir = await fresh();
    const src = path.join(dir, '..ogg');
    await fs.writeFile(src, pcmWav({ seconds: 0.4, seed: 9 }));
    const out = path.join(dir, 'out');
    const report = await convertFiles([src], { outDir: out });
    expect(codes(report.files[0])).toEqual(['name-hidden']);
    expect(report.files[0]?.errors[0]?.message).toMatch(/Rename it, e\.g\. to "prompt-[0-9a-f]{8}\.wav".*--rename/);
    expect(await listTree(out)).toEqual([]);

    const renamed = await convertFiles([src], { outDir: out, rename: true });
    expect(renamed.files[0]?.status).toBe('converted');
    expect(path.basename(renamed.files[0]?.output ?? '')).toMatch(/^prompt-[0-9a-f]{8}\.wav$/);
  });

  it('a folder named "x.flac" is reported (its files are still converted)', async () => {
    const dir = await fresh();
    const src = path.join(dir, 'src');
    await fs.mkdir(path.join(src, 'x.flac'), { recursive: true });
    await fs.writeFile(path.join(src, 'x.flac', 'in.wav'), alawWav({ seconds: 0.4, seed: 3 }));
    const report = await convertFiles([src], { outDir: path.join(dir, 'out') });
    const folder = report.files.find((f) => f.source === path.join(src, 'x.flac'));
    expect(folder?.status).toBe('failed');
    expect(folder?.errors[0]?.message).toMatch(/is a directory, not an audio file/);
    expect(report.files.find((f) => f.source.endsWith('in.wav'))?.status).toBe('converted');
  });

  it('a link to a folder outside the input tree is reported and not followed; a link back up the tree is not walked twice', async () => {
    const dir = await fresh();
    const src = path.join(dir, 'lib', 'src');
    await fs.mkdir(path.join(src, 'a'), { recursive: true });
    await fs.writeFile(path.join(src, 'a', 'in.wav'), alawWav({ seconds: 0.4, seed: 4 }));
    // Outside the tree, one level up: would be converted if the link were followed.
    await fs.writeFile(path.join(dir, 'lib', 'outside.wav'), alawWav({ seconds: 0.4, seed: 5 }));
    await fs.symlink('../..', path.join(src, 'a', 'up'));
    await fs.symlink('..', path.join(src, 'a', 'loop'));
    const report = await convertFiles([src], { outDir: path.join(dir, 'out') });
    expect(report.files.map((f) => [path.relative(src, f.source), f.status])).toEqual([
      ['a/in.wav', 'converted'],
      ['a/up', 'failed'],
    ]);
    expect(report.files[1]?.errors[0]?.message).toMatch(/outside .*not followed/);
  });
});

describe('#13.13 --out is created with the first output', () => {
  it('is not created when every source fails', async () => {
    const dir = await fresh();
    await fs.writeFile(path.join(dir, 'notes.wav'), 'not audio at all, just a text file with a .wav name\n'.repeat(20));
    const out = path.join(dir, 'out');
    const r = await cli(dir, ['convert', 'notes.wav', '--out', out, '--no-ledger']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect((await listTree(dir)).filter((f) => f.startsWith('out'))).toEqual([]);
  });

  it('is not created when ffmpeg is missing', async () => {
    const dir = await fresh();
    await sources(dir, ['a.wav']);
    const out = path.join(dir, 'out');
    const r = await cli(dir, ['convert', 'src/a.wav', '--out', out, '--no-ledger'], { FFMPEG_PATH: path.join(dir, 'no-ffmpeg') });
    expect(r.code, r.stdout + r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/FFMPEG_PATH/);
    expect((await listTree(dir)).filter((f) => f.startsWith('out'))).toEqual([]);
  });
});
