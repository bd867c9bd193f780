/**
 * The level analysis: the one-pass analyzeSamples and the decode-free analyzeCodes must
 * give exactly what the plain definition gives (two passes over decoded samples), on
 * random codes, on real A-law audio, and at the edges (empty, partial last frame, clipping
 * runs across frame boundaries).
 */
import { describe, expect, it } from 'vitest';
import { ALAW_DECODE, decodeAlaw, encodeAlaw } from '../src/alaw.js';
import { activityThreshold, analyzeCodes, analyzeSamples, defaultAnalysisOptions, toDb, type AnalysisOptions, type AudioStats } from '../src/audio-analysis.js';

/** The definition, written the slow and obvious way, as a reference. */
function reference(samples: Int16Array, sampleRate: number, options: AnalysisOptions): AudioStats {
  const n = samples.length;
  const frame = Math.max(1, Math.round(sampleRate * 0.02));
  const powers = new Float64Array(Math.ceil(n / frame));
  for (let f = 0; f < powers.length; f++) {
    let sq = 0;
    const end = Math.min(n, (f + 1) * frame);
    for (let i = f * frame; i < end; i++) sq += (samples[i] as number) ** 2;
    powers[f] = sq / (end - f * frame);
  }
  let peak = 0;
  let clippedRuns = 0;
  let run = 0;
  for (const s of samples) {
    peak = Math.max(peak, Math.abs(s));
    run = Math.abs(s) >= 32000 ? run + 1 : 0;
    if (run === options.clipRunSamples) clippedRuns++;
  }
  const threshold = activityThreshold(powers, options);
  let sumSq = 0;
  let activeSumSq = 0;
  let activeSamples = 0;
  let activeFrames = 0;
  let firstActive = -1;
  let lastActiveEnd = -1;
  powers.forEach((p, f) => {
    const len = Math.min(n, (f + 1) * frame) - f * frame;
    sumSq += p * len;
    if (p >= threshold && p > 0) {
      activeFrames++;
      activeSumSq += p * len;
      activeSamples += len;
      if (firstActive < 0) firstActive = f * frame;
      lastActiveEnd = f * frame + len;
    }
  });
  const duration = n / sampleRate;
  return {
    durationSeconds: duration,
    peakDb: toDb(peak / 32768),
    rmsDb: toDb((n > 0 ? Math.sqrt(sumSq / n) : 0) / 32768),
    activeDb: toDb((activeSamples > 0 ? Math.sqrt(activeSumSq / activeSamples) : 0) / 32768),
    activeRatio: powers.length > 0 ? activeFrames / powers.length : 0,
    leadingSilenceSeconds: firstActive < 0 ? duration : firstActive / sampleRate,
    trailingSilenceSeconds: lastActiveEnd < 0 ? duration : (n - lastActiveEnd) / sampleRate,
    clippedRuns,
  };
}

/** Deterministic pseudo-random bytes. */
function randomCodes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A tone with pauses, a quiet stretch and a clipped burst: every branch of the analysis. */
function speechLike(seconds: number, rate: number): Int16Array {
  const out = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) {
    const t = i / rate;
    const gate = Math.sin(2 * Math.PI * 1.3 * t) > -0.2 ? 1 : 0.001;
    const burst = t > 0.15 && t < 0.25 ? 4 : 1;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(9000 * gate * burst * Math.sin(2 * Math.PI * 220 * t))));
  }
  return out;
}

describe('analyzeSamples and analyzeCodes against the definition', () => {
  const strict: AnalysisOptions = { ...defaultAnalysisOptions, clipRunSamples: 2 };

  it('random A-law codes, several lengths (partial last frames included) and rates', () => {
    for (const [length, rate] of [
      [0, 8000],
      [1, 8000],
      [159, 8000],
      [160, 8000],
      [161, 8000],
      [48_001, 8000],
      [30_000, 16000],
      [44_100, 44100],
    ] as const) {
      const codes = randomCodes(length, length + rate);
      const samples = decodeAlaw(codes);
      for (const options of [defaultAnalysisOptions, strict]) {
        const want = reference(samples, rate, options);
        expect(analyzeSamples(samples, rate, options)).toStrictEqual(want);
        expect(analyzeCodes(codes, ALAW_DECODE, rate, options)).toStrictEqual(want);
      }
    }
  });

  it('speech-like A-law audio with pauses, silence and clipping runs that cross frame boundaries', () => {
    const samples = decodeAlaw(encodeAlaw(speechLike(7.3, 8000)));
    const codes = encodeAlaw(samples);
    const want = reference(samples, 8000, defaultAnalysisOptions);
    expect(want.clippedRuns).toBeGreaterThan(0);
    expect(want.activeRatio).toBeGreaterThan(0.3);
    expect(want.activeRatio).toBeLessThan(1);
    expect(analyzeSamples(samples, 8000, defaultAnalysisOptions)).toStrictEqual(want);
    expect(analyzeCodes(codes, ALAW_DECODE, 8000, defaultAnalysisOptions)).toStrictEqual(want);
  });

  it('analyzeCodes stays exact call after call: lengths up and down, more frames than it keeps work space for, one frame of millions of full-scale codes', () => {
    // Its partial sums are exact only while every sum stays below 2^53: 8,000,000 codes at
    // full scale in one frame (a 400 MHz "rate") is 8.3e15, near the bound, and must still match.
    const loud = new Uint8Array(8_000_000).fill(encodeAlaw(Int16Array.of(32767))[0] as number);
    for (const [codes, rate] of [
      [randomCodes(48_003, 1), 8000],
      [randomCodes(70_001, 2), 50], // 70,001 one-sample frames
      [randomCodes(321, 3), 8000],
      [loud, 400_000_000],
      [randomCodes(1_607, 4), 8000],
    ] as const) {
      expect(analyzeCodes(codes, ALAW_DECODE, rate, defaultAnalysisOptions)).toStrictEqual(reference(decodeAlaw(codes), rate, defaultAnalysisOptions));
    }
  });

  it('analyzeCodes on codes at every byte alignment inside a larger buffer, frames of any length (it reads aligned words)', () => {
    // A WAV's data starts where its header ends (58 bytes in the canonical layout), so the
    // codes are a view at any offset; the frame (20 ms) need not be a multiple of 4 samples.
    const loud = encodeAlaw(speechLike(1.3, 8000));
    const backing = new Uint8Array(loud.length + 64);
    for (const offset of [0, 1, 2, 3, 5, 58]) {
      for (const [length, rate] of [
        [loud.length, 8000],
        [loud.length - 3, 8000],
        [7, 8000],
        [2, 8000],
        [1_103, 11_025], // 221-sample frames
        [999, 150], // 3-sample frames
      ] as const) {
        backing.fill(0xd5);
        backing.set(loud.subarray(0, length), offset);
        const codes = backing.subarray(offset, offset + length);
        for (const options of [defaultAnalysisOptions, strict]) {
          expect(analyzeCodes(codes, ALAW_DECODE, rate, options)).toStrictEqual(reference(decodeAlaw(codes), rate, options));
        }
      }
    }
  });

  it('16-bit samples that A-law cannot express (analyzeSamples alone)', () => {
    const samples = speechLike(2.01, 8000);
    samples[100] = -32768;
    samples[101] = 32767;
    expect(analyzeSamples(samples, 8000, strict)).toStrictEqual(reference(samples, 8000, strict));
  });
});
