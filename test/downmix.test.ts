/** The dialogue-keeping downmix's in-process half (downmix.ts) and its place in a decode plan. */
import { describe, expect, it } from 'vitest';
import { analyzeSamples, defaultAnalysisOptions } from '../src/audio-analysis.js';
import { decodeAlaw, encodeAlaw } from '../src/alaw.js';
import { buildDecodePlan } from '../src/decode-plan.js';
import { DOWNMIX_FILTERS, finishDownmix, SIDE_FILTERS, stereoDownmixWarning, stereoFramePowers } from '../src/downmix.js';

const RATE = 8000;

/** Syllable-like bursts of a 300 Hz tone at `amp` (full scale 1), `seconds` long. */
function speech(amp: number, seconds = 1): Float32Array {
  const out = new Float32Array(RATE * seconds);
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    out[i] = amp * Math.sin(2 * Math.PI * 300 * t) * (Math.sin(2 * Math.PI * 2.5 * t) > 0 ? 1 : 0);
  }
  return out;
}

/** Interleaved 16-bit channels, each `gains[c]` times `signal`. */
function channels(signal: Float32Array, gains: number[]): Int16Array {
  const out = new Int16Array(signal.length * gains.length);
  for (let i = 0; i < signal.length; i++) {
    gains.forEach((g, c) => (out[i * gains.length + c] = Math.round((signal[i] as number) * g * 32768)));
  }
  return out;
}

const scaled = (x: Float32Array, g: number): Float32Array => x.map((v) => v * g);
const activeDb = (x: Int16Array): number => analyzeSamples(x, RATE, defaultAnalysisOptions).activeDb;

describe('finishDownmix', () => {
  it('a mix level with the loudest channel passes unchanged, with no warning', () => {
    const s = speech(0.1);
    const r = finishDownmix(s, channels(s, [0, 0, 1, 0, 0, 0]), 6, RATE, defaultAnalysisOptions);
    expect(r.gainDb).toBe(0);
    expect(r.warning).toBeNull();
    expect(Math.abs(activeDb(r.samples) - r.sourceActiveDb)).toBeLessThan(0.1);
  });

  it('a mix louder than any channel (the same speech everywhere) is brought back to that level, unclipped', () => {
    const s = speech(0.5);
    const mix = scaled(s, 2.71); // 1 + 0.5 + 0.5 + 0.354 * 2: the matrix on identical channels
    const r = finishDownmix(mix, channels(s, [1, 1, 1, 1, 1, 1]), 6, RATE, defaultAnalysisOptions);
    expect(r.gainDb).toBeCloseTo(-20 * Math.log10(2.71), 1);
    expect(Math.abs(activeDb(r.samples) - r.sourceActiveDb)).toBeLessThan(0.2);
    expect(r.warning).toBeNull();
    expect(analyzeSamples(r.samples, RATE).clippedRuns).toBe(0);
  });

  it('a mix 6 dB under the loudest channel (speech in one side) warns downmix-level', () => {
    const s = speech(0.1);
    const r = finishDownmix(scaled(s, 0.5), channels(s, [1, 0, 0, 0, 0, 0]), 6, RATE, defaultAnalysisOptions);
    expect(r.gainDb).toBe(0);
    expect(r.warning?.code).toBe('downmix-level');
    expect(r.warning?.message).toMatch(/6\.0 dB quieter/);
  });
});

describe('buildDecodePlan with a downmix', () => {
  it('one input, two outputs: the float mix (matrix first) and the unmixed channels', () => {
    const plan = buildDecodePlan([{ source: 'x.wav', rawPath: 'x.f32le', encoding: 'f32le', downmix: { referencePath: 'x.ch' }, maxSeconds: 5 }], {
      sampleRate: 8000,
      channels: 1,
      soxr: false,
      bandLimit: false,
    });
    expect(plan.inputs).toEqual([{ path: 'x.wav' }]);
    const [mix, ref] = plan.outputs;
    expect(mix).toMatchObject({ inputIndex: 0, rawPath: 'x.f32le', encoding: 'f32le', maxSeconds: 5 });
    expect(mix?.filters.slice(0, DOWNMIX_FILTERS.length)).toEqual(DOWNMIX_FILTERS);
    expect(ref).toMatchObject({ inputIndex: 0, rawPath: 'x.ch', encoding: 's16le', keepChannels: true, maxSeconds: 5 });
    expect(ref?.filters).toEqual(mix?.filters.slice(DOWNMIX_FILTERS.length));
  });
});

describe('stereoDownmixWarning (mid = (L+R)/2, side = (L-R)/2, as ffmpeg writes them)', () => {
  const toInt16 = (x: Float32Array): Int16Array => Int16Array.from(x, (v) => Math.round(v * 32768));
  const mixOf = (l: Float32Array, r: Float32Array, sign: number): Int16Array => toInt16(l.map((v, i) => 0.5 * (v + sign * (r[i] as number))));

  it('speech in one channel: 6 dB quieter than the louder channel, warned', () => {
    const l = speech(0.1);
    const r = new Float32Array(l.length);
    const w = stereoDownmixWarning(mixOf(l, r, 1), mixOf(l, r, -1), RATE, defaultAnalysisOptions);
    expect(w?.code).toBe('downmix-level');
    expect(w?.message).toMatch(/6\.0 dB quieter than in its louder channel/);
  });

  it('the same speech in both channels, or one 2 dB down: no warning; silence: none', () => {
    const l = speech(0.1);
    expect(stereoDownmixWarning(mixOf(l, l, 1), mixOf(l, l, -1), RATE, defaultAnalysisOptions)).toBeNull();
    const r = scaled(l, 0.8);
    expect(stereoDownmixWarning(mixOf(l, r, 1), mixOf(l, r, -1), RATE, defaultAnalysisOptions)).toBeNull();
    const zero = new Int16Array(RATE);
    expect(stereoDownmixWarning(zero, zero, RATE, defaultAnalysisOptions)).toBeNull();
  });

  it('measures each channel and the mix as analyzeSamples does, the mix given as samples or as A-law codes', () => {
    const l = speech(0.2, 3);
    const r = scaled(speech(0.04, 3), 0.5);
    const mid = decodeAlaw(encodeAlaw(mixOf(l, r, 1)));
    const side = mixOf(l, r, -1);
    const clamp = (v: number): number => Math.max(-32768, Math.min(32767, v));
    const left = Int16Array.from(mid, (m, i) => clamp(m + (side[i] as number)));
    const right = Int16Array.from(mid, (m, i) => clamp(m - (side[i] as number)));
    const source = Math.max(analyzeSamples(left, RATE).activeDb, analyzeSamples(right, RATE).activeDb);
    const output = analyzeSamples(mid, RATE).activeDb;
    const w = stereoDownmixWarning(mid, side, RATE, defaultAnalysisOptions);
    expect(w?.message).toContain(`(${output.toFixed(1)} dBFS instead of ${source.toFixed(1)} dBFS)`);
    expect(stereoDownmixWarning(encodeAlaw(mixOf(l, r, 1)), side, RATE, defaultAnalysisOptions)).toEqual(w);
  });

  it('frame powers of each channel (clamped to 16 bits) and of the mix are the per-channel measurement to the bit, for samples and codes', () => {
    // Loud, uncorrelated channels, so that mid + side and mid - side often pass full scale.
    const n = 8000 * 3 + 37;
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const codes = Uint8Array.from({ length: n }, () => Math.floor((rand() + 1) * 128) & 0xff);
    const side = Int16Array.from({ length: n }, () => Math.round(rand() * 32767));
    const samples = decodeAlaw(codes);
    const clamp = (v: number): number => Math.max(-32768, Math.min(32767, v));
    const reference = (x: Int16Array, frame: number): number[] => {
      const out: number[] = [];
      for (let start = 0; start < x.length; start += frame) {
        const part = x.subarray(start, Math.min(x.length, start + frame));
        out.push(part.reduce((a, v) => a + v * v, 0) / part.length);
      }
      return out;
    };
    const left = Int16Array.from(samples, (m, i) => clamp(m + (side[i] as number)));
    const right = Int16Array.from(samples, (m, i) => clamp(m - (side[i] as number)));
    expect(left.some((v, i) => v !== (samples[i] as number) + (side[i] as number))).toBe(true); // clamping is exercised
    for (const frame of [160, 7]) {
      const want = { left: reference(left, frame), right: reference(right, frame), mix: reference(samples, frame) };
      for (const mid of [samples, codes]) {
        const got = stereoFramePowers(mid, side, frame);
        expect({ left: [...got.left], right: [...got.right], mix: [...got.mix] }).toEqual(want);
      }
    }
    // The shorter of the two sets the length.
    expect(stereoFramePowers(codes, side.subarray(0, 100), 160).mix.length).toBe(1);
    // A side read in place as the right channel of a 2-channel (mid/side) output: the same powers.
    const both = new Int16Array(2 * n);
    samples.forEach((m, i) => {
      both[2 * i] = m;
      both[2 * i + 1] = side[i] as number;
    });
    const alone = stereoFramePowers(samples, side, 160);
    for (const mid of [samples, codes]) {
      const inPlace = stereoFramePowers(mid, both, 160, { stride: 2, offset: 1 });
      expect({ left: [...inPlace.left], right: [...inPlace.right], mix: [...inPlace.mix], n: inPlace.n }).toEqual({ left: [...alone.left], right: [...alone.right], mix: [...alone.mix], n });
    }
    // Its length counts frames of the pair, not samples of the array.
    expect(stereoFramePowers(codes, both.subarray(0, 2 * 100), 160, { stride: 2, offset: 1 }).n).toBe(100);
  });

  it('one channel the other inverted: the speech cancels out, warned', () => {
    const l = speech(0.1);
    const r = scaled(l, -1);
    expect(stereoDownmixWarning(mixOf(l, r, 1), mixOf(l, r, -1), RATE, defaultAnalysisOptions)?.message).toMatch(/cancelled out/);
  });
});

describe('buildDecodePlan for a stereo source', () => {
  const options = { sampleRate: 8000, channels: 1, soxr: false, bandLimit: true };
  it('the mix output is the same as a mono job (byte-identical to it); the side signal is a second output of the same input', () => {
    const mono = buildDecodePlan([{ source: 'm.wav', rawPath: 'm.alaw', encoding: 'alaw' }], options);
    const st = buildDecodePlan([{ source: 's.wav', rawPath: 'm.alaw', encoding: 'alaw', side: { path: 's.side' }, maxSeconds: 3 }], options);
    expect(mono.outputs).toHaveLength(1);
    expect(st.outputs[0]).toEqual({ ...mono.outputs[0], maxSeconds: 3 });
    expect(st.outputs[1]).toMatchObject({ inputIndex: 0, rawPath: 's.side', encoding: 's16le', maxSeconds: 3 });
    expect(st.outputs[1]?.filters).toEqual([...SIDE_FILTERS, ...(mono.outputs[0]?.filters ?? [])]);
  });
});
