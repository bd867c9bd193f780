import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeAlawChannel } from '../alaw.js';
import { float32, int16 } from '../raw-samples.js';
import { buildDecodePlan, type DecodeJob } from '../decode-plan.js';
import { finishDownmix, stereoDownmixWarning, type SideLayout } from '../downmix.js';
import { fileUrl, runDecodePlan, type FfmpegBinary } from '../ffmpeg.js';
import { finding, type Finding } from '../findings.js';
import { ownerTag } from '../stale-files.js';
import type { ConvertFileResult, ConvertItem, Resolved } from './options.js';
import { failedResult, type Pending } from './pending.js';
import { decodeCap, isStereo, midSide, needsSamples, surroundChannels } from './plan.js';

/** Running one group's ffmpeg decode into scratch files, and isolating the source a failed group stumbled on. */

/** Decode scratch folders: `<tmp>/promptprep-decode-<owner tag>-XXXXXX`. */
export const SCRATCH_PREFIX = 'promptprep-decode-';
export const SCRATCH_FOLDER = /^promptprep-decode-([0-9a-f]{8}-\d+)-/;

/**
 * Audio at the platform rate, as finish() takes it: 16-bit samples, or A-law codes (from
 * ffmpeg, or a conforming source's own) that are kept as they are unless conditioning
 * needs samples.
 */
export type DecodedAudio = { samples: Int16Array; codes?: undefined } | { codes: Uint8Array; samples?: undefined };

export type GroupOutcome =
  | { results: { item: ConvertItem; result: ConvertFileResult }[] }
  | { decoded: { p: Pending; audio: DecodedAudio }[] }
  | { retry: Pending[][] };

export async function decodeGroup(
  group: Pending[],
  r: Resolved,
  info: { binary: FfmpegBinary; version: string; soxr: boolean },
  hooks: {
    onSpawn?: () => void;
    /**
     * Each source as soon as ffmpeg has written it, while the rest of the group decodes;
     * the outcome then holds only the others (a failed group retries only the sources
     * not handed on).
     */
    onDecoded?: (d: { p: Pending; audio: DecodedAudio }) => void;
    /** ffmpeg has exited: a job slot can be given to the next group before this one's outputs are read. */
    onExit?: () => void;
  } = {},
): Promise<GroupOutcome> {
  const { onDecoded } = hooks;
  // Under the staging folder when there is one (watch cleans it at start); in the temp
  // folder under this process's tag otherwise, which the next run removes if this one
  // is killed (removeLeftovers).
  const tmpDir = await fs.mkdtemp(r.stagingDir ? path.join(r.stagingDir, '.decode-') : path.join(os.tmpdir(), `${SCRATCH_PREFIX}${ownerTag()}-`));
  try {
    const jobs: DecodeJob[] = group.map((p, i) => {
      const cap = decodeCap(p, r);
      // Surround sources: a float mix and the unmixed channels, finished by downmix.ts.
      const surround = surroundChannels(p) > 0;
      const encoding = surround ? 'f32le' : needsSamples(p, r) ? 's16le' : 'alaw';
      const ms = midSide(p, r);
      return {
        source: p.item.source,
        rawPath: path.join(tmpDir, `${i}.${ms ? 'ms' : encoding}`),
        encoding,
        ...(surround ? { downmix: { referencePath: path.join(tmpDir, `${i}.channels.s16le`) } } : {}),
        ...(ms ? { midSide: true } : isStereo(p) ? { side: { path: path.join(tmpDir, `${i}.side.s16le`) } } : {}),
        ...(cap !== undefined ? { maxSeconds: cap } : {}),
      };
    });
    const plan = buildDecodePlan(jobs, {
      sampleRate: r.profile.sampleRate,
      channels: r.profile.channels,
      soxr: info.soxr,
      bandLimit: r.bandLimit,
    });
    const indexOf = new Map(plan.outputs.map((o, k) => [o.rawPath, k]));
    // Plan inputs are the group's sources, in order.
    const audioOf = (i: number, bytesOf: (k: number) => Buffer): { p: Pending; audio: DecodedAudio } => {
      const p = group[i] as Pending;
      const job = jobs[i] as DecodeJob;
      const bytes = (rawPath: string): Buffer => bytesOf(indexOf.get(rawPath) as number);
      const raw = bytes(job.rawPath);
      if (job.downmix) {
        const mix = finishDownmix(float32(raw), int16(bytes(job.downmix.referencePath)), surroundChannels(p), r.profile.sampleRate, r.analysis);
        if (mix.warning) p.warnings.push(mix.warning);
        return { p, audio: { samples: mix.samples } };
      }
      if (job.midSide) {
        // Mix left, side right: the mix becomes what ffmpeg would have written for it
        // (its pcm_alaw is encodeAlaw's table), and the warning is measured as it is then.
        // The output itself is only read here (a transient one): what is kept is a new array.
        const both = int16(raw);
        const ms: DecodedAudio = job.encoding === 'alaw' ? { codes: encodeAlawChannel(both, 2, 0) } : { samples: channelOf(both, 0) };
        const warning = stereoDownmixWarning(ms.samples ?? ms.codes, both, r.profile.sampleRate, r.analysis, MIX_SIDE_RIGHT);
        if (warning) p.warnings.push(warning);
        return { p, audio: ms };
      }
      const audio: DecodedAudio = job.encoding === 'alaw' ? { codes: raw } : { samples: int16(raw) };
      if (job.side) {
        const warning = stereoDownmixWarning(audio.samples ?? audio.codes, int16(bytes(job.side.path)), r.profile.sampleRate, r.analysis);
        if (warning) p.warnings.push(warning);
      }
      return { p, audio };
    };
    const run = await runDecodePlan(info.binary, plan, {
      ...(hooks.onSpawn ? { onSpawn: hooks.onSpawn } : {}),
      ...(hooks.onExit ? { onExit: hooks.onExit } : {}),
      ...(onDecoded
        ? {
            onInputReady: (i: number, data: ReadonlyMap<number, Buffer>) => onDecoded(audioOf(i, (k) => data.get(k) as Buffer)),
            transientOutputs: transientOutputs(jobs, indexOf),
          }
        : {}),
    });
    const handedOn = new Set(run.delivered ?? []);
    if (!run.ok) {
      const left = group.filter((_, i) => !handedOn.has(i));
      if (left.length === 0) return { decoded: [] };
      if (group.length > 1) {
        const retry = splitFailedGroup(group, run.errorText, run.failedInputs)
          .map((g) => g.filter((p) => left.includes(p)))
          .filter((g) => g.length > 0);
        return { retry };
      }
      const p = group[0] as Pending;
      return { results: [{ item: p.item, result: failedResult(p, [decodeFailure(p.item.source, run.errorText, p.probe.kind === 'unknown')]) }] };
    }
    // Only the decoded samples leave here; the in-process finish runs after the job slot is
    // free, so the next ffmpeg starts while this group is encoded and written.
    const data = run.data ?? [];
    const decoded = group.flatMap((_, i) => (handedOn.has(i) ? [] : [audioOf(i, (k) => data[k] as Buffer)]));
    return { decoded };
  } finally {
    await fs.rm(tmpDir, { recursive: true, force: true });
  }
}

/** A mid/side output's side signal: its right channel. */
const MIX_SIDE_RIGHT: SideLayout = { stride: 2, offset: 1 };

/** The plan outputs audioOf only reads and keeps nothing of: a mid/side output, a side signal. */
function transientOutputs(jobs: readonly DecodeJob[], indexOf: ReadonlyMap<string, number>): Set<number> {
  const transient = new Set<number>();
  for (const job of jobs) {
    if (job.midSide) transient.add(indexOf.get(job.rawPath) as number);
    if (job.side) transient.add(indexOf.get(job.side.path) as number);
  }
  return transient;
}

/** One channel of a 2-channel (mid/side) output. */
function channelOf(both: Int16Array, channel: number): Int16Array {
  const out = new Int16Array(both.length >>> 1);
  for (let i = 0, j = channel; i < out.length; i++, j += 2) out[i] = both[j] as number;
  return out;
}

/**
 * One source failed a shared process. ffmpeg usually names it (runDecodePlan finds which):
 * that one runs alone (for its own error message) and the rest together again. When it
 * does not say, halve the group and let both halves run.
 */
export function splitFailedGroup(group: Pending[], errorText: string, failedInputs: readonly number[] = []): Pending[][] {
  const culprits = new Set<number>(failedInputs);
  group.forEach((p, i) => {
    if (errorText.includes(fileUrl(p.item.source))) culprits.add(i);
  });
  const named = [...culprits].filter((i) => i >= 0 && i < group.length);
  if (named.length > 0 && named.length < group.length) {
    const rest = group.filter((_, i) => !named.includes(i));
    return [...named.map((i) => [group[i] as Pending]), rest];
  }
  const half = Math.ceil(group.length / 2);
  return [group.slice(0, half), group.slice(half)];
}

export function decodeFailure(source: string, errorText: string, unrecognized: boolean): Finding {
  if (/matches no streams|does not contain any stream/i.test(errorText)) {
    return finding('no-audio-stream', `"${source}" has no audio stream; there is nothing to convert.`);
  }
  // Neither music-metadata nor ffmpeg recognised it: not a media file at all.
  if (unrecognized || /Invalid data found when processing input|could not find codec parameters|Unknown input format/i.test(errorText)) {
    return finding(
      'not-audio',
      `"${source}" is not an audio or video file that can be read (ffmpeg says: ${lastLine(errorText)}). Check that it is the recording you meant.`,
    );
  }
  return finding('decode-failed', `ffmpeg could not decode "${source}": ${errorText}`);
}

function lastLine(text: string): string {
  const line = text.split('\n').pop() ?? text;
  // "[mp3 @ 0x55aa...] msg" and "file:/path: msg": keep the message, not ffmpeg's internals.
  return line.replace(/^\[[^\]]*\]\s*/, '').replace(/^file:.*?:\s(?=\S)/, '');
}
