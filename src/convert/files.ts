import path from 'node:path';
import { finding } from '../findings.js';
import { exists } from '../fs-util.js';
import { inShard, type Shard } from '../shard.js';
import { SourceNames } from '../targets/names.js';
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
  // Per folder: whether it holds records (a promise until that is known).
  const recordFolders = new Map<string, boolean | Promise<boolean>>();
  const hasRecord = async (p: string, has: Promise<boolean>): Promise<boolean> => (await has) && (await readStatsRecord(p)) !== null;
  const entries = await walkInputs(inputs, {
    // "x.flac" is a folder: its files are converted, and the folder is reported, as check does.
    suspiciousDirExtension: MEDIA_EXTENSIONS,
    exclude: (p, isDirectory) => {
      if (isDirectory) return skip.has(path.resolve(p));
      // Most source folders hold no records at all: ask once a folder, not once a file,
      // and answer the folder's other files without a promise (walkInputs awaits none then).
      const folder = p.slice(0, p.length - path.basename(p).length);
      const has = recordFolders.get(folder);
      if (has === false) return false;
      if (has === undefined) {
        const asked = exists(path.join(folder, '.promptprep'));
        recordFolders.set(folder, asked);
        void asked.then((yes) => recordFolders.set(folder, yes), () => undefined);
        return hasRecord(p, asked);
      }
      return has === true ? hasRecord(p, Promise.resolve(true)) : hasRecord(p, has);
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
 * each result as it finishes, in completion order (sources that fail before any work,
 * such as refused names, first). What the run holds for every source is its path and a
 * byte (SourceNames); the rest exists only while the source is in flight. A promise
 * returned by `onResult` holds back new sources until it settles.
 */
export async function convertFilesEach(
  inputs: string[],
  options: ConvertOptions,
  onResult: (result: ConvertFileResult) => unknown,
): Promise<ConvertReport['summary']> {
  const plan = await planSources(inputs, options);
  const total = plan.sources.length;
  const summary: ConvertReport['summary'] = { total: 0, converted: 0, skipped: 0, failed: 0, planned: 0 };
  const deliver = (res: ConvertFileResult): unknown => {
    summary.total++;
    summary[res.status]++;
    return onResult(res);
  };
  // Sources that fail before any work: told to onFile first, as they always were, and
  // handed on in their place among the others.
  for (let i = 0; i < total; i++) if (!plan.converts(i)) options.onFile?.(plan.failure(i));
  let next = 0;
  const deliverFailuresBefore = (index: number): unknown => {
    let held: unknown;
    for (; next < index; next++) held = deliver(plan.failure(next)) ?? held;
    return held;
  };
  const outDir = options.outDir;
  function* items(): Generator<IndexedItem> {
    for (let i = 0; i < total; i++) {
      if (plan.converts(i)) yield { source: plan.sources[i] as string, output: path.join(outDir, plan.name(i)), index: i };
    }
  }
  const onStart = options.onStart;
  await convertItemsEach(
    { count: plan.count, items: items(), outputDirs: [outDir] },
    { ...options, onStart: onStart ? (n) => onStart(n + total - plan.count) : undefined },
    (res, item) => {
      const held = deliverFailuresBefore(item.index);
      next = item.index + 1;
      return deliver(res) ?? held;
    },
  );
  await deliverFailuresBefore(total);
  if (summary.total !== total) throw new Error(`internal: ${summary.total} of ${total} results reported`);
  return summary;
}

/** An item and its place in the walk, which is its place in the report. */
interface IndexedItem extends ConvertItem {
  index: number;
}

/**
 * The walk and the names, kept compact: every source's path (needed to name it and to
 * find collisions), the few that could not be walked, and a byte a source for its name.
 */
async function planSources(
  inputs: string[],
  options: ConvertOptions,
): Promise<{
  sources: string[];
  /** Sources that go on to a conversion. */
  count: number;
  converts: (i: number) => boolean;
  name: (i: number) => string;
  failure: (i: number) => ConvertFileResult;
}> {
  const r = resolveOptions(options);
  const problems = new Map<number, string>();
  const sources = (await walkSources(inputs, [options.outDir], options.shard)).map((e, i) => {
    if (e.problem) problems.set(i, e.problem);
    return e.path;
  });
  // A source that could not be walked is not named (it takes no name from the others).
  const nameable = problems.size === 0 ? sources : sources.filter((_, i) => !problems.has(i));
  const nameIndex = problems.size === 0 ? null : sources.flatMap((_, i) => (problems.has(i) ? [] : [i]));
  const names = new SourceNames(nameable, r.profile, options.rename ?? false);
  // Index in `sources` -> index in `nameable`; the identity unless some could not be walked.
  const toNamed = (i: number): number => (nameIndex === null ? i : binarySearch(nameIndex, i));
  let count = 0;
  const converts = (i: number): boolean => !problems.has(i) && names.named(toNamed(i));
  for (let i = 0; i < sources.length; i++) if (converts(i)) count++;
  return {
    sources,
    count,
    converts,
    name: (i) => (names.get(toNamed(i)) as { name: string }).name,
    failure: (i) => {
      const source = sources[i] as string;
      const problem = problems.get(i);
      if (problem !== undefined) return { source, output: null, status: 'failed', errors: [finding('unreadable', problem)], warnings: [] };
      const named = names.get(toNamed(i));
      const errors = 'errors' in named ? named.errors : [finding('internal', `"${source}" was named but not converted.`)];
      return { source, output: null, status: 'failed', errors, warnings: [] };
    },
  };
}

function binarySearch(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as number;
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
