import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';

/**
 * Intent records: before a source is placed, what will happen to it is written down
 * (its version, where the old prompt goes, where the source goes). A crash at any
 * step leaves a record that says how to finish, so a version number is never given
 * twice and an old prompt is never archived under the wrong one.
 */
export interface PlacementIntent {
  /** Source path relative to the inbox. */
  source: string;
  sourceSha256: string;
  /** Prompt path relative to ready/. */
  output: string;
  version: number;
  /** Where the source goes, relative to archive/. */
  archiveSourceAs: string;
  /** The prompt being replaced, if any: its hash, and where it goes relative to archive/. */
  previous: { sha256: string; archiveAs: string } | null;
  createdAt: string;
}

function recordPath(journalDir: string, source: string): string {
  return path.join(journalDir, `${createHash('sha256').update(source).digest('hex').slice(0, 32)}.json`);
}

export async function writeIntent(journalDir: string, intent: PlacementIntent): Promise<void> {
  await writeFileAtomic(recordPath(journalDir, intent.source), `${JSON.stringify(intent, null, 2)}\n`);
}

export async function clearIntent(journalDir: string, source: string): Promise<void> {
  await fs.rm(recordPath(journalDir, source), { force: true });
}

export async function readIntents(journalDir: string): Promise<PlacementIntent[]> {
  let names: string[];
  try {
    names = await fs.readdir(journalDir);
  } catch {
    return [];
  }
  const out: PlacementIntent[] = [];
  for (const name of names.sort()) {
    if (!name.endsWith('.json')) continue;
    try {
      out.push(JSON.parse(await fs.readFile(path.join(journalDir, name), 'utf8')) as PlacementIntent);
    } catch {
      // A record is written atomically, so an unreadable one was never complete: drop it.
      await fs.rm(path.join(journalDir, name), { force: true });
    }
  }
  return out;
}

export async function readIntent(journalDir: string, source: string): Promise<PlacementIntent | null> {
  try {
    return JSON.parse(await fs.readFile(recordPath(journalDir, source), 'utf8')) as PlacementIntent;
  } catch {
    return null;
  }
}
