import { promises as fs } from 'node:fs';
import type { VersionRow } from '../ledger/ledger.js';
import { readPreparedFile } from '../ledger/prepared-file.js';
import { parseWav } from '../wav.js';

/**
 * The codes a version's prepared file holds, exactly as the platform will play them: only
 * for a file the ledger recorded, and only while it still has the recorded bytes.
 */
export async function readPromptCodes(v: VersionRow): Promise<{ codes: Uint8Array; sampleRate: number; formatTag: number } | { problem: string }> {
  const read = await readPreparedFile(v);
  if ('problem' in read) return read;
  const info = parseWav(read.data, read.data.length);
  if (!info.format || info.dataOffset === null) return { problem: `the prepared file of version ${v.number} has no readable audio` };
  const codes = read.data.subarray(info.dataOffset, info.dataOffset + info.dataBytesPresent);
  return { codes, sampleRate: info.format.sampleRate, formatTag: info.format.formatTag };
}

/** The recorded source of a version, if it is still where the ledger says. */
export async function sourceFile(v: VersionRow): Promise<string | null> {
  if (!v.source) return null;
  try {
    const st = await fs.stat(v.source);
    return st.isFile() ? v.source : null;
  } catch {
    return null;
  }
}
