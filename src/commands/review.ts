import { Command } from 'commander';
import { isReviewAction, REVIEW_ACTIONS, TransitionError } from '../ledger/states.js';
import { recordReview } from '../ledger/record-review.js';
import { cliPlatform, configOption, EXIT_OK, helpSections, loadCliConfig, parsePositiveInt, UsageError } from './common.js';
import { LEDGER_OPTION_HELP, openCliLedger, projectStatusQuery } from './ledger-common.js';

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
    .option('--platform <id>', 'platform the review is on (default: "upload.platform" in the config, else huawei-console)')
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .addOption(configOption())
    .addHelpText(
      'after',
      helpSections({
        notes: `
Transitions: prepared → awaiting-upload (promptprep upload) → in-review (submitted)
→ approved | rejected. Approving a version supersedes the older ones; "retired" records
that a superseded file was deleted in the console. Recording the state a version is
already in changes nothing and exits 0 (scripts may retry); anything else is refused
with exit 2 and says what you can record instead.`,
        exitCodes: [[0, 'recorded (or already so)']],
        examples: [
          'npx promptprep review wait_voice1.wav submitted',
          'npx promptprep review wait_voice1.wav rejected --reason "背景噪音过大"',
          'npx promptprep review wait_voice1-v2.wav approved',
        ],
      }),
    )
    .action(async (name: string, action: string, flags: ReviewFlags) => {
      if (!isReviewAction(action)) throw new UsageError(`action must be one of: ${Object.keys(REVIEW_ACTIONS).join(', ')} (got "${action}")`);
      const { config } = await loadCliConfig(flags.config);
      const platform = cliPlatform(flags.platform, config);
      const ledger = await openCliLedger(config, flags.ledger);
      try {
        const res = recordReview(
          ledger,
          {
            name,
            action,
            ...(flags.version !== undefined ? { version: flags.version } : {}),
            ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
            platform,
            actor: 'review command',
          },
          projectStatusQuery(config, platform),
        );
        for (const line of res.lines) process.stdout.write(`${line}\n`);
        for (const note of res.notes) process.stderr.write(`${note}\n`);
        process.exitCode = EXIT_OK;
      } catch (err) {
        if (err instanceof TransitionError) throw new UsageError(err.message);
        throw err;
      } finally {
        ledger.close();
      }
    });
}
