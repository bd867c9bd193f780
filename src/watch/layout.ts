import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * The drop-folder layout. `inbox/` is the only folder people write to; everything else
 * is written by promptprep. `.promptprep/` holds state that must survive a crash.
 */
export interface WatchLayout {
  root: string;
  inbox: string;
  ready: string;
  rejected: string;
  archive: string;
  /** Intent records of sources being placed; replayed after a crash. */
  journal: string;
  /** Temporary files of writes in progress: renamed into ready/ only when complete. */
  staging: string;
}

export function layoutFor(root: string): WatchLayout {
  const abs = path.resolve(root);
  const state = path.join(abs, '.promptprep');
  return {
    root: abs,
    inbox: path.join(abs, 'inbox'),
    ready: path.join(abs, 'ready'),
    rejected: path.join(abs, 'rejected'),
    archive: path.join(abs, 'archive'),
    journal: path.join(state, 'journal'),
    staging: path.join(state, 'staging'),
  };
}

export async function ensureLayout(layout: WatchLayout): Promise<void> {
  for (const dir of [layout.inbox, layout.ready, layout.rejected, layout.archive, layout.journal, layout.staging]) {
    await fs.mkdir(dir, { recursive: true });
  }
}
