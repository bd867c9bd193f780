/**
 * What is on disk in a folder tree, for telling whether something wrote into it: every
 * file, folder and link with its size and mtime, ignored files included (a ledger in
 * `.promptprep/` is ignored by git, which is exactly how tests once wrote into the
 * checkout's ledger unnoticed).
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * Left out: git's own data, installed packages, the build (`npm test` builds before the
 * run), and what the test runner itself writes (its JSON report, coverage).
 */
export const NOT_WATCHED: ReadonlySet<string> = new Set(['.git', 'node_modules', 'dist', 'dist-typecheck', 'test-results', 'coverage']);

export type Snapshot = Map<string, string>;

export function snapshotTree(root: string, skip: ReadonlySet<string> = NOT_WATCHED): Snapshot {
  const out: Snapshot = new Map();
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(path.join(root, rel));
    } catch {
      return; // vanished while we looked: the comparison will show it
    }
    for (const name of names.sort()) {
      if (rel === '' && skip.has(name)) continue;
      const r = rel === '' ? name : `${rel}/${name}`;
      let st;
      try {
        st = lstatSync(path.join(root, r));
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) out.set(r, `link -> ${readlinkSync(path.join(root, r))}`);
      else if (st.isDirectory()) {
        out.set(`${r}/`, 'folder');
        walk(r);
      } else out.set(r, `${st.size} bytes, modified ${st.mtime.toISOString()}`);
    }
  };
  walk('');
  return out;
}

/** One line per difference ("added x", "removed y", "changed z: before → after"); empty when equal. */
export function diffSnapshots(before: Snapshot, after: Snapshot): string[] {
  const lines: string[] = [];
  for (const [p, was] of before) {
    const now = after.get(p);
    if (now === undefined) lines.push(`removed ${p}`);
    else if (now !== was) lines.push(`changed ${p}: ${was} → ${now}`);
  }
  for (const [p, now] of after) if (!before.has(p)) lines.push(`added   ${p} (${now})`);
  return lines;
}
