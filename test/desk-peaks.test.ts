/**
 * The desk's waveform data: min/max per bucket, and silences and clipped runs found where
 * they are, by the same rules `check` measures with (so its figures and the marks agree).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALAW_DECODE, decodeAlaw } from '../src/alaw.js';
import { analyzeCodes } from '../src/audio-analysis.js';
import { computePeaks } from '../src/desk/peaks.js';
import { runFfmpeg } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;

/** Headerless A-law made by ffmpeg from an aevalsrc expression. */
async function alawCodes(name: string, expr: string, seconds: number): Promise<Uint8Array> {
  const out = path.join(dir, `${name}.alaw`);
  await runFfmpeg(['-f', 'lavfi', '-i', `aevalsrc=exprs=${expr}:s=8000:d=${seconds}`, '-ac', '1', '-ar', '8000', '-c:a', 'pcm_alaw', '-f', 'alaw', out]);
  return new Uint8Array(await fs.readFile(out));
}

beforeAll(async () => {
  dir = await makeTempDir('promptprep-peaks-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('computePeaks', () => {
  it('finds a known silence and a known clipped run where they are, agreeing with the analysis', async () => {
    // 0-0.5 s nothing, 0.5-1.5 s tone, 1.5-2.5 s nothing, 2.5-3.2 s tone, 3.2-3.3 s driven
    // past full scale (clipped), 3.3-4 s tone.
    const tone = '0.25*sin(2*PI*440*t)';
    const expr = `if(lt(t\\,0.5)\\,0\\,if(between(t\\,1.5\\,2.5)\\,0\\,if(between(t\\,3.2\\,3.3)\\,1.5\\,${tone})))`;
    const codes = await alawCodes('known', expr, 4);
    expect(codes.length).toBe(32_000);

    const p = computePeaks(codes, 8000, 400);
    expect(p.durationSeconds).toBe(4);
    expect(p.silences).toHaveLength(2);
    expect(p.silences[0]!.start).toBe(0);
    expect(p.silences[0]!.end).toBeCloseTo(0.5, 2);
    expect(p.silences[1]!.start).toBeCloseTo(1.5, 1);
    expect(p.silences[1]!.end).toBeCloseTo(2.5, 1);
    expect(p.clipped).toHaveLength(1);
    expect(p.clipped[0]!.start).toBeCloseTo(3.2, 3);
    expect(p.clipped[0]!.end).toBeCloseTo(3.3, 3);

    // The same rules as check: leading silence and the count of clipped runs agree exactly.
    const stats = analyzeCodes(codes, ALAW_DECODE, 8000);
    expect(p.silences[0]!.end).toBe(stats.leadingSilenceSeconds);
    expect(stats.trailingSilenceSeconds).toBe(0);
    expect(p.clipped).toHaveLength(stats.clippedRuns);

    // Buckets of 10 ms: silent ones are flat, clipped ones reach A-law's full scale.
    expect(Math.max(...p.peaks.slice(0, 49))).toBeLessThan(0.001);
    expect(p.peaks[200]).toBeLessThan(0.001);
    expect(p.max[325]).toBeCloseTo(32256 / 32768, 4);
    expect(p.peaks[100]).toBeGreaterThan(0.2);
    expect(p.peaks[100]).toBeLessThan(0.3);
    expect(p.min[100]).toBeLessThan(-0.2);
  });

  it('does not mark the short pauses between sounds, only silences of at least minSilenceSeconds', async () => {
    // A tone broken by a 0.1 s gap and by a 0.4 s gap.
    const expr = `if(between(t\\,1\\,1.1)+between(t\\,2\\,2.4)\\,0\\,0.25*sin(2*PI*440*t))`;
    const codes = await alawCodes('gaps', expr, 3);
    const p = computePeaks(codes, 8000, 100);
    expect(p.silences.map((r) => [r.start, r.end].map((x) => Math.round(x * 10) / 10))).toEqual([[2, 2.4]]);
    expect(computePeaks(codes, 8000, 100, { minSilenceSeconds: 0.05 }).silences).toHaveLength(2);
  });

  it("spreads a 250 s prompt's 2,000,000 samples over the buckets asked for", async () => {
    const codes = await alawCodes('long', '0.5*sin(2*PI*300*t)*sin(2*PI*0.1*t)', 250);
    expect(codes.length).toBe(2_000_000);
    const p = computePeaks(codes, 8000, 2000);
    expect(p.durationSeconds).toBe(250);
    for (const a of [p.min, p.max, p.peaks]) expect(a).toHaveLength(2000);
    const samples = decodeAlaw(codes);
    // Bucket 123 holds samples [123000, 124000): its extremes, exactly.
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 123_000; i < 124_000; i++) {
      lo = Math.min(lo, samples[i] as number);
      hi = Math.max(hi, samples[i] as number);
    }
    expect(p.min[123]).toBeCloseTo(lo / 32768, 4);
    expect(p.max[123]).toBeCloseTo(hi / 32768, 4);
    expect(Math.max(...p.peaks)).toBeGreaterThan(0.45);
    expect(p.clipped).toEqual([]);
    // The envelope's zeros (every 5 s) are too short to count as silence between sounds.
    expect(p.silences.every((r) => r.start === 0 || r.end === 250 || r.end - r.start >= 0.25)).toBe(true);
    // Small enough to send to the page as JSON.
    expect(JSON.stringify(p).length).toBeLessThan(100_000);
  });

  it('leaves buckets beyond the samples empty and refuses a bucket count it cannot use', () => {
    // A-law's quietest positive code (+8), its loudest positive and its loudest negative (±32256).
    const codes = new Uint8Array([0xd5, 0xaa, 0x2a]);
    const p = computePeaks(codes, 8000, 6);
    const full = Math.round((32256 / 32768) * 1e4) / 1e4;
    expect(p.peaks).toEqual([0, 0.0002, 0, full, 0, full]);
    expect(p.min).toEqual([0, 0.0002, 0, full, 0, -full]);
    expect(() => computePeaks(codes, 8000, 0)).toThrow(/buckets must be/);
    expect(() => computePeaks(codes, 8000, 1.5)).toThrow(/buckets must be/);
    expect(computePeaks(new Uint8Array(0), 8000, 4).silences).toEqual([]);
  });
});
