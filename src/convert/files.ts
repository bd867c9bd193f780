import path from 'node:path';
import { naturalOutputName, suggestFileName, validateOutputName } from '../file-name.js';
import { finding } from '../findings.js';
import { exists } from '../fs-util.js';
import { inShard } from '../shard.js';
import { walkInputs } from '../walk.js';
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
 * Convert files and directories (walked recursively) into `options.outDir`. Output names
 * are the sources' base names with the profile's extension; invalid names fail with a
 * suggestion unless `rename`; two sources that would share an output name both fail.
 */
export async function convertFiles(inputs: string[], options: ConvertOptions): Promise<ConvertReport> {
  const r = resolveOptions(options);
  const outDir = path.resolve(options.outDir);
  const recordFolders = new Map<string, Promise<boolean>>();
  const entries = (
    await walkInputs(inputs, {
      // "x.flac" is a folder: its files are converted, and the folder is reported, as check does.
      suspiciousDirExtension: MEDIA_EXTENSIONS,
      // Re-running into a folder inside (or equal to) a source folder must not take our
      // own outputs for new sources: skip the output folder and files we wrote.
      exclude: async (p, isDirectory) => {
        if (isDirectory) return path.resolve(p) === outDir;
        // Most source folders hold no records at all: ask once a folder, not once a file.
        const records = path.join(path.dirname(p), '.promptprep');
        let has = recordFolders.get(records);
        if (!has) recordFolders.set(records, (has = exists(records)));
        return (await has) && (await readStatsRecord(p)) !== null;
      },
    })
  ).filter((e) => inShard(e.path, options.shard));
  const early: ConvertFileResult[] = [];
  const planned: ConvertItem[] = [];
  for (const entry of entries) {
    if (entry.problem) {
      early.push({ source: entry.path, output: null, status: 'failed', errors: [finding('unreadable', entry.problem)], warnings: [] });
      continue;
    }
    const natural = naturalOutputName(entry.path, r.profile);
    let name = natural;
    const problems = validateOutputName(natural, r.profile);
    if (problems.length > 0) {
      if (options.rename) {
        name = suggestFileName(natural, r.profile);
      } else {
        early.push({
          source: entry.path,
          output: null,
          status: 'failed',
          errors: problems.map((f) => ({ ...f, message: `${f.message} Or convert with --rename to apply the suggestion.` })),
          warnings: [],
        });
        continue;
      }
    }
    planned.push({ source: entry.path, output: path.join(options.outDir, name) });
  }
  // Two sources, one output name: neither wins silently. Case-insensitive, because
  // macOS and Windows folders (and people) treat A.wav and a.wav as one file.
  const byName = new Map<string, ConvertItem[]>();
  for (const item of planned) {
    const k = path.basename(item.output).toLowerCase();
    byName.set(k, [...(byName.get(k) ?? []), item]);
  }
  const items: ConvertItem[] = [];
  for (const item of planned) {
    const same = byName.get(path.basename(item.output).toLowerCase()) ?? [];
    if (same.length > 1) {
      const others = same.filter((o) => o !== item).map((o) => `"${o.source}"`);
      early.push({
        source: item.source,
        output: null,
        status: 'failed',
        errors: [
          finding(
            'name-collision',
            `"${item.source}" and ${others.join(', ')} would both become "${path.basename(item.output)}"; none of them was converted. Rename one of the sources.`,
          ),
        ],
        warnings: [],
      });
    } else {
      items.push(item);
    }
  }
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
