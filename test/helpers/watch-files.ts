/**
 * Sources for the watch tests and the measurements made on a watch root afterwards.
 * Most sources are built in-process (fast, and each one's bytes distinct); MP3s are made
 * with real ffmpeg (argument arrays, never a shell).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { encodeAlaw } from '../../src/alaw.js';
import { buildCanonicalWav } from '../../src/wav.js';
import { FFMPEG } from './ffmpeg.js';

const execFileP = promisify(execFile);
/** The run's ffmpeg (test/setup/ffmpeg.ts). */
export const FFMPEG_BIN = FFMPEG;

export interface ToneSpec {
  seconds?: number;
  frequency?: number;
  /** Peak level, dBFS. Default -12. */
  peakDb?: number;
  rate?: number;
  /** Sets the tone's phase (and a little dither), so two sources with the same tone differ. */
  seed?: number;
}

function samples(s: ToneSpec): Int16Array {
  const rate = s.rate ?? 16000;
  const n = Math.round((s.seconds ?? 1) * rate);
  const amp = 32767 * Math.pow(10, (s.peakDb ?? -12) / 20);
  const f = s.frequency ?? 440;
  const phase = ((s.seed ?? 0) * 0.6180339887) % (2 * Math.PI);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * f * i) / rate + phase));
  // A tiny deterministic dither from the seed: distinct bytes, inaudible.
  let x = (s.seed ?? 0) * 2654435761 + 1;
  for (let i = 0; i < Math.min(n, 64); i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = (out[i] as number) + ((x >> 16) % 7) - 3;
  }
  return out;
}

/** A 16-bit PCM mono WAV (needs ffmpeg to become a prompt: resampled unless rate is 8000). */
export function pcmWav(s: ToneSpec = {}): Buffer {
  const rate = s.rate ?? 16000;
  const pcm = samples(s);
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** A conforming A-law 8 kHz WAV (promptprep copies its data, no ffmpeg). */
export function alawWav(s: ToneSpec = {}): Buffer {
  return buildCanonicalWav(encodeAlaw(samples({ ...s, rate: 8000 })), { formatTag: 6, sampleRate: 8000, channels: 1, bitsPerSample: 8 });
}

/** Bytes that no decoder reads as audio. */
export function notAudio(seed = 1): Buffer {
  const text = `This is a meeting note, not a recording (${seed}).\n`.repeat(200);
  return Buffer.from(text, 'utf8');
}

async function ffmpeg(args: string[]): Promise<Buffer> {
  const { stdout } = await execFileP(FFMPEG_BIN, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  return Buffer.from(stdout);
}

/** An MP3 of a tone, made by ffmpeg into `out`. */
export async function makeMp3(out: string, seconds: number, frequency = 440): Promise<string> {
  await ffmpeg([
    '-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=16000:duration=${seconds}`,
    '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '32k', '-fflags', '+bitexact', '-flags:a', '+bitexact', out,
  ]);
  return out;
}

/** Samples ffmpeg decodes from `file` at 8 kHz mono (to measure a source's real length). */
export async function decodedSamples8k(file: string): Promise<number> {
  const raw = await ffmpeg(['-i', `file:${path.resolve(file)}`, '-ac', '1', '-ar', '8000', '-f', 's16le', '-']);
  return raw.length / 2;
}

/** Seconds of audio in a prompt (A-law, 8000 bytes a second), from its data chunk, read by hand. */
export function promptSeconds(wav: Buffer): number {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let off = 12;
  while (off + 8 <= wav.length) {
    const id = wav.toString('ascii', off, off + 4);
    const size = wav.readUInt32LE(off + 4);
    if (id === 'data') return Math.min(size, wav.length - off - 8) / 8000;
    off += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256Of(file: string): Promise<string> {
  return sha256(await fs.readFile(file));
}

/** Write `data` to `file` in `chunks` pieces, `gapMs` apart, through one open handle (a slow copy). */
export async function writeSlowly(file: string, data: Buffer, chunks: number, gapMs: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const handle = await fs.open(file, 'w');
  try {
    const size = Math.ceil(data.length / chunks);
    for (let i = 0; i < chunks; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
      await handle.write(data.subarray(i * size, Math.min(data.length, (i + 1) * size)));
    }
  } finally {
    await handle.close();
  }
}

/** Write a file (creating folders). */
export async function put(file: string, data: Buffer | string): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, data);
  return file;
}

/** Every file under `dir` (hidden ones included), relative with '/', sorted; [] when missing. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), r);
      else out.push(r);
    }
  }
  await walk(dir, '');
  return out.sort();
}

/** sha256 → relative paths, over every file under `dir`. */
export async function hashesUnder(dir: string): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  for (const rel of await filesUnder(dir)) {
    const h = await sha256Of(path.join(dir, rel));
    map.set(h, [...(map.get(h) ?? []), rel]);
  }
  return map;
}

export async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Files in ready/ that are neither prompts nor their stats records: partial writes,
 * hidden temporaries, anything else.
 */
export async function strayInReady(ready: string): Promise<string[]> {
  return (await filesUnder(ready)).filter((rel) => {
    const parts = rel.split('/');
    const name = parts[parts.length - 1] as string;
    const inStats = parts.length >= 2 && parts[parts.length - 2] === '.promptprep';
    if (inStats) return !/^[^.].*\.wav\.json$/.test(name) || parts.slice(0, -2).some((p) => p.startsWith('.'));
    return name.startsWith('.') || !name.endsWith('.wav') || parts.some((p) => p.startsWith('.'));
  });
}
