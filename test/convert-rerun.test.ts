/**
 * Re-runs of `convert`: an up-to-date output is skipped and not rewritten; a change of
 * option or of the source bytes converts again; --force redoes everything. Also
 * --dry-run (writes nothing) and --shard (a partition of the sources).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertFiles, statsPathFor, type ConvertOptions, type ConvertReport } from '../src/convert/index.js';
import { codec, exists, inParallel, listTree, makeSource, readPrompt, toneExpr } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let src: string;
const NAMES = ['alpha.mp3', 'bravo.flac', 'charlie.wav', 'delta.wav', 'echo.ogg'];

interface Snapshot {
  ino: number;
  mtimeMs: number;
  statsIno: number;
  statsMtimeMs: number;
}

async function snapshot(outDir: string): Promise<Map<string, Snapshot>> {
  const out = new Map<string, Snapshot>();
  for (const n of NAMES) {
    const o = path.join(outDir, `${path.basename(n, path.extname(n))}.wav`);
    const [st, ss] = await Promise.all([fs.stat(o), fs.stat(statsPathFor(o))]);
    out.set(n, { ino: st.ino, mtimeMs: st.mtimeMs, statsIno: ss.ino, statsMtimeMs: ss.mtimeMs });
  }
  return out;
}

const statuses = (r: ConvertReport): Record<string, string> =>
  Object.fromEntries(r.files.map((f) => [path.basename(f.source), f.status]));
const all = (status: string, names = NAMES): Record<string, string> => Object.fromEntries(names.map((n) => [n, status]));

beforeAll(async () => {
  dir = await makeTempDir('promptprep-convert-rerun-');
  src = path.join(dir, 'src');
  await fs.mkdir(src);
  await inParallel([
    () => makeSource(path.join(src, 'alpha.mp3'), { seconds: 0.6, codec: codec('mp3'), rate: 44100 }),
    () => makeSource(path.join(src, 'bravo.flac'), { seconds: 0.6, codec: codec('flac'), channels: 2 }),
    () => makeSource(path.join(src, 'charlie.wav'), { seconds: 0.6, codec: codec('alaw'), rate: 8000 }),
    () => makeSource(path.join(src, 'delta.wav'), { seconds: 0.6, rate: 48000 }),
    () => makeSource(path.join(src, 'echo.ogg'), { seconds: 0.6, codec: codec('vorbis'), rate: 44100 }),
  ]);
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('convert: re-runs', () => {
  let out: string;
  const run = (o: Omit<ConvertOptions, 'outDir'> = {}) => convertFiles([src], { outDir: out, jobs: 2, ...o });

  beforeAll(() => {
    out = path.join(dir, 'out');
  });

  it('the first run converts everything', async () => {
    const r = await run();
    expect(statuses(r)).toEqual(all('converted'));
  });

  it('a second run skips every file and rewrites nothing (mtime unchanged)', async () => {
    const before = await snapshot(out);
    const r = await run();
    expect(statuses(r)).toEqual(all('skipped'));
    expect(r.summary).toMatchObject({ total: 5, converted: 0, skipped: 5, failed: 0 });
    for (const f of r.files) expect(f.output).not.toBeNull();
    expect(await snapshot(out)).toEqual(before);
  });

  it('changing an option (--normalize) converts again, then skips again', async () => {
    const before = await snapshot(out);
    const r = await run({ normalize: true });
    expect(statuses(r)).toEqual(all('converted'));
    const after = await snapshot(out);
    for (const n of NAMES) expect(after.get(n)!.ino, n).not.toBe(before.get(n)!.ino);
    expect(statuses(await run({ normalize: true }))).toEqual(all('skipped'));
    expect(await snapshot(out)).toEqual(after);
    // ...and going back to no --normalize is a change too.
    expect(statuses(await run())).toEqual(all('converted'));
  });

  it('changing the source bytes converts that file again; the others are skipped', async () => {
    const before = await snapshot(out);
    const oldBytes = await fs.readFile(path.join(out, 'bravo.wav'));
    await makeSource(path.join(src, 'bravo.flac'), { seconds: 0.6, codec: codec('flac'), channels: 2, expr: toneExpr(660, -18) });
    const r = await run();
    expect(statuses(r)).toEqual({ ...all('skipped'), 'bravo.flac': 'converted' });
    const after = await snapshot(out);
    expect(after.get('bravo.flac')!.ino).not.toBe(before.get('bravo.flac')!.ino);
    for (const n of NAMES.filter((x) => x !== 'bravo.flac')) expect(after.get(n)).toEqual(before.get(n));
    expect((await fs.readFile(path.join(out, 'bravo.wav'))).equals(oldBytes)).toBe(false);
  });

  it("an output changed by hand is no longer promptprep's: left untouched (output-exists), not skipped or replaced", async () => {
    const target = path.join(out, 'delta.wav');
    const good = await fs.readFile(target);
    const edited = Buffer.from(good);
    edited[100] = edited[100]! ^ 0xff;
    await fs.writeFile(target, edited);
    const r = await run();
    expect(statuses(r)).toEqual({ ...all('skipped'), 'delta.wav': 'failed' });
    expect(r.files.find((f) => f.source.endsWith('delta.wav'))?.errors.map((e) => e.code)).toEqual(['output-exists']);
    expect((await fs.readFile(target)).equals(edited)).toBe(true);
    // Put back as promptprep wrote it, it is promptprep's again.
    await fs.writeFile(target, good);
    expect(statuses(await run())).toEqual(all('skipped'));
  });

  it('--force converts everything again, with the same bytes', async () => {
    const before = await snapshot(out);
    const bytes = await Promise.all(NAMES.map((n) => fs.readFile(path.join(out, `${path.basename(n, path.extname(n))}.wav`))));
    const r = await run({ force: true });
    expect(statuses(r)).toEqual(all('converted'));
    const after = await snapshot(out);
    for (const [i, n] of NAMES.entries()) {
      expect(after.get(n)!.ino, n).not.toBe(before.get(n)!.ino);
      expect((await fs.readFile(path.join(out, `${path.basename(n, path.extname(n))}.wav`))).equals(bytes[i]!), n).toBe(true);
    }
    expect((await listTree(out)).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});

describe('convert: re-run with the output folder inside the source folder', () => {
  // `promptprep convert . --out prompts`: the second run walks prompts/ too. Its outputs
  // must not become sources that collide with their own sources (a.mp3 and prompts/a.wav
  // would both become a.wav).
  it('the second run skips; it does not fail with name-collision', async () => {
    const root = path.join(dir, 'nested-root');
    await fs.mkdir(root);
    await fs.copyFile(path.join(src, 'alpha.mp3'), path.join(root, 'alpha.mp3'));
    const out = path.join(root, 'prompts');
    const first = await convertFiles([root], { outDir: out });
    expect(statuses(first)).toEqual({ 'alpha.mp3': 'converted' });
    const second = await convertFiles([root], { outDir: out });
    expect(second.summary.failed).toBe(0);
    expect(second.files.find((f) => path.basename(f.source) === 'alpha.mp3')?.status).toBe('skipped');
  });
});

describe('convert --dry-run', () => {
  it('writes nothing (the output directory is not even created) and reports "planned"', async () => {
    const out = path.join(dir, 'dry', 'nested');
    const r = await convertFiles([src], { outDir: out, dryRun: true });
    expect(statuses(r)).toEqual(all('planned'));
    expect(r.summary).toMatchObject({ total: 5, converted: 0, skipped: 0, failed: 0, planned: 5 });
    for (const f of r.files) expect(f.output).toBe(path.join(out, `${path.basename(f.source, path.extname(f.source))}.wav`));
    expect(await exists(path.join(dir, 'dry'))).toBe(false);
  });

  it('on an up-to-date output directory reports skipped files and changes nothing', async () => {
    const out = path.join(dir, 'dry-existing');
    await convertFiles([path.join(src, 'alpha.mp3')], { outDir: out });
    const before = await listTree(out);
    const st = await fs.stat(path.join(out, 'alpha.wav'));
    const r = await convertFiles([src], { outDir: out, dryRun: true, force: false });
    expect(statuses(r)).toEqual({ ...all('planned'), 'alpha.mp3': 'skipped' });
    expect(await listTree(out)).toEqual(before);
    expect((await fs.stat(path.join(out, 'alpha.wav'))).mtimeMs).toBe(st.mtimeMs);
  });
});

describe('convert --shard', () => {
  it('i/n partitions the sources: disjoint, complete, each shard writes only its own', async () => {
    const n = 3;
    const seen: string[] = [];
    for (let i = 1; i <= n; i++) {
      const out = path.join(dir, `shard-${i}`);
      const r = await convertFiles([src], { outDir: out, shard: { index: i, count: n }, jobs: 1 });
      const names = r.files.map((f) => path.basename(f.source));
      for (const f of r.files) expect(f.status).toBe('converted');
      seen.push(...names);
      const written = (await listTree(out)).filter((f) => f.endsWith('.wav') && !f.startsWith('.'));
      expect(written).toEqual(names.map((x) => `${path.basename(x, path.extname(x))}.wav`).sort());
      for (const w of written) await readPrompt(path.join(out, w));
    }
    expect(seen.sort()).toEqual([...NAMES].sort());
    expect(new Set(seen).size).toBe(NAMES.length);
  });

  it('a shard is the same whatever else is in the batch (membership by path, not position)', async () => {
    const whole = await convertFiles([src], { outDir: path.join(dir, 'shard-x'), shard: { index: 2, count: 3 }, dryRun: true });
    const named = await convertFiles(
      NAMES.map((n) => path.join(src, n)),
      { outDir: path.join(dir, 'shard-y'), shard: { index: 2, count: 3 }, dryRun: true },
    );
    expect(named.files.map((f) => f.source)).toEqual(whole.files.map((f) => f.source));
  });
});
