import { Command } from 'commander';
import { TransitionError, type ReviewState } from '../ledger/states.js';
import { CONSOLE_PLATFORM } from '../upload/huawei-console.js';
import { EXIT_OK, loadCliConfig, parsePositiveInt, UsageError } from './common.js';
import { LEDGER_OPTION_HELP, openCliLedger } from './ledger-common.js';

const ACTIONS: Record<string, ReviewState> = {
  submitted: 'in-review',
  approved: 'approved',
  rejected: 'rejected',
  retired: 'retired',
};

interface ReviewFlags {
  reason?: string;
  version?: number;
  platform?: string;
  ledger?: string;
  config?: string;
}

export function reviewCommand(): Command {
  return new Command('review')
    .description('Record what the platform console shows for a prompt: submitted, approved, rejected (with its reason), or retired (deleted in the console).')
    .argument('<name>', 'prompt name (e.g. wait_voice1.wav) or the platform name of a version (e.g. wait_voice1-v2.wav)')
    .argument('<action>', 'submitted | approved | rejected | retired')
    .option('--reason <text>', 'the console\'s 审核说明 for a rejection (kept in the ledger)')
    .option('--version <n>', 'which version (default: the one the name denotes, else the latest)', parsePositiveInt)
    .option('--platform <id>', 'platform the review is on', CONSOLE_PLATFORM)
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .option('-c, --config <file>', 'config file (default: ./promptprep.config.json when present)')
    .addHelpText(
      'after',
      `
Transitions: prepared → awaiting-upload (promptprep upload) → in-review (submitted)
→ approved | rejected. Approving a version supersedes the older ones; "retired" records
that a superseded file was deleted in the console. Anything else is refused.

Examples:
  promptprep review wait_voice1.wav submitted
  promptprep review wait_voice1.wav rejected --reason "背景噪音过大"
  promptprep review wait_voice1-v2.wav approved`,
    )
    .action(async (name: string, action: string, flags: ReviewFlags) => {
      const to = ACTIONS[action];
      if (!to) throw new UsageError(`action must be one of: ${Object.keys(ACTIONS).join(', ')} (got "${action}")`);
      const { config } = await loadCliConfig(flags.config);
      const ledger = await openCliLedger(config, flags.ledger);
      try {
        const v = ledger.transition({
          name,
          ...(flags.version !== undefined ? { version: flags.version } : {}),
          platform: flags.platform ?? CONSOLE_PLATFORM,
          to,
          actor: 'review command',
          ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
        });
        process.stdout.write(`${v.name} version ${v.number}${v.platformName ? ` (${v.platformName})` : ''} is now ${v.state}.\n`);
        if (to === 'rejected' && !flags.reason) {
          process.stderr.write('note: no --reason given; the console\'s 审核说明 says what to change, record it so the team sees it in `promptprep status`.\n');
        }
        if (to === 'approved') {
          const row = ledger.status({ platform: flags.platform ?? CONSOLE_PLATFORM }).find((r) => r.name === v.name);
          for (const d of row?.deletable ?? []) {
            process.stdout.write(
              `Switch bindings to ${v.platformName ?? v.name}; then ${d.platformName} (version ${d.version}) can be deleted in the console and recorded with: promptprep review ${d.platformName} retired --version ${d.version}\n`,
            );
          }
        }
        process.exitCode = EXIT_OK;
      } catch (err) {
        if (err instanceof TransitionError) throw new UsageError(err.message);
        throw err;
      } finally {
        ledger.close();
      }
    });
}
