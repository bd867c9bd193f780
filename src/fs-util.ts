import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Small file-system helpers shared by convert, watch and the commands. A leaf: it imports nothing of ours. */

/** Whether anything (a file, folder or even a dangling link) has this name. */
export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** `dir/name`, or `dir/stem-2.ext`, `-3`... : the first name not taken (each one fits, see fitFileName). */
export async function freeName(dir: string, name: string): Promise<string> {
  const ext = path.extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  for (let i = 1; ; i++) {
    const candidate = path.join(dir, fitFileName(stem, i === 1 ? ext : `-${i}${ext}`));
    if (!(await exists(candidate))) return candidate;
  }
}

/**
 * The longest name (one path component) ext4, XFS and Btrfs take: 255 bytes (APFS and NTFS
 * count 255 characters, which 255 bytes never exceed). Names promptprep derives from a
 * source's (`<name>.reason.txt`, `<stem>.v2.mp3`, `.<name>.<hex>.partial`, `<stem>-2.wav`)
 * are longer than the source's, and 74 Chinese characters are already 222 bytes of UTF-8:
 * every derived name goes through fitFileName, so none ends in ENAMETOOLONG.
 */
export const NAME_MAX_BYTES = 255;

const HASH_CHARS = 8;
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest start of `text` within `max` UTF-8 bytes, cut between characters (graphemes). */
export function truncateUtf8(text: string, max: number): string {
  if (bytes(text) <= max) return text;
  let out = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const n = bytes(segment);
    if (used + n > max) break;
    out += segment;
    used += n;
  }
  return out;
}

/**
 * `stem + suffix`, when it fits in `limit` bytes. Otherwise the stem is cut at a
 * character boundary and `~` and 8 hex digits of the whole stem's SHA-256 are added before
 * the suffix, so two long names that share their start stay two names, and the same name
 * always gives the same result. A suffix too long to leave any room is cut the same way
 * (as part of the whole name).
 */
export function fitFileName(stem: string, suffix = '', limit = NAME_MAX_BYTES): string {
  if (bytes(stem) + bytes(suffix) <= limit) return stem + suffix;
  const tag = (text: string) => `~${createHash('sha256').update(text).digest('hex').slice(0, HASH_CHARS)}`;
  const room = limit - bytes(suffix) - HASH_CHARS - 1;
  if (room >= 1) return `${truncateUtf8(stem, room)}${tag(stem)}${suffix}`;
  const whole = stem + suffix;
  return `${truncateUtf8(whole, limit - HASH_CHARS - 1)}${tag(whole)}`;
}

/**
 * Remove the entries of `dir` whose name `test` picks; returns how many went. Best effort:
 * a folder that cannot be read, or an entry that cannot be removed (still in use, not ours),
 * is left for the next run.
 */
export async function removeEntries(dir: string, test: (name: string) => boolean): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!test(name)) continue;
    try {
      await fs.rm(path.join(dir, name), { recursive: true, force: true });
      removed++;
    } catch {
      // next run
    }
  }
  return removed;
}
