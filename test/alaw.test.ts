/** In-process G.711 A-law against ffmpeg's pcm_alaw, over every possible input. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALAW_DECODE, decodeAlaw, encodeAlaw, encodeAlawChannel } from '../src/alaw.js';
import { runFfmpeg } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;

beforeAll(async () => {
  dir = await makeTempDir('promptprep-alaw-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

/** Every 16-bit sample value, -32768 to 32767. */
function ramp(): Int16Array {
  const out = new Int16Array(65536);
  for (let i = 0; i < 65536; i++) out[i] = i - 32768;
  return out;
}

const asBuffer = (a: Int16Array | Uint8Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('encodeAlaw', () => {
  it('is byte-identical to ffmpeg pcm_alaw over all 65536 16-bit inputs', async () => {
    const samples = ramp();
    const raw = path.join(dir, 'ramp.raw');
    const out = path.join(dir, 'ramp.alaw');
    // s16le on disk: Int16Array is little-endian on every platform Node runs on; write explicitly anyway.
    const le = Buffer.alloc(samples.length * 2);
    samples.forEach((s, i) => le.writeInt16LE(s, i * 2));
    await fs.writeFile(raw, le);
    await runFfmpeg(['-f', 's16le', '-ar', '8000', '-ac', '1', '-i', raw, '-c:a', 'pcm_alaw', '-f', 'alaw', out]);
    const theirs = await fs.readFile(out);
    const ours = asBuffer(encodeAlaw(samples));
    expect(theirs.length).toBe(65536);
    const firstDiff = ours.findIndex((b, i) => b !== theirs[i]);
    expect(firstDiff, firstDiff >= 0 ? `first difference at sample ${firstDiff - 32768}` : '').toBe(-1);
    expect(ours.equals(theirs)).toBe(true);
  });

  it('encodeAlawChannel encodes one channel of interleaved samples as encodeAlaw encodes it alone', () => {
    const left = ramp();
    const right = left.map((v) => -v - 1);
    const both = new Int16Array(2 * left.length);
    left.forEach((v, i) => {
      both[2 * i] = v;
      both[2 * i + 1] = right[i] as number;
    });
    expect(asBuffer(encodeAlawChannel(both, 2, 0)).equals(asBuffer(encodeAlaw(left)))).toBe(true);
    expect(asBuffer(encodeAlawChannel(both, 2, 1)).equals(asBuffer(encodeAlaw(right)))).toBe(true);
  });

  it('maps silence to 0xD5 and the extremes to the largest codes', () => {
    expect([...encodeAlaw(Int16Array.of(0, -32768, 32767))]).toEqual([0xd5, 0x2a, 0xaa]);
  });

  it('re-encodes every decoded code to itself', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect([...encodeAlaw(decodeAlaw(codes))]).toEqual([...codes]);
  });

  it('handles an empty input', () => {
    expect(encodeAlaw(new Int16Array(0))).toHaveLength(0);
  });
});

describe('decodeAlaw', () => {
  it('is identical to ffmpeg pcm_alaw decoding for all 256 codes', async () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const inFile = path.join(dir, 'codes.alaw');
    const out = path.join(dir, 'codes.raw');
    await fs.writeFile(inFile, codes);
    await runFfmpeg(['-f', 'alaw', '-ar', '8000', '-ac', '1', '-i', inFile, '-c:a', 'pcm_s16le', '-f', 's16le', out]);
    const bytes = await fs.readFile(out);
    const theirs = Array.from({ length: 256 }, (_, i) => bytes.readInt16LE(i * 2));
    expect([...decodeAlaw(codes)]).toEqual(theirs);
    expect([...ALAW_DECODE]).toEqual(theirs);
  });

  it('decodes to a symmetric set whose largest magnitude is 32256', () => {
    const values = [...ALAW_DECODE];
    expect(Math.max(...values)).toBe(32256);
    expect(Math.min(...values)).toBe(-32256);
    for (let i = 0; i < 128; i++) expect(ALAW_DECODE[i]).toBe(-(ALAW_DECODE[i ^ 0x80] as number));
  });
});
