import path from 'node:path';

/**
 * Files a person or a program leaves in a drop folder that are not recordings: partial
 * downloads, editor locks, OS metadata. Dot-names cover .DS_Store, ._AppleDouble,
 * .gitkeep and rsync's temporary ".name.XXXXXX".
 */
const IGNORED_NAMES = new Set(['thumbs.db', 'desktop.ini', '.ds_store']);
const IGNORED_SUFFIXES = ['.part', '.partial', '.crdownload', '.tmp', '.download', '.filepart', '.swp', '~'];

export function isIgnoredName(name: string): boolean {
  const lower = name.toLowerCase();
  if (name.startsWith('.')) return true;
  if (name.startsWith('~$')) return true;
  if (IGNORED_NAMES.has(lower)) return true;
  if (lower === 'readme.md' || lower === 'readme.txt') return true;
  return IGNORED_SUFFIXES.some((s) => lower.endsWith(s));
}

/** `rel` is relative to the inbox; a file in an ignored folder is ignored too. */
export function isIgnoredPath(rel: string): boolean {
  return rel.split(/[\\/]/).some((segment) => segment.length > 0 && isIgnoredName(segment));
}

export function relativeTo(dir: string, file: string): string {
  return path.relative(dir, file);
}
