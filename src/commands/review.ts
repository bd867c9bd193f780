import { Command } from 'commander';
import { isReviewAction, REVIEW_ACTIONS, TransitionError } from '../ledger/states.js';
import { escapeControlChars as shown } from '../text-safe.js';
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
      const to = REVIEW_ACTIONS[action];
      const { config } = await loadCliConfig(flags.config);
      const platform = cliPlatform(flags.platform, config);
      const ledger = await openCliLedger(config, flags.ledger);
      try {
        const { version: v, changed } = ledger.recordState({
          name,
          ...(flags.version !== undefined ? { version: flags.version } : {}),
          platform,
          to,
          actor: 'review command',
          ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
        });
        const which = `${shown(v.name)} version ${v.number}${v.platformName ? ` (${shown(v.platformName)})` : ''}`;
        if (!changed) {
          const kept = v.reason && to === 'rejected' ? ` (reason on record: ${shown(v.reason)})` : '';
          process.stdout.write(`${which} is already ${v.state} on ${shown(platform)}${kept}; nothing to record.\n`);
          process.exitCode = EXIT_OK;
          return;
        }
        process.stdout.write(`${which} is now ${v.state} on ${shown(platform)}.\n`);
        if (to === 'rejected' && !flags.reason) {
          process.stderr.write('note: no --reason given; the console\'s 审核说明 says what to change, record it so the team sees it in `promptprep status`.\n');
        }
        if (to === 'approved') {
          const row = ledger.status(projectStatusQuery(config, platform)).find((r) => r.name === v.name);
          for (const d of row?.deletable ?? []) {
            process.stdout.write(
              `Switch bindings to ${shown(v.platformName ?? v.name)}; then ${shown(d.platformName)} (version ${d.version}) can be deleted in the console and recorded with: promptprep review ${shown(d.platformName)} retired --version ${d.version}\n`,
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
