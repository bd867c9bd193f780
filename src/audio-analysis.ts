/**
 * Level measurements on 16-bit mono samples. Used by `check` (on decoded A-law) for its
 * warnings and by `convert` for --normalize and --trim-silence, so both agree on what
 * "quiet" and "silence" mean.
 */

/** Thresholds of the level analysis; config.ts validates them (as `analysis`) in config files. */
export interface AnalysisOptions {
  /**
   * A 20 ms frame is active when its RMS is within this many dB of the loudest frame
   * (an adaptive gate, so a quiet recording still has speech and pauses)...
   */
  activityGateDb: number;
  /** ...and at or above this absolute floor (dBFS). */
  activityFloorDb: number;
  /** Peak below this (dBFS) over the whole file is reported as digital silence. */
  silencePeakDb: number;
  /** Active level below this (dBFS) is reported as too quiet for A-law. */
  quietActiveDb: number;
  /** Runs of at least this many consecutive samples at full scale count as clipping. */
  clipRunSamples: number;
  /** Leading silence longer than this (s) is reported. */
  maxLeadingSilence: number;
  /** Trailing silence longer than this (s) is reported. */
  maxTrailingSilence: number;
}

export const defaultAnalysisOptions: AnalysisOptions = {
  activityGateDb: 35,
  activityFloorDb: -70,
  silencePeakDb: -60,
  quietActiveDb: -35,
  clipRunSamples: 3,
  maxLeadingSilence: 1,
  maxTrailingSilence: 1.5,
};

export interface AudioStats {
  durationSeconds: number;
  /** Peak sample level, dBFS (-Infinity for all zeros). */
  peakDb: number;
  /** RMS over the whole signal, dBFS. */
  rmsDb: number;
  /** RMS over active frames only (a simplified ITU-T P.56 active speech level), dBFS. */
  activeDb: number;
  /** Fraction of 20 ms frames that are active. */
  activeRatio: number;
  leadingSilenceSeconds: number;
  trailingSilenceSeconds: number;
  clippedRuns: number;
}

const FULL_SCALE = 32768;

export function toDb(linear: number): number {
  return linear > 0 ? 20 * Math.log10(linear) : -Infinity;
}

/**
 * Anything at or above this magnitude is "at full scale": A-law's largest code decodes
 * to 32256, so a clipped A-law file never reaches 32767.
 */
export const CLIP_LEVEL = 32000;

/** Mean power of each 20 ms frame, and the frame length in samples. */
export function framePowers(samples: Int16Array, sampleRate: number): { frame: number; powers: Float64Array } {
  const frame = Math.max(1, Math.round(sampleRate * 0.02));
  const count = Math.ceil(samples.length / frame);
  const powers = new Float64Array(count);
  for (let f = 0; f < count; f++) {
    const start = f * frame;
    const end = Math.min(samples.length, start + frame);
    let sq = 0;
    for (let i = start; i < end; i++) {
      const s = samples[i] as number;
      sq += s * s;
    }
    powers[f] = sq / (end - start);
  }
  return { frame, powers };
}

/** Power threshold above which a frame counts as active. */
export function activityThreshold(powers: Float64Array, options: AnalysisOptions): number {
  let loudest = 0;
  for (let f = 0; f < powers.length; f++) if ((powers[f] as number) > loudest) loudest = powers[f] as number;
  const floor = Math.pow(10, options.activityFloorDb / 10) * FULL_SCALE * FULL_SCALE;
  const gated = loudest * Math.pow(10, -options.activityGateDb / 10);
  return Math.max(floor, gated);
}

/** Whether a frame of this mean power is active (speech), not silence: the one rule for both. */
export function frameIsActive(power: number, threshold: number): boolean {
  return power >= threshold && power > 0;
}

export function analyzeSamples(samples: Int16Array, sampleRate: number, options: AnalysisOptions = defaultAnalysisOptions): AudioStats {
  const n = samples.length;
  const frame = Math.max(1, Math.round(sampleRate * 0.02));
  const powers = new Float64Array(Math.ceil(n / frame));
  // One pass for frame powers, peak and clipping: on a long prompt this is most of the
  // work of both `check` and `convert`.
  let peak = 0;
  let clippedRuns = 0;
  let run = 0;
  const clipRun = options.clipRunSamples;
  for (let f = 0, start = 0; start < n; f++, start += frame) {
    const end = Math.min(n, start + frame);
    let sq = 0;
    for (let i = start; i < end; i++) {
      const s = samples[i] as number;
      sq += s * s;
      const a = s < 0 ? -s : s;
      if (a > peak) peak = a;
      if (a >= CLIP_LEVEL) {
        if (++run === clipRun) clippedRuns++;
      } else {
        run = 0;
      }
    }
    powers[f] = sq / (end - start);
  }
  return summarize(powers, frame, n, peak, clippedRuns, sampleRate, options);
}

/** Per-code tables for 8-bit companded audio: its square, and whether it is at full scale. */
interface CodeTables {
  square: Float64Array;
  clipped: Uint8Array;
}
const codeTables = new WeakMap<Int16Array, CodeTables>();

function tablesFor(decode: Int16Array): CodeTables {
  let t = codeTables.get(decode);
  if (!t) {
    t = { square: new Float64Array(256), clipped: new Uint8Array(256) };
    for (let c = 0; c < 256; c++) {
      const s = decode[c] as number;
      const a = s < 0 ? -s : s;
      t.square[c] = s * s;
      t.clipped[c] = a >= CLIP_LEVEL ? 1 : 0;
    }
    codeTables.set(decode, t);
  }
  return t;
}

/**
 * Work array analyzeCodes reuses from call to call (it runs to the end without yielding):
 * a typed array of its own a file is an allocation outside the heap and work for the GC,
 * which checking thousands of small prompts felt. Up to 21 min of frames at 8 kHz.
 */
const SCRATCH_FRAMES = 65_536;
const scratchPowers = new Float64Array(SCRATCH_FRAMES);

/**
 * analyzeSamples on 8-bit codes (A-law, µ-law) given their decoding table, without
 * decoding them into a sample buffer first. The result is exactly
 * analyzeSamples(decode(codes)); test/audio-analysis.test.ts holds both to one reference.
 * The loop is analyzeSamples' own, kept apart on purpose (reading samples through a
 * callback would cost the speed this function exists for), and leaner:
 * - the codes are read four at a time, as 32-bit words, where they are 4-byte aligned;
 * - four independent sums, not one chain, so the CPU overlaps the adds. The squares are
 *   integers and every sum stays below 2^53 (an 8 MiB file of full-scale codes sums to
 *   8.7e15), so each is exact in any order and the total is the one-chain sum to the bit;
 * - the peak is the square root of the largest square (exact: an integer's square root),
 *   and only when it reaches full scale are the runs at full scale counted, in a second pass.
 */
export function analyzeCodes(codes: Uint8Array, decode: Int16Array, sampleRate: number, options: AnalysisOptions = defaultAnalysisOptions): AudioStats {
  const { square, clipped } = tablesFor(decode);
  const n = codes.length;
  const frame = Math.max(1, Math.round(sampleRate * 0.02));
  const count = Math.ceil(n / frame);
  const powers = count <= SCRATCH_FRAMES ? scratchPowers.subarray(0, count) : new Float64Array(count);
  // The words over the codes: word w holds the bytes at [base + 4w, base + 4w + 4) of the
  // buffer. (Alignment by arithmetic, not bit masks, which would wrap past 2 GiB.)
  const off = codes.byteOffset;
  const base = off - (off % 4);
  const words = new Uint32Array(codes.buffer, base, Math.floor((off + n - base) / 4));
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  for (let f = 0, start = 0; start < n; f++, start += frame) {
    const end = Math.min(n, start + frame);
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    // Bytes before the frame's first whole word, the words, the bytes after its last one.
    const wordsFrom = Math.min(end, start + ((4 - ((off + start) % 4)) % 4));
    const wordsTo = Math.max(wordsFrom, end - ((off + end) % 4));
    for (let i = start; i < wordsFrom; i++) {
      const q = square[codes[i] as number] as number;
      s0 += q;
      if (q > m0) m0 = q;
    }
    for (let w = (off + wordsFrom - base) >>> 2, last = (off + wordsTo - base) >>> 2; w < last; w++) {
      const x = words[w] as number;
      const q0 = square[x & 0xff] as number;
      const q1 = square[(x >>> 8) & 0xff] as number;
      const q2 = square[(x >>> 16) & 0xff] as number;
      const q3 = square[x >>> 24] as number;
      s0 += q0;
      s1 += q1;
      s2 += q2;
      s3 += q3;
      if (q0 > m0) m0 = q0;
      if (q1 > m1) m1 = q1;
      if (q2 > m2) m2 = q2;
      if (q3 > m3) m3 = q3;
    }
    for (let i = wordsTo; i < end; i++) {
      const q = square[codes[i] as number] as number;
      s0 += q;
      if (q > m0) m0 = q;
    }
    powers[f] = (s0 + s1 + (s2 + s3)) / (end - start);
  }
  const peak = Math.sqrt(Math.max(m0, m1, m2, m3));
  let clippedRuns = 0;
  if (peak >= CLIP_LEVEL) {
    const clipRun = options.clipRunSamples;
    let run = 0;
    for (let i = 0; i < n; i++) {
      if (clipped[codes[i] as number] === 1) {
        if (++run === clipRun) clippedRuns++;
      } else {
        run = 0;
      }
    }
  }
  return summarize(powers, frame, n, peak, clippedRuns, sampleRate, options);
}

function summarize(
  powers: Float64Array,
  frame: number,
  n: number,
  peak: number,
  clippedRuns: number,
  sampleRate: number,
  options: AnalysisOptions,
): AudioStats {
  const threshold = activityThreshold(powers, options);
  let sumSq = 0;
  let activeSumSq = 0;
  let activeSamples = 0;
  let activeFrames = 0;
  let firstActive = -1;
  let lastActiveEnd = -1;
  for (let f = 0; f < powers.length; f++) {
    const start = f * frame;
    const len = Math.min(n, start + frame) - start;
    const p = powers[f] as number;
    sumSq += p * len;
    if (frameIsActive(p, threshold)) {
      activeFrames++;
      activeSumSq += p * len;
      activeSamples += len;
      if (firstActive < 0) firstActive = start;
      lastActiveEnd = start + len;
    }
  }
  const rms = n > 0 ? Math.sqrt(sumSq / n) : 0;
  const activeRms = activeSamples > 0 ? Math.sqrt(activeSumSq / activeSamples) : 0;
  const duration = n / sampleRate;
  return {
    durationSeconds: duration,
    peakDb: toDb(peak / FULL_SCALE),
    rmsDb: toDb(rms / FULL_SCALE),
    activeDb: toDb(activeRms / FULL_SCALE),
    activeRatio: powers.length > 0 ? activeFrames / powers.length : 0,
    leadingSilenceSeconds: firstActive < 0 ? duration : firstActive / sampleRate,
    trailingSilenceSeconds: lastActiveEnd < 0 ? duration : (n - lastActiveEnd) / sampleRate,
    clippedRuns,
  };
}

/** Decibels rounded for people. */
export function fmtDb(db: number): string {
  return Number.isFinite(db) ? `${db.toFixed(1)} dBFS` : 'silence (-inf dBFS)';
}
