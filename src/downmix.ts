import { ALAW_DECODE } from './alaw.js';
import { activityThreshold, analyzeSamples, frameIsActive, toDb, type AnalysisOptions } from './audio-analysis.js';
import { finding, type Finding } from './findings.js';

/**
 * Surround sources to the platform's mono, keeping the dialogue level.
 *
 * ffmpeg's default downmix scales the whole matrix down until its largest row adds up to
 * 1, so a 5.1 source loses about 10.7 dB, and its centre channel (where films and
 * voice-over sessions put the speech) comes out at 0.29 of its level. Here the centre
 * goes through at full level, the front pair at half each (speech panned to the middle
 * of a stereo pair keeps its level, never +3 dB), the surrounds at -9 dB each, LFE not
 * at all (a telephone does not carry it). The mix is made in float, so nothing clips
 * on the way; what it did is then measured against the source's own channels: it is
 * never louder than the loudest of them (a source with the same signal in every
 * channel would otherwise come out 8.7 dB up and clip) and, when it is quieter by more
 * than DOWNMIX_WARN_DB (speech in one side channel only), a warning says so.
 *
 * Mono sources never come here. A stereo source keeps ffmpeg's own downmix, the average
 * (L+R)/2, byte for byte: it keeps the level of speech in both channels and cannot clip.
 * Speech in one channel only comes out 6 dB down, which stereoDownmixWarning reports.
 */

/** Filters before the common chain (decode-plan.ts). pan in float: its integer path clips. */
export const DOWNMIX_FILTERS: readonly string[] = [
  'aformat=sample_fmts=fltp',
  'pan=mono|c0=FC+0.5*FL+0.5*FR+0.5*FLC+0.5*FRC+0.354*BL+0.354*BR+0.354*SL+0.354*SR+0.5*BC',
];

/** Sources with more channels than this get the dialogue-keeping downmix. */
export const DOWNMIX_ABOVE_CHANNELS = 2;

/** A downmix that moves the active speech level by more than this is reported. */
export const DOWNMIX_WARN_DB = 3;

/** Below this the mix counts as level with the source (measurement noise, not a change). */
const LEVEL_TOLERANCE_DB = 0.1;

export interface DownmixResult {
  samples: Int16Array;
  /** Active speech level of the loudest source channel, dBFS. */
  sourceActiveDb: number;
  /** Active speech level of the mono result, dBFS. */
  outputActiveDb: number;
  /** Gain applied to the mix to keep it level with the source (0 or negative). */
  gainDb: number;
  warning: Finding | null;
}

/**
 * From the float mix (ffmpeg's f32le, full scale 1.0) and the source's channels at the
 * same rate through the same filters (16-bit, interleaved) to the 16-bit mono result.
 */
export function finishDownmix(
  mix: Float32Array,
  reference: Int16Array,
  channels: number,
  sampleRate: number,
  analysis: AnalysisOptions,
): DownmixResult {
  const sourceActiveDb = loudestChannelDb(reference, channels, sampleRate, analysis);
  let peak = 0;
  for (let i = 0; i < mix.length; i++) {
    const a = Math.abs(mix[i] as number);
    if (a > peak) peak = a;
  }
  // Measured at -12 dB so that a mix over full scale is measured, not clipped.
  const MEASURE_DB = 12;
  const mixActiveDb = analyzeSamples(toInt16(mix, Math.pow(10, -MEASURE_DB / 20)), sampleRate, analysis).activeDb + MEASURE_DB;
  let gainDb = 0;
  if (Number.isFinite(sourceActiveDb) && Number.isFinite(mixActiveDb) && mixActiveDb > sourceActiveDb + LEVEL_TOLERANCE_DB) {
    gainDb = sourceActiveDb - mixActiveDb;
  }
  // Never past full scale, whatever the channels added up to.
  const ceiling = 32767 / 32768;
  if (peak * Math.pow(10, gainDb / 20) > ceiling) gainDb = 20 * Math.log10(ceiling / peak);
  const samples = toInt16(mix, Math.pow(10, gainDb / 20));
  const outputActiveDb = mixActiveDb + gainDb;
  let warning: Finding | null = null;
  const change = outputActiveDb - sourceActiveDb;
  if (Number.isFinite(change) && Math.abs(change) > DOWNMIX_WARN_DB) {
    warning = finding(
      'downmix-level',
      `The ${channels}-channel source was mixed down to mono, and its speech came out ${Math.abs(change).toFixed(1)} dB ${change < 0 ? 'quieter' : 'louder'} than in its loudest channel (${outputActiveDb.toFixed(1)} dBFS instead of ${sourceActiveDb.toFixed(1)} dBFS)${change < 0 ? ': the speech is not in the centre or front channels. Export a mono or centre-channel mix, or convert with --normalize' : ''}.`,
    );
  }
  return { samples, sourceActiveDb, outputActiveDb, gainDb, warning };
}

/**
 * Filters (before the common chain) of a stereo source's second output: its side signal
 * (L-R)/2, mono. With ffmpeg's mono mix M = (L+R)/2, the source's channels are M+S and
 * M-S: measured at the cost of one extra mono resample, without touching the mix itself.
 * In float, as the mix is made.
 */
// The stereo layout is asked for first because a probe's channel count can be wrong (an
// AAC in M4A that music-metadata calls stereo decodes as mono): a mono stream is then
// upmixed to two equal channels, its side signal is silence, and no warning is made up.
// Only the first SIDE_SECONDS are measured: enough speech to tell which channel holds it,
// and a five-minute source does not pay a second resample of all of it (the warning
// compares the mix over the same stretch, see stereoDownmixWarning's shorter-of-the-two).
export const SIDE_SECONDS = 60;
export const SIDE_FILTERS: readonly string[] = [`atrim=end=${SIDE_SECONDS}`, 'aformat=sample_fmts=fltp:channel_layouts=stereo', 'pan=mono|c0=0.5*c0-0.5*c1'];

/** Sources with exactly this many channels keep ffmpeg's mix and get the side-signal check. */
export const STEREO_CHANNELS = 2;

/**
 * What ffmpeg's stereo downmix did to the speech level, from the mono mix and the side
 * signal (16-bit, same rate and length, through the same filters): a downmix-level
 * warning when the mix is more than DOWNMIX_WARN_DB off the louder channel (speech in one
 * channel only: 6 dB down; channels that cancel: silence), else null. The mix is not
 * changed: raising it by the 6 dB one silent channel costs would clip speech that is loud
 * in its own channel, and --normalize does that job with a limit.
 */
export function stereoDownmixWarning(
  mid: Int16Array | Uint8Array,
  side: Int16Array,
  sampleRate: number,
  analysis: AnalysisOptions,
  sideAt: SideLayout = ALONE,
): Finding | null {
  const frame = Math.max(1, Math.round(sampleRate * 0.02));
  const { left, right, mix, n } = stereoFramePowers(mid, side, frame, sideAt);
  const sourceActiveDb = Math.max(activeLevelDb(left, frame, n, analysis), activeLevelDb(right, frame, n, analysis));
  if (!Number.isFinite(sourceActiveDb)) return null; // silent in both channels: nothing was lost
  const outputActiveDb = activeLevelDb(mix, frame, n, analysis);
  if (!Number.isFinite(outputActiveDb)) {
    return finding(
      'downmix-level',
      `The stereo source was mixed down to mono, and its speech cancelled out: one channel is the other inverted (${sourceActiveDb.toFixed(1)} dBFS in each, silence in the mix). Export one channel as mono, or fix the inverted channel's polarity.`,
    );
  }
  const change = outputActiveDb - sourceActiveDb;
  if (Math.abs(change) <= DOWNMIX_WARN_DB) return null;
  return finding(
    'downmix-level',
    `The stereo source was mixed down to mono (the average of its channels), and its speech came out ${Math.abs(change).toFixed(1)} dB ${change < 0 ? 'quieter' : 'louder'} than in its louder channel (${outputActiveDb.toFixed(1)} dBFS instead of ${sourceActiveDb.toFixed(1)} dBFS)${change < 0 ? ': the speech is in one channel only, or the channels partly cancel. Export the speech channel as mono, or convert with --normalize' : ''}.`,
  );
}

/**
 * One pass over a stereo pair given as its mix and side signal, no channel arrays: per
 * frame of `frame` samples, the mean power of the left (mid + side), right (mid - side)
 * and mid signals, each channel clamped to 16 bits as ffmpeg writes it: what
 * analyzeSamples would measure on each. A mix in A-law codes is read through the decode
 * table. The two kinds of mix have a loop each: one loop over both kinds of array reads
 * them through a slower polymorphic access, and every sample paid the test of which.
 */
export function stereoFramePowers(
  mid: Int16Array | Uint8Array,
  side: Int16Array,
  frame: number,
  sideAt: SideLayout = ALONE,
): { left: Float64Array; right: Float64Array; mix: Float64Array; n: number } {
  const n = Math.min(mid.length, Math.floor((side.length - sideAt.offset + sideAt.stride - 1) / sideAt.stride));
  const frames = Math.ceil(n / frame);
  const powers = { left: new Float64Array(frames), right: new Float64Array(frames), mix: new Float64Array(frames), n };
  if (mid instanceof Uint8Array) codePairPowers(mid, side, sideAt, n, frame, powers.left, powers.right, powers.mix);
  else samplePairPowers(mid, side, sideAt, n, frame, powers.left, powers.right, powers.mix);
  return powers;
}

/**
 * Where the side signal's samples are in its array: every `stride`-th from `offset`. A
 * mid/side decode's side is the right channel of its 2-channel output, read in place
 * rather than copied out first (a fresh array a source, and a pass over it, for nothing).
 */
export interface SideLayout {
  stride: number;
  offset: number;
}

const ALONE: SideLayout = { stride: 1, offset: 0 };

// The squares and sums below are integers under 2^53, so exact in any order.
function codePairPowers(
  mid: Uint8Array,
  side: Int16Array,
  sideAt: SideLayout,
  n: number,
  frame: number,
  left: Float64Array,
  right: Float64Array,
  mix: Float64Array,
): void {
  const decode = ALAW_DECODE;
  const stride = sideAt.stride;
  for (let f = 0, start = 0, j = sideAt.offset; start < n; f++, start += frame) {
    const end = Math.min(n, start + frame);
    let l2 = 0;
    let r2 = 0;
    let m2 = 0;
    for (let i = start; i < end; i++, j += stride) {
      const m = decode[mid[i] as number] as number;
      const s = side[j] as number;
      let l = m + s;
      let r = m - s;
      if (l > 32767) l = 32767;
      else if (l < -32768) l = -32768;
      if (r > 32767) r = 32767;
      else if (r < -32768) r = -32768;
      l2 += l * l;
      r2 += r * r;
      m2 += m * m;
    }
    left[f] = l2 / (end - start);
    right[f] = r2 / (end - start);
    mix[f] = m2 / (end - start);
  }
}

function samplePairPowers(
  mid: Int16Array,
  side: Int16Array,
  sideAt: SideLayout,
  n: number,
  frame: number,
  left: Float64Array,
  right: Float64Array,
  mix: Float64Array,
): void {
  const stride = sideAt.stride;
  for (let f = 0, start = 0, j = sideAt.offset; start < n; f++, start += frame) {
    const end = Math.min(n, start + frame);
    let l2 = 0;
    let r2 = 0;
    let m2 = 0;
    for (let i = start; i < end; i++, j += stride) {
      const m = mid[i] as number;
      const s = side[j] as number;
      let l = m + s;
      let r = m - s;
      if (l > 32767) l = 32767;
      else if (l < -32768) l = -32768;
      if (r > 32767) r = 32767;
      else if (r < -32768) r = -32768;
      l2 += l * l;
      r2 += r * r;
      m2 += m * m;
    }
    left[f] = l2 / (end - start);
    right[f] = r2 / (end - start);
    mix[f] = m2 / (end - start);
  }
}

/** The active speech level of frame powers, as analyzeSamples' activeDb. */
function activeLevelDb(powers: Float64Array, frame: number, n: number, analysis: AnalysisOptions): number {
  const threshold = activityThreshold(powers, analysis);
  let activeSumSq = 0;
  let activeSamples = 0;
  for (let f = 0; f < powers.length; f++) {
    const p = powers[f] as number;
    if (!frameIsActive(p, threshold)) continue;
    const len = Math.min(n, (f + 1) * frame) - f * frame;
    activeSumSq += p * len;
    activeSamples += len;
  }
  return toDb((activeSamples > 0 ? Math.sqrt(activeSumSq / activeSamples) : 0) / 32768);
}

function toInt16(x: Float32Array, gain: number): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    // ffmpeg's float to 16-bit: scale by 32768, round, clip.
    const v = Math.round((x[i] as number) * gain * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

function loudestChannelDb(interleaved: Int16Array, channels: number, sampleRate: number, analysis: AnalysisOptions): number {
  if (channels < 1 || interleaved.length % channels !== 0) return -Infinity;
  const frames = interleaved.length / channels;
  let loudest = -Infinity;
  const one = new Int16Array(frames);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < frames; i++) one[i] = interleaved[i * channels + c] as number;
    const db = analyzeSamples(one, sampleRate, analysis).activeDb;
    if (db > loudest) loudest = db;
  }
  return loudest;
}
