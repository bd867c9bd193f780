import path from 'node:path';
import { Command } from 'commander';
import { CEC_PLATFORM, CONSOLE_PLATFORM } from '../platforms.js';
import type { Config } from '../config.js';
import type { Ledger } from '../ledger/ledger.js';
import { escapeControlChars as shown, escapeControlCharsInJson } from '../text-safe.js';
import { cliPlatform, configOption, EXIT_FAILED, EXIT_OK, formatOption, helpSections, jsonOption, loadCliConfig, UsageError } from './common.js';
import { LEDGER_OPTION_HELP, openCliLedger, projectStatusQuery } from './ledger-common.js';

interface UploadFlags {
  platform?: string;
  callback?: boolean;
  resumeInterrupted?: boolean;
  outbox?: string;
  format: 'text' | 'json';
  ledger?: string;
  config?: string;
}

export function uploadCommand(): Command {
  return new Command('upload')
    .description('Upload prepared prompts. For huawei-console (PrivateNumber has no upload API): stage the files in an outbox and print the checklist to follow in the console.')
    .argument('[names...]', 'prompt names to upload (default: every prompt whose latest version is prepared)')
    .option('--platform <id>', 'huawei-console or huawei-cec (default from "upload.platform" in the config)')
    .option('--no-callback', 'huawei-cec: send no callBackUrl (review results must then be recorded with `review`)')
    .option('--resume-interrupted', 'huawei-cec: the named prompts were left "uploading" by a crash and you checked they are not on the platform: upload them again')
    .option('--outbox <dir>', 'where files are staged for the console (default: "upload.outbox" in the config, else ./outbox)')
    .addOption(formatOption(['text', 'json'], 'what was staged or uploaded: text (the console checklist) or json', 'text'))
    .addOption(jsonOption())
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .addOption(configOption())
    .addHelpText(
      'after',
      helpSections({
        notes: `
huawei-console: a new version of a prompt that is already on the platform is staged under
a new name (<name>-v<N>.wav), so bindings keep the old file until the new one is approved.

huawei-cec: uploads through the CEC voice-file API ("cec" in the config). Credentials come
only from PROMPTPREP_CEC_APP_KEY and PROMPTPREP_CEC_APP_SECRET; the callback URL's secret
segment from PROMPTPREP_CEC_CALLBACK_SECRET. Run \`npx promptprep callbacks\` (or
\`watch --upload\`) to receive the review results.`,
        exitCodes: [
          [0, 'every prompt asked for was staged (or uploaded), or there was nothing to do'],
          [1, 'some prompt could not be staged or uploaded, or needs attention (each named)'],
        ],
        examples: [
          'npx promptprep upload',
          'npx promptprep upload wait_voice1.wav --outbox /tmp/to-upload',
          'npx promptprep upload --platform huawei-cec --json',
        ],
      }),
    )
    .action(async (names: string[], flags: UploadFlags) => {
      const { config, profile } = await loadCliConfig(flags.config);
      const platform = cliPlatform(flags.platform, config);
      if (platform === CEC_PLATFORM) {
        process.exitCode = await uploadCec(names, flags, config);
        return;
      }
      const outbox = path.resolve(flags.outbox ?? config.upload.outbox);
      const { consoleChecklist, stageForConsole } = await import('../upload/huawei-console.js');
      const ledger = await openCliLedger(config, flags.ledger);
      try {
        requireKnownNames(ledger, CONSOLE_PLATFORM, names);
        const result = await stageForConsole({ ledger, profile, outbox, names, actor: 'upload command', promptInfo: projectStatusQuery(config, platform).promptInfo });
        if (flags.format === 'json') process.stdout.write(`${escapeControlCharsInJson(JSON.stringify(result, null, 2))}\n`);
        else process.stdout.write(consoleChecklist(result, path.relative(process.cwd(), outbox) || '.'));
        for (const p of result.problems) process.stderr.write(`promptprep: ${shown(p.name)}: ${shown(p.message)}\n`);
        process.exitCode = result.problems.length > 0 ? EXIT_FAILED : EXIT_OK;
      } finally {
        ledger.close();
      }
    });
}

/** A name the ledger does not know is a typo (or a prompt never converted): a usage error, before anything is staged. */
function requireKnownNames(ledger: Ledger, platform: string, names: readonly string[]): void {
  if (names.length === 0) return;
  const known = new Set(ledger.status({ platform }).map((r) => r.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UsageError(
      `no prompt named ${unknown.join(', ')} in the ledger; \`npx promptprep status\` lists the prompts it knows (names as in the output folder, e.g. wait_voice1.wav)`,
    );
  }
}

async function uploadCec(names: string[], flags: UploadFlags, config: Config): Promise<number> {
  const [{ callbackUrlFromConfig, clientFromConfig }, { uploadToCec }, { createLogger }] = await Promise.all([
    import('../cec/setup.js'),
    import('../cec/uploader.js'),
    import('../logger.js'),
  ]);
  let client;
  let callbackUrl: string | null = null;
  try {
    client = clientFromConfig(config);
    if (flags.callback !== false) callbackUrl = callbackUrlFromConfig(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (flags.resumeInterrupted && names.length === 0) throw new UsageError('--resume-interrupted needs the prompt names you checked');
  const logger = createLogger();
  const ledger = await openCliLedger(config, flags.ledger);
  try {
    requireKnownNames(ledger, CEC_PLATFORM, names);
    if (flags.resumeInterrupted) {
      for (const name of names) {
        ledger.transition({
          name,
          platform: CEC_PLATFORM,
          to: 'prepared',
          actor: 'upload command',
          reason: 'interrupted upload: a person confirmed it is not on the platform',
        });
      }
    }
    const outcome = await uploadToCec({ ledger, client, cec: config.cec, callbackUrl, names, logger, promptInfo: projectStatusQuery(config, CEC_PLATFORM).promptInfo });
    if (flags.format === 'json') {
      process.stdout.write(`${escapeControlCharsInJson(JSON.stringify(outcome, null, 2))}\n`);
    } else {
      for (const u of outcome.uploaded) process.stdout.write(`uploaded ${shown(u.name)} v${u.version} as ${shown(u.voiceFileName)} (fileId ${shown(u.fileId)}); in review\n`);
      for (const f of outcome.failed) process.stdout.write(`FAILED   ${shown(f.name)}${f.version ? ` v${f.version}` : ''}: ${shown(f.message)}\n`);
      for (const a of outcome.needsAttention) {
        process.stdout.write(
          `ATTENTION ${shown(a.name)} v${a.version}: ${shown(a.message)}. If it is not on the platform: promptprep upload --platform huawei-cec --resume-interrupted ${shown(a.name)}\n`,
        );
      }
      process.stdout.write(`${outcome.uploaded.length} uploaded, ${outcome.failed.length} failed, ${outcome.needsAttention.length} need attention.\n`);
    }
    return outcome.failed.length > 0 || outcome.needsAttention.length > 0 ? EXIT_FAILED : EXIT_OK;
  } catch (err) {
    if ((err as Error).name === 'TransitionError') throw new UsageError((err as Error).message);
    throw err;
  } finally {
    ledger.close();
  }
}
