import path from 'node:path';
import { finding } from '../findings.js';
import { exists } from '../fs-util.js';
import { inShard, type Shard } from '../shard.js';
import { planNames } from '../targets/names.js';
import { walkInputs, type WalkEntry } from '../walk.js';
import { convertItems } from './items.js';
import { resolveOptions, summarize, type ConvertFileResult, type ConvertItem, type ConvertOptions, type ConvertReport } from './options.js';
import { readStatsRecord } from './stats-file.js';

/** From files and folders to source → output pairs: walking, output names, collisions. */

/** Extensions of the audio and video files people convert; a folder named so is reported. */
const MEDIA_EXTENSIONS = [
  '.wav', '.wave', '.mp3', '.flac', '.ogg', '.oga', '.opus', '.m4a', '.aac', '.mp4', '.m4v', '.mov', '.mkv', '.mka', '.webm',
  '.wma', '.wmv', '.aif', '.aiff', '.aifc', '.caf', '.amr', '.3gp', '.au', '.snd', '.ac3', '.avi', '.mpg', '.mpeg',
] as const;

/**
 * The sources under `inputs`, in walk order, with the shard applied. Folders in
 * `outDirs` are passed over, and so are files promptprep wrote (they have a record): a
 * re-run into a folder inside (or equal to) a source folder must not take its own
 * outputs for new sources.
 */
export async function walkSources(inputs: string[], outDirs: readonly string[], shard: Shard | undefined): Promise<WalkEntry[]> {
  const skip = new Set(outDirs.map((d) => path.resolve(d)));
  const recordFolders = new Map<string, Promise<boolean>>();
  const entries = await walkInputs(inputs, {
    // "x.flac" is a folder: its files are converted, and the folder is reported, as check does.
    suspiciousDirExtension: MEDIA_EXTENSIONS,
    exclude: async (p, isDirectory) => {
      if (isDirectory) return skip.has(path.resolve(p));
      // Most source folders hold no records at all: ask once a folder, not once a file.
      const records = path.join(path.dirname(p), '.promptprep');
      let has = recordFolders.get(records);
      if (!has) recordFolders.set(records, (has = exists(records)));
      return (await has) && (await readStatsRecord(p)) !== null;
    },
  });
  return entries.filter((e) => inShard(e.path, shard));
}

/**
 * Convert files and directories (walked recursively) into `options.outDir`. Output names
 * are the sources' base names with the profile's extension; invalid names fail with a
 * suggestion unless `rename`; two sources that would share an output name both fail.
 */
export async function convertFiles(inputs: string[], options: ConvertOptions): Promise<ConvertReport> {
  const r = resolveOptions(options);
  const entries = await walkSources(inputs, [options.outDir], options.shard);
  const early: ConvertFileResult[] = [];
  for (const entry of entries) {
    if (entry.problem) {
      early.push({ source: entry.path, output: null, status: 'failed', errors: [finding('unreadable', entry.problem)], warnings: [] });
    }
  }
  const names = planNames(
    entries.filter((e) => !e.problem).map((e) => e.path),
    r.profile,
    options.rename ?? false,
  );
  for (const f of names.failed) early.push({ source: f.source, output: null, status: 'failed', errors: f.errors, warnings: [] });
  const items: ConvertItem[] = names.named.map((n) => ({ source: n.source, output: path.join(options.outDir, n.name) }));
  const onStart = options.onStart;
  for (const e of early) options.onFile?.(e);
  const report = await convertItems(items, {
    ...options,
    onStart: onStart ? (n) => onStart(n + early.length) : undefined,
  });
  const order = new Map(entries.map((e, i) => [e.path, i]));
  const files = [...early, ...report.files].sort((a, b) => (order.get(a.source) ?? 0) - (order.get(b.source) ?? 0));
  return { files, summary: summarize(files) };
}
