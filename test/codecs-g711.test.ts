/**
 * The in-process encoders against ffmpeg's own, byte for byte: µ-law (pcm_mulaw), A-law
 * (pcm_alaw) and 16-bit PCM (pcm_s16le), over every 16-bit input and over real audio
 * decoded and resampled the way convert does it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMulaw, encodeAlaw, encodeMulaw, MULAW_DECODE } from '../src/codecs/g711.js';
import { decodePcm16, encodePcm16 } from '../src/codecs/pcm16.js';
import { filterChain } from '../src/decode-plan.js';
import { ffmpegFeatures, locateFfmpeg } from '../src/ffmpeg.js';
import { runFfmpeg } from './helpers/ffmpeg.js';
import { codec, inParallel, makeSource, speechExpr, toneExpr } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
const at = (name: string): string => path.join(dir, name);

/** Every 16-bit sample value, -32768 to 32767. */
function ramp(): Int16Array {
  const out = new Int16Array(65536);
  for (let i = 0; i < 65536; i++) out[i] = i - 32768;
  return out;
}

/** Little-endian bytes written one by one: the reference does not lean on encodePcm16. */
function s16le(samples: Int16Array): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  return b;
}

const asBuffer = (a: Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Index of the first differing byte, and the bytes there, or null when equal. */
function firstDifference(ours: Buffer, theirs: Buffer): { at: number; ours?: number; theirs?: number } | null {
  if (ours.equals(theirs)) return null;
  const n = Math.min(ours.length, theirs.length);
  let i = 0;
  while (i < n && ours[i] === theirs[i]) i++;
  return { at: i, ours: ours[i], theirs: theirs[i] };
}

/** Real sources of several kinds, decoded by convert's own filter chain. */
const SOURCES = [
  { name: 'speech-48k-f32.wav', spec: { rate: 48000, codec: codec('f32'), expr: speechExpr(-22), seconds: 2 } },
  { name: 'speech-44k-stereo.flac', spec: { rate: 44100, channels: 2, codec: codec('flac'), expr: speechExpr(-12), seconds: 1.5 } },
  { name: 'tone-16k.mp3', spec: { rate: 16000, codec: codec('mp3'), expr: toneExpr(1000, -6), seconds: 1 } },
  { name: 'loud-22k.ogg', spec: { rate: 22050, codec: codec('vorbis'), expr: toneExpr(300, -1), seconds: 1 } },
];

beforeAll(async () => {
  dir = await makeTempDir('promptprep-codecs-g711-');
  await fs.writeFile(at('ramp.s16'), s16le(ramp()));
  await inParallel([
    () => runFfmpeg(['-f', 's16le', '-ar', '8000', '-ac', '1', '-i', at('ramp.s16'), '-c:a', 'pcm_mulaw', '-f', 'mulaw', at('ramp.ulaw')]),
    () => runFfmpeg(['-f', 's16le', '-ar', '8000', '-ac', '1', '-i', at('ramp.s16'), '-c:a', 'pcm_alaw', '-f', 'alaw', at('ramp.alaw')]),
    ...SOURCES.map((s) => () => makeSource(at(s.name), s.spec)),
  ]);
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('µ-law: encodeMulaw', () => {
  it('is byte-identical to ffmpeg pcm_mulaw over all 65,536 16-bit inputs', async () => {
    const theirs = await fs.readFile(at('ramp.ulaw'));
    expect(theirs.length).toBe(65536);
    expect(firstDifference(asBuffer(encodeMulaw(ramp())), theirs)).toBeNull();
  });

  it('decodes every code as ffmpeg pcm_mulaw decodes it', async () => {
    const codes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await fs.writeFile(at('codes.ulaw'), codes);
    await runFfmpeg(['-f', 'mulaw', '-ar', '8000', '-ac', '1', '-i', at('codes.ulaw'), '-f', 's16le', at('codes-ulaw.s16')]);
    const theirs = await fs.readFile(at('codes-ulaw.s16'));
    expect(firstDifference(s16le(decodeMulaw(codes)), theirs)).toBeNull();
    expect(MULAW_DECODE[0xff]).toBe(0);
    expect(MULAW_DECODE[0x00]).toBe(-32124);
  });

  it('round-trips: every code decodes to a value that encodes back to the same code (0x7f: -0 goes to +0)', () => {
    const back = encodeMulaw(MULAW_DECODE);
    const moved = [...back].map((c, i) => [i, c] as const).filter(([i, c]) => i !== c);
    // µ-law has two zeros (0x7f = -0, 0xff = +0); 16-bit 0 can only be one of them.
    expect(moved).toEqual([[0x7f, 0xff]]);
  });
});

describe('A-law and 16-bit PCM: the other in-process encoders', () => {
  it('encodeAlaw is byte-identical to ffmpeg pcm_alaw over all 65,536 inputs', async () => {
    expect(firstDifference(asBuffer(encodeAlaw(ramp())), await fs.readFile(at('ramp.alaw')))).toBeNull();
  });

  it('encodePcm16 is ffmpeg pcm_s16le (little-endian) over all 65,536 inputs, and decodePcm16 undoes it', async () => {
    const ours = asBuffer(encodePcm16(ramp()));
    expect(firstDifference(ours, await fs.readFile(at('ramp.s16')))).toBeNull();
    expect(decodePcm16(ours)).toEqual(ramp());
  });

  it('encodePcm16 of a view into a larger buffer encodes the view only', () => {
    const big = ramp();
    const view = big.subarray(100, 103);
    expect([...encodePcm16(view)]).toEqual([...s16le(view)]);
  });
});

describe('over real audio, decoded and resampled as convert does it', () => {
  it.each(SOURCES.map((s) => [s.name]))('%s: our µ-law, A-law and PCM16 of ffmpeg\'s 16-bit decode are ffmpeg\'s own encodes', async (name) => {
    const binary = await locateFfmpeg();
    const { soxr } = await ffmpegFeatures(binary);
    const af = filterChain({ sampleRate: 8000, channels: 1, soxr, bandLimit: false }).join(',');
    const base = at(name.replace(/\W/g, '_'));
    // One decode, four encodes in the same ffmpeg run: the encoders see the same samples.
    const outputs = [
      ['pcm_s16le', 's16le', `${base}.s16`],
      ['pcm_mulaw', 'mulaw', `${base}.ulaw`],
      ['pcm_alaw', 'alaw', `${base}.alaw`],
    ] as const;
    await runFfmpeg(['-i', at(name), ...outputs.flatMap(([c, f, out]) => ['-map', '0:a:0', '-af', af, '-ac', '1', '-ar', '8000', '-c:a', c, '-f', f, out])]);
    const raw = await fs.readFile(`${base}.s16`);
    expect(raw.length, name).toBeGreaterThan(8000);
    const samples = decodePcm16(raw);
    expect(firstDifference(asBuffer(encodeMulaw(samples)), await fs.readFile(`${base}.ulaw`)), `${name} µ-law`).toBeNull();
    expect(firstDifference(asBuffer(encodeAlaw(samples)), await fs.readFile(`${base}.alaw`)), `${name} A-law`).toBeNull();
    expect(firstDifference(asBuffer(encodePcm16(samples)), raw), `${name} PCM16`).toBeNull();
  });
});
