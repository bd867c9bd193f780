/**
 * Sources for the `convert` tests, made with real ffmpeg (argument arrays, never a
 * shell), and the measurements the tests make on what convert wrote. The header check
 * reads bytes by hand, independent of src/wav.ts, so the writer is not judged by itself.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { decodeAlaw } from '../../src/alaw.js';
import { analyzeSamples, type AudioStats } from '../../src/audio-analysis.js';
import { BITEXACT, FFMPEG, leadFilter, runFfmpeg, tailFilter } from './ffmpeg.js';

const execFileP = promisify(execFile);

/**
 * A speech-like signal: a 150 Hz voice with four harmonics (phases chosen for a low crest
 * factor, about 5 dB), in syllables at 2.5 Hz with pauses between them. At amplitude 0.3
 * its active level (20 ms frames within 35 dB of the loudest) is about -11.4 dBFS.
 */
const SPEECH_BODY =
  '(sin(2*PI*150*t)+0.6*sin(2*PI*300*t+2.1)+0.5*sin(2*PI*450*t+0.7)+0.3*sin(2*PI*750*t+4))*clip(10*sin(2*PI*2.5*t)\\,0\\,1)';
const SPEECH_ACTIVE_DB_AT_03 = -11.36;

/** aevalsrc expression of speech-like audio at about `activeDb` dBFS active level. */
export function speechExpr(activeDb: number): string {
  const amp = 0.3 * Math.pow(10, (activeDb - SPEECH_ACTIVE_DB_AT_03) / 20);
  return `${amp.toFixed(6)}*${SPEECH_BODY}`;
}

/** aevalsrc expression of a sine whose RMS is `rmsDb` dBFS. */
export function toneExpr(frequency: number, rmsDb: number): string {
  const amp = Math.SQRT2 * Math.pow(10, rmsDb / 20);
  return `${amp.toFixed(6)}*sin(2*PI*${frequency}*t)`;
}

export interface SourceSpec {
  /** Seconds of signal. Default 1. */
  seconds?: number;
  /** aevalsrc expression (one channel, copied to all channels). Default a 440 Hz tone at -18 dBFS RMS. */
  expr?: string;
  /** Sample rate generated and written. Default 16000. */
  rate?: number;
  /** Channel count written. Default 1. */
  channels?: number;
  /** Channel layout of the generator, e.g. "5.1" (then `expr` goes to every channel). */
  layout?: string;
  /** Encoder and its options, e.g. ['-c:a', 'libmp3lame', '-b:a', '32k']. Default 16-bit PCM. */
  codec?: string[];
  /** Container (ffmpeg -f). Default from the file extension. */
  format?: string;
  /** Silence before and after the signal, seconds. */
  leadSeconds?: number;
  tailSeconds?: number;
  /** Bitexact muxing (no LIST/INFO chunk, no encoder tag). Default true. */
  bitexact?: boolean;
  /** A video stream too: the audio track of a video file. */
  video?: boolean;
}

/** Make one source file with real ffmpeg; returns `out`. */
export async function makeSource(out: string, s: SourceSpec = {}): Promise<string> {
  const rate = s.rate ?? 16000;
  const seconds = s.seconds ?? 1;
  const expr = s.expr ?? toneExpr(440, -18);
  // Every channel carries the same signal at the same level (ffmpeg's -ac upmix would
  // lower it by 3 dB), so a faithful downmix keeps the level.
  const layout = s.layout ?? (s.channels === 2 ? 'stereo' : undefined);
  const count = layout === '5.1' ? 6 : layout === 'stereo' ? 2 : 1;
  const exprs = Array(count).fill(expr).join('|');
  const args: string[] = ['-f', 'lavfi', '-i', `aevalsrc=exprs=${exprs}:s=${rate}:d=${seconds}${layout ? `:c=${layout}` : ''}`];
  if (s.video) args.push('-f', 'lavfi', '-i', `testsrc=d=${seconds}:s=64x48:r=10`);
  const filters: string[] = [];
  if (s.leadSeconds) filters.push(leadFilter(s.leadSeconds, count));
  if (s.tailSeconds) filters.push(tailFilter(s.tailSeconds, rate));
  if (filters.length > 0) args.push('-af', filters.join(','));
  if (s.video) args.push('-map', '1:v', '-map', '0:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (!layout) args.push('-ac', String(s.channels ?? 1));
  args.push('-ar', String(rate), ...(s.codec ?? ['-c:a', 'pcm_s16le']));
  if (s.bitexact ?? true) args.push(...BITEXACT);
  if (s.format) args.push('-f', s.format);
  args.push(out);
  await runFfmpeg(args);
  return out;
}

/** A video file with no audio track (libx264 testsrc). */
export async function makeVideoOnly(out: string, seconds = 1): Promise<string> {
  await runFfmpeg(['-f', 'lavfi', '-i', `testsrc=d=${seconds}:s=64x48:r=10`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', out]);
  return out;
}

/** Decode any source with ffmpeg to 16-bit mono at `rate` (plain, for measuring sources). */
export async function decodeWithFfmpeg(file: string, rate = 8000): Promise<Int16Array> {
  const { stdout } = await execFileP(
    FFMPEG,
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', `file:${path.resolve(file)}`, '-ac', '1', '-ar', String(rate), '-f', 's16le', '-'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const buf = Buffer.from(stdout);
  return new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1);
}

/** The exact canonical header promptprep promises, checked byte by byte; returns the A-law data. */
export function expectCanonicalPrompt(bytes: Buffer, label = ''): Buffer {
  const at = label ? ` (${label})` : '';
  expect(bytes.length, `file too short${at}`).toBeGreaterThanOrEqual(58);
  const dataSize = bytes.readUInt32LE(54);
  const pad = dataSize & 1;
  const header = {
    riff: bytes.toString('latin1', 0, 4),
    riffSize: bytes.readUInt32LE(4),
    wave: bytes.toString('latin1', 8, 12),
    fmtId: bytes.toString('latin1', 12, 16),
    fmtSize: bytes.readUInt32LE(16),
    formatTag: bytes.readUInt16LE(20),
    channels: bytes.readUInt16LE(22),
    sampleRate: bytes.readUInt32LE(24),
    byteRate: bytes.readUInt32LE(28),
    blockAlign: bytes.readUInt16LE(32),
    bitsPerSample: bytes.readUInt16LE(34),
    cbSize: bytes.readUInt16LE(36),
    factId: bytes.toString('latin1', 38, 42),
    factSize: bytes.readUInt32LE(42),
    factSamples: bytes.readUInt32LE(46),
    dataId: bytes.toString('latin1', 50, 54),
    fileSize: bytes.length,
  };
  expect(header, `canonical header${at}`).toEqual({
    riff: 'RIFF',
    riffSize: bytes.length - 8,
    wave: 'WAVE',
    fmtId: 'fmt ',
    fmtSize: 18,
    formatTag: 6,
    channels: 1,
    sampleRate: 8000,
    byteRate: 8000,
    blockAlign: 1,
    bitsPerSample: 8,
    cbSize: 0,
    factId: 'fact',
    factSize: 4,
    factSamples: dataSize,
    dataId: 'data',
    // data runs to the end of the file (plus one pad byte for an odd size): nothing after it
    fileSize: 58 + dataSize + pad,
  });
  return bytes.subarray(58, 58 + dataSize);
}

export interface Prompt {
  bytes: Buffer;
  data: Buffer;
  samples: Int16Array;
  seconds: number;
  stats: AudioStats;
}

/** Read an output of convert: canonical header asserted, A-law decoded and measured. */
export async function readPrompt(file: string): Promise<Prompt> {
  const bytes = await fs.readFile(file);
  const data = expectCanonicalPrompt(bytes, path.basename(file));
  const samples = decodeAlaw(data);
  return { bytes, data, samples, seconds: samples.length / 8000, stats: analyzeSamples(samples, 8000) };
}

/** RMS of samples[from, to) in dBFS. */
export function rmsDb(samples: Int16Array, from = 0, to = samples.length): number {
  let sq = 0;
  for (let i = from; i < to; i++) sq += (samples[i] as number) ** 2;
  return 20 * Math.log10(Math.sqrt(sq / Math.max(1, to - from)) / 32768);
}

/** Every path under `dir` (hidden ones included), relative, sorted; [] when `dir` is missing. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string): Promise<void> {
    let names: string[];
    try {
      names = await fs.readdir(d);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = await fs.lstat(path.join(d, name));
      if (st.isDirectory()) {
        out.push(`${r}/`);
        await walk(path.join(d, name), r);
      } else {
        out.push(r);
      }
    }
  }
  await walk(dir, '');
  return out;
}

export async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/** Run `tasks` with at most `n` at once (ffmpeg source generation in beforeAll). */
export async function inParallel(tasks: (() => Promise<unknown>)[], n = 2): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        await tasks[i]!();
      }
    }),
  );
}

/** Codec arguments for the kinds of source the tests use. */
export const CODECS = {
  mp3: ['-c:a', 'libmp3lame', '-b:a', '48k'],
  flac: ['-c:a', 'flac'],
  opus: ['-c:a', 'libopus', '-b:a', '32k'],
  vorbis: ['-c:a', 'libvorbis', '-q:a', '2'],
  aac: ['-c:a', 'aac', '-b:a', '48k'],
  s16: ['-c:a', 'pcm_s16le'],
  s24: ['-c:a', 'pcm_s24le'],
  f32: ['-c:a', 'pcm_f32le'],
  mulaw: ['-c:a', 'pcm_mulaw'],
  alaw: ['-c:a', 'pcm_alaw'],
} as const satisfies Record<string, readonly string[]>;

export const codec = (k: keyof typeof CODECS): string[] => [...CODECS[k]];
