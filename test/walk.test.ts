/** Collecting files from command-line paths. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walkSources } from '../src/convert/files.js';
import { walkInputs } from '../src/walk.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
const p = (...parts: string[]): string => path.join(dir, ...parts);
const rel = (entries: { path: string; problem?: string }[]): string[] => entries.map((e) => path.relative(dir, e.path));

beforeAll(async () => {
  dir = await makeTempDir('promptprep-walk-');
  await fs.mkdir(p('b', 'deep', 'deeper'), { recursive: true });
  await fs.mkdir(p('a'));
  await fs.mkdir(p('.git'));
  await fs.mkdir(p('folder.wav'));
  for (const f of ['a/2.wav', 'a/1.wav', 'a/notes.txt', 'a/.DS_Store', 'b/deep/deeper/x.wav', '.git/HEAD', 'top.wav', 'folder.wav/in.wav']) {
    await fs.writeFile(p(f), 'x');
  }
  await fs.symlink('..', p('b', 'deep', 'loop')); // back up the tree
  await fs.symlink('nowhere.wav', p('a', 'dangling.wav'));
  await fs.symlink('nowhere.txt', p('a', 'dangling.txt'));
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('walkInputs', () => {
  it('walks directories recursively, sorted, skipping hidden entries and not following loops forever', async () => {
    const entries = await walkInputs([dir]);
    expect(rel(entries)).toEqual([
      'a/1.wav',
      'a/2.wav',
      'a/dangling.txt',
      'a/dangling.wav',
      'a/notes.txt',
      'b/deep/deeper/x.wav',
      'folder.wav/in.wav',
      'top.wav',
    ]);
    expect(entries.find((e) => e.path.endsWith('dangling.wav'))?.problem).toMatch(/does not exist/);
    expect(entries.filter((e) => e.problem).map((e) => path.basename(e.path))).toEqual(['dangling.txt', 'dangling.wav']);
  });

  it('reports a directory with the suspicious extension, and walks it too', async () => {
    const entries = await walkInputs([dir], { suspiciousDirExtension: '.wav' });
    const folder = entries.find((e) => e.path === p('folder.wav'));
    expect(folder?.problem).toMatch(/is a directory, not an audio file/);
    expect(rel(entries)).toContain('folder.wav/in.wav');
  });

  it('applies include inside directories only, never to files named explicitly', async () => {
    const include = (n: string): boolean => n.endsWith('.wav');
    const entries = await walkInputs([p('a'), p('a', 'notes.txt')], { include });
    expect(rel(entries)).toEqual(['a/1.wav', 'a/2.wav', 'a/dangling.wav', 'a/notes.txt']);
  });

  it('names each file as path.join(input folder, ...) does, however the folder was written', async () => {
    const cwd = process.cwd();
    process.chdir(p('a'));
    try {
      for (const input of ['.', './', `..${path.sep}a`, `.${path.sep}..${path.sep}a${path.sep}`, p('a') + path.sep, `${p('b')}${path.sep}.${path.sep}deep`]) {
        const files = (await walkInputs([input])).filter((e) => !e.problem).map((e) => e.path);
        const base = input.includes('deep') ? path.join(input, 'deeper') : input;
        const want = input.includes('deep') ? [path.join(base, 'x.wav')] : [path.join(base, '1.wav'), path.join(base, '2.wav'), path.join(base, 'notes.txt')];
        expect(files, input).toEqual(want);
      }
    } finally {
      process.chdir(cwd);
    }
  });

  it('keeps an explicitly named hidden file, and lists each file once', async () => {
    const entries = await walkInputs([p('a', '.DS_Store'), p('a', '1.wav'), p('a'), p('a', '1.wav')]);
    expect(rel(entries)).toEqual(['a/.DS_Store', 'a/1.wav', 'a/2.wav', 'a/dangling.txt', 'a/dangling.wav', 'a/notes.txt']);
  });

  it('does not follow a link to a folder outside the input, and says so; the same folder named as an input is walked', async () => {
    await fs.mkdir(p('tree', 'in'), { recursive: true });
    await fs.writeFile(p('tree', 'in', 'x.wav'), 'x');
    await fs.symlink('../..', p('tree', 'in', 'up'));
    try {
      const entries = await walkInputs([p('tree')]);
      expect(rel(entries)).toEqual(['tree/in/up', 'tree/in/x.wav']);
      expect(entries[0]?.problem).toMatch(/is a link to the folder .* outside .*; it was not followed/);
      // Named explicitly, the link is the input: walked (once, whatever the loops inside).
      expect(rel(await walkInputs([p('tree', 'in', 'up')]))).toContain('tree/in/up/top.wav');
    } finally {
      await fs.rm(p('tree'), { recursive: true });
    }
  });

  it('turns a missing input into an entry with a problem, not an exception', async () => {
    const entries = await walkInputs([p('missing.wav')]);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.problem).toMatch(/does not exist/);
  });

  it('honours exclude answered with a plain boolean or a promise, file by file and folder by folder', async () => {
    const asked: string[] = [];
    const entries = await walkInputs([p('a'), p('b')], {
      exclude: (entry, isDirectory) => {
        asked.push(path.relative(dir, entry));
        if (isDirectory) return Promise.resolve(entry.endsWith('deeper'));
        const name = path.basename(entry);
        return name === '1.wav' ? true : name === 'notes.txt' ? Promise.resolve(true) : name === '2.wav' ? Promise.resolve(false) : false;
      },
    });
    expect(rel(entries)).toEqual(['a/2.wav', 'a/dangling.txt', 'a/dangling.wav']);
    expect(asked).toEqual(['a/1.wav', 'a/2.wav', 'a/notes.txt', 'b/deep', 'b/deep/deeper', 'b/deep/loop']);
  });
});

describe('walkSources', () => {
  it("passes over the output folder and promptprep's own outputs (files with a record), folder by folder, and keeps every other file", async () => {
    const root = p('sources');
    const files = ['plain/1.wav', 'plain/2.wav', 'plain/3.wav', 'mixed/x.wav', 'mixed/y.wav', 'mixed/z.wav', 'norecords/k.wav', 'out/done.wav'];
    for (const f of files) {
      await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true });
      await fs.writeFile(path.join(root, f), 'x');
    }
    // y.wav (and nothing else in mixed/) was written by promptprep: it has a record.
    await fs.mkdir(path.join(root, 'mixed', '.promptprep'));
    await fs.writeFile(path.join(root, 'mixed', '.promptprep', 'y.wav.json'), '{"promptprep":"test"}');
    await fs.mkdir(path.join(root, 'norecords', '.promptprep'));
    try {
      const entries = await walkSources([root], [path.join(root, 'out')], undefined);
      expect(entries.map((e) => path.relative(root, e.path))).toEqual(['mixed/x.wav', 'mixed/z.wav', 'norecords/k.wav', 'plain/1.wav', 'plain/2.wav', 'plain/3.wav']);
      // Named explicitly, even promptprep's own output is a source.
      expect((await walkSources([path.join(root, 'mixed', 'y.wav')], [], undefined)).map((e) => e.path)).toEqual([path.join(root, 'mixed', 'y.wav')]);
    } finally {
      await fs.rm(root, { recursive: true });
    }
  });
});
