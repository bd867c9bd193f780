import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { cacheDir } from './cache-dir.js';

/**
 * Runs a CommonJS file (the bundled CLI) with V8's code cache, kept in the user's cache
 * folder. Why: before `convert` starts its first ffmpeg, Node spends ~30 ms compiling the
 * bundle and the functions a run calls; with the bytecode from an earlier run it spends a
 * few. Node 22 does this itself (`module.enableCompileCache()`); Node 20 does not.
 *
 * A missing, stale or unreadable cache only costs that time back: V8 checks the cached data
 * against its own version, its flags and the source, compiles from source when they do not
 * match, and the cache is written again when the run ends.
 */
export interface CodeCacheOptions {
  /** Where cache files go; null runs without one. Default: cacheDir() (cache-dir.ts). */
  dir?: string | null;
  /**
   * Runs that take different paths through the file (the CLI's commands) each keep a cache
   * of their own, named after this: `[a-z0-9-]`, up to 32 characters. Default `main`.
   */
  variant?: string;
  /** Whether a run that ended with this exit code may write the cache. Default: always. */
  save?: (exitCode: number) => boolean;
}

/** What happened: no cache folder; no cache yet; cache used; cache found but not usable. */
export type CodeCacheState = 'off' | 'none' | 'used' | 'rejected';

const PREFIX = 'cli-code-';
const SUFFIX = '.v8cache';
/** Cache files (and leftovers of interrupted writes) not written for this long are deleted. */
const STALE_MS = 30 * 24 * 3600 * 1000;

export function runWithCodeCache(file: string, options: CodeCacheOptions = {}): CodeCacheState {
  const variant = options.variant ?? 'main';
  if (!/^[a-z0-9-]{1,32}$/.test(variant)) throw new Error(`code cache variant "${variant}": use [a-z0-9-], up to 32 characters`);
  // One open file for the source and its identity, so a rebuild in between cannot pair one
  // build's source with another's cache name.
  const fd = openSync(file, 'r');
  let source: string;
  let id: { place: string; build: string };
  try {
    id = identity(file, fstatSync(fd));
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const dir = options.dir === undefined ? cacheDir() : options.dir;
  const cachePath = dir ? path.join(dir, `${PREFIX}${variant}-${id.place}-${id.build}${SUFFIX}`) : null;
  const cachedData = cachePath ? readOwnFile(cachePath) : undefined;
  const script = new Script(Module.wrap(source), { filename: file, ...(cachedData ? { cachedData } : {}) });
  const state: CodeCacheState = !cachePath ? 'off' : !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
  if (dir && cachePath && (state === 'none' || state === 'rejected')) {
    // At the end, so the cache also holds the functions this run compiled on first call.
    process.once('exit', (code) => {
      if (!options.save || options.save(code)) saveCache(script, dir, cachePath, `${PREFIX}${variant}-${id.place}-`);
    });
  }
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: unknown },
    filename: string,
    dirname: string,
  ) => void;
  const mod = { exports: {} };
  wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  return state;
}

/**
 * The cache file, if it is there and this user's own: V8 runs cached bytecode as it finds
 * it, so a file someone else could have put in a shared folder is not used (it is
 * replaced at the end of the run, as a rejected one is).
 */
function readOwnFile(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const st = fstatSync(fd);
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return undefined;
    const data = Buffer.allocUnsafe(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, data, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return data.subarray(0, read);
  } catch {
    // none yet, or unreadable: compile from source
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Where the file is and which Node.js runs it (`place`), and which build of it is there
 * (`build`): any change gets a cache file of its own, so an upgrade never meets the last
 * version's bytecode (V8's own check compares only the source's length).
 */
function identity(file: string, st: Stats): { place: string; build: string } {
  const hash = (parts: unknown[]): string => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
  return {
    place: hash([path.resolve(file), process.version, process.arch, ...process.execArgv]),
    build: hash([st.size, st.mtimeMs, st.ino]),
  };
}

/**
 * Synchronous: it runs in the 'exit' handler. Never fails the run; a cache is optional.
 * `samePlace` is the name prefix of this command's caches for earlier builds at the same
 * place, which no run can use again.
 */
function saveCache(script: Script, dir: string, cachePath: string, samePlace: string): void {
  const tmp = `${cachePath}.${process.pid}.tmp`;
  try {
    const data = script.createCachedData();
    mkdirSync(dir, { recursive: true });
    // Renamed into place, so a concurrent run reads a whole cache file or none.
    writeFileSync(tmp, data);
    renameSync(tmp, cachePath);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // left for prune()
    }
    return;
  }
  prune(dir, cachePath, samePlace);
}

/** Deletes earlier builds' caches of the same place, and any cache file not written for STALE_MS. */
function prune(dir: string, keep: string, samePlace: string): void {
  const now = Date.now();
  try {
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(PREFIX)) continue;
      const file = path.join(dir, name);
      if (file === keep) continue;
      try {
        if ((name.startsWith(samePlace) && name.endsWith(SUFFIX)) || now - statSync(file).mtimeMs > STALE_MS) rmSync(file, { force: true });
      } catch {
        // gone already, or not ours to delete
      }
    }
  } catch {
    // the folder cannot be listed: nothing to prune
  }
}
