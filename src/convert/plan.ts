import { DOWNMIX_ABOVE_CHANNELS, STEREO_CHANNELS } from '../downmix.js';
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
 * How many sources a group of a run of `count` takes: groups of about the same size, as
 * many as a whole number of rounds of `jobs` needs, so no job is left with a small last
 * group while the others idle (200 sources on 2 jobs: 4 groups of 50, not 64, 64, 64, 8).
 */
export function groupFiles(count: number, jobs: number): number {
  const rounds = Math.max(1, Math.ceil(count / (jobs * DEFAULT_GROUP_FILES)));
  return Math.max(1, Math.ceil(count / (jobs * rounds)));
}

export function makeGroups(pending: Pending[], jobs: number): Pending[][] {
  const groups: Pending[][] = [];
  const batchable = pending.filter((p) => p.route === 'batch');
  for (const p of pending) if (p.route === 'solo') groups.push([p]);
  const perGroup = groupFiles(batchable.length, jobs);
  let current: Pending[] = [];
  let seconds = 0;
  // A long source is a group of its own: it keeps a CPU busy alone, and the end of a run
  // shares the CPUs out among such decodes (feed.ts).
  let long = false;
  for (const p of batchable) {
    const d = p.probe.kind === 'audio' ? p.probe.durationSeconds : GROUP_SECONDS;
    const isLong = d >= LONG_SOURCE_SECONDS;
    if (current.length > 0 && (long || isLong || current.length >= perGroup || seconds + d > GROUP_SECONDS)) {
      groups.push(current);
      current = [];
      seconds = 0;
    }
    current.push(p);
    seconds += d;
    long = isLong;
  }
  if (current.length > 0) groups.push(current);
  return groups;
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
