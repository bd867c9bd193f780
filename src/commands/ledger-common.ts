import type { Config } from '../config.js';
import { currentPromptInfo } from '../catalog.js';
import type { Ledger, StatusQuery } from '../ledger/ledger.js';
import type { WorkCalendar } from '../ledger/working-days.js';
import { UsageError } from './common.js';

/** Open the project's ledger for a command; a broken or newer ledger is a usage error. */
export async function openCliLedger(config: Config, flag: string | undefined): Promise<Ledger> {
  // Loaded on demand: the native SQLite addon is not needed by check or convert --no-ledger.
  const { ledgerPath, openLedger } = await import('../ledger/project.js');
  try {
    return openLedger(config, flag);
  } catch (err) {
    // SQLite's own messages ("unable to open database file") do not say which file.
    throw new UsageError(`cannot open the ledger ${ledgerPath(config, flag)}: ${(err as Error).message}`);
  }
}

/** The status query of a project (config scenes, overdue limit); the ledger module loads on demand, this does not. */
export function projectStatusQuery(config: Config, platform: string): StatusQuery {
  return {
    platform,
    overdueWorkingDays: config.review.overdueWorkingDays,
    calendar: reviewCalendar(config),
    promptInfo: (name, recorded) => currentPromptInfo(config.prompts, name, recorded),
  };
}

/**
 * The working days reviews are counted in: "review.calendar" in the config, else China's
 * official calendar for the Huawei profiles (their reviewers work to it), else weekends only.
 */
export function reviewCalendar(config: Config): WorkCalendar {
  return config.review.calendar ?? (config.profile.startsWith('huawei-') ? 'china' : 'weekends');
}

export const LEDGER_OPTION_HELP = 'ledger file (default: "ledger.path" in the config, else .promptprep/ledger.sqlite here)';
