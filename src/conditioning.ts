import { finding, type Finding } from './findings.js';
import { activityThreshold, analyzeSamples, defaultAnalysisOptions, framePowers, type AnalysisOptions } from './audio-analysis.js';

/**
 * The opt-in conditioning of `convert`, on 16-bit mono samples at the platform rate.
 * Done in-process after ffmpeg's decode so it is exact and testable, and so measuring
 * and applying gain needs no second ffmpeg pass (loudnorm would need 3 s of audio).
 */

/** Telephony speech level: -19 dBm0 is about -22 dBFS RMS of active speech. */
export const NORMALIZE_TARGET_DB = -22;
/**
 * Peaks stay under -1 dBFS after A-law encoding. A-law's top segment quantizes in steps of
 * up to 3% (0.27 dB), so the linear ceiling keeps that much in reserve.
 */
export const PEAK_CEILING_DB = -1.3;

/**
 * Above this gain --normalize says so: a source that far under the target is mostly a
 * recording problem, and its noise floor (hum, hiss, room) comes up with the speech.
 */
export const NORMALIZE_LARGE_GAIN_DB = 20;

/** The warning for a gain above NORMALIZE_LARGE_GAIN_DB, or null. */
export function largeGainWarning(gainDb: number): Finding | null {
  if (gainDb <= NORMALIZE_LARGE_GAIN_DB) return null;
  return finding(
    'normalize-large-gain',
    `The speech was raised by ${gainDb.toFixed(1)} dB to reach the target level, more than ${NORMALIZE_LARGE_GAIN_DB} dB: the noise floor came up with it. Listen to the result; a new recording at a normal level is better.`,
  );
}

export interface NormalizeResult {
  samples: Int16Array;
  gainDb: number;
  /** The target level was not reached because peaks would have passed the ceiling. */
  limitedByPeak: boolean;
  /** No active signal was found; nothing was changed. */
  silent: boolean;
}

export function normalizeLevel(
  samples: Int16Array,
  sampleRate: number,
  options: AnalysisOptions = defaultAnalysisOptions,
  targetDb = NORMALIZE_TARGET_DB,
): NormalizeResult {
  const stats = analyzeSamples(samples, sampleRate, options);
  if (!Number.isFinite(stats.activeDb) || !Number.isFinite(stats.peakDb)) {
    return { samples, gainDb: 0, limitedByPeak: false, silent: true };
  }
  let gainDb = targetDb - stats.activeDb;
  let limitedByPeak = false;
  if (stats.peakDb + gainDb > PEAK_CEILING_DB) {
    gainDb = PEAK_CEILING_DB - stats.peakDb;
    limitedByPeak = true;
  }
  const gain = Math.pow(10, gainDb / 20);
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round((samples[i] as number) * gain);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return { samples: out, gainDb, limitedByPeak, silent: false };
}

export interface TrimResult {
  samples: Int16Array;
  leadingSeconds: number;
  trailingSeconds: number;
  /** No active signal: nothing would be left. */
  silent: boolean;
}

/** Margins kept around the speech so the cut never sounds clipped. */
export const TRIM_LEAD_MARGIN_SECONDS = 0.1;
export const TRIM_TAIL_MARGIN_SECONDS = 0.25;

export function trimSilence(samples: Int16Array, sampleRate: number, options: AnalysisOptions = defaultAnalysisOptions): TrimResult {
  const { frame, powers } = framePowers(samples, sampleRate);
  const threshold = activityThreshold(powers, options);
  let first = -1;
  let last = -1;
  for (let f = 0; f < powers.length; f++) {
    const p = powers[f] as number;
    if (p >= threshold && p > 0) {
      if (first < 0) first = f;
      last = f;
    }
  }
  if (first < 0) return { samples, leadingSeconds: 0, trailingSeconds: 0, silent: true };
  const start = Math.max(0, first * frame - Math.round(TRIM_LEAD_MARGIN_SECONDS * sampleRate));
  const end = Math.min(samples.length, (last + 1) * frame + Math.round(TRIM_TAIL_MARGIN_SECONDS * sampleRate));
  return {
    samples: samples.slice(start, end),
    leadingSeconds: start / sampleRate,
    trailingSeconds: (samples.length - end) / sampleRate,
    silent: false,
  };
}

export const OVERSIZE_FADE_SECONDS = 0.5;

/** Cut to `maxSamples` with a fade-out over the last half second, so the cut is not a click. */
export function cutWithFade(samples: Int16Array, maxSamples: number, sampleRate: number): Int16Array {
  if (samples.length <= maxSamples) return samples;
  const out = samples.slice(0, maxSamples);
  const fade = Math.min(out.length, Math.round(OVERSIZE_FADE_SECONDS * sampleRate));
  for (let i = 0; i < fade; i++) {
    const idx = out.length - fade + i;
    // Quarter-cosine: smooth start, reaches exact zero at the last sample.
    const g = Math.cos(((i + 1) / fade) * (Math.PI / 2));
    out[idx] = Math.round((out[idx] as number) * g);
  }
  return out;
}
