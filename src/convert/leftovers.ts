import os from 'node:os';
import path from 'node:path';
import { removeOwnPartials } from '../atomic-write.js';
import { removeDeadOwners } from '../stale-files.js';
import { SCRATCH_FOLDER } from './decode.js';
import type { Resolved } from './options.js';
import { statsPathFor } from './stats-file.js';

/**
 * What killed runs left where this one writes: hidden partial outputs and records, and
 * decode scratch in the temp folder. Only a dead process's files go (see stale-files.ts):
 * another run into the same folder (a --shard beside this one) keeps its own.
 */
export async function removeLeftovers(outputDirs: Iterable<string>, r: Resolved): Promise<void> {
  const dirs = new Set<string>();
  for (const dir of outputDirs) {
    dirs.add(dir);
    dirs.add(path.dirname(statsPathFor(path.join(dir, 'x'))));
  }
  if (r.stagingDir) dirs.add(r.stagingDir);
  await Promise.all([...dirs].map((dir) => removeOwnPartials(dir)));
  if (!r.stagingDir) await removeDeadOwners(os.tmpdir(), SCRATCH_FOLDER);
}
