/**
 * RIFF/WAVE reading and the canonical writer. Parsing is done by hand, not through a
 * tag library, because `check` must judge the exact bytes the platform will see:
 * chunk order, declared sizes against the file size, and chunks a tag reader skips.
 */
import type { FileHandle } from 'node:fs/promises';

export interface WavChunk {
  id: string;
  /** Offset of the chunk header in the file. */
  offset: number;
  /** Declared payload size. */
  size: number;
}

export interface WavFormat {
  formatTag: number;
  /** For WAVE_FORMAT_EXTENSIBLE, the format tag of the sub-format GUID; else formatTag. */
  effectiveFormatTag: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  fmtSize: number;
  /** cbSize of an fmt chunk of 18 bytes or more: how many format bytes follow the first 18. */
  extraFormatBytes: number | null;
  /** The 2 bytes after cbSize when it is 2 or more: samples a block of a block codec (GSM 6.10: 320). */
  samplesPerBlock: number | null;
}

export type WavProblem =
  | { kind: 'not-riff'; detail: string }
  | { kind: 'truncated'; detail: string }
  | { kind: 'header-size-mismatch'; detail: string }
  | { kind: 'missing-chunk'; detail: string };

export interface WavInfo {
  fileSize: number;
  declaredRiffSize: number | null;
  /**
   * The first chunks in file order (at most MAX_LISTED_CHUNKS): a file may hold millions
   * of tiny ones, and a list of all of them would cost memory in proportion.
   */
  chunks: WavChunk[];
  /** Every chunk header walked. */
  chunkCount: number;
  /** Chunks other than fmt/fact/data: how many, and the first few of them. */
  extraChunkCount: number;
  extraChunks: WavChunk[];
  /** How many fmt, fact and data chunks the file has: more than one is ambiguous to a reader. */
  counts: { fmt: number; fact: number; data: number };
  /** A data chunk comes before the (first) fmt chunk. */
  dataBeforeFmt: boolean;
  /** The first fmt chunk, which is the one judged (as a reader going front to back sees it). */
  format: WavFormat | null;
  /** Payload offset of the first data chunk. */
  dataOffset: number | null;
  /** Bytes of the first data chunk actually present in the file. */
  dataBytesPresent: number;
  declaredDataSize: number | null;
  /** The data chunk size was never filled in (a WAV written as a stream). */
  dataSizeUnset: boolean;
  factSampleCount: number | null;
  problems: WavProblem[];
}

/** How many chunks (and extra chunks) a WavInfo lists; the rest are only counted. */
export const MAX_LISTED_CHUNKS = 8;

const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** A byte range the walker needs next. */
export interface WavRead {
  offset: number;
  length: number;
}

/** The driver's answer: bytes of the file from `start`, covering the range asked for; null when they are not at hand. */
interface WavWindow {
  start: number;
  bytes: Buffer;
}

// Chunk ids as little-endian 32-bit numbers: millions of chunks are compared without a string each.
const ID_FMT = 0x20746d66; // "fmt "
const ID_FACT = 0x74636166; // "fact"
const ID_DATA = 0x61746164; // "data"
const ID_RIFF = 0x46464952; // "RIFF"
const ID_WAVE = 0x45564157; // "WAVE"

const EMPTY = Buffer.alloc(0);

/** A chunk's id as text: the three every file has without a string made from bytes each time. */
function chunkId(idNum: number, win: Buffer, at: number): string {
  return idNum === ID_FMT ? 'fmt ' : idNum === ID_FACT ? 'fact' : idNum === ID_DATA ? 'data' : win.toString('latin1', at, at + 4);
}

/**
 * The chunk walker, as a generator of reads so that one implementation serves bytes in
 * memory (parseWav: one window, the whole buffer) and a file on disk (readWavInfo: a
 * small window moved by positioned reads). It asks only for the RIFF header, chunk
 * headers and the small fmt/fact payloads, walks every chunk inside the window at hand
 * without yielding, and keeps a bounded amount per file however many chunks it holds.
 */
function* walkWav(fileSize: number, first: WavWindow | null = null): Generator<WavRead, WavInfo, WavWindow | null> {
  const info: WavInfo = {
    fileSize,
    declaredRiffSize: null,
    chunks: [],
    chunkCount: 0,
    extraChunkCount: 0,
    extraChunks: [],
    counts: { fmt: 0, fact: 0, data: 0 },
    dataBeforeFmt: false,
    format: null,
    dataOffset: null,
    dataBytesPresent: 0,
    declaredDataSize: null,
    dataSizeUnset: false,
    factSampleCount: null,
    problems: [],
  };
  // The window of file bytes at hand: the whole file when it is in memory (no yield at all).
  let win: Buffer = first ? first.bytes : EMPTY;
  let winStart = first ? first.start : 0;
  /** Whether [offset, offset + length) is in `win`; checked before need() so the common case allocates no generator. */
  const has = (offset: number, length: number): boolean => offset >= winStart && offset + length <= winStart + win.length;
  /** Make [offset, offset + length) available in `win`; false when the driver cannot. */
  function* need(offset: number, length: number): Generator<WavRead, boolean, WavWindow | null> {
    if (has(offset, length)) return true;
    const w = yield { offset, length };
    if (!w || offset < w.start || offset + length > w.start + w.bytes.length) return false;
    win = w.bytes;
    winStart = w.start;
    return true;
  }

  const headLength = Math.min(12, fileSize);
  const haveHead = has(0, headLength) || (yield* need(0, headLength));
  if (fileSize < 12 || !haveHead) {
    const head = haveHead ? win.subarray(-winStart, -winStart + headLength) : EMPTY;
    const start = head.subarray(0, 4).toString('latin1');
    if (fileSize > 0 && fileSize < 12 && start === 'RIFF'.slice(0, start.length)) {
      info.problems.push({ kind: 'truncated', detail: `the file ends after ${fileSize} bytes, inside the 12-byte RIFF header` });
    } else {
      info.problems.push({ kind: 'not-riff', detail: 'the file is too short to be a WAV file' });
    }
    return info;
  }
  const h = -winStart;
  if (win.readUInt32LE(h) !== ID_RIFF || win.readUInt32LE(h + 8) !== ID_WAVE) {
    const head = win.subarray(h, h + 12);
    const riff = head.toString('latin1', 0, 4);
    const what = riff === 'RIFX' ? 'a big-endian RIFX file' : riff === 'RF64' ? 'an RF64 file' : `starts with ${JSON.stringify(printable(head.subarray(0, 4)))}`;
    info.problems.push({ kind: 'not-riff', detail: `it is not a RIFF/WAVE file (${what})` });
    return info;
  }
  info.declaredRiffSize = win.readUInt32LE(h + 4);
  // Only a prefix of the file was given: what lies beyond it cannot be judged.
  let unknownRest = false;
  let pos = 12;
  while (pos + 8 <= fileSize) {
    pos = skipExtraChunks(info, win, winStart, pos);
    if (pos + 8 > fileSize) break;
    if (!has(pos, 8) && !(yield* need(pos, 8))) {
      unknownRest = true;
      break;
    }
    const at = pos - winStart;
    const idNum = win.readUInt32LE(at);
    const size = win.readUInt32LE(at + 4);
    info.chunkCount++;
    const listed = info.chunks.length < MAX_LISTED_CHUNKS;
    const extra = idNum !== ID_FMT && idNum !== ID_FACT && idNum !== ID_DATA;
    const listedExtra = extra && info.extraChunks.length < MAX_LISTED_CHUNKS;
    if (listed || listedExtra) {
      const chunk: WavChunk = { id: chunkId(idNum, win, at), offset: pos, size };
      if (listed) info.chunks.push(chunk);
      if (listedExtra) info.extraChunks.push(chunk);
    }
    if (extra) info.extraChunkCount++;
    const payload = pos + 8;
    const runsPast = payload + size > fileSize;
    if (idNum === ID_FMT) {
      if (++info.counts.fmt === 1) {
        if (size < 16) {
          info.problems.push({ kind: 'truncated', detail: `the fmt chunk is ${size} bytes, shorter than the 16 a format needs` });
        } else if (payload + 16 > fileSize) {
          info.problems.push({ kind: 'truncated', detail: 'the file ends inside the fmt chunk' });
        } else {
          const length = Math.min(size, 40, fileSize - payload);
          if (!has(payload, length) && !(yield* need(payload, length))) {
            unknownRest = true;
            break;
          }
          const b = payload - winStart;
          const formatTag = win.readUInt16LE(b);
          const effective = formatTag === WAVE_FORMAT_EXTENSIBLE && length >= 40 ? win.readUInt16LE(b + 24) : formatTag;
          info.format = {
            formatTag,
            effectiveFormatTag: effective,
            channels: win.readUInt16LE(b + 2),
            sampleRate: win.readUInt32LE(b + 4),
            byteRate: win.readUInt32LE(b + 8),
            blockAlign: win.readUInt16LE(b + 12),
            bitsPerSample: win.readUInt16LE(b + 14),
            fmtSize: size,
            extraFormatBytes: length >= 18 ? win.readUInt16LE(b + 16) : null,
            samplesPerBlock: length >= 20 && win.readUInt16LE(b + 16) >= 2 ? win.readUInt16LE(b + 18) : null,
          };
        }
      }
    } else if (idNum === ID_FACT) {
      if (++info.counts.fact === 1 && size >= 4 && payload + 4 <= fileSize) {
        if (!has(payload, 4) && !(yield* need(payload, 4))) {
          unknownRest = true;
          break;
        }
        info.factSampleCount = win.readUInt32LE(payload - winStart);
      }
    } else if (idNum === ID_DATA) {
      if (++info.counts.data === 1) {
        if (info.counts.fmt === 0) info.dataBeforeFmt = true;
        info.dataOffset = payload;
        info.declaredDataSize = size;
        info.dataBytesPresent = Math.max(0, Math.min(size, fileSize - payload));
        // A WAV written to a pipe never gets its sizes filled in (0 or 0xFFFFFFFF): the audio
        // is all there, the header is just wrong. Not a truncated copy.
        if ((size === 0xffffffff || size === 0) && fileSize > payload) {
          info.dataSizeUnset = true;
          info.dataBytesPresent = fileSize - payload;
          info.problems.push({
            kind: 'header-size-mismatch',
            detail: `the data chunk size was never filled in (${size === 0 ? 0 : '0xFFFFFFFF'}; the file was written as a stream) although ${fileSize - payload} bytes of audio follow`,
          });
          break;
        }
        if (runsPast) {
          info.problems.push({
            kind: 'truncated',
            detail: `the data chunk declares ${size} bytes but only ${fileSize - payload} are in the file`,
          });
          break;
        }
      }
    }
    if (runsPast) {
      if (!info.problems.some((p) => p.kind === 'truncated')) {
        const id = chunkId(idNum, win, at);
        info.problems.push({ kind: 'truncated', detail: `the ${JSON.stringify(id)} chunk runs past the end of the file` });
      }
      break;
    }
    pos = payload + size + (size & 1);
  }
  const truncated = info.problems.some((p) => p.kind === 'truncated');
  if (!truncated && !info.problems.some((p) => p.kind === 'header-size-mismatch')) {
    if (info.declaredRiffSize + 8 !== fileSize) {
      info.problems.push({
        kind: 'header-size-mismatch',
        detail: `the RIFF header declares ${info.declaredRiffSize + 8} bytes but the file has ${fileSize}`,
      });
    }
    if (!unknownRest && pos < fileSize && pos + 8 > fileSize) {
      info.problems.push({ kind: 'header-size-mismatch', detail: `${fileSize - pos} stray bytes follow the last chunk` });
    }
  }
  if (!unknownRest && !truncated) {
    if (!info.format) info.problems.push({ kind: 'missing-chunk', detail: 'it has no fmt chunk, so its format is unknown' });
    if (info.dataOffset === null) info.problems.push({ kind: 'missing-chunk', detail: 'it has no data chunk, so it holds no audio' });
  }
  return info;
}

/**
 * Count and step over consecutive chunks other than fmt/fact/data that lie whole in the
 * window, in a plain loop (the hot path of a file of a million tiny chunks); returns
 * where the walker takes over: a known chunk, the window's end, or a chunk that runs past
 * the end of the file (which the walker reports).
 */
function skipExtraChunks(info: WavInfo, win: Buffer, winStart: number, pos: number): number {
  const end = Math.min(info.fileSize, winStart + win.length);
  if (pos < winStart) return pos;
  while (pos + 8 <= end) {
    const at = pos - winStart;
    const idNum = (win[at]! | (win[at + 1]! << 8) | (win[at + 2]! << 16) | (win[at + 3]! << 24)) >>> 0;
    if (idNum === ID_FMT || idNum === ID_FACT || idNum === ID_DATA) return pos;
    const size = (win[at + 4]! | (win[at + 5]! << 8) | (win[at + 6]! << 16) | (win[at + 7]! << 24)) >>> 0;
    if (pos + 8 + size > info.fileSize) return pos;
    info.chunkCount++;
    info.extraChunkCount++;
    if (info.extraChunks.length < MAX_LISTED_CHUNKS) {
      const chunk: WavChunk = { id: chunkId(idNum, win, at), offset: pos, size };
      info.extraChunks.push(chunk);
      if (info.chunks.length < MAX_LISTED_CHUNKS) info.chunks.push(chunk);
    }
    pos += 8 + size + (size & 1);
  }
  return pos;
}

/**
 * Parse a WAV header from `buf`, which holds the first bytes of a file of `fileSize`
 * bytes (the whole file, or a prefix large enough for the header).
 */
export function parseWav(buf: Uint8Array, fileSize: number): WavInfo {
  const view = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const whole: WavWindow = { start: 0, bytes: view };
  const walk = walkWav(fileSize, whole);
  let step = walk.next();
  while (!step.done) {
    const { offset, length } = step.value;
    step = walk.next(offset + length <= view.length ? whole : null);
  }
  return step.value;
}

/** Bytes read at once while walking a file on disk: many small chunks share one read. */
const WALK_WINDOW_BYTES = 64 * 1024;

/**
 * Walk the chunks of a WAV file on disk with positioned reads through a small window, so a
 * file of any size, or of millions of chunks, costs the same small memory.
 */
export async function readWavInfo(handle: FileHandle, fileSize: number): Promise<WavInfo> {
  const buf = Buffer.alloc(WALK_WINDOW_BYTES);
  const walk = walkWav(fileSize);
  let step = walk.next();
  while (!step.done) {
    const { offset, length } = step.value;
    const want = Math.min(Math.max(length, WALK_WINDOW_BYTES), fileSize - offset);
    const into = want <= buf.length ? buf : Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await handle.read(into, got, want - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    step = walk.next(got >= length ? { start: offset, bytes: into.subarray(0, got) } : null);
  }
  return step.value;
}

function printable(bytes: Uint8Array): string {
  return [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
}

/** Size of the canonical header: RIFF(12) + fmt(8+18) + fact(8+4) + data(8). */
export const CANONICAL_HEADER_BYTES = 58;

export interface CanonicalFormat {
  formatTag: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
}

/**
 * The one layout promptprep writes: RIFF, WAVE, an 18-byte fmt (cbSize 0, as WAVEFORMATEX
 * asks of every non-PCM format), fact, data; nothing else, so the same audio always gives
 * the same bytes.
 */
export function buildCanonicalWav(data: Uint8Array, format: CanonicalFormat): Buffer {
  const header = canonicalWavHeader(data.length, format);
  const out = Buffer.allocUnsafe(CANONICAL_HEADER_BYTES + data.length + (data.length & 1));
  out.set(header, 0);
  out.set(data, CANONICAL_HEADER_BYTES);
  if (data.length & 1) out[out.length - 1] = 0;
  return out;
}

/** The 58-byte header of buildCanonicalWav for `dataLength` bytes of audio. */
export function canonicalWavHeader(dataLength: number, format: CanonicalFormat): Buffer {
  const blockAlign = (format.channels * format.bitsPerSample) / 8;
  const out = Buffer.alloc(CANONICAL_HEADER_BYTES);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(CANONICAL_HEADER_BYTES + dataLength + (dataLength & 1) - 8, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(18, 16);
  out.writeUInt16LE(format.formatTag, 20);
  out.writeUInt16LE(format.channels, 22);
  out.writeUInt32LE(format.sampleRate, 24);
  out.writeUInt32LE(format.sampleRate * blockAlign, 28);
  out.writeUInt16LE(blockAlign, 32);
  out.writeUInt16LE(format.bitsPerSample, 34);
  out.writeUInt16LE(0, 36);
  out.write('fact', 38, 'latin1');
  out.writeUInt32LE(4, 42);
  out.writeUInt32LE(Math.floor(dataLength / blockAlign), 46);
  out.write('data', 50, 'latin1');
  out.writeUInt32LE(dataLength, 54);
  return out;
}

const PAD_BYTE = new Uint8Array(1);

/**
 * buildCanonicalWav's bytes as the pieces they are made of, in file order: the header,
 * the data itself (not copied) and the pad byte an odd length needs. Written with one
 * writev and hashed piece by piece, they give the same file and digest without a fresh
 * multi-megabyte buffer a file (whose page faults cost more than the copy).
 */
export function canonicalWavParts(data: Uint8Array, format: CanonicalFormat): Uint8Array[] {
  const header = canonicalWavHeader(data.length, format);
  return data.length & 1 ? [header, data, PAD_BYTE] : [header, data];
}

/** Name a WAVE format tag for messages. */
export function formatTagName(tag: number, bits?: number): string {
  switch (tag) {
    case 1:
      return bits ? `linear PCM ${bits}-bit` : 'linear PCM';
    case 2:
      return 'Microsoft ADPCM';
    case 3:
      return 'IEEE float';
    case 6:
      return 'G.711 A-law';
    case 7:
      return 'G.711 µ-law';
    case 0x11:
      return 'IMA ADPCM';
    case 0x31:
      return 'GSM 6.10';
    case 0x55:
      return 'MP3';
    case WAVE_FORMAT_EXTENSIBLE:
      return 'WAVE_FORMAT_EXTENSIBLE';
    default:
      return `format tag ${tag}`;
  }
}
