/**
 * The desk's audio: a prompt's A-law served as 16-bit PCM WAV, and source files, both with
 * HTTP range requests (what a browser's player sends to seek).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAlaw } from '../src/alaw.js';
import { decideRange, pcmWavRange, PREVIEW_CHUNK_BYTES, sendAlawPreview, sendFileRange, WAV_HEADER_BYTES, type RangeReply } from '../src/desk/audio-preview.js';
import { decodeWithFfmpeg } from './helpers/convert-audio.js';
import { runFfmpeg } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let codes: Uint8Array;
let whole: Buffer;

beforeAll(async () => {
  dir = await makeTempDir('promptprep-preview-');
  // 1.5 s of A-law made by ffmpeg: 12,000 codes, a 24,044-byte WAV once decoded.
  const raw = path.join(dir, 'prompt.alaw');
  await runFfmpeg(['-f', 'lavfi', '-i', 'aevalsrc=exprs=0.4*sin(2*PI*440*t)*(1+sin(2*PI*3*t))/2:s=8000:d=1.5', '-c:a', 'pcm_alaw', '-f', 'alaw', raw]);
  codes = new Uint8Array(await fs.readFile(raw));
  whole = pcmWavRange(codes, 8000, undefined).body;
});
afterAll(async () => {
  await removeTempDir(dir);
});

/** A reply that records what was sent (the shape fastify's reply has). */
class Recorded implements RangeReply {
  status = 0;
  headers: Record<string, string> = {};
  payload: unknown;
  code(s: number): this {
    this.status = s;
    return this;
  }
  header(k: string, v: string | number): this {
    this.headers[k.toLowerCase()] = String(v);
    return this;
  }
  send(p?: unknown): this {
    this.payload = p;
    return this;
  }
  async body(): Promise<Buffer> {
    const p = this.payload;
    if (Buffer.isBuffer(p)) return p;
    const chunks: Buffer[] = [];
    for await (const c of p as Readable) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
}

describe('the prompt as 16-bit PCM WAV', () => {
  it('is a WAV ffmpeg reads back to exactly the samples the A-law codes decode to', async () => {
    expect(whole.length).toBe(WAV_HEADER_BYTES + codes.length * 2);
    const file = path.join(dir, 'served.wav');
    await fs.writeFile(file, whole);
    expect(whole.toString('latin1', 0, 4) + whole.toString('latin1', 8, 16)).toBe('RIFFWAVEfmt ');
    // PCM, mono, 8000 Hz, 16,000 bytes/s, block 2, 16 bits; data of 24,000 bytes.
    expect([whole.readUInt16LE(20), whole.readUInt16LE(22), whole.readUInt32LE(24), whole.readUInt32LE(28), whole.readUInt16LE(32), whole.readUInt16LE(34)]).toEqual([1, 1, 8000, 16000, 2, 16]);
    expect([whole.toString('latin1', 36, 40), whole.readUInt32LE(40), whole.readUInt32LE(4)]).toEqual(['data', 24_000, 24_036]);
    expect(Array.from(await decodeWithFfmpeg(file))).toEqual(Array.from(decodeAlaw(codes)));
  });

  it('answers ranges with 206, Content-Range and exactly those bytes, wherever they start and end', () => {
    const total = whole.length;
    const cases: [string, number, number][] = [
      ['bytes=0-0', 0, 0],
      ['bytes=0-43', 0, 43], // the header alone
      ['bytes=40-47', 40, 47], // header into data
      ['bytes=44-45', 44, 45], // the first sample
      ['bytes=45-46', 45, 46], // across two samples, starting mid-sample
      ['bytes=1001-', 1001, total - 1],
      ['bytes=-1', total - 1, total - 1],
      ['bytes=-100', total - 100, total - 1],
      [`bytes=100-${total + 5000}`, 100, total - 1], // an end past the end is clamped
      [`bytes=-${total * 2}`, 0, total - 1], // a suffix longer than the whole is the whole
      ['bytes=0-', 0, total - 1],
    ];
    for (const [header, start, end] of cases) {
      const part = pcmWavRange(codes, 8000, header);
      expect(part.status, header).toBe(206);
      expect(part.headers['content-range'], header).toBe(`bytes ${start}-${end}/${total}`);
      expect(part.headers['content-length'], header).toBe(String(end - start + 1));
      expect(part.headers['accept-ranges']).toBe('bytes');
      expect(part.body.equals(whole.subarray(start, end + 1)), header).toBe(true);
    }
    // Many odd ranges, against slices of the whole.
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let k = 0; k < 300; k++) {
      const a = rnd(total);
      const b = a + rnd(total - a);
      expect(pcmWavRange(codes, 8000, `bytes=${a}-${b}`).body.equals(whole.subarray(a, b + 1)), `bytes=${a}-${b}`).toBe(true);
    }
  });

  it('answers 416 with the size for a range past the end, and ignores ranges it does not serve', () => {
    const total = whole.length;
    for (const header of [`bytes=${total}-`, `bytes=${total + 10}-${total + 20}`, 'bytes=-0']) {
      const part = pcmWavRange(codes, 8000, header);
      expect(part.status, header).toBe(416);
      expect(part.headers['content-range']).toBe(`bytes */${total}`);
      expect(part.body.length).toBe(0);
    }
    // Malformed, another unit, several ranges: the whole file, 200 (RFC 9110 lets a server ignore Range).
    for (const header of ['bytes=abc', 'bytes=1-2-3', 'items=0-10', 'bytes=0-1,10-20', '']) {
      const part = pcmWavRange(codes, 8000, header);
      expect(part.status, header).toBe(200);
      expect(part.headers['content-range']).toBeUndefined();
      expect(part.body.equals(whole), header).toBe(true);
    }
    expect(decideRange(undefined, 10)).toEqual({ status: 200, start: 0, end: 9, total: 10 });
  });

  it('sendAlawPreview sets the status, headers and body on the reply', () => {
    const r = sendAlawPreview({ headers: { range: 'bytes=44-1043' } }, new Recorded(), codes, 8000);
    expect(r.status).toBe(206);
    expect(r.headers).toMatchObject({ 'content-type': 'audio/wav', 'accept-ranges': 'bytes', 'content-length': '1000', 'content-range': `bytes 44-1043/${whole.length}` });
    expect((r.payload as Buffer).equals(whole.subarray(44, 1044))).toBe(true);
    const full = sendAlawPreview({ headers: {} }, new Recorded(), codes, 8000);
    expect(full.status).toBe(200);
    expect(full.headers['content-length']).toBe(String(whole.length));
  });

  it('streams a long answer a chunk at a time, byte for byte the same as decoding it at once', async () => {
    // 12 s: a 192 KB answer, three chunks and a bit.
    const long = new Uint8Array(codes.length * 8);
    for (let k = 0; k < 8; k++) long.set(codes, k * codes.length);
    const all = pcmWavRange(long, 8000, undefined).body;
    expect(all.length).toBeGreaterThan(PREVIEW_CHUNK_BYTES * 2);
    for (const [range, start, end] of [[undefined, 0, all.length - 1], ['bytes=1001-150000', 1001, 150000], [`bytes=${PREVIEW_CHUNK_BYTES - 1}-`, PREVIEW_CHUNK_BYTES - 1, all.length - 1]] as const) {
      const r = sendAlawPreview({ headers: { range } }, new Recorded(), long, 8000);
      expect(Buffer.isBuffer(r.payload), String(range)).toBe(false);
      const body = await r.body();
      expect(r.headers['content-length']).toBe(String(end - start + 1));
      expect(body.equals(all.subarray(start, end + 1)), String(range)).toBe(true);
    }
  });
});

describe('a source file with ranges', () => {
  it('streams the bytes asked for, the whole file without a Range, 416 past the end', async () => {
    const file = path.join(dir, '-source.mp3');
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff));
    await fs.writeFile(file, bytes);

    const part = await sendFileRange({ headers: { range: 'bytes=100-199' } }, new Recorded(), file);
    expect(part.status).toBe(206);
    expect(part.headers).toMatchObject({ 'content-type': 'audio/mpeg', 'content-range': 'bytes 100-199/5000', 'content-length': '100', 'accept-ranges': 'bytes' });
    expect((await part.body()).equals(bytes.subarray(100, 200))).toBe(true);

    const all = await sendFileRange({ headers: {} }, new Recorded(), file);
    expect(all.status).toBe(200);
    expect((await all.body()).equals(bytes)).toBe(true);

    const past = await sendFileRange({ headers: { range: 'bytes=5000-' } }, new Recorded(), file);
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */5000');
  });

  it('answers 404 naming only the file, when the source is gone', async () => {
    const gone = await sendFileRange({ headers: {} }, new Recorded(), path.join(dir, 'missing', 'greeting.wav'));
    expect(gone.status).toBe(404);
    expect(gone.payload).toEqual({ error: 'the source greeting.wav is no longer on disk' });
    expect(JSON.stringify(gone.payload)).not.toContain(dir);
  });
});
