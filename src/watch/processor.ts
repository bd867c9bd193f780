import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../atomic-write.js';
import { convertItems, readStatsRecord, sha256File, statsPathFor, type ConvertFileResult, type ConvertOptions, type StatsRecord } from '../convert/index.js';
import { nameForProfile, naturalOutputName, suggestFileName, validateFileName } from '../file-name.js';
import type { Finding } from '../findings.js';
import type { Logger } from '../logger.js';
import type { Profile } from '../profile.js';
import { placements } from '../layout.js';
import type { Scene } from '../scenes.js';
import { convertTargetItems, type TargetItem } from '../targets/items.js';
import type { Target } from '../targets/target.js';
import { clearIntent, readIntent, writeIntent, type PlacementIntent } from './journal.js';
import type { WatchLayout } from './layout.js';
import { exists, fitFileName, freeName, NAME_MAX_BYTES } from '../fs-util.js';
import { keepCopy, moveFile } from './move.js';
import { rejectionNote } from './rejection-note.js';

/**
 * One round of the drop folder: settled sources in, each one placed exactly once:
 * its prompt in ready/ and itself in archive/, or itself in rejected/ with the reason.
 */

export type WatchEventType = 'queued' | 'converted' | 'rejected' | 'archived' | 'duplicate' | 'retry' | 'error';

export interface WatchEvent {
  type: WatchEventType;
  /** Source path relative to the inbox. */
  source: string;
  /** Prompt path relative to ready/. */
  output?: string;
  version?: number;
  message: string;
  errors?: Finding[];
  warnings?: Finding[];
  /** Converted prompts: the file's SHA-256, bytes and duration, for the ledger. */
  prompt?: { sha256: string; bytes: number; durationSeconds: number; sourceSha256?: string };
  /** Converted prompts: absolute path of the file in ready/. */
  readyPath?: string;
  /** Converted prompts: the other targets' files, relative to the watch root. */
  alsoPlaced?: string[];
  /** Where the source now is (archive/ or rejected/), relative to the watch root. */
  placedAt?: string;
}

export interface ProcessorOptions {
  layout: WatchLayout;
  profile: Profile;
  /** Give invalid names the suggested valid name instead of rejecting them. */
  rename: boolean;
  convert: Omit<ConvertOptions, 'outDir' | 'onFile' | 'onStart' | 'stagingDir' | 'dryRun' | 'force' | 'shard' | 'profile'>;
  logger: Logger;
  onEvent?: (event: WatchEvent) => void;
  /** Scene of a source (relative to the inbox) and its prompt name, for scene rules. */
  sceneFor?: (rel: string, name: string) => Scene | undefined;
  /**
   * Further platforms (config `watch.targets` after the first): each source also becomes
   * a prompt in each one's folder, in its layout, from the same decode. The source is
   * archived once all are in place, or rejected when any target refuses it.
   */
  extraTargets?: Target[];
}

export interface RoundOutcome {
  /** Sources to look at again later (deferred behind another version, or a passing fault). */
  retry: { source: string; reason: 'deferred' | 'transient' | 'maybe-incomplete' }[];
  rejected: number;
  converted: number;
}

/** Codes that say nothing about the source itself: keep it in the inbox and try again. */
const TRANSIENT = new Set(['write-failed', 'internal', 'unreadable']);

function emit(opts: ProcessorOptions, event: WatchEvent): void {
  const { type, message, ...rest } = event;
  const level = type === 'rejected' || type === 'error' ? 'warn' : 'info';
  opts.logger[level]({ event: type, ...rest }, message);
  opts.onEvent?.(event);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Highest version already archived for a prompt stem in `dir` (0 when none). */
async function latestVersion(dir: string, stem: string): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return 0;
  }
  const re = new RegExp(`^${escapeRegExp(stem)}\\.v(\\d+)(?:\\.|$)`);
  let max = 0;
  for (const n of names) {
    const m = re.exec(n);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
}

interface Candidate {
  abs: string;
  rel: string;
  outputRel: string;
  /** The prompt's other files: the primary's further placements and the extra targets'. */
  extras: Extra[];
}

interface Extra {
  target: Target;
  rate: number;
  /** Relative to the target's folder. */
  rel: string;
}

export async function processRound(
  sources: string[],
  opts: ProcessorOptions,
  attempts: ReadonlyMap<string, number> = new Map(),
): Promise<RoundOutcome> {
  const { layout, profile } = opts;
  const outcome: RoundOutcome = { retry: [], rejected: 0, converted: 0 };
  const candidates: Candidate[] = [];
  const taken = new Set<string>();
  for (const abs of sources) {
    const rel = path.relative(layout.inbox, abs);
    const natural = naturalOutputName(rel, profile);
    const problems = validateFileName(natural, profile);
    let name = natural;
    if (problems.length > 0) {
      if (!opts.rename) {
        try {
          await reject(abs, rel, problems, [], opts, { suggestedName: suggestFileName(natural, profile) });
          outcome.rejected++;
        } catch (err) {
          // One file that cannot be placed must not stop the round: it is tried again later.
          emit(opts, { type: 'error', source: rel, message: `could not reject ${rel}: ${(err as Error).message}; will retry` });
          outcome.retry.push({ source: abs, reason: 'transient' });
        }
        continue;
      }
      name = suggestFileName(natural, profile);
    }
    // In the platform's layout (flat: the inbox subfolder and the name, as always).
    const [first, ...more] = placements(path.join(path.dirname(rel), name), profile);
    const outputRel = (first as { path: string }).path;
    const extras: Extra[] = more.map((m) => ({ target: { profile, outDir: layout.ready }, rate: m.rate, rel: m.path }));
    const refused: Finding[] = [];
    for (const target of opts.extraTargets ?? []) {
      const named = nameForProfile(rel, target.profile, { rename: opts.rename });
      if ('errors' in named) {
        refused.push(...named.errors);
        continue;
      }
      for (const m of placements(path.join(path.dirname(rel), named.name), target.profile)) extras.push({ target, rate: m.rate, rel: m.path });
    }
    if (refused.length > 0) {
      try {
        await reject(abs, rel, refused, [], opts, {});
        outcome.rejected++;
      } catch (err) {
        emit(opts, { type: 'error', source: rel, message: `could not reject ${rel}: ${(err as Error).message}; will retry` });
        outcome.retry.push({ source: abs, reason: 'transient' });
      }
      continue;
    }
    // One version of a prompt at a time: a second source for the same name waits a round.
    const keys = [outputRel, ...extras.map((e) => path.join(e.target.outDir, e.rel))].map((k) => k.toLowerCase());
    if (keys.some((k) => taken.has(k))) {
      outcome.retry.push({ source: abs, reason: 'deferred' });
      continue;
    }
    for (const k of keys) taken.add(k);
    candidates.push({ abs, rel, outputRel, extras });
  }

  const roundDir = path.join(layout.staging, `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`);
  const planned: { c: Candidate; intent: PlacementIntent; staged: string }[] = [];
  for (const c of candidates) {
    try {
      const plan = await planPlacement(c, opts);
      if (plan.kind === 'done') continue;
      planned.push({ c, intent: plan.intent, staged: path.join(roundDir, c.outputRel) });
    } catch (err) {
      emit(opts, { type: 'error', source: c.rel, message: `could not plan ${c.rel}: ${(err as Error).message}; will retry` });
      outcome.retry.push({ source: c.abs, reason: 'transient' });
    }
  }
  if (planned.length === 0) return outcome;

  let results: ConvertFileResult[];
  /** Per planned source, its extra files' results, staged where they were written. */
  let extraResults: { extra: Extra; staged: string; result: ConvertFileResult }[][] = planned.map(() => []);
  try {
    const sceneFor = opts.sceneFor
      ? (item: { source: string; output: string }) => opts.sceneFor?.(path.relative(layout.inbox, item.source), path.basename(item.output))
      : undefined;
    if (planned.every((p) => p.c.extras.length === 0)) {
      const report = await convertItems(
        planned.map((p) => ({ source: p.c.abs, output: p.staged })),
        { ...opts.convert, profile, stagingDir: layout.staging, force: true, ...(sceneFor ? { sceneFor } : {}) },
      );
      results = report.files;
    } else {
      // Every file of every source from one decode of that source (targets/items.ts).
      const primary: Target = { profile, outDir: layout.ready };
      const items: TargetItem[] = [];
      const stagedExtras = planned.map((p) =>
        p.c.extras.map((extra) => ({ extra, staged: path.join(roundDir, '.targets', extra.target.profile.id, extra.rel) })),
      );
      planned.forEach((p, i) => {
        items.push({ target: primary, item: { source: p.c.abs, output: p.staged }, rate: profile.sampleRate });
        for (const e of stagedExtras[i] ?? []) items.push({ target: e.extra.target, item: { source: p.c.abs, output: e.staged }, rate: e.extra.rate });
      });
      const all = await convertTargetItems(items, { ...opts.convert, stagingDir: layout.staging, force: true, ...(sceneFor ? { sceneFor } : {}) });
      results = [];
      let k = 0;
      extraResults = planned.map((_, i) => {
        results.push(all[k++] as ConvertFileResult);
        return (stagedExtras[i] ?? []).map((e) => ({ ...e, result: all[k++] as ConvertFileResult }));
      });
    }
  } catch (err) {
    await fs.rm(roundDir, { recursive: true, force: true });
    for (const p of planned) {
      emit(opts, { type: 'error', source: p.c.rel, message: `conversion could not run: ${(err as Error).message}; will retry` });
      outcome.retry.push({ source: p.c.abs, reason: 'transient' });
    }
    return outcome;
  }

  for (const [i, p] of planned.entries()) {
    const res = results[i] as ConvertFileResult;
    try {
      const extras = extraResults[i] ?? [];
      const extraFailed = extras.filter((e) => e.result.status !== 'converted');
      if (res.status === 'converted' && extraFailed.length === 0) {
        // The other targets' files first: the source is archived (and its intent cleared)
        // only once every file is in place, so a kill before that redoes them all.
        for (const e of extras) await placeExtra(e.staged, path.join(e.extra.target.outDir, e.extra.rel), layout);
        await commit(p.c, p.intent, p.staged, res, opts, extras.map((e) => path.relative(layout.root, path.join(e.extra.target.outDir, e.extra.rel))));
        outcome.converted++;
      } else if (res.status === 'converted') {
        await reject(p.c.abs, p.c.rel, extraFailed.flatMap((e) => e.result.errors.map((f) => ({ ...f, message: `${f.message} (profile ${e.extra.target.profile.id})` }))), res.warnings, opts, {});
        await clearIntent(layout.journal, p.c.rel);
        outcome.rejected++;
      } else {
        const transient = res.errors.length > 0 && res.errors.every((e) => TRANSIENT.has(e.code));
        const incomplete = res.errors.some((e) => e.code === 'truncated') && (attempts.get(p.c.abs) ?? 0) < 1;
        if (transient || incomplete) {
          emit(opts, {
            type: 'retry',
            source: p.c.rel,
            message: incomplete
              ? `${p.c.rel} looks incomplete (${res.errors[0]?.message}); waiting for the writer to finish`
              : `${p.c.rel}: ${res.errors.map((e) => e.message).join(' ')}; will retry`,
          });
          await clearIntent(layout.journal, p.c.rel);
          outcome.retry.push({ source: p.c.abs, reason: incomplete ? 'maybe-incomplete' : 'transient' });
          continue;
        }
        await reject(p.c.abs, p.c.rel, res.errors, res.warnings, opts, {});
        await clearIntent(layout.journal, p.c.rel);
        outcome.rejected++;
      }
    } catch (err) {
      emit(opts, { type: 'error', source: p.c.rel, message: `could not place ${p.c.rel}: ${(err as Error).message}; will retry` });
      outcome.retry.push({ source: p.c.abs, reason: 'transient' });
    }
  }
  await fs.rm(roundDir, { recursive: true, force: true });
  return outcome;
}

/** The current prompt's record, if it really describes the file in ready/ (hashes agree). */
async function currentRecord(readyPath: string): Promise<{ record: StatsRecord | null; sha256: string | null }> {
  if (!(await exists(readyPath))) return { record: null, sha256: null };
  const sha = await sha256File(readyPath);
  const record = await readStatsRecord(readyPath);
  return { record: record && record.outputSha256 === sha ? record : null, sha256: sha };
}

/** Room an archive name keeps after its stem: `.v<N>`, `.prompt<ext>` or the source's extension, freeName's `-<n>`. */
const ARCHIVE_SUFFIX_BYTES = 64;
const ARCHIVE_EXT_BYTES = 32;

/**
 * Archive names are `<stem>.v<N><source extension>` and `<stem>.v<N>.prompt<ext>`. Both
 * parts come from the dropped name (a source "a.<200 bytes>" makes the prompt a.wav), so
 * both are fitted: the stem leaves room for the rest, the extension is kept short.
 */
function archiveNameParts(c: Candidate, profile: Profile): { stem: string; sourceExt: string } {
  return {
    stem: fitFileName(path.basename(c.outputRel, profile.extension), '', NAME_MAX_BYTES - ARCHIVE_SUFFIX_BYTES),
    sourceExt: fitFileName(path.extname(c.rel), '', ARCHIVE_EXT_BYTES),
  };
}

async function planPlacement(c: Candidate, opts: ProcessorOptions): Promise<{ kind: 'done' } | { kind: 'convert'; intent: PlacementIntent }> {
  const { layout } = opts;
  const sourceSha = await sha256File(c.abs);
  const existing = await readIntent(layout.journal, c.rel);
  if (existing && existing.sourceSha256 === sourceSha && existing.output === c.outputRel) {
    // Resuming after a crash: same version, same archive names as first decided.
    return { kind: 'convert', intent: existing };
  }
  const readyPath = path.join(layout.ready, c.outputRel);
  const { stem, sourceExt } = archiveNameParts(c, opts.profile);
  const archiveDir = path.join(layout.archive, path.dirname(c.outputRel));
  const latest = await latestVersion(archiveDir, stem);
  const current = await currentRecord(readyPath);
  if (current.record && current.record.sourceSha256 === sourceSha) {
    // The prompt in ready/ was made from these very bytes.
    const archived = path.join(archiveDir, `${stem}.v${latest}${sourceExt}`);
    if (latest > 0 && (await exists(archived)) && (await sha256File(archived)) === sourceSha) {
      await fs.unlink(c.abs);
      emit(opts, {
        type: 'duplicate',
        source: c.rel,
        output: c.outputRel,
        version: latest,
        message: `${c.rel} is identical to version ${latest} of ${c.outputRel}, already prepared and archived; the duplicate was removed from the inbox`,
      });
      return { kind: 'done' };
    }
    const dest = path.join(archiveDir, `${stem}.v${latest + 1}${sourceExt}`);
    await moveFile(c.abs, dest);
    emit(opts, {
      type: 'archived',
      source: c.rel,
      output: c.outputRel,
      version: latest + 1,
      placedAt: path.relative(layout.root, dest),
      message: `${c.rel} was already prepared as ${c.outputRel}; source archived as ${path.relative(layout.root, dest)}`,
    });
    return { kind: 'done' };
  }
  const version = latest + 1;
  const intent: PlacementIntent = {
    source: c.rel,
    sourceSha256: sourceSha,
    output: c.outputRel,
    version,
    archiveSourceAs: path.join(path.dirname(c.outputRel), `${stem}.v${version}${sourceExt}`),
    previous: current.sha256 ? { sha256: current.sha256, archiveAs: path.join(path.dirname(c.outputRel), `${stem}.v${latest}.prompt${opts.profile.extension}`) } : null,
    createdAt: new Date().toISOString(),
  };
  await writeIntent(layout.journal, intent);
  return { kind: 'convert', intent };
}

/** An extra target's file into place (same file system: an atomic rename), with its record. */
async function placeExtra(staged: string, dest: string, layout: WatchLayout): Promise<void> {
  await fs.mkdir(path.dirname(dest), { recursive: true });
  await fs.rename(staged, dest);
  const record = JSON.parse(await fs.readFile(statsPathFor(staged), 'utf8')) as StatsRecord;
  record.output = dest;
  await fs.mkdir(path.dirname(statsPathFor(dest)), { recursive: true });
  await writeFileAtomic(statsPathFor(dest), `${JSON.stringify(record, null, 2)}\n`, layout.staging);
}

async function commit(c: Candidate, intent: PlacementIntent, staged: string, res: ConvertFileResult, opts: ProcessorOptions, alsoPlaced: string[] = []): Promise<void> {
  const { layout } = opts;
  const readyPath = path.join(layout.ready, c.outputRel);
  let previousNote = '';
  if (intent.previous && (await exists(readyPath)) && (await sha256File(readyPath)) === intent.previous.sha256) {
    const dest = path.join(layout.archive, intent.previous.archiveAs);
    // The old prompt is archived as a second name (or a copy); it leaves ready/ only when the
    // rename below replaces it, so a reader never finds ready/ without the prompt.
    if (!((await exists(dest)) && (await sha256File(dest)) === intent.previous.sha256)) {
      await keepCopy(readyPath, await freeName(path.dirname(dest), path.basename(dest)), layout.staging);
    }
    previousNote = `; the previous prompt was archived as ${path.relative(layout.root, dest)}`;
  }
  await fs.mkdir(path.dirname(readyPath), { recursive: true });
  // Staging is inside the watch root: same file system, so this rename (a replacement,
  // when there was a previous version) is atomic.
  await fs.rename(staged, readyPath);
  const record = JSON.parse(await fs.readFile(statsPathFor(staged), 'utf8')) as StatsRecord;
  record.output = readyPath;
  await fs.mkdir(path.dirname(statsPathFor(readyPath)), { recursive: true });
  await writeFileAtomic(statsPathFor(readyPath), `${JSON.stringify(record, null, 2)}\n`, layout.staging);
  emit(opts, {
    type: 'converted',
    source: c.rel,
    output: c.outputRel,
    version: intent.version,
    warnings: res.warnings,
    readyPath,
    ...(res.stats
      ? { prompt: { sha256: res.stats.sha256, bytes: res.stats.bytes, durationSeconds: res.stats.durationSeconds, sourceSha256: res.stats.sourceSha256 } }
      : {}),
    ...(alsoPlaced.length > 0 ? { alsoPlaced } : {}),
    message: `${c.rel} converted to ${path.relative(layout.root, readyPath)} (version ${intent.version})${alsoPlaced.length > 0 ? `, and ${alsoPlaced.join(', ')}` : ''}${previousNote}${res.warnings.length > 0 ? `; warnings: ${res.warnings.map((w) => w.code).join(', ')}` : ''}`,
  });
  const archived = path.join(layout.archive, intent.archiveSourceAs);
  const dest = (await exists(archived)) ? await freeName(path.dirname(archived), path.basename(archived)) : archived;
  await moveFile(c.abs, dest);
  await clearIntent(layout.journal, c.rel);
  emit(opts, {
    type: 'archived',
    source: c.rel,
    output: c.outputRel,
    version: intent.version,
    placedAt: path.relative(layout.root, dest),
    message: `${c.rel} archived as ${path.relative(layout.root, dest)}`,
  });
}

async function reject(
  abs: string,
  rel: string,
  findings: Finding[],
  alsoNoted: Finding[],
  opts: ProcessorOptions,
  extra: { suggestedName?: string },
): Promise<void> {
  const { layout } = opts;
  const dir = path.join(layout.rejected, path.dirname(rel));
  await fs.mkdir(dir, { recursive: true });
  const dest = await freeName(dir, path.basename(rel));
  const placedAt = path.relative(layout.root, dest);
  // The note speaks of the file where it is now, not of the inbox path it was judged at.
  const relocate = (f: Finding): Finding => ({ ...f, message: f.message.split(abs).join(placedAt) });
  const errors = findings.map(relocate);
  const warnings = alsoNoted.map(relocate);
  // Both notes share one stem, fitted so that the longer suffix still fits.
  const noteStem = path.join(dir, fitFileName(path.basename(dest), '', NAME_MAX_BYTES - '.reason.json'.length));
  const notePath = `${noteStem}.reason.txt`;
  const text = rejectionNote({ name: path.basename(rel), placedAt, errors, warnings, ...extra });
  const json = {
    source: rel,
    rejectedAs: placedAt,
    note: path.relative(layout.root, notePath),
    rejectedAt: new Date().toISOString(),
    errors,
    warnings,
    ...extra,
  };
  // Reasons first: a crash before the move leaves the source in the inbox, to be judged again.
  // Temporary files in staging (same file system), so a crash mid-write leaves none in rejected/.
  await writeFileAtomic(notePath, text, layout.staging);
  await writeFileAtomic(`${noteStem}.reason.json`, `${JSON.stringify(json, null, 2)}\n`, layout.staging);
  await moveFile(abs, dest);
  emit(opts, {
    type: 'rejected',
    source: rel,
    errors,
    warnings,
    placedAt,
    message: `${rel} rejected: ${errors.map((e) => e.code).join(', ')} (see ${path.relative(layout.root, notePath)})`,
  });
}

