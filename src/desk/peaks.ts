/**
 * What the desk draws for a prompt: the waveform's peaks, computed on the server from
 * the codes (the page never downloads a whole file to draw it), with the stretches of
 * silence and of clipping marked where they are. "Silence" and "clipped" are the
 * level analysis' own rules (src/audio-analysis.ts), so the marks agree with the
 * leading/trailing silence and clipped-run figures `check` reports for the same file.
 */
import { ALAW_DECODE } from '../alaw.js';
import { activityThreshold, CLIP_LEVEL, defaultAnalysisOptions, frameIsActive, framePowers, type AnalysisOptions } from '../audio-analysis.js';

/** A stretch of the prompt, in seconds from its start (end exclusive). */
export interface TimeRun {
  start: number;
  end: number;
}

export interface Peaks {
  sampleRate: number;
  durationSeconds: number;
  /** Number of buckets the samples are spread over (each array below has this length). */
  buckets: number;
  /** Lowest and highest sample of each bucket, as a fraction of full scale (-1..1); 0 for an empty bucket. */
  min: number[];
  max: number[];
  /** Largest magnitude in each bucket (0..1): one-sided waveforms. */
  peaks: number[];
  /**
   * Stretches the analysis counts as silence (20 ms frames below its activity gate): the
   * leading and trailing ones always, those in between when at least minSilenceSeconds
   * long (shorter gaps are the pauses between words).
   */
  silences: TimeRun[];
  /** Runs of at least `clipRunSamples` consecutive samples at full scale. */
  clipped: TimeRun[];
}

export interface PeaksOptions {
  /** Code → sample table; A-law by default. */
  decode?: Int16Array;
  analysis?: AnalysisOptions;
  /** Shortest silence between sounds worth marking, in seconds. Default 0.25. */
  minSilenceSeconds?: number;
}

export const MAX_BUCKETS = 100_000;

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

export function computePeaks(codes: Uint8Array, sampleRate: number, buckets: number, o: PeaksOptions = {}): Peaks {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) throw new RangeError(`buckets must be a whole number from 1 to ${MAX_BUCKETS}, not ${buckets}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new RangeError(`sampleRate must be a positive whole number, not ${sampleRate}`);
  const decode = o.decode ?? ALAW_DECODE;
  const analysis = o.analysis ?? defaultAnalysisOptions;
  const minSilence = o.minSilenceSeconds ?? 0.25;
  const n = codes.length;
  const samples = new Int16Array(n);
  for (let i = 0; i < n; i++) samples[i] = decode[codes[i] as number] as number;

  const min: number[] = new Array(buckets);
  const max: number[] = new Array(buckets);
  const peaks: number[] = new Array(buckets);
  let loudest = 0;
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let lo = 0;
    let hi = 0;
    if (end > start) {
      lo = hi = samples[start] as number;
      for (let i = start + 1; i < end; i++) {
        const s = samples[i] as number;
        if (s < lo) lo = s;
        else if (s > hi) hi = s;
      }
    }
    if (-lo > loudest) loudest = -lo;
    if (hi > loudest) loudest = hi;
    min[b] = round4(lo / 32768);
    max[b] = round4(hi / 32768);
    peaks[b] = round4(Math.max(-lo, hi) / 32768);
  }

  return {
    sampleRate,
    durationSeconds: n / sampleRate,
    buckets,
    min,
    max,
    peaks,
    silences: silenceRuns(samples, sampleRate, analysis, minSilence),
    // Nothing reached full scale: no run to look for (most prompts).
    clipped: loudest >= CLIP_LEVEL ? clippedRuns(samples, sampleRate, analysis.clipRunSamples) : [],
  };
}

function silenceRuns(samples: Int16Array, sampleRate: number, analysis: AnalysisOptions, minSilence: number): TimeRun[] {
  const n = samples.length;
  const { frame, powers } = framePowers(samples, sampleRate);
  const threshold = activityThreshold(powers, analysis);
  const runs: TimeRun[] = [];
  let runStart = -1;
  const close = (endFrame: number): void => {
    const start = runStart * frame;
    const end = Math.min(n, endFrame * frame);
    const edge = start === 0 || end === n;
    if (end > start && (edge || (end - start) / sampleRate >= minSilence)) runs.push({ start: start / sampleRate, end: end / sampleRate });
    runStart = -1;
  };
  for (let f = 0; f < powers.length; f++) {
    if (!frameIsActive(powers[f] as number, threshold)) {
      if (runStart < 0) runStart = f;
    } else if (runStart >= 0) close(f);
  }
  if (runStart >= 0) close(powers.length);
  return runs;
}

function clippedRuns(samples: Int16Array, sampleRate: number, minRun: number): TimeRun[] {
  const runs: TimeRun[] = [];
  let start = -1;
  const n = samples.length;
  for (let i = 0; i <= n; i++) {
    const s = i < n ? (samples[i] as number) : 0;
    if ((s < 0 ? -s : s) >= CLIP_LEVEL) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (i - start >= minRun) runs.push({ start: start / sampleRate, end: i / sampleRate });
      start = -1;
    }
  }
  return runs;
}
