import path from 'node:path';
import { Command } from 'commander';
import { consoleChecklist, CONSOLE_PLATFORM, stageForConsole } from '../upload/huawei-console.js';
import { EXIT_FAILED, EXIT_OK, loadCliConfig, UsageError } from './common.js';
import { LEDGER_OPTION_HELP, openCliLedger } from './ledger-common.js';

interface UploadFlags {
  platform?: string;
  outbox?: string;
  json?: boolean;
  ledger?: string;
  config?: string;
}

export function uploadCommand(): Command {
  return new Command('upload')
    .description('Upload prepared prompts. For huawei-console (PrivateNumber has no upload API): stage the files in an outbox and print the checklist to follow in the console.')
    .argument('[names...]', 'prompt names to upload (default: every prompt whose latest version is prepared)')
    .option('--platform <id>', 'huawei-console (default from "upload.platform" in the config)')
    .option('--outbox <dir>', 'where files are staged for the console (default: "upload.outbox" in the config, else ./outbox)')
    .option('--json', 'print what was staged as JSON')
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .option('-c, --config <file>', 'config file (default: ./promptprep.config.json when present)')
    .addHelpText(
      'after',
      `
A new version of a prompt that is already on the platform is staged under a new name
(<name>-v<N>.wav), so bindings keep the old file until the new one is approved.

Examples:
  promptprep upload
  promptprep upload wait_voice1.wav --outbox /tmp/to-upload`,
    )
    .action(async (names: string[], flags: UploadFlags) => {
      const { config, profile } = await loadCliConfig(flags.config);
      const platform = flags.platform ?? config.upload.platform;
      if (platform !== CONSOLE_PLATFORM) {
        throw new UsageError(`upload to ${platform} is not available in this version; use --platform ${CONSOLE_PLATFORM}`);
      }
      const outbox = path.resolve(flags.outbox ?? config.upload.outbox);
      const ledger = openCliLedger(config, flags.ledger);
      try {
        const result = await stageForConsole({ ledger, profile, outbox, names, actor: 'upload command' });
        if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else process.stdout.write(consoleChecklist(result, path.relative(process.cwd(), outbox) || '.'));
        for (const p of result.problems) process.stderr.write(`promptprep: ${p.name}: ${p.message}\n`);
        process.exitCode = result.problems.length > 0 ? EXIT_FAILED : EXIT_OK;
      } finally {
        ledger.close();
      }
    });
}
