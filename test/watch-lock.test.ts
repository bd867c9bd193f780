/** One watcher per root: a second is refused while the first runs; a dead one's lock is taken over. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWatch } from '../src/watch/watcher.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('promptprep-watch-lock-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('watch root lock', () => {
  it('refuses a second watcher on the same root until the first stops', async () => {
    const root = path.join(dir, 'busy');
    const controller = new AbortController();
    const first = runWatch({ root, signal: controller.signal, stableMs: 100 });
    const lockFile = path.join(root, '.promptprep', 'watch.lock');
    for (let i = 0; i < 100 && !(await fs.stat(lockFile).catch(() => null)); i++) await new Promise((r) => setTimeout(r, 20));
    await expect(runWatch({ root, once: true })).rejects.toThrow(/already being watched by (this )?process/);
    controller.abort();
    await first;
    await expect(fs.stat(lockFile)).rejects.toThrow();
    await expect(runWatch({ root, once: true })).resolves.toMatchObject({ converted: 0, rejected: 0 });
  });

  it('takes over the lock of a process that is gone', async () => {
    const root = path.join(dir, 'stale');
    await fs.mkdir(path.join(root, '.promptprep'), { recursive: true });
    // A pid far above any default pid_max: no such process.
    await fs.writeFile(path.join(root, '.promptprep', 'watch.lock'), '99999999\n');
    await expect(runWatch({ root, once: true })).resolves.toMatchObject({ pending: 0 });
    await expect(fs.stat(path.join(root, '.promptprep', 'watch.lock'))).rejects.toThrow();
  });
});
