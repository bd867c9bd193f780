import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import { describeFsError } from './fs-errors.js';

/** Collecting the files named by command-line paths, with directories walked recursively. */

export interface WalkEntry {
  path: string;
  /** Set when the entry could not be walked or is not a file; the caller reports it. */
  problem?: string;
}

export interface WalkOptions {
  /** Keep only files whose base name passes; applies inside directories, not to files named explicitly. */
  include?: (baseName: string) => boolean;
  /** Directories with this extension (or one of these) are reported as well as walked (a "x.wav" that is a folder). */
  suspiciousDirExtension?: string | readonly string[];
  /**
   * Entries found inside directories to pass over (files named explicitly are always kept).
   * Answer with a plain boolean where it is known without waiting: a walk of many files
   * awaits only the answers that are promises.
   */
  exclude?: (entryPath: string, isDirectory: boolean) => boolean | Promise<boolean>;
}

/**
 * Files under `inputs`, sorted and without duplicates. Hidden entries (dot-names) inside
 * directories are skipped: they are editor, OS and sync-tool files, never prompts.
 * A symbolic-link loop or an unreadable directory becomes an entry with a problem,
 * never an exception, so one bad entry cannot stop a walk over a large library.
 * A link to a directory is followed only when the directory is inside the input it was
 * found under (`a/up -> ../..` would walk the whole disk); one that leaves is reported.
 */
export async function walkInputs(inputs: string[], options: WalkOptions = {}): Promise<WalkEntry[]> {
  const out = new Map<string, WalkEntry>();
  const visitedDirs = new Set<string>();
  const given = options.suspiciousDirExtension ?? [];
  const suspicious: readonly string[] = typeof given === 'string' ? [given] : given;

  /** `root`: the input this directory was found under, and its real path. */
  async function visitDir(dir: string, root: { path: string; real: string } | null): Promise<void> {
    let real: string;
    try {
      real = await fs.realpath(dir);
    } catch (err) {
      out.set(dir, { path: dir, problem: describeFsError(err, dir) });
      return;
    }
    const tree = root ?? { path: dir, real };
    const rel = path.relative(tree.real, real);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      out.set(dir, {
        path: dir,
        problem: `"${dir}" is a link to the folder "${real}", outside "${tree.path}"; it was not followed. Name that folder as an input to include it.`,
      });
      return;
    }
    if (visitedDirs.has(real)) return; // a link back up the tree: walked once already
    visitedDirs.add(real);
    let dirents: Dirent[];
    try {
      // With their types: a plain file or folder needs no stat of its own (a stat a file
      // was most of the walk's time on a large library); links and unknown types get one.
      dirents = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      out.set(dir, { path: dir, problem: describeFsError(err, dir) });
      return;
    }
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // path.join(dir, name) for every name at the cost of one: an entry name is one path
    // segment, never "." or "..", so joining it normalises only `dir`'s part.
    const prefix = path.join(dir, 'x').slice(0, -1);
    for (const d of dirents) {
      if (d.name.startsWith('.')) continue;
      const p = `${prefix}${d.name}`;
      if (d.isFile()) {
        // found() for a plain file, inline, and with no await unless `exclude` needs one: a
        // library of prompts is thousands of these. An await each was most of the walk's
        // time, and its promises, kept alive across the loop, grew the heap by about 1 KB a
        // file (10 MB over 10,000), which the rest of a convert run then kept.
        if (options.include && !options.include(d.name)) continue;
        const excluded = options.exclude ? options.exclude(p, false) : false;
        if (excluded === true || (excluded !== false && (await excluded))) continue;
        if (!out.has(p)) out.set(p, { path: p });
      } else if (d.isDirectory()) await found(p, true, false, tree);
      else await visit(p, false, tree);
    }
  }

  async function visit(p: string, explicit: boolean, root: { path: string; real: string } | null): Promise<void> {
    let stat;
    try {
      stat = await fs.stat(p);
    } catch (err) {
      // A dangling link or a loop: report it where a prompt may have been expected.
      if (explicit || !options.include || options.include(path.basename(p))) {
        out.set(p, { path: p, problem: describeFsError(err, p) });
      }
      return;
    }
    await found(p, stat.isDirectory(), explicit, root);
  }

  /** An entry whose type is known (from its directory entry, or a stat). */
  async function found(p: string, isDirectory: boolean, explicit: boolean, root: { path: string; real: string } | null): Promise<void> {
    if (!explicit && options.exclude) {
      const excluded = options.exclude(p, isDirectory);
      if (excluded === true || (excluded !== false && (await excluded))) return;
    }
    if (isDirectory) {
      if (suspicious.includes(path.extname(p).toLowerCase())) {
        out.set(p, { path: p, problem: `"${p}" is a directory, not an audio file (the files in it are taken like any folder's).` });
      }
      await visitDir(p, explicit ? null : root);
      return;
    }
    if (!explicit && options.include && !options.include(path.basename(p))) return;
    if (!out.has(p)) out.set(p, { path: p });
  }

  for (const input of inputs) await visit(input, true, null);
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
