/**
 * The check behind test/setup/checkout-unchanged.ts: it must see what a stray test writes,
 * in particular inside folders git ignores (the ledger in .promptprep/ was such a write).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffSnapshots, snapshotTree } from './helpers/checkout-snapshot.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('promptprep-snapshot-');
  await fs.mkdir(path.join(dir, 'src'));
  await fs.writeFile(path.join(dir, 'src', 'a.ts'), 'export {};\n');
  await fs.mkdir(path.join(dir, 'node_modules', 'x'), { recursive: true });
});
afterEach(async () => {
  await removeTempDir(dir);
});

describe('checkout snapshot', () => {
  it('an untouched tree compares equal', () => {
    expect(diffSnapshots(snapshotTree(dir), snapshotTree(dir))).toEqual([]);
  });

  it('names a ledger written into an ignored folder, a changed file and a removed one', async () => {
    const before = snapshotTree(dir);
    await fs.mkdir(path.join(dir, '.promptprep'));
    await fs.writeFile(path.join(dir, '.promptprep', 'ledger.sqlite'), 'x');
    await fs.writeFile(path.join(dir, 'src', 'a.ts'), 'export const changed = 1;\n');
    await fs.writeFile(path.join(dir, 'promptprep.config.json'), '{}');
    const diff = diffSnapshots(before, snapshotTree(dir));
    expect(diff.some((l) => l.startsWith('added   .promptprep/ledger.sqlite'))).toBe(true);
    expect(diff.some((l) => l.startsWith('added   promptprep.config.json'))).toBe(true);
    expect(diff.some((l) => l.startsWith('changed src/a.ts'))).toBe(true);
    await fs.rm(path.join(dir, 'src', 'a.ts'));
    expect(diffSnapshots(before, snapshotTree(dir))).toContain('removed src/a.ts');
  });

  it('leaves out installed packages and build output', async () => {
    const before = snapshotTree(dir);
    await fs.writeFile(path.join(dir, 'node_modules', 'x', 'index.js'), '');
    expect(diffSnapshots(before, snapshotTree(dir))).toEqual([]);
  });
});
