import { Command, Option } from 'commander';
import { BINDING_MODES, bindingsFor, type BindingMode } from '../bindings.js';
import { noSceneHint } from '../catalog.js';
import { escapeControlChars, escapeControlCharsInJson } from '../text-safe.js';
import { cliPlatform, configOption, EXIT_OK, helpSections, loadCliConfig, platformOption } from './common.js';
import { LEDGER_OPTION_HELP, openCliLedger, projectStatusQuery } from './ledger-common.js';

interface BindingsFlags {
  mode: BindingMode;
  platform?: string;
  ledger?: string;
  config?: string;
}

export function bindingsCommand(): Command {
  return new Command('bindings')
    .description('Print the binding parameters of a PrivateNumber mode, filled with approved file names only (JSON on stdout; what is missing on stderr).')
    .addOption(new Option('--mode <mode>', 'binding mode (required)').choices(BINDING_MODES).makeOptionMandatory())
    .addOption(platformOption())
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .addOption(configOption())
    .addHelpText(
      'after',
      helpSections({
        notes: `
Prints, for example:
  {"preVoice":{"callerHintTone":"wait_voice1.wav"},"recordHintTone":"record_notice.wav"}`,
        exitCodes: [[0, 'printed (prompts with no approved version are left out and named on stderr)']],
        examples: ['npx promptprep bindings --mode AXB', 'npx promptprep bindings --mode AXE --platform huawei-cec'],
      }),
    )
    .action(async (flags: BindingsFlags) => {
      const { config } = await loadCliConfig(flags.config);
      const platform = cliPlatform(flags.platform, config);
      const ledger = await openCliLedger(config, flags.ledger);
      try {
        const rows = ledger.status(projectStatusQuery(config, platform));
        const { fragment, notes } = bindingsFor(flags.mode, rows, platform);
        process.stdout.write(`${escapeControlCharsInJson(JSON.stringify(fragment))}\n`);
        for (const n of notes) process.stderr.write(`${escapeControlChars(n)}\n`);
        const hint = noSceneHint(rows.filter((r) => r.scene === null).map((r) => r.name));
        if (hint) process.stderr.write(`${escapeControlChars(hint)}\n`);
        process.exitCode = EXIT_OK;
      } finally {
        ledger.close();
      }
    });
}
