import { randomBytes } from 'node:crypto';
import { closeSync, fsync, openSync, promises as fs, renameSync, rmSync, writeFileSync, writevSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { fitFileName, removeEntries } from './fs-util.js';
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

/**
 * A file's bytes as pieces written one after another (a header and the data it describes),
 * so a caller need not join them into one fresh copy of the whole file first.
 */
export type OutputBytes = readonly Uint8Array[];

export function outputLength(pieces: OutputBytes): number {
  let n = 0;
  for (const piece of pieces) n += piece.length;
  return n;
}

/** All of `pieces`, in order, from the start of a new file: one writev, looped on a short write. */
function writePiecesSync(fd: number, pieces: OutputBytes): void {
  let rest = pieces.filter((piece) => piece.length > 0);
  while (rest.length > 0) {
    let written = writevSync(fd, rest as Uint8Array[]);
    if (written === 0) throw new Error('the write made no progress');
    const left: Uint8Array[] = [];
    for (const piece of rest) {
      if (written >= piece.length) written -= piece.length;
      else {
        left.push(written > 0 ? piece.subarray(written) : piece);
        written = 0;
      }
    }
    rest = left;
  }
}

const fsyncFd = promisify(fsync);

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

/**
 * Many files staged at once, for writers that finish files faster than one fsync each
 * allows: every temporary file is written first, then all are fsynced together (several
 * fsyncs in flight share the file system's journal commits, where one after another each
 * waits for its own). Each entry comes back as its StagedFile or the error that stopped it;
 * a failed entry leaves no temporary file, and does not stop the others.
 */
export async function stageFiles(writes: readonly { dest: string; data: Uint8Array | string | OutputBytes; tempDir?: string }[]): Promise<(StagedFile | Error)[]> {
  // Opened, written, closed and renamed with synchronous calls: into the page cache they
  // take microseconds, where each call through the thread pool costs more CPU in wake-ups
  // than the call itself (a third of the CPU of a batch of prompt-sized files). Only the
  // fsyncs, which wait for the disk, go to the thread pool, all at once.
  const opened = writes.map((w) => {
    const tmp = partialPathFor(w.dest, w.tempDir);
    let fd: number | null = null;
    try {
      fd = openSync(tmp, 'wx', 0o644);
      if (Array.isArray(w.data)) writePiecesSync(fd, w.data);
      else writeFileSync(fd, w.data as Uint8Array | string);
      return { tmp, dest: w.dest, fd };
    } catch (err) {
      if (fd !== null) {
        closeQuietly(fd);
        rmSync(tmp, { force: true });
      }
      return err as Error;
    }
  });
  return Promise.all(
    opened.map(async (o) => {
      if (o instanceof Error) return o;
      try {
        // Data must be on disk before a rename makes it visible under the real name.
        await fsyncFd(o.fd);
        closeSync(o.fd);
        return { tmp: o.tmp, dest: o.dest };
      } catch (err) {
        closeQuietly(o.fd);
        await fs.rm(o.tmp, { force: true }).catch(() => undefined);
        return err as Error;
      }
    }),
  );
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed, or the close itself failed: the file is discarded either way.
  }
}

/**
 * The second half for many: each renamed into place, then each folder fsynced once for
 * all the renames into it. Returns null or the error per entry; a failed rename discards
 * that entry's temporary file.
 */
export async function placeStagedFiles(staged: readonly StagedFile[]): Promise<(Error | null)[]> {
  const results = await Promise.all(
    staged.map(async (s) => {
      try {
        renameSync(s.tmp, s.dest);
        return null;
      } catch (err) {
        await discardStaged(s);
        return err as Error;
      }
    }),
  );
  const dirs = new Set(staged.filter((_, i) => results[i] === null).map((s) => path.dirname(s.dest)));
  await Promise.all([...dirs].map((dir) => syncDir(dir)));
  return results;
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
  return removeEntries(dir, (name) => name.startsWith('.') && name.endsWith('.partial'));
}
