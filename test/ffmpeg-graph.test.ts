/**
 * runDecodePlan feeds sources to ffmpeg as `amovie` filtergraph sources (one process, no
 * demuxer thread per source). That shape must give exactly the bytes of the plain
 * per-file command (`ffmpeg -i <source> -af <chain> ...`), read any file name however
 * much filtergraph syntax it holds, and still say which source of a group failed.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAlaw } from '../src/alaw.js';
import { buildDecodePlan, filterChain } from '../src/decode-plan.js';
import { decodeGraph, fileUrl, graphValue } from '../src/decode-graph.js';
import { ffmpegFeatures, locateFfmpeg, runDecodePlan, type FfmpegBinary } from '../src/ffmpeg.js';
import { runFfmpeg } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let binary: FfmpegBinary;
let soxr: boolean;
const p = (name: string): string => path.join(dir, name);

const SPEECH = '0.2*sin(2*PI*220*t)*(0.5+0.5*sin(2*PI*3*t))+0.05*sin(2*PI*1800*t)';
/** Names full of what a filtergraph parses: quotes, backslashes, brackets, separators, spaces. */
const ODD_NAMES = ["it's [a],b;c d.mp3", 'back\\slash=x:y.flac', ' lead and trail .wav', '-dash.ogg'];

beforeAll(async () => {
  dir = await makeTempDir('promptprep-ffmpeg-graph-');
  binary = await locateFfmpeg();
  soxr = (await ffmpegFeatures(binary)).soxr;
  const make = (name: string, rate: number, channels: number, codecArgs: string[], seconds = 1.3) =>
    runFfmpeg(['-y', '-f', 'lavfi', '-i', `aevalsrc=${SPEECH}:s=${rate}:d=${seconds}`, '-ac', String(channels), ...codecArgs, p(name)]);
  await Promise.all([
    make('stereo.mp3', 44100, 2, ['-c:a', 'libmp3lame', '-b:a', '96k']),
    make('s24.wav', 48000, 2, ['-c:a', 'pcm_s24le']),
    make('aac.m4a', 44100, 2, ['-c:a', 'aac', '-b:a', '64k']),
    make('long.mp3', 22050, 1, ['-c:a', 'libmp3lame', '-b:a', '32k'], 12),
    make(ODD_NAMES[0] as string, 22050, 1, ['-c:a', 'libmp3lame', '-b:a', '48k']),
    make(ODD_NAMES[1] as string, 16000, 1, ['-c:a', 'flac']),
    make(ODD_NAMES[2] as string, 8000, 1, ['-c:a', 'pcm_s16le']),
    make(ODD_NAMES[3] as string, 44100, 2, ['-c:a', 'libvorbis']),
    runFfmpeg(['-y', '-f', 'lavfi', '-i', 'testsrc=s=64x64:d=1', '-c:v', 'mpeg4', p('no-audio.mp4')]),
  ]);
});

afterAll(async () => {
  await removeTempDir(dir);
});

/** The per-file command every output must equal: the source as a plain `-i` input. */
async function plainDecode(source: string, out: string, encoding: 'alaw' | 's16le', maxSeconds?: number): Promise<Buffer> {
  const chain = filterChain({ sampleRate: 8000, channels: 1, soxr, bandLimit: false }).join(',');
  await runFfmpeg(['-y', '-i', fileUrl(source), '-map', '0:a:0', '-af', chain, '-ac', '1', '-ar', '8000', '-c:a', encoding === 'alaw' ? 'pcm_alaw' : 'pcm_s16le', ...(maxSeconds ? ['-t', maxSeconds.toFixed(6)] : []), '-f', encoding, fileUrl(out)]);
  return fs.readFile(out);
}

describe('graphValue', () => {
  it('escapes for both filtergraph levels: quoted for the option, every graph metacharacter escaped', () => {
    expect(graphValue('a:0')).toBe("\\'a:0\\'");
    expect(graphValue("x'y")).toBe("\\'x\\'\\\\\\'\\'y\\'");
    expect(graphValue('[a],b;c\\d')).toBe("\\'\\[a\\]\\,b\\;c\\\\d\\'");
  });
});

describe('decodeGraph', () => {
  it('gives each input one amovie chain starting at time 0, and splits an input that feeds two outputs', () => {
    const g = decodeGraph({
      sampleRate: 8000,
      channels: 1,
      inputs: [{ path: '/a.mp3' }, { path: '/b.flac' }],
      outputs: [
        { inputIndex: 0, rawPath: '/o0', encoding: 'alaw', filters: ['aresample=8000'], maxSeconds: 3 },
        { inputIndex: 1, rawPath: '/o1', encoding: 'f32le', filters: ['pan=mono|c0=FC', 'aresample=8000'] },
        { inputIndex: 1, rawPath: '/o2', encoding: 's16le', filters: [], keepChannels: true },
      ],
    });
    expect(g.graph.split(';')).toEqual([
      "amovie=filename=\\'file:/a.mp3\\':streams=\\'a:0\\',asetpts=PTS-STARTPTS,aresample=8000[o0]",
      "amovie=filename=\\'file:/b.flac\\':streams=\\'a:0\\',asetpts=PTS-STARTPTS,asplit=2[s1][s2]",
      '[s1]pan=mono|c0=FC,aresample=8000[o1]',
      '[s2]anull[o2]',
    ]);
    // ffmpeg's "Parsed_amovie_<n>": amovie, asetpts, aresample come before the second source.
    expect(g.movieFilterIndex).toEqual([0, 3]);
    expect(g.outputs).toEqual([
      { label: 'o0', path: '/o0', like: 0 },
      { label: 'o1', path: '/o1', like: 1 },
      { label: 'o2', path: '/o2', like: 2 },
    ]);
  });

  it('joins inputs whose outputs have the same shape into one sequence a slot, each source with a chain of its own, counted', () => {
    const g = decodeGraph({
      sampleRate: 8000,
      channels: 1,
      inputs: [{ path: '/a.mp3' }, { path: '/b.flac' }, { path: '/c.mp3' }],
      outputs: [
        { inputIndex: 0, rawPath: '/o0', encoding: 'alaw', filters: ['aresample=8000'] },
        { inputIndex: 0, rawPath: '/o1', encoding: 's16le', filters: ['pan=mono|c0=c0-c1', 'aresample=8000'] },
        { inputIndex: 1, rawPath: '/o2', encoding: 'alaw', filters: ['aresample=8000'] },
        { inputIndex: 2, rawPath: '/o3', encoding: 'alaw', filters: ['aresample=8000'] },
        { inputIndex: 2, rawPath: '/o4', encoding: 's16le', filters: ['pan=mono|c0=c0-c1', 'aresample=8000'] },
      ],
    });
    const end = (format: string): string => `aformat=sample_fmts=${format}:sample_rates=8000:channel_layouts=mono,asetnsamples=n=65536:p=0,ashowinfo`;
    expect(g.graph.split(';')).toEqual([
      "amovie=filename=\\'file:/a.mp3\\':streams=\\'a:0\\',asetpts=PTS-STARTPTS,asplit=2[s0][s1]",
      `[s0]aresample=8000,${end('s16')}[c0]`,
      `[s1]pan=mono|c0=c0-c1,aresample=8000,${end('s16')}[c1]`,
      `amovie=filename=\\'file:/b.flac\\':streams=\\'a:0\\',asetpts=PTS-STARTPTS,aresample=8000,${end('s16')}[c2]`,
      "amovie=filename=\\'file:/c.mp3\\':streams=\\'a:0\\',asetpts=PTS-STARTPTS,asplit=2[s3][s4]",
      `[s3]aresample=8000,${end('s16')}[c3]`,
      `[s4]pan=mono|c0=c0-c1,aresample=8000,${end('s16')}[c4]`,
      '[c0][c3]concat=n=2:v=0:a=1,ashowinfo[q0_0]',
      '[c1][c4]concat=n=2:v=0:a=1,ashowinfo[q0_1]',
      '[c2]concat=n=1:v=0:a=1,ashowinfo[q1_0]',
    ]);
    expect(g.movieFilterIndex).toEqual([0, 12, 18]);
    expect(g.outputs).toEqual([
      { label: 'q0_0', path: '/o0.all', like: 0, members: [{ output: 0, counter: 6 }, { output: 3, counter: 24 }], sequence: 0, written: 31 },
      { label: 'q0_1', path: '/o1.all', like: 1, members: [{ output: 1, counter: 11 }, { output: 4, counter: 29 }], sequence: 0, written: 33 },
      { label: 'q1_0', path: '/o2.all', like: 2, members: [{ output: 2, counter: 17 }], sequence: 1, written: 35 },
    ]);
  });
});

describe('runDecodePlan (amovie sources)', () => {
  it('gives byte for byte the plain per-file command, for every source in one process, odd names included', async () => {
    const sources = ['stereo.mp3', 's24.wav', 'aac.m4a', 'long.mp3', ...ODD_NAMES];
    const jobs = sources.map((name, i) => ({
      source: p(name),
      rawPath: p(`graph-${i}.raw`),
      encoding: (i % 2 === 0 ? 'alaw' : 's16le') as 'alaw' | 's16le',
      // One source cut short, as an over-long source is: the cut counts from its first sample, as with -i.
      ...(name === 'long.mp3' ? { maxSeconds: 5.5 } : {}),
    }));
    const plan = buildDecodePlan(jobs, { sampleRate: 8000, channels: 1, soxr, bandLimit: false });
    const run = await runDecodePlan(binary, plan);
    expect(run).toMatchObject({ ok: true, errorText: '', failedInputs: [] });
    // Two sequences (the A-law and the 16-bit outputs) and the capped source on its own.
    expect(decodeGraph(plan).outputs.map((o) => o.members?.length ?? 0)).toEqual([0, 4, 3]);
    for (const [i, job] of jobs.entries()) {
      const ours = run.data?.[i] as Buffer;
      const plain = await plainDecode(job.source, p(`plain-${i}.raw`), job.encoding, job.maxSeconds);
      expect(ours.length, sources[i]).toBeGreaterThan(0);
      expect(ours.equals(plain), `${sources[i]}: ${ours.length} vs ${plain.length} bytes`).toBe(true);
    }
    expect(run.data?.[3]?.length).toBe(5.5 * 8000 * 2);
  });

  it('hands each source of a sequence on as soon as it is written, the last of each at the end, with the bytes of the whole run', async () => {
    const sources = ['stereo.mp3', 's24.wav', 'aac.m4a', ...ODD_NAMES];
    const jobs = sources.map((name, i) => ({ source: p(name), rawPath: p(`early-${i}.raw`), encoding: (i % 2 === 0 ? 'alaw' : 's16le') as 'alaw' | 's16le' }));
    const plan = buildDecodePlan(jobs, { sampleRate: 8000, channels: 1, soxr, bandLimit: false });
    const early = new Map<number, Buffer>();
    const run = await runDecodePlan(binary, plan, {
      onInputReady: (input, data) => {
        expect(data.size).toBe(1);
        early.set(input, [...data.values()][0] as Buffer);
      },
    });
    expect(run.ok, run.errorText).toBe(true);
    // Two sequences (A-law: 0, 2, 4, 6; 16-bit: 1, 3, 5): all but the last of each.
    expect([...early.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(run.delivered).toEqual([0, 1, 2, 3, 4]);
    // What was handed on is not read again; the rest is in run.data.
    expect(run.data?.map((d, i) => (d ? i : -1)).filter((i) => i >= 0)).toEqual([5, 6]);
    const whole = await runDecodePlan(binary, buildDecodePlan(jobs.map((j) => ({ ...j, rawPath: `${j.rawPath}.w` })), { sampleRate: 8000, channels: 1, soxr, bandLimit: false }));
    for (const [i, bytes] of [...early, [5, run.data?.[5] as Buffer] as const, [6, run.data?.[6] as Buffer] as const]) {
      expect(bytes.length, sources[i]).toBeGreaterThan(0);
      expect(bytes.equals(whole.data?.[i] as Buffer), sources[i]).toBe(true);
    }
  });

  it('reads outputs the caller only looks at (transientOutputs) into one reused buffer a slot, with the bytes of the whole run', async () => {
    const sources = ['stereo.mp3', 's24.wav', 'aac.m4a', ...ODD_NAMES];
    const jobs = sources.map((name, i) => ({ source: p(name), rawPath: p(`transient-${i}.raw`), midSide: true }));
    const plan = buildDecodePlan(jobs, { sampleRate: 8000, channels: 1, soxr, bandLimit: false });
    const seen: { input: number; buffer: ArrayBufferLike; copy: Buffer }[] = [];
    const run = await runDecodePlan(binary, plan, {
      transientOutputs: new Set(plan.outputs.map((_, k) => k)),
      onInputReady: (input, data) => {
        const bytes = [...data.values()][0] as Buffer;
        seen.push({ input, buffer: bytes.buffer, copy: Buffer.from(bytes) });
      },
    });
    expect(run.ok, run.errorText).toBe(true);
    expect(seen.length).toBe(sources.length - 1);
    // One buffer for the whole sequence: every source after the first fits the first's.
    expect(new Set(seen.map((s) => s.buffer)).size).toBe(1);
    const whole = await runDecodePlan(binary, buildDecodePlan(jobs.map((j) => ({ ...j, rawPath: `${j.rawPath}.w` })), { sampleRate: 8000, channels: 1, soxr, bandLimit: false }));
    for (const { input, copy } of seen) {
      expect(copy.length, sources[input]).toBeGreaterThan(0);
      expect(copy.equals(whole.data?.[input] as Buffer), sources[input]).toBe(true);
    }
  });

  it('hands a source on only once it is whole, when its slots end at different times (a side signal measured over the first 60 s)', async () => {
    // Stereo sources longer than SIDE_SECONDS: the side slot's concat moves on to the next
    // source at 60 s while the mix is still being written. Handing a source on when the
    // next one's count first shows cut its mix at 65.5 s (one 65,536-sample frame a step).
    const names = ['side-a.mp3', 'side-b.mp3', 'side-c.mp3'];
    await Promise.all(names.map((name, i) => runFfmpeg(['-y', '-f', 'lavfi', '-i', `aevalsrc=${SPEECH}|0.3*sin(2*PI*${300 + 50 * i}*t):s=22050:d=${70 + i}`, '-c:a', 'libmp3lame', '-b:a', '64k', p(name)])));
    const jobs = names.map((name, i) => ({ source: p(name), rawPath: p(`side-${i}.alaw`), encoding: 'alaw' as const, side: { path: p(`side-${i}.side`) } }));
    const plan = buildDecodePlan(jobs, { sampleRate: 8000, channels: 1, soxr, bandLimit: false });
    const early = new Map<number, ReadonlyMap<number, Buffer>>();
    const run = await runDecodePlan(binary, plan, { onInputReady: (input, data) => early.set(input, data) });
    expect(run.ok, run.errorText).toBe(true);
    expect([...early.keys()]).toEqual([0, 1]);
    // The same plan (in other scratch files) cut only once ffmpeg has exited, when every count is final.
    const whole = await runDecodePlan(binary, buildDecodePlan(jobs.map((j) => ({ ...j, rawPath: `${j.rawPath}.w`, side: { path: `${j.side.path}.w` } })), { sampleRate: 8000, channels: 1, soxr, bandLimit: false }));
    expect(whole.ok, whole.errorText).toBe(true);
    for (const [i, name] of names.entries()) {
      const mixOutput = plan.outputs.findIndex((o) => o.inputIndex === i && o.rawPath === jobs[i]?.rawPath);
      const sideOutput = plan.outputs.findIndex((o) => o.inputIndex === i && o.rawPath === jobs[i]?.side.path);
      const mix = early.get(i)?.get(mixOutput) ?? (run.data?.[mixOutput] as Buffer);
      const side = early.get(i)?.get(sideOutput) ?? (run.data?.[sideOutput] as Buffer);
      const plain = await plainDecode(p(name), p(`side-plain-${i}.raw`), 'alaw');
      expect(mix.length, name).toBe(plain.length);
      expect(mix.equals(plain), name).toBe(true);
      // About 60 s of side signal (the resampler's end trims a few samples), as the whole run cut it.
      expect(Math.abs(side.length / 2 - 60 * 8000), name).toBeLessThan(1000);
      expect(side.equals(whole.data?.[sideOutput] as Buffer), name).toBe(true);
      expect(mix.equals(whole.data?.[mixOutput] as Buffer), name).toBe(true);
    }
  }, 60_000);

  it('a mid/side output is, channel by channel, the mono mix and the side signal of the split shape', async () => {
    const sources = ['stereo.mp3', 's24.wav', 'aac.m4a', ODD_NAMES[3] as string];
    const opts = { sampleRate: 8000, channels: 1, soxr, bandLimit: false };
    const ms = buildDecodePlan(sources.map((name, i) => ({ source: p(name), rawPath: p(`ms-${i}.raw`), midSide: true })), opts);
    expect(ms.outputs.map((o) => o.channels)).toEqual([2, 2, 2, 2]);
    const split = buildDecodePlan(sources.map((name, i) => ({ source: p(name), rawPath: p(`split-${i}.raw`), encoding: 'alaw' as const, side: { path: p(`split-${i}.side`) } })), opts);
    const [a, b] = await Promise.all([runDecodePlan(binary, ms), runDecodePlan(binary, split)]);
    expect(a.ok, a.errorText).toBe(true);
    expect(b.ok, b.errorText).toBe(true);
    for (const [i, name] of sources.entries()) {
      const both = a.data?.[i] as Buffer;
      const frames = both.length / 4;
      const mix = new Int16Array(frames);
      const side = new Int16Array(frames);
      for (let k = 0; k < frames; k++) {
        mix[k] = both.readInt16LE(4 * k);
        side[k] = both.readInt16LE(4 * k + 2);
      }
      expect(Buffer.from(encodeAlaw(mix)).equals(b.data?.[2 * i] as Buffer), name).toBe(true);
      expect(Buffer.from(side.buffer).equals(b.data?.[2 * i + 1] as Buffer), name).toBe(true);
      // And the mix is the plain per-file command's.
      expect(Buffer.from(encodeAlaw(mix)).equals(await plainDecode(p(name), p(`ms-plain-${i}.raw`), 'alaw')), name).toBe(true);
    }
  });

  it('names the source a group failed on', async () => {
    const names = ['stereo.mp3', 'no-audio.mp4', 's24.wav'];
    const plan = buildDecodePlan(
      names.map((name, i) => ({ source: p(name), rawPath: p(`fail-${i}.raw`), encoding: 'alaw' as const })),
      { sampleRate: 8000, channels: 1, soxr, bandLimit: false },
    );
    const run = await runDecodePlan(binary, plan);
    expect(run.ok).toBe(false);
    expect(run.failedInputs).toEqual([1]);
  });

  it('explains a single source that fails in ffmpeg\'s usual words (run again as an -i input)', async () => {
    const plan = buildDecodePlan([{ source: p('no-audio.mp4'), rawPath: p('alone.raw'), encoding: 'alaw' }], { sampleRate: 8000, channels: 1, soxr, bandLimit: false });
    const run = await runDecodePlan(binary, plan);
    expect(run.ok).toBe(false);
    expect(run.failedInputs).toEqual([0]);
    expect(run.errorText).toMatch(/matches no streams/);
  });
});
