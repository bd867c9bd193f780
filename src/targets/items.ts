import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { convertFromAlaw } from '../convert/copy.js';
import { decodeFailure, SCRATCH_PREFIX, splitFailedGroup } from '../convert/decode.js';
import { finish } from '../convert/finish.js';
import { sha256File } from '../convert/hash.js';
import { DecodeFeeder } from '../convert/feed.js';
import { PROBES_AT_ONCE, windowSources, type ItemSource } from '../convert/items.js';
import { removeLeftovers } from '../convert/leftovers.js';
import { OrderedWindow } from '../convert/window.js';
import { resolveOptions, type ConvertFileResult, type ConvertItem, type ConvertOptions, type Resolved } from '../convert/options.js';
import { failedResult, type Pending } from '../convert/pending.js';
import { decodeCap, surroundChannels } from '../convert/plan.js';
import { prepare } from '../convert/probe.js';
import { encoderNeed } from '../codecs/index.js';
import { ffmpegFeatures, ffmpegNeeds, locateFfmpeg, type FfmpegBinary } from '../ffmpeg.js';
import { finding } from '../findings.js';
import type { Profile } from '../profile.js';
import type { Scene } from '../scenes.js';
import { ownerTag } from '../stale-files.js';
import { decodeShared, type RateAudio, type SharedSource } from './decode.js';
import type { Target } from './target.js';

/**
 * The engine of a run for several targets, on explicit source → output pairs (convert
 * walks folders and names outputs first; watch stages them). Each source is probed per
 * output but read, hashed and decoded once: one ffmpeg process for a group of sources,
 * resampling once per distinct rate the outputs ask for; then every output is encoded,
 * verified and written by the same stages a single-profile run uses (src/convert/).
 */

export interface TargetItemsOptions extends Omit<ConvertOptions, 'outDir' | 'profile' | 'onFile' | 'onStart' | 'sceneFor'> {
  /** Scene per output (config names, say); `scene` applies when this gives none. */
  sceneFor?: (item: ConvertItem, target: Target) => Scene | undefined;
  onFile?: (result: TargetFileResult) => void;
}

/** One output of one source: the target it is for and the rate its layout makes it at. */
export interface TargetItem {
  target: Target;
  item: ConvertItem;
  rate: number;
}

export interface TargetFileResult extends ConvertFileResult {
  /** The profile id of the target this result is for. */
  target: string;
}

/** A profile as one of its rates: the convert stages read `profile.sampleRate`. */
function atRate(profile: Profile, rate: number): Profile {
  return rate === profile.sampleRate ? profile : { ...profile, sampleRate: rate, sampleRates: [rate] };
}

interface Delivery extends TargetItem {
  r: Resolved;
}

/** A source's outputs that share its decode, the first one leading. */
interface SourceWork {
  lead: Pending;
  deliveries: { d: Delivery; p: Pending }[];
}

/** Consecutive items of one source: probed each, hashed and decoded once. */
interface SourceRun<T> {
  entries: { item: T; d: Delivery; seq: number; pending?: Pending | null }[];
  probesLeft: number;
  /** No more items of this run are coming. */
  closed: boolean;
  hash?: Promise<string>;
}

/**
 * Convert every item; results in the order of `items`. Never throws for a bad source or
 * a failing target: every problem is a failed result of that output alone. Throws only
 * for a missing ffmpeg (when some source needs it).
 */
export async function convertTargetItems(items: readonly TargetItem[], options: TargetItemsOptions): Promise<TargetFileResult[]> {
  const results: TargetFileResult[] = [];
  const targets = [...new Set(items.map((t) => t.target))];
  const sources = new Set(items.map((t) => t.item.source)).size;
  await convertTargetItemsEach(
    {
      count: items.length,
      items,
      outputDirs: items.map((t) => path.dirname(t.item.output)),
      targets,
      outputsPerSource: sources === 0 ? 1 : Math.ceil(items.length / sources),
    },
    options,
    (res) => void results.push(res),
  );
  return results;
}

/** The outputs of a run for several targets, given one at a time (the outputs of a source one after another). */
export interface TargetItemSource<T extends TargetItem = TargetItem> extends ItemSource<T> {
  /** Every target an item may name (their encoders are looked for up front). */
  targets: readonly Target[];
  /** About how many outputs a source has: sizes the window of sources held at once. */
  outputsPerSource: number;
}

/**
 * convertTargetItems for runs of any size: each result goes to `onResult` in the order of
 * the items as soon as it and every one before it are known, and is not kept; only a
 * window of sources is in flight at any time (as convertItemsEach does for one target).
 * The outputs of one source must come one after another to share its read and decode.
 */
export async function convertTargetItemsEach<T extends TargetItem>(
  source: TargetItemSource<T>,
  options: TargetItemsOptions,
  onResult: (result: TargetFileResult, item: T) => unknown,
): Promise<void> {
  const { sceneFor, onFile, ...common } = options;
  const resolved = new Map<string, Resolved>();
  const resolvedFor = (target: Target, rate: number): Resolved => {
    const key = `${target.profile.id}\0${rate}`;
    let r = resolved.get(key);
    if (!r) {
      r = resolveOptions({
        ...common,
        profile: atRate(target.profile, rate),
        ...(sceneFor ? { sceneFor: (item: ConvertItem) => sceneFor(item, target) } : {}),
      });
      resolved.set(key, r);
    }
    return r;
  };
  const firstTarget = source.targets[0];
  if (source.count === 0 || !firstTarget) return;
  // What every output shares (jobs, staging, band limit): the same for each target.
  const shared = resolvedFor(firstTarget, firstTarget.profile.sampleRate);

  let binaryPromise: Promise<{ binary: FfmpegBinary; version: string; soxr: boolean }> | null = null;
  const ffmpegInfo = () =>
    (binaryPromise ??= (async () => {
      // An ffmpeg without a target's encoder (libgsm, libmp3lame) is passed over, or named in the error, before any work.
      const encoders = [...new Set(source.targets.map((t) => t.profile))].flatMap((profile) => encoderNeed(profile) ?? []);
      const binary = await locateFfmpeg(process.env, [...ffmpegNeeds({ bandLimit: shared.bandLimit }), ...encoders]);
      const features = await ffmpegFeatures(binary);
      return { binary, version: features.version, soxr: features.soxr };
    })());
  ffmpegInfo().catch(() => undefined);
  if (!shared.dryRun) await removeLeftovers(source.outputDirs, shared);

  // A source is read (hashed) once, whatever the number of its outputs.
  const hashLimit = pLimit(4);

  const byLead = new Map<Pending, SourceWork>();
  const schedule = async (group: Pending[]): Promise<void> => {
    const info = await ffmpegInfo();
    const out = await feeder.slot(() => decodeGroupShared(group.map((lead) => byLead.get(lead) as SourceWork), shared, info), group);
    if ('retry' in out) {
      await Promise.all(out.retry.map(schedule));
      return;
    }
    const works = group.map((lead) => byLead.get(lead) as SourceWork);
    for (const lead of group) byLead.delete(lead);
    if ('failed' in out) {
      for (const { d, p } of works[0]?.deliveries ?? []) {
        emit(d, failedResult(p, [decodeFailure(p.item.source, out.failed, p.probe.kind === 'unknown')]));
      }
      return;
    }
    // After the job slot is free: the next group's ffmpeg runs while this one is encoded
    // and written. A source's outputs are written together, so their writes' waits for
    // the disk (fsync) overlap instead of adding up target after target.
    for (const [i, work] of works.entries()) {
      const audio = out.audio[i] as Map<number, RateAudio>;
      await Promise.all(work.deliveries.map(async ({ d, p }) => emit(d, await deliver(d, p, audio))));
    }
  };
  const feeder = new DecodeFeeder(Math.ceil(source.count / Math.max(1, source.outputsPerSource)), shared.jobs, shared.jobsGiven, schedule);

  const window = new OrderedWindow<{ item: T; result: TargetFileResult }>(
    windowSources(shared.jobs, feeder.groupFiles) * Math.max(1, source.outputsPerSource),
    (v) => onResult(v.result, v.item),
  );
  const pendingOf = new Map<Delivery, { item: T; seq: number }>();
  const emit = (d: Delivery, res: ConvertFileResult): void => {
    const at = pendingOf.get(d);
    if (!at) return;
    pendingOf.delete(d);
    const result: TargetFileResult = { ...res, target: d.target.profile.id };
    onFile?.(result);
    window.put(at.seq, { item: at.item, result });
  };

  // Runs go on to their copies and decode in the order given, once all their probes are in.
  const runs: SourceRun<T>[] = [];
  const feed = (): void => {
    for (let run = runs[0]; run && run.closed && run.probesLeft === 0; run = runs[0]) {
      runs.shift();
      let work: SourceWork | null = null;
      for (const { d, pending: p } of run.entries) {
        if (!p) continue;
        // A source that already is a target's format is copied for that target; every
        // other output of a source shares the source's one decode.
        if (p.route === 'copy') {
          feeder.track(feeder.slot(async () => emit(d, await convertFromAlaw(p, d.r))));
          continue;
        }
        if (work) work.deliveries.push({ d, p });
        else work = { lead: p, deliveries: [{ d, p }] };
      }
      if (work) {
        byLead.set(work.lead, work);
        feeder.add(work.lead);
      }
    }
  };

  const probes = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  let run: SourceRun<T> | null = null;
  for (const item of source.items) {
    while (probes.size >= PROBES_AT_ONCE) await Promise.race(probes);
    // Only when nothing is queued or running: that work is all of earlier sources, and its
    // end makes room. Flushed while work runs, every source let in as a finish makes room
    // would be a group of its own (2,000 prompts ran as 500 processes of 2-4).
    if (window.full && !feeder.busy) feeder.flush();
    const seq = await window.take();
    if (seq < 0) break;
    if (!run || run.entries[0]?.item.item.source !== item.item.source) {
      if (run) run.closed = true;
      feed();
      run = { entries: [], probesLeft: 0, closed: false };
      runs.push(run);
    }
    const d: Delivery = { target: item.target, item: item.item, rate: item.rate, r: resolvedFor(item.target, item.rate) };
    const entry: SourceRun<T>['entries'][number] = { item, d, seq };
    const thisRun: SourceRun<T> = run;
    thisRun.entries.push(entry);
    thisRun.probesLeft++;
    pendingOf.set(d, { item, seq });
    const hashSource = (file: string): Promise<string> => (thisRun.hash ??= hashLimit(() => sha256File(file)));
    const probe = prepare(d.item, d.r, ffmpegInfo, hashSource).then(
      (res) => {
        if ('result' in res) emit(d, res.result);
        else entry.pending = res.pending;
      },
      (error: unknown) => {
        // Only a missing ffmpeg gets here: the run stops.
        failure ??= { error };
        window.stop();
      },
    );
    const settled = probe.then(() => {
      probes.delete(settled);
      thisRun.probesLeft--;
      feed();
    });
    probes.add(settled);
  }
  if (run) run.closed = true;
  await Promise.all(probes);
  feed();
  feeder.close();
  await feeder.settled();
  if (failure) throw (failure as { error: unknown }).error;
  for (const [d] of pendingOf) emit(d, { source: d.item.source, output: null, status: 'failed', errors: [finding('internal', 'No result was recorded for this file.')], warnings: [] });
}

async function deliver(d: Delivery, p: Pending, audio: Map<number, RateAudio>): Promise<ConvertFileResult> {
  const at = audio.get(d.r.profile.sampleRate);
  if (!at) return failedResult(p, [finding('internal', `No audio at ${d.r.profile.sampleRate} Hz was decoded.`)]);
  if (at.warning && !p.warnings.some((w) => w.code === at.warning?.code)) p.warnings.push(at.warning);
  // The samples are shared by every output at this rate: finish() never changes them in place.
  return finish(p, { samples: at.samples }, d.r);
}

/** One ffmpeg process for a group of sources, each at every rate its outputs need. */
async function decodeGroupShared(
  group: SourceWork[],
  shared: Resolved,
  info: { binary: FfmpegBinary; soxr: boolean },
): Promise<{ audio: Map<number, RateAudio>[] } | { retry: Pending[][] } | { failed: string }> {
  const sources: SharedSource[] = group.map((s) => {
    const caps = new Map<number, (number | undefined)[]>();
    for (const { d, p } of s.deliveries) {
      const rate = d.r.profile.sampleRate;
      caps.set(rate, [...(caps.get(rate) ?? []), decodeCap(p, d.r)]);
    }
    return {
      source: s.lead.item.source,
      surroundChannels: surroundChannels(s.lead),
      // The longest any output at a rate needs: all of it when one needs all.
      rates: [...caps].map(([rate, c]) => (c.includes(undefined) ? { rate } : { rate, maxSeconds: Math.max(...(c as number[])) })),
    };
  });
  // Under the staging folder when there is one (watch cleans it at start); in the temp
  // folder under this process's tag otherwise, which the next run removes if this one is killed.
  const scratch = await fs.mkdtemp(shared.stagingDir ? path.join(shared.stagingDir, '.decode-') : path.join(os.tmpdir(), `${SCRATCH_PREFIX}${ownerTag()}-`));
  try {
    const out = await decodeShared(info.binary, sources, scratch, {
      channels: shared.profile.channels,
      soxr: info.soxr,
      bandLimit: shared.bandLimit,
      analysis: shared.analysis,
    }, () => {
      for (const s of group) for (const { p } of s.deliveries) void p.sourceSha256();
    });
    if (out.ok) return { audio: out.audio };
    const leads = group.map((s) => s.lead);
    if (leads.length > 1) return { retry: splitFailedGroup(leads, out.errorText) };
    return { failed: out.errorText };
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
