import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../findings.js';
import { fitFileName } from '../fs-util.js';
import type { ConvertStats } from './options.js';

/** The per-output record file beside each prompt (`.promptprep/<name>.json`): its path, shape and reading. */

/** The per-output record beside each prompt: `<dir>/.promptprep/<name>.json`. */
export function statsPathFor(output: string): string {
  return path.join(path.dirname(output), '.promptprep', fitFileName(path.basename(output), '.json'));
}

export interface StatsRecord {
  promptprep: string;
  source: string;
  sourceSha256: string;
  outputKey: string;
  output: string;
  outputSha256: string;
  /**
   * The output this one replaced (null: none). Written before the new output is placed,
   * so after a kill between the two the old output is still recognised as promptprep's.
   */
  previousOutputSha256?: string | null;
  options: Record<string, unknown>;
  stats: ConvertStats;
  warnings: Finding[];
  convertedAt: string;
}

export async function readStatsRecord(output: string): Promise<StatsRecord | null> {
  try {
    return JSON.parse(await fs.readFile(statsPathFor(output), 'utf8')) as StatsRecord;
  } catch {
    return null;
  }
}

export function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
