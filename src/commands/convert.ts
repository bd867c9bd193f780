import path from 'node:path';
import { Command, Option } from 'commander';
import { resolvePromptInfo } from '../catalog.js';
import { LEDGER_OPTION_HELP, openCliLedger } from './ledger-common.js';
import type { ConvertFileResult, ConvertReport } from '../convert/index.js';
import { jsonReplacer } from '../report/check-report.js';
import { colorsFor } from '../report/colors.js';
import { SCENES, type Scene } from '../scenes.js';
import type { Shard } from '../shard.js';
import { escapeControlChars as shown, escapeControlCharsInJson } from '../text-safe.js';
import { configOption, EXIT_FAILED, EXIT_OK, formatOption, helpSections, jsonOption, loadCliConfig, parsePositiveInt, parseSceneOption, parseShardOption, requireExistingPaths } from './common.js';

interface ConvertFlags {
  out: string;
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
    .option('--rename', 'give sources whose names the platform rejects the suggested valid name instead of failing')
    .addOption(new Option('--on-oversize <action>', 'a source longer than the size limit allows: fail up front, or trim it to fit with a 0.5 s fade-out').choices(['fail', 'trim']))
    .option('--max-bytes <n>', 'size limit in bytes (default from the profile: 2000000)', parsePositiveInt)
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
          [1, 'some file failed (named on stdout, with the rule)'],
        ],
        examples: [
          'npx promptprep convert recordings/ --out prompts/',
          'npx promptprep convert "Welcome message.mp3" --out prompts/ --rename --normalize',
          'npx promptprep convert long-notice.flac --out prompts/ --on-oversize trim --json',
          'npx promptprep convert recordings/ --out prompts/ --dry-run',
        ],
      }),
    )
    .action(async (inputs: string[], flags: ConvertFlags) => {
      // Find ffmpeg and read its version now, while the modules below load: it is on the
      // way to the first decode otherwise. Errors surface where ffmpeg is first needed.
      void import('../ffmpeg.js').then((m) => m.locateFfmpeg().then(m.ffmpegFeatures)).catch(() => undefined);
      const { config, profile } = await loadCliConfig(flags.config);
      await requireExistingPaths(inputs);
      const scene = flags.scene;
      const c = config.convert;
      const out = process.stdout;
      const err = process.stderr;
      const asJson = flags.format === 'json';
      const useBar = flags.progress !== false && Boolean(err.isTTY);
      // Heavy modules load only here, so `promptprep check` and `--help` start fast.
      const { convertFiles } = await import('../convert/index.js');
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
      // SQLite after the last one would add to every run's tail.
      let ledgerOpening: ReturnType<typeof openCliLedger> | null = null;
      const openLedger = () => (ledgerOpening ??= openCliLedger(config, typeof flags.ledger === 'string' ? flags.ledger : undefined));
      const report = await convertFiles(inputs, {
        outDir: flags.out,
        profile,
        maxBytes: flags.maxBytes ?? config.maxBytes ?? profile.maxBytes,
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
        // --scene wins over the config's per-name scenes
        sceneFor: (item) => scene ?? resolvePromptInfo(config.prompts, path.basename(item.output)).scene ?? undefined,
        onStart: (total) => bar?.start(total, 0, { file: '' }),
        onFile: (res) => {
          // A failure to open is reported after the conversion, where it always was.
          if (useLedger && (res.status === 'converted' || res.status === 'skipped')) openLedger().catch(() => undefined);
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
      });
      bar?.stop();
      if (useLedger && (report.summary.converted > 0 || report.summary.skipped > 0)) {
        const ledger = await openLedger();
        const { recordConversions } = await import('../ledger/project.js');
        try {
          recordConversions(ledger, report, config, 'convert command', scene);
        } finally {
          ledger.close();
        }
      }
      if (asJson) out.write(`${escapeControlCharsInJson(JSON.stringify(report, jsonReplacer, 2))}\n`);
      else out.write(summaryLine(report, colors, flags.dryRun ?? false));
      process.exitCode = report.summary.failed > 0 ? EXIT_FAILED : EXIT_OK;
    });
}

function fileLine(res: ConvertFileResult, c: ReturnType<typeof colorsFor>): string {
  const tag =
    res.status === 'converted' ? c.green('converted') : res.status === 'skipped' ? c.dim('skipped  ') : res.status === 'planned' ? c.cyan('would convert') : c.red('FAILED   ');
  const lines = [`${tag} ${shown(res.source)}${res.output ? ` -> ${shown(res.output)}` : ''}`];
  for (const e of res.errors) lines.push(`  ${c.red('error')}   ${c.bold(e.code)}: ${shown(e.message)}`);
  for (const w of res.warnings) lines.push(`  ${c.yellow('warning')} ${c.bold(w.code)}: ${shown(w.message)}`);
  return `${lines.join('\n')}\n`;
}

function summaryLine(report: ConvertReport, c: ReturnType<typeof colorsFor>, dryRun: boolean): string {
  const s = report.summary;
  const text = dryRun
    ? `${s.total} file(s): ${s.planned} would be converted, ${s.skipped} up to date, ${s.failed} failed (dry run: nothing written).`
    : `${s.total} file(s): ${s.converted} converted, ${s.skipped} skipped (up to date), ${s.failed} failed.`;
  return `${s.failed > 0 ? c.red(text) : c.green(text)}\n`;
}
