/**
 * Audio for the desk's player, with HTTP range requests so that seeking works.
 *
 * A prompt is heard as the platform will hear it: its A-law codes decoded in-process and
 * served as 16-bit PCM WAV, because browsers do not play A-law WAV reliably. Only the
 * bytes asked for are decoded, so a seek into a 250 s prompt costs the size of the reply,
 * not of the prompt. Sources are served as they are on disk, by a path the server looked
 * up in the ledger: nothing here takes a path from a request.
 *
 * Works with fastify's request and reply, and with anything shaped like them.
 */
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import parseRange from 'range-parser';
import { ALAW_DECODE } from '../alaw.js';

/** The parts of a request these functions read (a FastifyRequest has them). */
export interface RangeRequest {
  headers: { range?: string | undefined };
}

/** The parts of a reply these functions use (a FastifyReply has them). */
export interface RangeReply {
  code(statusCode: number): unknown;
  header(name: string, value: string | number): unknown;
  send(payload?: unknown): unknown;
}

/** Which bytes of a representation of `total` bytes to send, and with which status. */
export type RangeDecision =
  | { status: 200; start: 0; end: number; total: number }
  | { status: 206; start: number; end: number; total: number }
  | { status: 416; total: number };

/**
 * Decide a Range header (RFC 9110 §14) for a representation of `total` bytes. `end` is
 * inclusive. A header that is absent, malformed, in another unit or asks for several
 * ranges is ignored (200 with everything), as the RFC allows: media players ask for one
 * range at a time, and multipart replies would be code for no client. A range wholly
 * past the end is 416.
 */
export function decideRange(rangeHeader: string | undefined, total: number): RangeDecision {
  const all = { status: 200 as const, start: 0 as const, end: total - 1, total };
  if (rangeHeader === undefined || rangeHeader === '') return all;
  const ranges = parseRange(total, rangeHeader);
  if (ranges === -2) return all;
  if (ranges === -1) {
    // range-parser refuses a suffix longer than the whole; the RFC gives the whole.
    const suffix = /^\s*bytes\s*=\s*-\s*(\d+)\s*$/i.exec(rangeHeader);
    if (suffix && Number(suffix[1]) > 0 && total > 0) return { status: 206, start: 0, end: total - 1, total };
    return { status: 416, total };
  }
  if (ranges.type.toLowerCase() !== 'bytes' || ranges.length !== 1) return all;
  const r = ranges[0]!;
  return { status: 206, start: r.start, end: r.end, total };
}

export const WAV_HEADER_BYTES = 44;

/** The canonical 44-byte header of a mono 16-bit PCM WAV of `samples` samples. */
export function pcm16WavHeader(samples: number, sampleRate: number): Buffer {
  const data = samples * 2;
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data, 40);
  return h;
}

export interface PcmWavPart {
  status: 200 | 206 | 416;
  headers: Record<string, string>;
  /** The bytes to send; empty for 416. */
  body: Buffer;
}

/** Status, headers and byte range (inclusive) of an answer, before any byte is decoded. */
function planPcmWav(codes: Uint8Array, rangeHeader: string | undefined): { status: 200 | 206 | 416; headers: Record<string, string>; start: number; end: number } {
  const total = WAV_HEADER_BYTES + codes.length * 2;
  const d = decideRange(rangeHeader, total);
  const headers: Record<string, string> = { 'content-type': 'audio/wav', 'accept-ranges': 'bytes' };
  if (d.status === 416) {
    headers['content-range'] = `bytes */${total}`;
    return { status: 416, headers, start: 0, end: -1 };
  }
  headers['content-length'] = String(d.end - d.start + 1);
  if (d.status === 206) headers['content-range'] = `bytes ${d.start}-${d.end}/${total}`;
  return { status: d.status, headers, start: d.start, end: d.end };
}

/** Bytes [start, end] (inclusive) of the PCM WAV the codes decode to; only the samples they cover are decoded. */
function pcmWavBytes(codes: Uint8Array, sampleRate: number, decode: Int16Array, start: number, end: number): Buffer {
  const body = Buffer.allocUnsafe(end - start + 1);
  let at = 0;
  if (start < WAV_HEADER_BYTES) {
    at = pcm16WavHeader(codes.length, sampleRate).copy(body, 0, start, Math.min(WAV_HEADER_BYTES, end + 1));
  }
  const dataStart = Math.max(start, WAV_HEADER_BYTES) - WAV_HEADER_BYTES;
  const dataEnd = end + 1 - WAV_HEADER_BYTES; // exclusive, in data bytes
  if (dataEnd > dataStart) {
    // Whole samples around the range, then the range's bytes of them (a range may start
    // or end in the middle of a sample).
    const first = dataStart >> 1;
    const last = (dataEnd + 1) >> 1; // exclusive
    const pcm = Buffer.allocUnsafe((last - first) * 2);
    for (let i = first, o = 0; i < last; i++, o += 2) pcm.writeInt16LE(decode[codes[i] as number] as number, o);
    pcm.copy(body, at, dataStart - first * 2, dataEnd - first * 2);
  }
  return body;
}

/**
 * The bytes a Range header asks for of the 16-bit PCM WAV that `codes` decode to, without
 * building the whole file: only the samples the range covers are decoded. `decode` maps
 * a code to its sample (A-law by default; pass µ-law's table for µ-law prompts).
 */
export function pcmWavRange(codes: Uint8Array, sampleRate: number, rangeHeader: string | undefined, decode: Int16Array = ALAW_DECODE): PcmWavPart {
  const plan = planPcmWav(codes, rangeHeader);
  const body = plan.status === 416 ? Buffer.alloc(0) : pcmWavBytes(codes, sampleRate, decode, plan.start, plan.end);
  return { status: plan.status, headers: plan.headers, body };
}

/**
 * Answers larger than this are decoded a chunk at a time as the client reads: a player's
 * first request is `bytes=0-` (the whole prompt, 4 MB for 250 s), and it needs the first
 * bytes at once, often closing the connection after the header to seek elsewhere.
 */
export const PREVIEW_CHUNK_BYTES = 64 * 1024;

function apply(reply: RangeReply, status: number, headers: Record<string, string>): void {
  reply.code(status);
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
}

/** Answer a request for a prompt's audio: its codes as 16-bit PCM WAV, ranges honoured (200, 206 or 416). */
export function sendAlawPreview<R extends RangeReply>(request: RangeRequest, reply: R, codes: Uint8Array, sampleRate: number, decode: Int16Array = ALAW_DECODE): R {
  const plan = planPcmWav(codes, request.headers.range);
  apply(reply, plan.status, plan.headers);
  if (plan.status === 416) reply.send(Buffer.alloc(0));
  else if (plan.end - plan.start + 1 <= PREVIEW_CHUNK_BYTES) reply.send(pcmWavBytes(codes, sampleRate, decode, plan.start, plan.end));
  else {
    const { start, end } = plan;
    reply.send(
      Readable.from(
        (function* chunks() {
          for (let at = start; at <= end; at += PREVIEW_CHUNK_BYTES) yield pcmWavBytes(codes, sampleRate, decode, at, Math.min(end, at + PREVIEW_CHUNK_BYTES - 1));
        })(),
        { objectMode: false },
      ),
    );
  }
  return reply;
}

/** The same under the name the issue gives it. */
export const sendPcmWav = sendAlawPreview;

const AUDIO_TYPES: Record<string, string> = {
  '.wav': 'audio/wav',
  '.wave': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.mp4': 'audio/mp4',
  '.aac': 'audio/aac',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.flac': 'audio/flac',
  '.webm': 'audio/webm',
  '.aif': 'audio/aiff',
  '.aiff': 'audio/aiff',
};

/** The Content-Type a browser needs to try a source file, by its extension. */
export function audioContentType(file: string): string {
  return AUDIO_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Answer a request for a source recording, ranges honoured, streamed from disk.
 * `lookedUpPath` must come from the server's own records (the ledger), never from the
 * request. A file that is gone is a 404 naming it by its base name only.
 */
export async function sendFileRange<R extends RangeReply>(request: RangeRequest, reply: R, lookedUpPath: string, contentType = audioContentType(lookedUpPath)): Promise<R> {
  let size: number;
  try {
    const st = await fs.stat(lookedUpPath);
    if (!st.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
    size = st.size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    reply.code(404);
    reply.header('content-type', 'application/json; charset=utf-8');
    reply.send({ error: `the source ${path.basename(lookedUpPath)} is no longer on disk` });
    return reply;
  }
  const d = decideRange(request.headers.range, size);
  const headers: Record<string, string> = { 'content-type': contentType, 'accept-ranges': 'bytes' };
  if (d.status === 416) {
    headers['content-range'] = `bytes */${size}`;
    apply(reply, 416, headers);
    reply.send(Buffer.alloc(0));
    return reply;
  }
  if (size === 0) {
    apply(reply, 200, { ...headers, 'content-length': '0' });
    reply.send(Buffer.alloc(0));
    return reply;
  }
  headers['content-length'] = String(d.end - d.start + 1);
  if (d.status === 206) headers['content-range'] = `bytes ${d.start}-${d.end}/${size}`;
  apply(reply, d.status, headers);
  reply.send(createReadStream(lookedUpPath, { start: d.start, end: d.end }));
  return reply;
}
