import path from 'node:path';
import { Command } from 'commander';
import { resolvePromptInfo } from '../catalog.js';
import { SCENES, type Scene } from '../scenes.js';
import { checkFilesEach } from '../check.js';
import { CHECK_FORMATS, checkSummaryLine, writeCheckReport, type CheckFormat } from '../report/check-report.js';
import type { Shard } from '../shard.js';
import { configOption, EXIT_FAILED, EXIT_OK, formatOption, helpSections, jsonOption, loadCliConfig, profileOption, selectProfile, parsePositiveInt, parseSceneOption, parseShardOption, requireExistingPaths } from './common.js';

interface CheckFlags {
  profile?: string;
  format: CheckFormat;
  strict?: boolean;
  maxBytes?: number;
  shard?: Shard;
  config?: string;
  scene?: Scene;
}

export function checkCommand(): Command {
  return new Command('check')
    .description('Check prompt files against the platform rules before upload (the CI gate).')
    .argument('<paths...>', 'files and directories (walked recursively; hidden entries skipped)')
    .addOption(formatOption(CHECK_FORMATS, 'report format: text, json, junit (JUnit XML for CI), github (GitHub Actions annotations; the summary goes to stderr)', 'text'))
    .addOption(jsonOption())
    .option('--strict', 'treat warnings (quiet, clipping, silence, extra chunks...) as failures')
    .option('--max-bytes <n>', 'size limit in bytes (default: the profile\'s, 2000000 for huawei-privatenumber)', parsePositiveInt)
    .option('--shard <i/n>', 'check only the i-th of n stable slices of the files (CI matrix)', parseShardOption)
    .option('--scene <scene>', `where the prompts will play, for scene rules such as the 5 s pre-call limit (one of: ${SCENES.join(', ')}); the config's "prompts" can set it per name`, parseSceneOption)
    .addOption(profileOption())
    .addOption(configOption())
    .addHelpText(
      'after',
      helpSections({
        exitCodes: [
          [0, 'every file passed (warnings alone do not fail, unless --strict)'],
          [1, 'some file failed'],
        ],
        examples: [
          'npx promptprep check prompts/',
          'npx promptprep check --strict --format junit prompts/ > promptprep-junit.xml',
          'npx promptprep check --format github --shard 2/4 prompts/',
          'npx promptprep check --json prompts/welcome.wav',
        ],
      }),
    )
    .action(async (paths: string[], flags: CheckFlags, cmd: Command) => {
      const { config, profile } = selectProfile(await loadCliConfig(flags.config), flags.profile);
      await requireExistingPaths(paths);
      const scene = flags.scene;
      const checks = checkFilesEach(paths, {
        // --scene wins over the config's per-name scenes
        sceneFor: (file) => scene ?? resolvePromptInfo(config.prompts, path.basename(file)).scene ?? undefined,
        profile,
        maxBytes: flags.maxBytes ?? config.maxBytes ?? profile.maxBytes,
        strict: flags.strict ?? config.strict,
        analysis: config.analysis,
        ...(flags.shard ? { shard: flags.shard } : {}),
      });
      // Written as the checks finish: a report of any size never sits in memory whole.
      const summary = await writeCheckReport(checks, flags.format, process.stdout);
      // stdout holds only the annotations, so it can be passed on as it is.
      if (flags.format === 'github') process.stderr.write(`${checkSummaryLine(summary)}\n`);
      process.exitCode = summary.failed > 0 ? EXIT_FAILED : EXIT_OK;
    });
}
