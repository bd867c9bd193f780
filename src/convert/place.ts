import { promises as fs } from 'node:fs';
import path from 'node:path';
import { discardStaged, placeStaged, stageFile, writeFileAtomic } from '../atomic-write.js';
import { crashPoint } from '../crash-point.js';
import { jsonSafe, statsPathFor, type StatsRecord } from './stats-file.js';

/**
 * Writes the output and its record. The record is made durable before the output is
 * renamed into place, so there is no moment at which an output of ours is in place without
 * a record naming it: a kill between the two leaves the previous output (named by the
 * record as the one being replaced) or none, and the next run converts again.
 */
export async function placeOutput(output: string, wav: Uint8Array, record: StatsRecord, stagingDir: string | undefined): Promise<void> {
  const recordPath = statsPathFor(output);
  // Creates the output folder too: it appears with the first output, not before.
  await fs.mkdir(path.dirname(recordPath), { recursive: true });
  const staged = await stageFile(output, wav, stagingDir);
  try {
    crashPoint('staged');
    await writeFileAtomic(recordPath, `${JSON.stringify(record, jsonSafe, 2)}\n`, stagingDir);
    crashPoint('recorded');
  } catch (err) {
    await discardStaged(staged);
    throw err;
  }
  await placeStaged(staged);
  crashPoint('placed');
}
