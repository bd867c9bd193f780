import path from 'node:path';
import pLimit from 'p-limit';
import { crashPoint } from '../crash-point.js';
import { encoderNeed } from '../codecs/index.js';
import { ffmpegFeatures, ffmpegNeeds, locateFfmpeg, type FfmpegBinary } from '../ffmpeg.js';
import { finding } from '../findings.js';
import { convertFromAlaw } from './copy.js';
import { decodeGroup, type DecodedAudio, type GroupOutcome } from './decode.js';
import { DecodeFeeder } from './feed.js';
import { finish } from './finish.js';
import { sha256File } from './hash.js';
import { removeLeftovers } from './leftovers.js';
import { resolveOptions, summarize, type ConvertFileResult, type ConvertItem, type ConvertOptions, type ConvertReport } from './options.js';
import type { Pending } from './pending.js';
import { sharesLong } from './plan.js';
import { prepare } from './probe.js';
import { OrderedWindow } from './window.js';

/** The run: probes, then copies and decode groups under one CPU limit, each file finished as its group ends. */

/**
 * Convert explicit source → output pairs. Never throws for a bad source: every problem
 * is a failed result. Throws only for a missing ffmpeg (when some source needs it).
 */
export async function convertItems(items: ConvertItem[], options: Omit<ConvertOptions, 'outDir'>): Promise<ConvertReport> {
  const files: ConvertFileResult[] = [];
  await convertItemsEach({ count: items.length, items, outputDirs: items.map((item) => path.dirname(item.output)) }, options, (res) => void files.push(res));
  return { files, summary: summarize(files) };
}

/** The sources of a run, given one at a time: only the ones in flight are held. */
export interface ItemSource<T = ConvertItem> {
  /** How many `items` gives. */
  count: number;
  items: Iterable<T>;
  /** Every folder an output goes to (where a killed run's partial files are looked for). */
  outputDirs: Iterable<string>;
}

/** Probes at once: they are file reads and in-process parsing. */
export const PROBES_AT_ONCE = 8;

/**
 * Sources in flight a job (taken and not yet handed on): two groups of 64 prompts, the one
 * the job decodes and the next, probed and waiting for it; a finished group's results are
 * written and handed on while that next one decodes. Three groups a job (half as many again)
 * held more decoded prompts and were no faster (README, the convert memory ladder).
 */
export const WINDOW_SOURCES_PER_JOB = 128;

/** The window of a run: WINDOW_SOURCES_PER_JOB a job, and never less than a group a job and one more, so a group can always form. */
export function windowSources(jobs: number, groupFiles: number): number {
  return Math.max(WINDOW_SOURCES_PER_JOB * jobs, (jobs + 1) * groupFiles);
}

/**
 * convertItems for runs of any size: each result goes to `onResult` in the order of the
 * items, as soon as it and every one before it are known, and is not kept (options.onFile
 * sees each as it finishes, in completion order). Items are taken from the iterable only
 * as the run has room for them: at most a window of sources (a few groups a job) is held
 * at any time, whatever the count. A promise returned by `onResult` holds back new
 * sources until it settles.
 */
export async function convertItemsEach<T extends ConvertItem>(
  source: ItemSource<T>,
  options: Omit<ConvertOptions, 'outDir'>,
  onResult: (result: ConvertFileResult, item: T) => unknown,
): Promise<void> {
  const r = resolveOptions(options);
  options.onStart?.(source.count);
  // ffmpeg is looked up only when a source needs it: a batch of conforming A-law files converts without it.
  let binaryPromise: Promise<{ binary: FfmpegBinary; version: string; soxr: boolean }> | null = null;
  const ffmpegInfo = () =>
    (binaryPromise ??= (async () => {
      // An ffmpeg lacking what these options need (say, a filter) is passed over, or named in the error.
      // And one with the profile's encoder, where ffmpeg encodes it (GSM 6.10, MP3).
      const encoder = encoderNeed(r.profile);
      const binary = await locateFfmpeg(process.env, [...ffmpegNeeds({ bandLimit: r.bandLimit }), ...(encoder ? [encoder] : [])]);
      const features = await ffmpegFeatures(binary);
      return { binary, version: features.version, soxr: features.soxr };
    })());

  // Most sources need ffmpeg: start finding it (and reading its version) while probing.
  if (source.count > 0) ffmpegInfo().catch(() => undefined);
  if (source.count > 0 && !r.dryRun) await removeLeftovers(source.outputDirs, r);
  // Sources are hashed while their ffmpeg runs (see launch below), under a limit of their
  // own so a big batch never reads every source at once.
  const hashLimit = pLimit(4);
  const hashSource = (file: string): Promise<string> => hashLimit(() => sha256File(file));

  // Decodes whose ffmpeg has not started yet. A finished group's in-process work
  // (seconds of samples to measure, encode and verify) waits for them: run at once, it
  // would hold the event loop while the next ffmpeg waits to be spawned, and a CPU idles.
  const launching = new Set<Promise<void>>();
  const launch = async (group: Pending[], early: Promise<void>[], onExit: () => void): Promise<GroupOutcome> => {
    const info = await ffmpegInfo();
    let started = (): void => undefined;
    const spawned = new Promise<void>((resolve) => (started = resolve));
    launching.add(spawned);
    void spawned.then(() => launching.delete(spawned));
    // Hashing starts only once this ffmpeg runs: its reads on the event loop would
    // otherwise sit between fluent-ffmpeg's steps towards the spawn.
    const onSpawn = (): void => {
      crashPoint('decoding');
      started();
      for (const p of group) void p.sourceSha256();
    };
    // Each source is finished as soon as ffmpeg has written it, while the rest of its
    // group decodes: the in-process work overlaps the decode, not only the next group's.
    const onDecoded = (d: { p: Pending; audio: DecodedAudio }): void => {
      early.push(finish(d.p, d.audio, r).then((res) => emit(d.p.item as T, res)));
    };
    return decodeGroup(group, r, info, { onSpawn, onDecoded, onExit }).finally(started);
  };
  // A group that fails comes back as smaller groups, scheduled like any other, so
  // isolating one bad source keeps every job slot busy instead of a serial tail.
  const schedule = async (group: Pending[]): Promise<void> => {
    const early: Promise<void>[] = [];
    let outcome: Promise<GroupOutcome> = Promise.resolve({ decoded: [] });
    // A job slot is an ffmpeg process: it is free when the process exits, and the next
    // group spawns then, not after this one's outputs are read back and measured.
    await feeder.slot(
      () =>
        new Promise<void>((exited) => {
          outcome = launch(group, early, exited);
          void outcome.then(
            () => exited(),
            () => exited(),
          );
        }),
      group,
    );
    const out = await outcome;
    await Promise.all(early);
    if ('retry' in out) {
      await Promise.all(out.retry.map(schedule));
      return;
    }
    if ('results' in out) {
      for (const res of out.results) emit(res.item as T, res.result);
      return;
    }
    // One macrotask on, the group this slot let in has begun launching; let it spawn first.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(launching);
    // All of the group at once: their writes go out as one batch (place.ts).
    await Promise.all(out.decoded.map(async (d) => emit(d.p.item as T, await finish(d.p, d.audio, r))));
  };
  const feeder = new DecodeFeeder(source.count, r.jobs, r.jobsGiven, schedule, (p) => sharesLong(p, r));

  // Results wait here only for an earlier source's; the window bounds how many sources
  // are between being taken and being handed on.
  const window = new OrderedWindow<{ item: T; result: ConvertFileResult }>(windowSources(r.jobs, feeder.groupFiles), (v) =>
    onResult(v.result, v.item),
  );
  const seqOf = new Map<ConvertItem, number>();
  const emit = (item: T, result: ConvertFileResult): void => {
    const seq = seqOf.get(item);
    if (seq === undefined) return;
    seqOf.delete(item);
    options.onFile?.(result);
    window.put(seq, { item, result });
  };

  // Probes finish in any order; sources go on to their decode in the order given, so
  // groups (and logs) do not depend on which probe finished first.
  const probed = new Map<number, Pending | null>();
  let nextToFeed = 0;
  const feed = (): void => {
    for (let p = probed.get(nextToFeed); p !== undefined; p = probed.get(nextToFeed)) {
      probed.delete(nextToFeed++);
      if (p === null) continue;
      // A dry run goes the whole way a real run goes (probe, decode, conditioning, the
      // check rules) and stops at the write in finish(): it fails exactly what a real run fails.
      if (p.route === 'copy') {
        const copy = p;
        feeder.track(feeder.slot(async () => emit(copy.item as T, await convertFromAlaw(copy, r))));
      } else {
        feeder.add(p);
      }
    }
  };

  const probes = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  for (const item of source.items) {
    while (probes.size >= PROBES_AT_ONCE) await Promise.race(probes);
    // A full window waits for results to be handed on; what is ready decodes meanwhile.
    // Only when nothing is queued or running: that work is all of earlier sources, and its
    // end makes room. Flushed while work runs, every source let in as a finish makes room
    // would be a group of its own.
    if (window.full && !feeder.busy) feeder.flush();
    const seq = await window.take();
    if (seq < 0) break;
    seqOf.set(item, seq);
    const probe = prepare(item, r, ffmpegInfo, hashSource).then(
      (res) => {
        if ('result' in res) emit(item, res.result);
        probed.set(seq, 'pending' in res ? res.pending : null);
        feed();
      },
      (error: unknown) => {
        // Only a missing ffmpeg gets here: the run stops.
        failure ??= { error };
        window.stop();
        probed.set(seq, null);
        feed();
      },
    );
    probes.add(probe);
    void probe.then(() => probes.delete(probe));
  }
  await Promise.all(probes);
  feeder.close();
  await feeder.settled();
  if (failure) throw failure.error;
  for (const [item] of seqOf) emit(item as T, { source: item.source, output: null, status: 'failed', errors: [finding('internal', 'No result was recorded for this file.')], warnings: [] });
}
