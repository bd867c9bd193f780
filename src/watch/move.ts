import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { partialPathFor, syncDir } from '../atomic-write.js';
import { exists } from '../fs-util.js';

/**
 * Moving a file without ever losing it: a rename where possible; across file systems a
 * copy that is complete and on disk under the final name before the original goes.
 * Never replaces an existing file.
 */
export async function moveFile(from: string, to: string): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  if (await exists(to)) throw Object.assign(new Error(`refusing to replace existing ${to}`), { code: 'EEXIST' });
  try {
    await fs.rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyDurably(from, to);
    await fs.unlink(from);
  }
  await syncDir(path.dirname(to));
  await syncDir(path.dirname(from));
}

/**
 * Give `from` a second name `to` and leave `from` in place: a hard link, or where the file
 * system has none, a complete copy made under a temporary name in `tempDir` (same file
 * system as `to`) and renamed. Never replaces an existing file.
 */
export async function keepCopy(from: string, to: string, tempDir: string): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  try {
    await fs.link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') throw err;
    await copyDurably(from, to, tempDir);
  }
  await syncDir(path.dirname(to));
}

/**
 * A copy that appears under `to` only complete and on disk: written under a temporary
 * name (in `tempDir`, else beside `to`), synced, then renamed. Never replaces `to`.
 */
async function copyDurably(from: string, to: string, tempDir?: string): Promise<void> {
  const tmp = partialPathFor(to, tempDir);
  try {
    await fs.copyFile(from, tmp, fsConstants.COPYFILE_EXCL);
    const handle = await fs.open(tmp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (await exists(to)) throw Object.assign(new Error(`refusing to replace existing ${to}`), { code: 'EEXIST' });
    await fs.rename(tmp, to);
  } finally {
    await fs.rm(tmp, { force: true });
  }
  await syncDir(path.dirname(to));
}
