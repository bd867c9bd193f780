import path from 'node:path';
import v8 from 'node:v8';
import { Command, Option } from 'commander';
import { resolvePromptInfo } from '../catalog.js';
import { LEDGER_OPTION_HELP, openCliLedger } from './ledger-common.js';
import type { ConvertFileResult, ConvertReport } from '../convert/index.js';
import { getProfile, type Profile } from '../profile.js';
import type { TargetsReport } from '../targets/convert.js';
import { parseProfileList } from '../targets/target.js';
import type { Ledger } from '../ledger/ledger.js';
import { convertJson } from '../report/convert-report.js';
import { colorsFor } from '../report/colors.js';
import { SCENES, type Scene } from '../scenes.js';
import type { Shard } from '../shard.js';
import { escapeControlChars as shown } from '../text-safe.js';
import { configOption, EXIT_FAILED, EXIT_OK, formatOption, helpSections, jsonOption, loadCliConfig, parsePositiveInt, parseSceneOption, parseShardOption, requireExistingPaths, UsageError } from './common.js';

interface ConvertFlags {
  out: string;
  profile?: string;
  rename?: boolean;
  onOversize?: 'fail' | 'trim';
  maxBytes?: number;
  normalize?: boolean;
  trimSilence?: boolean;
  bandLimit?: boolean;
  jobs?: number;
  shard?: Shard;
  dryRun?: boolean;
  force?: boolean;
  format: 'text' | 'json';
  scene?: Scene;
  progress?: boolean;
  config?: string;
  ledger?: string | false;
}

export function convertCommand(): Command {
  return new Command('convert')
    .description('Convert any audio (WAV, MP3, FLAC, Ogg/Opus, AAC/M4A, video soundtracks...) into platform-ready prompts.')
    .argument('<inputs...>', 'source files and directories (walked recursively; hidden entries skipped)')
    .requiredOption('-o, --out <dir>', 'output directory, created when missing (required)')
    .option('-p, --profile <ids>', 'the platform: a profile id, or several separated by commas, each written to <out>/<id>/ (default: "profile" in the config; `promptprep profiles` lists them)')
    .option('--rename', 'give sources whose names the platform rejects the suggested valid name instead of failing')
    .addOption(new Option('--on-oversize <action>', 'a source longer than the size limit allows: fail up front, or trim it to fit with a 0.5 s fade-out').choices(['fail', 'trim']))
    .option('--max-bytes <n>', 'size limit in bytes (default: the profile\'s, 2000000 for huawei-privatenumber)', parsePositiveInt)
    .option('--normalize', 'bring speech to about -22 dBFS RMS, peaks at least 1 dB under full scale')
    .option('--trim-silence', 'trim leading and trailing silence, keeping a short margin')
    .option('--band-limit', 'apply the 300-3400 Hz telephone band')
    .option('-j, --jobs <n>', 'at most n ffmpeg processes at once (default: one per CPU, and the last few decodes start together so no CPU sits idle)', parsePositiveInt)
    .option('--shard <i/n>', 'convert only the i-th of n stable slices of the sources', parseShardOption)
    .option('-n, --dry-run', 'decode and check every source as a real run does, and say what would happen; write nothing')
    .option('--force', 'convert again even when an up-to-date output exists, and replace outputs promptprep did not write')
    .addOption(formatOption(['text', 'json'], 'report on stdout: text (a line per file and a summary) or json', 'text'))
    .addOption(jsonOption())
    .option('--scene <scene>', `where the prompts will play, for scene rules (one of: ${SCENES.join(', ')})`, parseSceneOption)
    .option('--no-progress', 'no progress bar, even on a terminal')
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .option('--no-ledger', 'do not record the prepared prompts in the ledger')
    .addOption(configOption())
    .addHelpText(
      'after',
      helpSections({
        notes: `
Without --normalize, --trim-silence or --band-limit the conversion is faithful: no gain
change. The same input and options always give the same bytes. Each output is verified
with the \`check\` rules before it is renamed into place; a failure leaves nothing behind.
A re-run skips outputs already made from the same source bytes and options.`,
        exitCodes: [
          [0, 'nothing failed (converted, or up to date)'],
          [1, 'some file failed (named on stdout, with the rule; with several profiles: in any of them)'],
        ],
        examples: [
          'npx promptprep convert recordings/ --out prompts/',
          'npx promptprep convert "Welcome message.mp3" --out prompts/ --rename --normalize',
          'npx promptprep convert long-notice.flac --out prompts/ --on-oversize trim --json',
          'npx promptprep convert recordings/ --out prompts/ --dry-run',
          'npx promptprep convert recordings/ --out dist/ --profile huawei-privatenumber,asterisk,amazon-connect',
        ],
      }),
    )
    .action(async (inputs: string[], flags: ConvertFlags) => {
      // Find ffmpeg and read its version now, while the modules below load: it is on the
      // way to the first decode otherwise. Errors surface where ffmpeg is first needed.
      void import('../ffmpeg.js').then((m) => m.locateFfmpeg().then(m.ffmpegFeatures)).catch(() => undefined);
      // Every source's short-lived objects (probe, results, report text) pass through V8's
      // young generation; by default V8 doubles it, up to 32 MB, each time the survivors
      // of its collections add up to its size, which a long run always reaches: memory
      // that grows with the file count. Kept at the size it has now, a run of 10,000
      // sources holds what a run of 200 holds (bench/README.md, the convert memory ladder).
      v8.setFlagsFromString('--semi-space-growth-factor=1');
      // And its old generation grown in small steps: by default V8 lets garbage pile up to
      // 8 MB over what is live (or some times the live size) before a full collection, and
      // a long run's in-flight sources promote plenty, so the peak drifted upwards with the
      // length of the run (2,000 sources: 104-110 MiB; with this, 81 MiB, flat over the run,
      // for about the same CPU: node 10.2-13.7 s against 11.3-14.2 s in alternating runs).
      v8.setFlagsFromString('--optimize-for-size');
      const { config, profile: configProfile, profiles: ownProfiles } = await loadCliConfig(flags.config);
      const profiles = flags.profile === undefined ? [configProfile] : profilesFromFlag(flags.profile, ownProfiles);
      await requireExistingPaths(inputs);
      const scene = flags.scene;
      const c = config.convert;
      const out = process.stdout;
      const err = process.stderr;
      const asJson = flags.format === 'json';
      const useBar = flags.progress !== false && Boolean(err.isTTY);
      // One flat profile is a plain run into --out; several (or a layout of folders) a run for targets.
      const single = profiles.length === 1 && (profiles[0] as Profile).layout === 'flat' ? (profiles[0] as Profile) : null;
      // Heavy modules load only here, so `promptprep check` and `--help` start fast.
      const { convertFilesEach } = await import('../convert/index.js');
      const cliProgress = useBar ? (await import('cli-progress')).default : null;
      const bar = cliProgress
        ? new cliProgress.SingleBar(
            { format: 'converting [{bar}] {value}/{total} {file}', hideCursor: true, clearOnComplete: true, stream: err },
            cliProgress.Presets.shades_classic,
          )
        : null;
      const colors = colorsFor(out);
      const useLedger = flags.ledger !== false && !flags.dryRun;
      // Opened once the first prompt is ready, while later decodes still run: loading
      // SQLite after the last one would add to every run's tail. Prompts are recorded a
      // batch at a time as they are reported, while later sources still decode.
      const recorder = useLedger ? new (await import('../ledger/project.js')).ConversionRecorder('convert command', scene) : null;
      let ledgerOpening: Promise<Ledger | null> | null = null;
      const openLedger = () =>
        (ledgerOpening ??= openCliLedger(config, typeof flags.ledger === 'string' ? flags.ledger : undefined).then(
          (ledger) => {
            recorder?.attach(ledger);
            return ledger;
          },
          (error: unknown) => {
            recorder?.fail(error);
            return null;
          },
        ));
      // The ledger tracks the review of the config's platform: a run for several records that target's prompts.
      const ledgered = (res: ConvertFileResult & { target?: string }): boolean =>
        useLedger && (res.status === 'converted' || res.status === 'skipped') && (res.target === undefined || res.target === configProfile.id);
      const common = {
        rename: flags.rename ?? c.rename,
        onOversize: flags.onOversize ?? c.onOversize,
        normalize: flags.normalize ?? c.normalize,
        trimSilence: flags.trimSilence ?? c.trimSilence,
        bandLimit: flags.bandLimit ?? c.bandLimit,
        ...(flags.jobs ?? c.jobs ? { jobs: (flags.jobs ?? c.jobs) as number } : {}),
        ...(flags.shard ? { shard: flags.shard } : {}),
        dryRun: flags.dryRun ?? false,
        force: flags.force ?? false,
        analysis: config.analysis,
        onStart: (total: number) => bar?.start(total, 0, { file: '' }),
        onFile: (res: ConvertFileResult & { target?: string }) => {
          // A failure to open is reported after the conversion, where it always was.
          if (ledgered(res)) void openLedger();
          if (bar) {
            bar.increment(1, { file: shown(res.source) });
            if (res.status === 'failed' && !asJson) {
              bar.stop();
              out.write(fileLine(res, colors));
              bar.start(bar.getTotal(), bar.getProgress() * bar.getTotal(), { file: '' });
            }
          } else if (!asJson) {
            out.write(fileLine(res, colors));
          }
        },
      };
      // --scene wins over the config's per-name scenes
      const sceneOf = (output: string): Scene | undefined => scene ?? resolvePromptInfo(config.prompts, path.basename(output)).scene ?? undefined;
      const record = (res: ConvertFileResult): void => {
        if (recorder && ledgered(res)) {
          void openLedger();
          recorder.add(res);
        }
      };
      // Results go to the report and the ledger as they are known (in the order of the
      // sources), and are not kept, so memory stays flat however many files. A full
      // stdout (a slow reader) holds back new sources rather than piling up the report.
      let reported = 0;
      const drained = drainWaiter(out);
      const report = (res: ConvertFileResult): unknown => {
        record(res);
        if (asJson && !out.write(convertJson.file(res, reported++))) return drained();
        return undefined;
      };
      let totals: ConvertReport['summary'] | Omit<TargetsReport, 'files'>;
      if (single) {
        if (asJson) out.write(convertJson.head());
        totals = await convertFilesEach(
          inputs,
          {
            ...common,
            outDir: flags.out,
            profile: single,
            maxBytes: flags.maxBytes ?? config.maxBytes ?? single.maxBytes,
            sceneFor: (item) => sceneOf(item.output),
          },
          report,
        );
      } else {
        const { convertTargetsEach } = await import('../targets/convert.js');
        const { resolveTargets } = await import('../targets/target.js');
        let targets;
        try {
          targets = resolveTargets(profiles, flags.out);
        } catch (e) {
          throw new UsageError(`--profile: ${(e as Error).message}`);
        }
        const maxBytes = flags.maxBytes ?? config.maxBytes;
        if (asJson) out.write(convertJson.head());
        totals = await convertTargetsEach(
          inputs,
          {
            ...common,
            targets,
            ...(maxBytes !== undefined ? { maxBytes } : {}),
            sceneFor: (item) => sceneOf(item.output),
          },
          report,
        );
      }
      bar?.stop();
      // The report is completed either way; a ledger that could not be opened or written
      // is reported after it, where it always was. (ledgerOpening is set by the callbacks
      // above, which TypeScript does not follow.)
      let ledgerError: { error: unknown } | null = null;
      const opening = ledgerOpening as Promise<Ledger | null> | null;
      if (opening) {
        const ledger = await opening;
        try {
          recorder?.finish();
        } catch (error) {
          ledgerError = { error };
        } finally {
          ledger?.close();
        }
      }
      const summary = 'targets' in totals ? totals.summary : totals;
      if (asJson) out.write('targets' in totals ? convertJson.tail(summary, totals.targets) : convertJson.tail(summary));
      else out.write(summaryLine(totals, colors, flags.dryRun ?? false));
      if (ledgerError) throw ledgerError.error;
      process.exitCode = summary.failed > 0 ? EXIT_FAILED : EXIT_OK;
    });
}

/**
 * Once `out` has taken what was written (or is gone: a reader that stopped early must
 * not hang the run, whose work and exit code go on without it). Every write that finds
 * `out` full until then gets the same wait: results a run had in flight keep coming
 * while it waits, and a listener set each would pile up (Node warns on stderr past 10).
 */
function drainWaiter(out: NodeJS.WritableStream & { destroyed?: boolean }): () => Promise<void> | undefined {
  let waiting: Promise<void> | undefined;
  return () => {
    if (out.destroyed) return undefined;
    return (waiting ??= new Promise<void>((resolve) => {
      const done = (): void => {
        out.off('drain', done);
        out.off('close', done);
        out.off('error', done);
        waiting = undefined;
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
      out.on('error', done);
    }));
  };
}

/** --profile a,b,c: every id known (a typo is a usage error with the nearest id), each once. */
function profilesFromFlag(value: string, own: ReadonlyMap<string, Profile>): Profile[] {
  const ids = parseProfileList(value);
  if (ids.length === 0) throw new UsageError('--profile names no profile; give one or more ids separated by commas (`promptprep profiles` lists them).');
  try {
    return ids.map((id) => getProfile(id, own));
  } catch (e) {
    throw new UsageError(`--profile: ${(e as Error).message}`);
  }
}

function fileLine(res: ConvertFileResult & { target?: string }, c: ReturnType<typeof colorsFor>): string {
  const tag =
    res.status === 'converted' ? c.green('converted') : res.status === 'skipped' ? c.dim('skipped  ') : res.status === 'planned' ? c.cyan('would convert') : c.red('FAILED   ');
  const target = res.target === undefined ? '' : `${c.cyan(`[${res.target}]`)} `;
  const lines = [`${tag} ${target}${shown(res.source)}${res.output ? ` -> ${shown(res.output)}` : ''}`];
  for (const e of res.errors) lines.push(`  ${c.red('error')}   ${c.bold(e.code)}: ${shown(e.message)}`);
  for (const w of res.warnings) lines.push(`  ${c.yellow('warning')} ${c.bold(w.code)}: ${shown(w.message)}`);
  return `${lines.join('\n')}\n`;
}

function summaryLine(report: ConvertReport['summary'] | Omit<TargetsReport, 'files'>, c: ReturnType<typeof colorsFor>, dryRun: boolean): string {
  const counts = (s: ConvertReport['summary'], what: string): string =>
    dryRun
      ? `${s.total} ${what}: ${s.planned} would be converted, ${s.skipped} up to date, ${s.failed} failed`
      : `${s.total} ${what}: ${s.converted} converted, ${s.skipped} skipped (up to date), ${s.failed} failed`;
  const s = 'targets' in report ? report.summary : report;
  const text = `${counts(s, 'targets' in report ? 'output(s)' : 'file(s)')}${dryRun ? ' (dry run: nothing written)' : ''}.`;
  const lines = [s.failed > 0 ? c.red(text) : c.green(text)];
  if ('targets' in report) {
    for (const t of report.targets) {
      const holds = t.maxSeconds === null ? 'no size limit' : `holds up to ${t.maxSeconds.toFixed(2)} s`;
      lines.push(`  ${t.profile}: ${counts(t.summary, 'output(s)')}; ${shown(t.outDir)}/${t.layout}, ${holds}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
