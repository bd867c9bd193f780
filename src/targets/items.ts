import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { convertFromAlaw } from '../convert/copy.js';
import { decodeFailure, SCRATCH_PREFIX, splitFailedGroup } from '../convert/decode.js';
import { finish } from '../convert/finish.js';
import { sha256File } from '../convert/hash.js';
import { removeLeftovers } from '../convert/leftovers.js';
import { resolveOptions, type ConvertFileResult, type ConvertItem, type ConvertOptions, type Resolved } from '../convert/options.js';
import { failedResult, type Pending } from '../convert/pending.js';
import { decodeCap, makeGroups, surroundChannels } from '../convert/plan.js';
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
  index: number;
}

interface SourceWork {
  lead: Pending;
  deliveries: { d: Delivery; p: Pending }[];
}

/**
 * Convert every item; results in the order of `items`. Never throws for a bad source or
 * a failing target: every problem is a failed result of that output alone. Throws only
 * for a missing ffmpeg (when some source needs it).
 */
export async function convertTargetItems(items: readonly TargetItem[], options: TargetItemsOptions): Promise<TargetFileResult[]> {
  const results: (TargetFileResult | undefined)[] = new Array(items.length);
  const emit = (d: Delivery, res: ConvertFileResult): void => {
    const result: TargetFileResult = { ...res, target: d.target.profile.id };
    results[d.index] = result;
    options.onFile?.(result);
  };

  const { sceneFor, onFile: _onFile, ...common } = options;
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
  const deliveries: Delivery[] = items.map((t, index) => ({ ...t, r: resolvedFor(t.target, t.rate), index }));
  const first = deliveries[0];
  if (!first) return [];
  const shared = first.r;

  let binaryPromise: Promise<{ binary: FfmpegBinary; version: string; soxr: boolean }> | null = null;
  const ffmpegInfo = () =>
    (binaryPromise ??= (async () => {
      // An ffmpeg without a target's encoder (libgsm, libmp3lame) is passed over, or named in the error, before any work.
      const encoders = [...new Set(deliveries.map((d) => d.target.profile))].flatMap((profile) => encoderNeed(profile) ?? []);
      const binary = await locateFfmpeg(process.env, [...ffmpegNeeds({ bandLimit: shared.bandLimit }), ...encoders]);
      const features = await ffmpegFeatures(binary);
      return { binary, version: features.version, soxr: features.soxr };
    })());
  ffmpegInfo().catch(() => undefined);
  if (!shared.dryRun) await removeLeftovers(deliveries.map((d) => d.item), shared);

  // A source is read (hashed) once, whatever the number of its outputs.
  const hashLimit = pLimit(4);
  const hashes = new Map<string, Promise<string>>();
  const hashSource = (file: string): Promise<string> => {
    let h = hashes.get(file);
    if (!h) hashes.set(file, (h = hashLimit(() => sha256File(file))));
    return h;
  };
  const ioLimit = pLimit(8);
  const prepared = await Promise.all(
    deliveries.map((d) =>
      ioLimit(async () => {
        const res = await prepare(d.item, d.r, ffmpegInfo, hashSource);
        if ('result' in res) emit(d, res.result);
        return { d, res };
      }),
    ),
  );

  // A source that already is a target's format is copied for that target; every other
  // output of a source shares the source's one decode.
  const cpuLimit = pLimit(shared.jobs);
  const work: Promise<void>[] = [];
  const bySource = new Map<string, SourceWork>();
  for (const { d, res } of prepared) {
    if (!('pending' in res)) continue;
    const p = res.pending;
    if (p.route === 'copy') {
      work.push(cpuLimit(async () => emit(d, await convertFromAlaw(p, d.r))));
      continue;
    }
    const s = bySource.get(d.item.source);
    if (s) s.deliveries.push({ d, p });
    else bySource.set(d.item.source, { lead: p, deliveries: [{ d, p }] });
  }
  if (bySource.size > 0) {
    const info = await ffmpegInfo();
    const byLead = new Map([...bySource.values()].map((s) => [s.lead, s]));
    const schedule = (group: Pending[]): Promise<void> =>
      cpuLimit(() => decodeGroupShared(group.map((lead) => byLead.get(lead) as SourceWork), shared, info)).then(async (out) => {
        if ('retry' in out) {
          await Promise.all(out.retry.map(schedule));
          return;
        }
        if ('failed' in out) {
          for (const { d, p } of byLead.get(group[0] as Pending)?.deliveries ?? []) {
            emit(d, failedResult(p, [decodeFailure(p.item.source, out.failed, p.probe.kind === 'unknown')]));
          }
          return;
        }
        // After the job slot is free: the next group's ffmpeg runs while this one is encoded
        // and written. A source's outputs are written together, so their writes' waits for
        // the disk (fsync) overlap instead of adding up target after target.
        for (const [i, lead] of group.entries()) {
          const audio = out.audio[i] as Map<number, RateAudio>;
          await Promise.all((byLead.get(lead)?.deliveries ?? []).map(async ({ d, p }) => emit(d, await deliver(d, p, audio))));
        }
      });
    for (const group of makeGroups([...byLead.keys()], shared.jobs)) work.push(schedule(group));
  }
  await Promise.all(work);
  return results.map(
    (r, i) =>
      r ?? {
        source: (items[i] as TargetItem).item.source,
        output: null,
        status: 'failed' as const,
        errors: [finding('internal', 'No result was recorded for this file.')],
        warnings: [],
        target: (items[i] as TargetItem).target.profile.id,
      },
  );
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
