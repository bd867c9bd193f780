import { Command } from 'commander';
import { renderDoctorText, runDoctor } from '../doctor.js';
import { escapeControlCharsInJson } from '../text-safe.js';
import { configOption, EXIT_FAILED, EXIT_OK, formatOption, helpSections, jsonOption } from './common.js';
import { LEDGER_OPTION_HELP } from './ledger-common.js';

interface DoctorFlags {
  format: 'text' | 'json';
  config?: string;
  ledger?: string;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('Check this machine and project: which ffmpeg is used and why, Node, the config and its profile, the ledger, the cache folder, and the CEC credentials (set or not, never their values).')
    .addOption(formatOption(['text', 'json'], 'the report: text or json', 'text'))
    .addOption(jsonOption())
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .addOption(configOption())
    .addHelpText(
      'after',
      helpSections({
        notes: `
Run it first when something is off. ffmpeg is looked for in this order, and the first
that runs and has what the config needs is used: FFMPEG_PATH, the ffmpeg-static
package's binary, ffmpeg on PATH, the @ffmpeg-installer/ffmpeg package's binary. Every
place is listed with the version found and why it was passed over.`,
        exitCodes: [
          [0, 'everything the config needs is there'],
          [1, 'something is missing (listed at the end)'],
        ],
        examples: [
          'npx promptprep doctor',
          'npx promptprep doctor --json | jq .ffmpeg.chosen',
          'FFMPEG_PATH=/opt/ffmpeg/bin/ffmpeg npx promptprep doctor',
        ],
      }),
    )
    .action(async (flags: DoctorFlags) => {
      const report = await runDoctor({ ...(flags.config ? { configPath: flags.config } : {}), ...(flags.ledger ? { ledgerPath: flags.ledger } : {}) });
      process.stdout.write(flags.format === 'json' ? `${escapeControlCharsInJson(JSON.stringify(report, null, 2))}\n` : renderDoctorText(report));
      process.exitCode = report.ok ? EXIT_OK : EXIT_FAILED;
    });
}
