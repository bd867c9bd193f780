/**
 * Durable writes in batches (stageFiles / placeStagedFiles): every file of a batch lands
 * whole under its name, a failing entry fails alone, and no temporary file is left.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeStagedFiles, stageFiles, type StagedFile } from '../src/atomic-write.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('promptprep-atomic-write-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

const listAll = async (d: string): Promise<string[]> => (await fs.readdir(d, { recursive: true })).map(String).sort();

describe('stageFiles and placeStagedFiles', () => {
  it('writes a batch into two folders: each file whole under its name, no partial left', async () => {
    const a = path.join(dir, 'one', 'a');
    const b = path.join(dir, 'one', 'b');
    await fs.mkdir(a, { recursive: true });
    await fs.mkdir(b, { recursive: true });
    const writes = Array.from({ length: 20 }, (_, i) => ({ dest: path.join(i % 2 ? a : b, `f${i}.wav`), data: Buffer.alloc(1000 + i, i) }));
    const staged = await stageFiles(writes);
    expect(staged.every((s) => !(s instanceof Error))).toBe(true);
    // Staged: nothing under a real name yet, only hidden partials.
    expect((await listAll(path.join(dir, 'one'))).filter((n) => !n.includes('.partial') && n.endsWith('.wav'))).toEqual([]);
    expect(await placeStagedFiles(staged as StagedFile[])).toEqual(writes.map(() => null));
    for (const w of writes) expect((await fs.readFile(w.dest)).equals(w.data), w.dest).toBe(true);
    expect((await listAll(path.join(dir, 'one'))).filter((n) => n.includes('.partial'))).toEqual([]);
  });

  it('writes a file given as pieces (header, data, pad byte) as the pieces one after another', async () => {
    const d = path.join(dir, 'pieces');
    await fs.mkdir(d);
    const big = Buffer.alloc(3 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const writes = [
      { dest: path.join(d, 'a.wav'), data: [Buffer.from('header'), big.subarray(5, big.length - 3), new Uint8Array(1)] },
      { dest: path.join(d, 'b.wav'), data: [new Uint8Array(0), Buffer.from('only'), new Uint8Array(0)] },
      { dest: path.join(d, 'c.wav'), data: [] as Uint8Array[] },
    ];
    const staged = await stageFiles(writes);
    expect(await placeStagedFiles(staged as StagedFile[])).toEqual(writes.map(() => null));
    for (const w of writes) expect((await fs.readFile(w.dest)).equals(Buffer.concat(w.data)), w.dest).toBe(true);
  });

  it('fails only the entry that cannot be written or placed, and leaves no temporary file', async () => {
    const d = path.join(dir, 'two');
    await fs.mkdir(d);
    const writes = [
      { dest: path.join(d, 'ok1.wav'), data: 'one' },
      { dest: path.join(d, 'missing-folder', 'x.wav'), data: 'lost' },
      { dest: path.join(d, 'ok2.wav'), data: 'two' },
    ];
    const staged = await stageFiles(writes);
    expect(staged[1]).toBeInstanceOf(Error);
    expect((staged[1] as NodeJS.ErrnoException).code).toBe('ENOENT');
    const good = staged.filter((s): s is StagedFile => !(s instanceof Error));
    // A destination that became a folder meanwhile: that rename fails, the other lands.
    await fs.mkdir(path.join(d, 'ok2.wav'));
    await fs.writeFile(path.join(d, 'ok2.wav', 'inside'), 'x');
    const placed = await placeStagedFiles(good);
    expect(placed[0]).toBeNull();
    expect(placed[1]).toBeInstanceOf(Error);
    expect(await fs.readFile(path.join(d, 'ok1.wav'), 'utf8')).toBe('one');
    expect((await listAll(d)).filter((n) => n.includes('.partial'))).toEqual([]);
  });
});
