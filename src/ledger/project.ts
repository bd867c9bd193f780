import path from 'node:path';
import type { Config } from '../config.js';
import type { ConvertReport } from '../convert.js';
import { DEFAULT_LEDGER_PATH, Ledger, type LedgerOptions } from './ledger.js';

/** Which ledger file a command uses: --ledger, else the config's ledger.path, else the default. */
export function ledgerPath(config: Config, flag?: string, cwd: string = process.cwd()): string {
  return path.resolve(cwd, flag ?? config.ledger.path ?? DEFAULT_LEDGER_PATH);
}

export function openLedger(config: Config, flag?: string, options: LedgerOptions = {}): Ledger {
  return Ledger.open(ledgerPath(config, flag), options);
}

/**
 * Record every prompt a `convert` run produced (or found up to date) as prepared, in one
 * transaction: one commit (one fsync) for the batch rather than one a prompt, which on
 * 2,000 new prompts took ~0.4 s at the end of the run; and a failure records none of them
 * rather than some (the next run records them all).
 */
export function recordConversions(
  ledger: Ledger,
  report: ConvertReport,
  config: Config,
  actor: string,
  /**
   * A scene given on the command line, kept in the ledger. Scenes and descriptions from
   * the config are not copied in: commands read them from the config as it is now.
   */
  sceneOverride?: string,
): number {
  return ledger.atomically(() => {
    let created = 0;
    for (const f of report.files) {
      if ((f.status !== 'converted' && f.status !== 'skipped') || !f.output || !f.stats) continue;
      const name = path.basename(f.output);
      const res = ledger.recordPrepared({
        name,
        sha256: f.stats.sha256,
        bytes: f.stats.bytes,
        durationSeconds: f.stats.durationSeconds,
        source: path.resolve(f.source),
        sourceSha256: f.stats.sourceSha256 ?? null,
        filePath: path.resolve(f.output),
        scene: sceneOverride ?? null,
        actor,
      });
      if (res.created) created++;
    }
    return created;
  });
}
