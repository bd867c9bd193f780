import path from 'node:path';
import { finding } from '../findings.js';
import { exists } from '../fs-util.js';
import { inShard, type Shard } from '../shard.js';
import { planNames } from '../targets/names.js';
import { walkInputs, type WalkEntry } from '../walk.js';
import { convertItemsEach } from './items.js';
import { resolveOptions, type ConvertFileResult, type ConvertItem, type ConvertOptions, type ConvertReport } from './options.js';
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
  const files: ConvertFileResult[] = [];
  const summary = await convertFilesEach(inputs, options, (f) => void files.push(f));
  return { files, summary };
}

/**
 * convertFiles for runs of any size: each result goes to `onResult` in the order of the
 * sources (as walked, the order of convertFiles' report) as soon as it and every one
 * before it are known, and is not kept. Returns the summary. options.onFile still sees
 * each result as it finishes, in completion order.
 */
export async function convertFilesEach(
  inputs: string[],
  options: ConvertOptions,
  onResult: (result: ConvertFileResult) => void,
): Promise<ConvertReport['summary']> {
  const { early, items, total } = await planItems(inputs, options);
  const ordered = new InOrder(onResult);
  const onStart = options.onStart;
  for (const e of early) {
    options.onFile?.(e.result);
    ordered.put(e.index, e.result);
  }
  await convertItemsEach(items, { ...options, onStart: onStart ? (n) => onStart(n + early.length) : undefined }, (res, item) =>
    ordered.put((item as IndexedItem).index, res),
  );
  if (ordered.delivered !== total) throw new Error(`internal: ${ordered.delivered} of ${total} results reported`);
  return ordered.summary;
}

/** An item and its place in the walk, which is its place in the report. */
interface IndexedItem extends ConvertItem {
  index: number;
}

/**
 * Results handed on in index order: one that finishes before an earlier one waits for it
 * (in a run, groups finish roughly in order, so few wait at any time).
 */
class InOrder {
  private next = 0;
  private readonly waiting = new Map<number, ConvertFileResult>();
  readonly summary: ConvertReport['summary'] = { total: 0, converted: 0, skipped: 0, failed: 0, planned: 0 };

  constructor(private readonly out: (result: ConvertFileResult) => void) {}

  get delivered(): number {
    return this.next;
  }

  put(index: number, result: ConvertFileResult): void {
    if (index !== this.next) {
      this.waiting.set(index, result);
      return;
    }
    let res: ConvertFileResult | undefined = result;
    while (res) {
      this.summary.total++;
      this.summary[res.status]++;
      this.out(res);
      res = this.waiting.get(++this.next);
      if (res) this.waiting.delete(this.next);
    }
  }
}

/**
 * The walk and the names: early failures, and the items to convert, each with its index
 * in the walk. A function of its own, so the walk's entries are let go before the run.
 */
async function planItems(
  inputs: string[],
  options: ConvertOptions,
): Promise<{ early: { index: number; result: ConvertFileResult }[]; items: IndexedItem[]; total: number }> {
  const r = resolveOptions(options);
  const entries = await walkSources(inputs, [options.outDir], options.shard);
  const order = new Map(entries.map((e, i) => [e.path, i]));
  const indexOf = (source: string): number => order.get(source) as number;
  const early: { index: number; result: ConvertFileResult }[] = [];
  for (const [index, entry] of entries.entries()) {
    if (entry.problem) {
      early.push({ index, result: { source: entry.path, output: null, status: 'failed', errors: [finding('unreadable', entry.problem)], warnings: [] } });
    }
  }
  const names = planNames(
    entries.filter((e) => !e.problem).map((e) => e.path),
    r.profile,
    options.rename ?? false,
  );
  for (const f of names.failed) early.push({ index: indexOf(f.source), result: { source: f.source, output: null, status: 'failed', errors: f.errors, warnings: [] } });
  const items: IndexedItem[] = names.named.map((n) => ({ source: n.source, output: path.join(options.outDir, n.name), index: indexOf(n.source) }));
  return { early, items, total: entries.length };
}
