import type { Config } from '../config.js';
import { openLedger } from '../ledger/project.js';
import type { Ledger } from '../ledger/ledger.js';
import { UsageError } from './common.js';

/** Open the project's ledger for a command; a broken or newer ledger is a usage error. */
export function openCliLedger(config: Config, flag: string | undefined): Ledger {
  try {
    return openLedger(config, flag);
  } catch (err) {
    throw new UsageError(`cannot open the ledger: ${(err as Error).message}`);
  }
}

export const LEDGER_OPTION_HELP = 'ledger file (default: "ledger.path" in the config, else .promptprep/ledger.sqlite here)';
