import { DOWNMIX_ABOVE_CHANNELS, SIDE_SECONDS, STEREO_CHANNELS } from '../downmix.js';
import type { Resolved } from './options.js';
import type { Pending } from './pending.js';

/** Which sources share an ffmpeg process, and what each decode writes: decided from the options and probes only. */

/**
 * Sources a shared ffmpeg process takes at most. Its cost a source is flat in the group's
 * size (sources decode one after another, see decodeGraph); each process costs a start
 * (about 0.2 s of CPU for a Debian ffmpeg), which a larger group spreads thinner.
 */
export const DEFAULT_GROUP_FILES = 64;
/**
 * Audio seconds per shared ffmpeg process: a source this long gets a process of its own.
 * Above a full group of prompts (64 of 4 s is 260 s), so a run of prompts is not cut
 * into groups of 59 and 5, each small one paying a process start for nothing.
 */
export const GROUP_SECONDS = 480;
/** A source of at least this many seconds keeps a CPU busy on its own (feed.ts shares the CPUs out at the end of a run of them). */
export const LONG_SOURCE_SECONDS = 120;
/**
 * Audio seconds a process of long sources takes at most. Long sources share processes
 * too (sharesLong): a process start is 0.13-0.2 s of CPU, a third of what a five-minute
 * MP3's decode costs, and a sequence hands each source on as soon as it is written, so
 * its in-process finish still overlaps the rest of the decode. An hour of audio is a few
 * seconds of CPU: enough to spread the starts thin, little enough that a job is not left
 * with one long process while the others idle.
 */
export const LONG_GROUP_SECONDS = 3600;

/**
 * How many sources a group of a run of `count` takes: groups of about the same size, as
 * many as a whole number of rounds of `jobs` needs, so no job is left with a small last
 * group while the others idle (200 sources on 2 jobs: 4 groups of 50, not 64, 64, 64, 8).
 */
export function groupFiles(count: number, jobs: number): number {
  const rounds = Math.max(1, Math.ceil(count / (jobs * DEFAULT_GROUP_FILES)));
  return Math.max(1, Math.ceil(count / (jobs * rounds)));
}

/**
 * Sources split into decode groups, in order: runs of short prompts in groups of about
 * groupFiles(count, jobs) and at most GROUP_SECONDS of audio; runs of long sources that
 * `canShare` in groups of as many and at most LONG_GROUP_SECONDS; any other long source
 * (unknown length, cut to fit, a surround downmix) in a group of its own.
 */
export function makeGroups(pending: Pending[], jobs: number, canShare: (p: Pending) => boolean = () => false): Pending[][] {
  const groups: Pending[][] = [];
  const batchable = pending.filter((p) => p.route === 'batch');
  for (const p of pending) if (p.route === 'solo') groups.push([p]);
  const perGroup = groupFiles(batchable.length, jobs);
  let current: Pending[] = [];
  let seconds = 0;
  let kind: 'short' | 'long' | 'alone' = 'short';
  for (const p of batchable) {
    const d = p.probe.kind === 'audio' ? p.probe.durationSeconds : GROUP_SECONDS;
    const k = d < LONG_SOURCE_SECONDS ? 'short' : canShare(p) ? 'long' : 'alone';
    const limit = k === 'long' ? LONG_GROUP_SECONDS : GROUP_SECONDS;
    // Short and long sources never share: a group of prompts is sized for prompts, and
    // the end of a run shares the CPUs out among long decodes only (feed.ts).
    if (current.length > 0 && (k !== kind || k === 'alone' || current.length >= perGroup || seconds + d > limit)) {
      groups.push(current);
      current = [];
      seconds = 0;
    }
    current.push(p);
    seconds += d;
    kind = k;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/**
 * A long source that can share a process with other long ones: of known length, decoded
 * whole (no cap: a capped source is an output of its own) into the usual outputs (not a
 * surround downmix). Such sources join a sequence (decodeGraph) and are handed on one by one.
 */
export function sharesLong(p: Pending, r: Resolved): boolean {
  return p.probe.kind === 'audio' && decodeCap(p, r) === undefined && surroundChannels(p) === 0;
}

export function decodeCap(p: Pending, r: Resolved): number | undefined {
  const limit = r.maxSamples / r.profile.sampleRate;
  // Silence trimming may shorten an over-long source enough to fit, so decode a margin more.
  const margin = r.trimSilence ? 60 : 1;
  if (p.probe.kind !== 'audio') return limit + margin;
  return p.probe.durationSeconds > limit ? limit + margin : undefined;
}

/**
 * Whether finish() may change this source's samples (any conditioning, or a cut to fit):
 * only then is it decoded to 16 bits. Otherwise ffmpeg encodes the A-law itself, byte for
 * byte what encodeAlaw would make of the same samples, and the in-process work is the
 * verification alone. Decided from the options and this source's probe only, so a file's
 * bytes never depend on the batch it is in.
 */
export function needsSamples(p: Pending, r: Resolved): boolean {
  // ffmpeg writes A-law codes only; every other codec is encoded from samples (src/codecs/).
  if (r.profile.codec !== 'alaw' || r.normalize || r.trimSilence) return true;
  if (r.onOversize !== 'trim') return false;
  return p.probe.kind !== 'audio' || p.probe.durationSeconds * r.profile.sampleRate > r.maxSamples;
}

/** The channel count of a source that gets the dialogue-keeping downmix (downmix.ts), else 0. */
export function surroundChannels(p: Pending): number {
  return p.probe.kind === 'audio' && p.probe.channels > DOWNMIX_ABOVE_CHANNELS ? p.probe.channels : 0;
}

/** A stereo source: ffmpeg's own mix, checked for the level it lost (downmix.ts, stereoDownmixWarning). */
export function isStereo(p: Pending): boolean {
  return p.probe.kind === 'audio' && p.probe.channels === STEREO_CHANNELS;
}

/** Containers whose channel count music-metadata reads from the stream's own headers (the decoder's too). */
const CHANNELS_FROM_STREAM = new Set(['MPEG', 'WAVE', 'FLAC']);

/**
 * A stereo source whose mix and side signal come from one resampler (decode-plan.ts,
 * MID_SIDE_FILTERS): one that lasts well under SIDE_SECONDS (its side is measured whole,
 * as a longer one's first SIDE_SECONDS are), is decoded whole, without the telephone band
 * (its filters after the resampler are kept to the mono chain), and whose probe read its
 * two channels from the stream, so ffmpeg decodes it as stereo too.
 */
export function midSide(p: Pending, r: Resolved): boolean {
  return (
    isStereo(p) &&
    p.probe.kind === 'audio' &&
    CHANNELS_FROM_STREAM.has(p.probe.container) &&
    p.probe.durationSeconds < SIDE_SECONDS - 5 &&
    !r.bandLimit &&
    decodeCap(p, r) === undefined
  );
}
