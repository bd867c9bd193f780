import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { removeEntries } from './fs-util.js';

/**
 * Temporary files and folders that name the process that made them, so a later run can
 * tell the leftovers of a killed run (safe to delete: never visible under a real name)
 * from the live files of a run still going (e.g. another `--shard` into the same folder).
 * The tag is `<host>-<pid>`: the host is a hash of the host name, because on a shared
 * folder a process id means nothing to another machine.
 */

const HOST = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

/** This process's tag, as it goes into temporary names. */
export function ownerTag(): string {
  return `${HOST}-${process.pid}`;
}

const TAG = /([0-9a-f]{8})-(\d+)/;

/** The tag names a process of this host that is gone (a tag from another host is never stale here). */
export function isDeadOwner(tag: string): boolean {
  const m = TAG.exec(tag);
  if (!m || m[1] !== HOST) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: alive, but someone else's.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Remove the entries of `dir` whose name matches `pattern` (its first group being the
 * owner tag) and whose owner is dead. Best effort: a folder that cannot be read or an
 * entry that cannot be removed is left for the next run.
 */
export async function removeDeadOwners(dir: string, pattern: RegExp): Promise<number> {
  return removeEntries(dir, (name) => {
    const tag = pattern.exec(name)?.[1];
    return tag !== undefined && isDeadOwner(tag);
  });
}
