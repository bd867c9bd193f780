/** RIFF/WAVE parsing and the canonical writer. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAlaw } from '../src/alaw.js';
import { checkWavBytes, checkWavPieces } from '../src/check.js';
import { buildCanonicalWav, CANONICAL_HEADER_BYTES, canonicalWavParts, formatTagName, parseWav } from '../src/wav.js';
import { canonicalPrompt, sineSamples } from './helpers/audio.js';
import { BITEXACT, runFfmpeg } from './helpers/ffmpeg.js';
import { verdict } from './helpers/findings.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { appendChunk, chunkIds, fixRiffSize } from './helpers/wav-edit.js';

const ALAW = { formatTag: 6, sampleRate: 8000, channels: 1, bitsPerSample: 8 };
const clean = { ok: true, errors: [], warnings: [] };
const judge = (bytes: Buffer, fileSize = bytes.length) => {
  const r = checkWavBytes(bytes, fileSize);
  return verdict({ ok: r.errors.length === 0, ...r });
};

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('promptprep-wav-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

describe('buildCanonicalWav', () => {
  const data = encodeAlaw(sineSamples(0.5));
  const wav = buildCanonicalWav(data, ALAW);

  it('writes a 58-byte header: RIFF, WAVE, fmt (18 bytes, tag 6), fact, data', () => {
    expect(CANONICAL_HEADER_BYTES).toBe(58);
    expect(wav.length).toBe(58 + data.length);
    expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('latin1', 8, 12)).toBe('WAVE');
    expect(chunkIds(wav)).toEqual(['fmt ', 'fact', 'data']);
    expect(wav.toString('latin1', 12, 16)).toBe('fmt ');
    expect(wav.readUInt32LE(16)).toBe(18);
    expect(wav.readUInt16LE(20)).toBe(6); // format tag: A-law
    expect(wav.readUInt16LE(22)).toBe(1); // channels
    expect(wav.readUInt32LE(24)).toBe(8000); // sample rate
    expect(wav.readUInt32LE(28)).toBe(8000); // byte rate
    expect(wav.readUInt16LE(32)).toBe(1); // block align
    expect(wav.readUInt16LE(34)).toBe(8); // bits per sample
    expect(wav.readUInt16LE(36)).toBe(0); // cbSize
    expect(wav.toString('latin1', 38, 42)).toBe('fact');
    expect(wav.readUInt32LE(42)).toBe(4);
    expect(wav.readUInt32LE(46)).toBe(data.length); // sample count
    expect(wav.toString('latin1', 50, 54)).toBe('data');
    expect(wav.readUInt32LE(54)).toBe(data.length);
    expect(wav.subarray(58).equals(Buffer.from(data))).toBe(true);
  });

  it('passes checkWavBytes clean', () => {
    const r = checkWavBytes(wav, wav.length);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.stats?.durationSeconds).toBe(0.5);
  });

  it('pads odd data to an even length and still passes clean', () => {
    const odd = buildCanonicalWav(encodeAlaw(sineSamples(0.5).subarray(0, 3999)), ALAW);
    expect(odd.length).toBe(58 + 3999 + 1);
    expect(odd.readUInt32LE(54)).toBe(3999);
    expect(odd.readUInt32LE(4)).toBe(odd.length - 8);
    expect(judge(odd)).toEqual(clean);
  });

  it('is the same bytes ffmpeg writes with -fflags +bitexact from the same samples', async () => {
    const samples = sineSamples(1, 523, -9);
    const raw = path.join(dir, 'tone.raw');
    const out = path.join(dir, 'tone.wav');
    await fs.writeFile(raw, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
    await runFfmpeg(['-f', 's16le', '-ar', '8000', '-ac', '1', '-i', raw, '-c:a', 'pcm_alaw', ...BITEXACT, '-f', 'wav', out]);
    const theirs = await fs.readFile(out);
    expect(buildCanonicalWav(encodeAlaw(samples), ALAW).equals(theirs)).toBe(true);
  });

  it('gives the same bytes for the same audio', () => {
    expect(canonicalPrompt(1).equals(canonicalPrompt(1))).toBe(true);
  });
});

describe('canonicalWavParts (convert writes its output from these, never joined)', () => {
  const codes = encodeAlaw(sineSamples(0.5));
  it.each([
    ['an even length', codes],
    ['an odd length (a pad byte)', codes.subarray(0, 3999)],
    ['a view into a larger buffer at an odd offset', codes.subarray(1, 2002)],
    ['no data at all', codes.subarray(0, 0)],
  ])('with %s: the pieces one after another are buildCanonicalWav byte for byte', (_, data) => {
    const parts = canonicalWavParts(data, ALAW);
    expect(Buffer.concat(parts).equals(buildCanonicalWav(data, ALAW))).toBe(true);
    expect(parts[1]).toBe(data); // the data itself, not a copy
  });

  it("checkWavPieces gives checkWavBytes' verdict and stats on the joined file, clean or not", () => {
    const loud = encodeAlaw(sineSamples(30, 440, 0)); // clipped runs, and over 2,000,000 bytes: too-large
    for (const data of [codes, codes.subarray(0, 3999), loud, new Uint8Array(255 * 8000), codes.subarray(0, 10)]) {
      const parts = canonicalWavParts(data, ALAW);
      const whole = buildCanonicalWav(data, ALAW);
      for (const options of [{}, { maxBytes: 1000 }]) {
        expect(checkWavPieces(parts[0] as Uint8Array, data, whole.length, options)).toEqual(checkWavBytes(whole, whole.length, options));
      }
    }
  });
});

describe('parseWav', () => {
  const wav = canonicalPrompt(0.25);

  it('reads the format, chunks and data of a canonical file', () => {
    const info = parseWav(wav, wav.length);
    expect(info.problems).toEqual([]);
    expect(info.format).toEqual({
      formatTag: 6,
      effectiveFormatTag: 6,
      channels: 1,
      sampleRate: 8000,
      byteRate: 8000,
      blockAlign: 1,
      bitsPerSample: 8,
      fmtSize: 18,
      extraFormatBytes: 0,
      samplesPerBlock: null,
    });
    expect(info.chunkCount).toBe(3);
    expect(info.counts).toEqual({ fmt: 1, fact: 1, data: 1 });
    expect(info.chunks.map((c) => c.id)).toEqual(['fmt ', 'fact', 'data']);
    expect(info.dataOffset).toBe(58);
    expect(info.dataBytesPresent).toBe(2000);
    expect(info.factSampleCount).toBe(2000);
  });

  it('skips an odd-sized chunk and its pad byte', () => {
    const withOdd = appendChunk(wav, 'LIST', Buffer.from('INFOabc'));
    const info = parseWav(withOdd, withOdd.length);
    expect(info.problems).toEqual([]);
    expect(info.chunks.map((c) => [c.id, c.size])).toEqual([
      ['fmt ', 18],
      ['fact', 4],
      ['data', 2000],
      ['LIST', 7],
    ]);
    expect(judge(withOdd)).toEqual({ ok: true, errors: [], warnings: ['extra-chunks'] });
  });

  it('reads the sub-format of WAVE_FORMAT_EXTENSIBLE', () => {
    const fmt = Buffer.alloc(40);
    fmt.writeUInt16LE(0xfffe, 0);
    fmt.writeUInt16LE(1, 2);
    fmt.writeUInt32LE(8000, 4);
    fmt.writeUInt32LE(8000, 8);
    fmt.writeUInt16LE(1, 12);
    fmt.writeUInt16LE(8, 14);
    fmt.writeUInt16LE(22, 16); // cbSize
    fmt.writeUInt16LE(8, 18); // valid bits
    fmt.writeUInt32LE(4, 20); // channel mask
    fmt.writeUInt16LE(6, 24); // sub-format GUID starts with the format tag: A-law
    const data = Buffer.alloc(100, 0xd5);
    let bytes: Buffer = Buffer.from('RIFF\0\0\0\0WAVE', 'latin1');
    bytes = appendChunk(bytes, 'fmt ', fmt);
    bytes = appendChunk(bytes, 'fact', Buffer.from([100, 0, 0, 0]));
    bytes = appendChunk(bytes, 'data', data);
    const info = parseWav(bytes, bytes.length);
    expect(info.format?.formatTag).toBe(0xfffe);
    expect(info.format?.effectiveFormatTag).toBe(6);
    expect(judge(bytes).errors).toEqual([]);
  });

  it('names RIFX and RF64 files', () => {
    const rifx = Buffer.from(wav);
    rifx.write('RIFX', 0, 'latin1');
    expect(parseWav(rifx, rifx.length).problems[0]?.detail).toMatch(/big-endian RIFX/);
    const rf64 = Buffer.from(wav);
    rf64.write('RF64', 0, 'latin1');
    expect(parseWav(rf64, rf64.length).problems[0]?.detail).toMatch(/RF64/);
  });

  it('judges a large file from its header prefix alone', () => {
    // A header declaring 3,000,000 bytes of audio; only the header is in memory.
    const header = Buffer.from(buildCanonicalWav(new Uint8Array(0), ALAW));
    const dataBytes = 3_000_000;
    header.writeUInt32LE(58 - 8 + dataBytes, 4);
    header.writeUInt32LE(dataBytes, 46);
    header.writeUInt32LE(dataBytes, 54);
    const r = checkWavBytes(header, 58 + dataBytes);
    expect(r.errors.map((e) => e.code)).toEqual(['too-large']);
    expect(r.warnings).toEqual([]);
    expect(r.stats).toBeUndefined();
  });

  it('reports a fmt chunk shorter than 16 bytes as truncated', () => {
    const bytes = fixRiffSize(appendChunk(Buffer.from('RIFF\0\0\0\0WAVE', 'latin1'), 'fmt ', Buffer.alloc(10)));
    expect(judge(bytes)).toEqual({ ok: false, errors: ['truncated'], warnings: [] });
  });

  it('reports a RIFF/WAVE file with no chunks as missing both', () => {
    const bytes = fixRiffSize(Buffer.from('RIFF\0\0\0\0WAVE', 'latin1'));
    const info = parseWav(bytes, bytes.length);
    expect(info.problems.map((p) => p.kind)).toEqual(['missing-chunk', 'missing-chunk']);
  });
});

describe('formatTagName', () => {
  it.each([
    [1, 16, 'linear PCM 16-bit'],
    [3, 32, 'IEEE float'],
    [6, 8, 'G.711 A-law'],
    [7, 8, 'G.711 µ-law'],
    [0x55, 0, 'MP3'],
    [0x1234, 8, 'format tag 4660'],
  ])('%i → %s', (tag, bits, name) => {
    expect(formatTagName(tag, bits || undefined)).toBe(name);
  });
});
