import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fitFileName } from './fs-util.js';
import { ownerTag, removeDeadOwners } from './stale-files.js';

/**
 * Write-then-rename, so a reader (a person, an upload script, the platform) only ever
 * sees a missing file or a complete one. The temporary name is hidden and ends in
 * `.partial`, so even a crash mid-write leaves nothing that looks like a prompt.
 */

export function partialPathFor(dest: string, tempDir?: string): string {
  // The owner tag lets a later run remove what a killed one left (removeOwnPartials).
  const suffix = `.${ownerTag()}-${randomBytes(6).toString('hex')}.partial`;
  return path.join(tempDir ?? path.dirname(dest), fitFileName(`.${path.basename(dest)}`, suffix));
}

/** `.<name>.<host>-<pid>-<random>.partial`, capturing the owner tag. */
const TAGGED_PARTIAL = /^\..*\.([0-9a-f]{8}-\d+)-[0-9a-f]{12}\.partial$/;

/**
 * The partial files in `dir` left by writers that were killed (on this host): never
 * visible under a real name, so safe to delete. Live writers' partials stay.
 */
export function removeOwnPartials(dir: string): Promise<number> {
  return removeDeadOwners(dir, TAGGED_PARTIAL);
}

/** Data durably on disk under a hidden temporary name, waiting for placeStaged(). */
export interface StagedFile {
  tmp: string;
  dest: string;
}

/**
 * The first half of writeFileAtomic: the data written and fsynced under its partial
 * name. For a caller that must make something else durable (a record) before the rename.
 */
export async function stageFile(dest: string, data: Uint8Array | string, tempDir?: string): Promise<StagedFile> {
  const tmp = partialPathFor(dest, tempDir);
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(tmp, 'wx', 0o644);
    await handle.writeFile(data);
    // Data must be on disk before the rename makes it visible under the real name.
    await handle.sync();
    await handle.close();
    return { tmp, dest };
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** The second half: rename into place, and make the rename itself durable. */
export async function placeStaged(staged: StagedFile): Promise<void> {
  try {
    await fs.rename(staged.tmp, staged.dest);
  } catch (err) {
    await discardStaged(staged);
    throw err;
  }
  await syncDir(path.dirname(staged.dest));
}

export async function discardStaged(staged: StagedFile): Promise<void> {
  await fs.rm(staged.tmp, { force: true }).catch(() => undefined);
}

/**
 * `tempDir`, when given, must be on the same file system as `dest` (the rename must not
 * cross devices); it keeps even hidden partial files out of a folder people watch.
 */
export async function writeFileAtomic(dest: string, data: Uint8Array | string, tempDir?: string): Promise<void> {
  await placeStaged(await stageFile(dest, data, tempDir));
}

/** Make a rename durable: the directory entry itself must reach the disk. */
export async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems (and Windows) cannot fsync a directory; the rename still happened.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Leftovers of writes interrupted by a crash, safe to delete: they were never visible. */
export async function removeStalePartials(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (name.startsWith('.') && name.endsWith('.partial')) {
      await fs.rm(path.join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}
