import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { VersionRow } from './ledger.js';

/**
 * The bytes of a prepared version, provided the file on disk is still the one the ledger
 * recorded: an upload must never send something other than what was checked.
 */
export async function readPreparedFile(v: VersionRow): Promise<{ data: Buffer } | { problem: string }> {
  if (!v.filePath) return { problem: `version ${v.number} has no prepared file on record; convert it again` };
  let data: Buffer;
  try {
    data = await fs.readFile(v.filePath);
  } catch {
    return { problem: `the prepared file ${v.filePath} is missing; convert the source again` };
  }
  if (createHash('sha256').update(data).digest('hex') !== v.sha256) {
    return { problem: `the prepared file ${v.filePath} has changed since version ${v.number} was recorded; convert the source again` };
  }
  return { data };
}
