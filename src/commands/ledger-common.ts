import type { Config } from '../config.js';
import type { Ledger } from '../ledger/ledger.js';
import { UsageError } from './common.js';

/** Open the project's ledger for a command; a broken or newer ledger is a usage error. */
export async function openCliLedger(config: Config, flag: string | undefined): Promise<Ledger> {
  // Loaded on demand: the native SQLite addon is not needed by check or convert --no-ledger.
  const { openLedger } = await import('../ledger/project.js');
  try {
    return openLedger(config, flag);
  } catch (err) {
    throw new UsageError(`cannot open the ledger: ${(err as Error).message}`);
  }
}

export const LEDGER_OPTION_HELP = 'ledger file (default: "ledger.path" in the config, else .promptprep/ledger.sqlite here)';
