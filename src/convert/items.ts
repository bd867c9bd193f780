import pLimit from 'p-limit';
import { crashPoint } from '../crash-point.js';
import { encoderNeed } from '../codecs/index.js';
import { ffmpegFeatures, ffmpegNeeds, locateFfmpeg, type FfmpegBinary } from '../ffmpeg.js';
import { finding } from '../findings.js';
import { convertFromAlaw } from './copy.js';
import { decodeGroup, type DecodedAudio, type GroupOutcome } from './decode.js';
import { finish } from './finish.js';
import { sha256File } from './hash.js';
import { removeLeftovers } from './leftovers.js';
import { resolveOptions, summarize, type ConvertFileResult, type ConvertItem, type ConvertOptions, type ConvertReport } from './options.js';
import type { Pending } from './pending.js';
import { makeGroups } from './plan.js';
import { prepare } from './probe.js';

/** The run: probes, then copies and decode groups under one CPU limit, each file finished as its group ends. */

/**
 * Convert explicit source → output pairs. Never throws for a bad source: every problem
 * is a failed result. Throws only for a missing ffmpeg (when some source needs it).
 */
export async function convertItems(items: ConvertItem[], options: Omit<ConvertOptions, 'outDir'>): Promise<ConvertReport> {
  const results = new Map<ConvertItem, ConvertFileResult>();
  await convertItemsEach(items, options, (res, item) => results.set(item, res));
  // Report in the order the sources were given, whatever order they finished in.
  const files = items.map((item) => results.get(item) as ConvertFileResult);
  return { files, summary: summarize(files) };
}

/**
 * convertItems without keeping the results: each goes to `onResult` (then to
 * options.onFile) as soon as it is known, in completion order, and nothing of a finished
 * file is held after that, so a run's memory does not grow with its file count.
 */
export async function convertItemsEach(
  items: ConvertItem[],
  options: Omit<ConvertOptions, 'outDir'>,
  onResult: (result: ConvertFileResult, item: ConvertItem, index: number) => void,
): Promise<void> {
  const r = resolveOptions(options);
  options.onStart?.(items.length);
  const indexOf = new Map<ConvertItem, number>(items.map((item, i) => [item, i]));
  const reported = new Uint8Array(items.length);
  const emit = (res: ConvertFileResult, item: ConvertItem): void => {
    const i = indexOf.get(item) as number;
    reported[i] = 1;
    onResult(res, item, i);
    options.onFile?.(res);
  };
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
  if (items.length > 0) ffmpegInfo().catch(() => undefined);
  if (items.length > 0 && !r.dryRun) await removeLeftovers(items, r);
  const ioLimit = pLimit(8);
  // Sources are hashed while their ffmpeg runs (see launch below), under a limit of their
  // own so a big batch never reads every source at once.
  const hashLimit = pLimit(4);
  const hashSource = (file: string): Promise<string> => hashLimit(() => sha256File(file));
  // In the order given, so groups (and logs) do not depend on which probe finished first.
  const slots: (Pending | undefined)[] = new Array<Pending | undefined>(items.length);
  await Promise.all(
    items.map((item, i) =>
      ioLimit(async () => {
        const res = await prepare(item, r, ffmpegInfo, hashSource);
        if ('result' in res) emit(res.result, item);
        else slots[i] = res.pending;
      }),
    ),
  );
  let pending = slots.filter((p): p is Pending => p !== undefined);
  slots.length = 0;

  // A dry run goes the whole way a real run goes (probe, decode, conditioning, the check
  // rules) and stops at the write in finish(): it fails exactly what a real run fails.
  {
    let copies = pending.filter((p) => p.route === 'copy');
    let decodes = pending.filter((p) => p.route !== 'copy');
    // From here each source is held only by the work that handles it, and let go when done.
    pending = [];
    const cpuLimit = pLimit(r.jobs);
    // Without --jobs: once what is left fits in two rounds, start it all and let the
    // system share the CPUs, rather than idle CPUs while the last long decodes run.
    const rebalance = (): void => {
      if (r.jobsGiven) return;
      const left = cpuLimit.activeCount + cpuLimit.pendingCount;
      cpuLimit.concurrency = left <= 2 * r.jobs ? Math.max(r.jobs, left) : r.jobs;
    };
    const work: Promise<void>[] = copies.map((p) =>
      cpuLimit(async () => emit(await convertFromAlaw(p, r), p.item)).then(rebalance),
    );
    copies = [];
    if (decodes.length > 0) {
      const info = await ffmpegInfo();
      // Decodes whose ffmpeg has not started yet. A finished group's in-process work
      // (seconds of samples to measure, encode and verify) waits for them: run at once, it
      // would hold the event loop while the next ffmpeg waits to be spawned, and a CPU idles.
      const launching = new Set<Promise<void>>();
      const launch = (group: Pending[], early: Promise<void>[], onExit: () => void) => {
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
          early.push(finish(d.p, d.audio, r).then((res) => emit(res, d.p.item)));
        };
        return decodeGroup(group, r, info, { onSpawn, onDecoded, onExit }).finally(started);
      };
      // A group that fails comes back as smaller groups, scheduled like any other, so
      // isolating one bad source keeps every job slot busy instead of a serial tail.
      const schedule = (group: Pending[]): Promise<void> => {
        const early: Promise<void>[] = [];
        let outcome: Promise<GroupOutcome> = Promise.resolve({ decoded: [] });
        // A job slot is an ffmpeg process: it is free when the process exits, and the next
        // group spawns then, not after this one's outputs are read back and measured.
        const ran = cpuLimit(
          () =>
            new Promise<void>((exited) => {
              outcome = launch(group, early, exited);
              void outcome.then(
                () => exited(),
                () => exited(),
              );
            }),
        );
        return ran.then(async () => {
          const out = await outcome;
          rebalance();
          await Promise.all(early);
          if ('retry' in out) {
            const retried = out.retry.map(schedule);
            rebalance();
            await Promise.all(retried);
            return;
          }
          if ('results' in out) {
            for (const res of out.results) emit(res.result, res.item);
            return;
          }
          // One macrotask on, the group this slot let in has begun launching; let it spawn first.
          await new Promise((resolve) => setImmediate(resolve));
          await Promise.all(launching);
          // All of the group at once: their writes go out as one batch (place.ts).
          await Promise.all(out.decoded.map(async (d) => emit(await finish(d.p, d.audio, r), d.p.item)));
        });
      };
      const groups = makeGroups(decodes, r.jobs);
      decodes = [];
      for (const group of groups.splice(0)) work.push(schedule(group));
      rebalance();
    }
    await Promise.all(work);
  }
  items.forEach((item, i) => {
    if (!reported[i]) emit({ source: item.source, output: null, status: 'failed', errors: [finding('internal', 'No result was recorded for this file.')], warnings: [] }, item);
  });
}
