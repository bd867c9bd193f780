import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAnalysisOptions } from '../src/audio-analysis.js';
import { buildDecodePlan } from '../src/decode-plan.js';
import { ffmpegFeatures, locateFfmpeg, runDecodePlan, type FfmpegBinary } from '../src/ffmpeg.js';
import { buildSharedDecodePlan, decodeShared } from '../src/targets/decode.js';
import { codec, makeSource } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

/**
 * One decode for every target: one ffmpeg process reads each source once and resamples it
 * once per rate, and the samples are exactly what a decode at that rate alone gives, so a
 * target's bytes never depend on which other targets share the run.
 */

let dir: string;
let binary: FfmpegBinary;
let soxr: boolean;

beforeAll(async () => {
  dir = await makeTempDir('promptprep-targets-decode-');
  binary = await locateFfmpeg();
  soxr = (await ffmpegFeatures(binary)).soxr;
  await makeSource(path.join(dir, 'a.mp3'), { seconds: 0.6, rate: 44100, codec: codec('mp3') });
  await makeSource(path.join(dir, 'b.flac'), { seconds: 0.4, rate: 22050, codec: codec('flac') });
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('shared decode plan', () => {
  it('maps each source once, with one output per rate it is wanted at', () => {
    const { plan, files } = buildSharedDecodePlan(
      [
        { source: 'a.mp3', surroundChannels: 0, rates: [{ rate: 8000 }, { rate: 16000, maxSeconds: 10 }] },
        { source: 'b.flac', surroundChannels: 6, rates: [{ rate: 8000 }] },
      ],
      'scratch',
      { channels: 1, soxr: true, bandLimit: false },
    );
    expect(plan.inputs).toEqual([{ path: 'a.mp3' }, { path: 'b.flac' }]);
    expect(plan.outputs.map((o) => [o.inputIndex, o.sampleRate, o.encoding, o.maxSeconds, o.keepChannels ?? false])).toEqual([
      [0, 8000, 's16le', undefined, false],
      [0, 16000, 's16le', 10, false],
      // A surround source: the float mix and its unmixed channels, as a single-target decode makes.
      [1, 8000, 'f32le', undefined, false],
      [1, 8000, 's16le', undefined, true],
    ]);
    expect(plan.outputs[1]?.filters[0]).toMatch(/^aresample=16000:/);
    expect(files[1]?.[0]?.reference).toBe(path.join('scratch', '1-8000.channels.s16le'));
  });
});

describe('shared decode with ffmpeg', () => {
  it('gives each rate the same samples a decode at that rate alone gives', async () => {
    const sources = ['a.mp3', 'b.flac'].map((n) => path.join(dir, n));
    const scratch = await fs.mkdtemp(path.join(dir, 'shared-'));
    const out = await decodeShared(
      binary,
      sources.map((source) => ({ source, surroundChannels: 0, rates: [{ rate: 8000 }, { rate: 16000 }] })),
      scratch,
      { channels: 1, soxr, bandLimit: false, analysis: defaultAnalysisOptions },
    );
    if (!out.ok) throw new Error(out.errorText);
    for (const rate of [8000, 16000]) {
      const alone = await fs.mkdtemp(path.join(dir, `alone-${rate}-`));
      const plan = buildDecodePlan(
        sources.map((source, i) => ({ source, rawPath: path.join(alone, `${i}.s16le`) })),
        { sampleRate: rate, channels: 1, soxr, bandLimit: false },
      );
      const run = await runDecodePlan(binary, plan);
      expect(run.ok).toBe(true);
      for (const i of [0, 1]) {
        const expected = run.data![i]!;
        const got = out.audio[i]?.get(rate)?.samples as Int16Array;
        expect(got.length).toBeGreaterThan(rate * 0.3);
        expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(expected)).toBe(true);
      }
    }
  });

  it('reports the failure of a source that is not audio', async () => {
    const bad = path.join(dir, 'bad.mp3');
    await fs.writeFile(bad, 'not audio\n');
    const out = await decodeShared(binary, [{ source: bad, surroundChannels: 0, rates: [{ rate: 8000 }] }], await fs.mkdtemp(path.join(dir, 'bad-')), {
      channels: 1,
      soxr,
      bandLimit: false,
      analysis: defaultAnalysisOptions,
    });
    expect(out.ok).toBe(false);
  });
});
