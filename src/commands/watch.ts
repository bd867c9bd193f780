import path from 'node:path';
import { Command, Option } from 'commander';
import { resolvePromptInfo, sceneFromFolder } from '../catalog.js';
import { getProfile, type Profile } from '../profile.js';
import { LEDGER_OPTION_HELP, openCliLedger } from './ledger-common.js';
import type { CecUploads } from '../cec/watch-uploads.js';
import { configOption, EXIT_FAILED, EXIT_OK, formatOption, helpSections, jsonOption, loadCliConfig, profileOption, selectProfile, parsePositiveInt, UsageError } from './common.js';

interface WatchFlags {
  profile?: string;
  once?: boolean;
  poll?: boolean;
  rename?: boolean;
  stableMs?: number;
  normalize?: boolean;
  trimSilence?: boolean;
  bandLimit?: boolean;
  onOversize?: 'fail' | 'trim';
  maxBytes?: number;
  jobs?: number;
  format?: 'text' | 'json';
  logFormat?: 'pretty' | 'json';
  config?: string;
  ledger?: string | false;
  upload?: boolean;
}

function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`expected a whole number of milliseconds, got "${value}"`);
  return Number(value);
}

/** Environment switch for polling, for service units where flags are awkward to change. */
function pollFromEnv(env: NodeJS.ProcessEnv): boolean | undefined {
  const v = env.PROMPTPREP_WATCH_POLL;
  if (v === undefined || v === '') return undefined;
  return !['0', 'false', 'no', 'off'].includes(v.toLowerCase());
}

export function watchCommand(): Command {
  return new Command('watch')
    .description('Watch a drop folder: recordings dropped into <root>/inbox/ become prompts in <root>/ready/.')
    .argument('[root]', 'watch root (default: "watch", or "watch.root" in the config)')
    .option('--once', 'process what is in the inbox now, then exit (for cron and CI; exit codes as convert)')
    .option('--poll', 'poll the file system instead of using events (network shares; or PROMPTPREP_WATCH_POLL=1)')
    .option('--rename', 'give invalid names the suggested valid name instead of rejecting them')
    .option('--stable-ms <ms>', 'a file counts as completely written after this long unchanged (default 2000)', parseNonNegativeInt)
    .option('--normalize', 'bring speech to about -22 dBFS RMS (as convert)')
    .option('--trim-silence', 'trim leading and trailing silence (as convert)')
    .option('--band-limit', 'apply the 300-3400 Hz telephone band (as convert)')
    .addOption(new Option('--on-oversize <action>', 'over-long sources: fail or trim (as convert)').choices(['fail', 'trim']))
    .option('--max-bytes <n>', 'size limit in bytes (default: the profile\'s, 2000000 for huawei-privatenumber)', parsePositiveInt)
    .option('-j, --jobs <n>', 'at most n ffmpeg processes at once (default: one per CPU, and the last few decodes start together so no CPU sits idle)', parsePositiveInt)
    .addOption(formatOption(['text', 'json'], 'log lines on stderr: text (readable; the default on a terminal) or json (JSON lines; the default otherwise)'))
    .addOption(jsonOption())
    // The name before --format, still accepted.
    .addOption(new Option('--log-format <format>').choices(['pretty', 'json']).hideHelp())
    .option('--upload', 'upload prompts through the CEC API as they become ready, and receive the review callbacks (see `upload --help`)')
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .option('--no-ledger', 'do not record the prepared prompts in the ledger')
    .addOption(profileOption())
    .addOption(configOption())
    .addHelpText(
      'after',
      helpSections({
        notes: `
Layout under the root (created when missing):
  inbox/     drop recordings here (subfolders are kept in ready/)
  ready/     prepared prompts, complete files only
  rejected/  sources that could not be prepared, each with <name>.reason.txt and .json
  archive/   sources of prepared prompts (<name>.v<N>.<ext>), and replaced prompts
             (<name>.v<N>.prompt.wav)

A file is taken once it has stopped changing for --stable-ms. Dotfiles, *.part,
*.crdownload, *.tmp, ~$* , Thumbs.db and .DS_Store are ignored. SIGINT/SIGTERM stop
taking new files, finish the round in flight and exit 0; a killed run resumes where it
stopped when started again.`,
        exitCodes: [
          [0, 'stopped by SIGINT/SIGTERM; with --once, nothing was rejected'],
          [1, 'with --once: some source was rejected (see rejected/)'],
          [130, 'a second SIGINT/SIGTERM stopped it at once (files in flight stay in the inbox)'],
        ],
        examples: [
          'npx promptprep watch                       # ./watch, until stopped',
          'npx promptprep watch /srv/prompts --poll   # a network share',
          'npx promptprep watch --once --json         # cron: process the inbox, exit 0/1, JSON log lines',
        ],
      }),
    )
    .action(async (root: string | undefined, flags: WatchFlags) => {
      const { config, profile } = selectProfile(await loadCliConfig(flags.config), flags.profile);
      const c = config.convert;
      const w = config.watch;
      const [{ createLogger }, { runWatch }] = await Promise.all([import('../logger.js'), import('../watch/watcher.js')]);
      const format = flags.format ?? (flags.logFormat === 'pretty' ? 'text' : flags.logFormat);
      const logger = createLogger(format ? { json: format === 'json' } : {});
      const controller = new AbortController();
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          // Second signal: stop now. Sources in flight stay in the inbox; the next run resumes them.
          logger.warn({ event: 'stopping' }, `${sig} again: stopping immediately`);
          process.exit(130);
        }
        logger.info({ event: 'stopping' }, `${sig}: finishing the files in flight, taking no new ones`);
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      if (flags.upload && flags.ledger === false) throw new UsageError('--upload records uploads in the ledger; it cannot be used with --no-ledger');
      const ledger = flags.ledger === false ? null : await openCliLedger(config, typeof flags.ledger === 'string' ? flags.ledger : undefined);
      let uploads: CecUploads | null = null;
      if (flags.upload && ledger) {
        try {
          const { startCecUploads } = await import('../cec/watch-uploads.js');
          uploads = await startCecUploads(config, ledger, logger, { root: root ?? config.watch.root });
        } catch (err) {
          ledger.close();
          throw new UsageError((err as Error).message);
        }
      }
      const prompts = config.prompts;
      // watch.targets: profile ids, each known (a typo is a usage error naming the key).
      let targets: Profile[] | undefined;
      try {
        targets = w.targets?.map((id) => getProfile(id));
      } catch (err) {
        throw new UsageError(`watch.targets: ${(err as Error).message}`);
      }
      let summary;
      try {
        summary = await runWatch({
          sceneFor: (rel, name) => resolvePromptInfo(prompts, name, rel).scene ?? undefined,
          onEvent: (event) => {
            if (!ledger || event.type !== 'converted' || !event.prompt || !event.output) return;
            const name = path.basename(event.output);
            try {
              ledger.recordPrepared({
                name,
                sha256: event.prompt.sha256,
                bytes: event.prompt.bytes,
                durationSeconds: event.prompt.durationSeconds,
                source: event.source,
                sourceSha256: event.prompt.sourceSha256 ?? null,
                filePath: event.readyPath ?? null,
                // Only the inbox folder's scene is kept: the config's is read as it is now.
                scene: sceneFromFolder(event.source),
                actor: 'watcher',
              });
            } catch (err) {
              logger.error({ event: 'error', source: event.source }, `could not record ${name} in the ledger: ${(err as Error).message}`);
            }
            uploads?.kick();
          },
          root: root ?? w.root,
          profile,
          ...(targets ? { targets } : {}),
          rename: flags.rename ?? c.rename,
          stableMs: flags.stableMs ?? w.stableMs,
          scanIntervalMs: w.scanIntervalMs,
          poll: flags.poll ?? pollFromEnv(process.env) ?? w.poll,
          pollIntervalMs: w.pollIntervalMs,
          batchSize: w.batchSize,
          once: flags.once ?? false,
          signal: controller.signal,
          logger,
          convert: {
            maxBytes: flags.maxBytes ?? config.maxBytes ?? (targets ? undefined : profile.maxBytes),
            onOversize: flags.onOversize ?? c.onOversize,
            normalize: flags.normalize ?? c.normalize,
            trimSilence: flags.trimSilence ?? c.trimSilence,
            bandLimit: flags.bandLimit ?? c.bandLimit,
            analysis: config.analysis,
            ...(flags.jobs ?? c.jobs ? { jobs: (flags.jobs ?? c.jobs) as number } : {}),
          },
        });
      } catch (err) {
        await uploads?.stop();
        ledger?.close();
        if ((err as Error).name === 'WatchRootBusyError') throw new UsageError((err as Error).message);
        throw err;
      }
      await uploads?.stop();
      ledger?.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      logger.info(
        { event: 'summary', ...summary },
        `${summary.converted} converted, ${summary.rejected} rejected, ${summary.pending} left in the inbox`,
      );
      process.exitCode = flags.once && (summary.rejected > 0 || summary.failed > 0) ? EXIT_FAILED : EXIT_OK;
    });
}
