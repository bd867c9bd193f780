/**
 * RIFF/WAVE reading and the canonical writer. Parsing is done by hand, not through a
 * tag library, because `check` must judge the exact bytes the platform will see:
 * chunk order, declared sizes against the file size, and chunks a tag reader skips.
 */

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
}

export type WavProblem =
  | { kind: 'not-riff'; detail: string }
  | { kind: 'truncated'; detail: string }
  | { kind: 'header-size-mismatch'; detail: string }
  | { kind: 'missing-chunk'; detail: string };

export interface WavInfo {
  fileSize: number;
  declaredRiffSize: number | null;
  chunks: WavChunk[];
  format: WavFormat | null;
  dataOffset: number | null;
  /** Bytes of the data chunk actually present in the file. */
  dataBytesPresent: number;
  declaredDataSize: number | null;
  factSampleCount: number | null;
  problems: WavProblem[];
}

const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Parse a WAV header from `buf`, which holds the first bytes of a file of `fileSize`
 * bytes (the whole file, or a prefix large enough for the header).
 */
export function parseWav(buf: Uint8Array, fileSize: number): WavInfo {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const info: WavInfo = {
    fileSize,
    declaredRiffSize: null,
    chunks: [],
    format: null,
    dataOffset: null,
    dataBytesPresent: 0,
    declaredDataSize: null,
    factSampleCount: null,
    problems: [],
  };
  if (fileSize < 12 || view.length < 12) {
    const head = view.subarray(0, 4).toString('latin1');
    if (head === 'RIFF'.slice(0, head.length) && fileSize > 0) {
      info.problems.push({ kind: 'truncated', detail: `the file ends after ${fileSize} bytes, inside the 12-byte RIFF header` });
    } else {
      info.problems.push({ kind: 'not-riff', detail: 'the file is too short to be a WAV file' });
    }
    return info;
  }
  const riff = view.toString('latin1', 0, 4);
  const wave = view.toString('latin1', 8, 12);
  if (riff !== 'RIFF' || wave !== 'WAVE') {
    const what = riff === 'RIFX' ? 'a big-endian RIFX file' : riff === 'RF64' ? 'an RF64 file' : `starts with ${JSON.stringify(printable(view.subarray(0, 4)))}`;
    info.problems.push({ kind: 'not-riff', detail: `it is not a RIFF/WAVE file (${what})` });
    return info;
  }
  info.declaredRiffSize = view.readUInt32LE(4);
  let pos = 12;
  while (pos + 8 <= fileSize) {
    if (pos + 8 > view.length) break; // header prefix ends; caller read enough for fmt/data
    const id = view.toString('latin1', pos, pos + 4);
    const size = view.readUInt32LE(pos + 4);
    info.chunks.push({ id, offset: pos, size });
    const payload = pos + 8;
    if (id === 'fmt ') {
      if (payload + Math.min(size, 16) > view.length || size < 16) {
        info.problems.push(size < 16
          ? { kind: 'truncated', detail: `the fmt chunk is ${size} bytes, shorter than the 16 a format needs` }
          : { kind: 'truncated', detail: 'the file ends inside the fmt chunk' });
      } else {
        const formatTag = view.readUInt16LE(payload);
        let effective = formatTag;
        if (formatTag === WAVE_FORMAT_EXTENSIBLE && size >= 40 && payload + 40 <= view.length) {
          effective = view.readUInt16LE(payload + 24);
        }
        info.format = {
          formatTag,
          effectiveFormatTag: effective,
          channels: view.readUInt16LE(payload + 2),
          sampleRate: view.readUInt32LE(payload + 4),
          byteRate: view.readUInt32LE(payload + 8),
          blockAlign: view.readUInt16LE(payload + 12),
          bitsPerSample: view.readUInt16LE(payload + 14),
          fmtSize: size,
        };
      }
    } else if (id === 'fact' && size >= 4 && payload + 4 <= view.length) {
      info.factSampleCount = view.readUInt32LE(payload);
    } else if (id === 'data') {
      info.dataOffset = payload;
      info.declaredDataSize = size;
      info.dataBytesPresent = Math.max(0, Math.min(size, fileSize - payload));
      // A WAV written to a pipe never gets its sizes filled in (0 or 0xFFFFFFFF): the audio
      // is all there, the header is just wrong. Not a truncated copy.
      const streamed = (size === 0xffffffff || size === 0) && fileSize > payload;
      if (streamed) {
        info.dataBytesPresent = fileSize - payload;
        info.problems.push({
          kind: 'header-size-mismatch',
          detail: `the data chunk size was never filled in (${size === 0 ? 0 : '0xFFFFFFFF'}; the file was written as a stream) although ${fileSize - payload} bytes of audio follow`,
        });
        break;
      }
      if (payload + size > fileSize) {
        info.problems.push({
          kind: 'truncated',
          detail: `the data chunk declares ${size} bytes but only ${fileSize - payload} are in the file`,
        });
      }
    }
    if (payload + size > fileSize && id !== 'data') {
      info.problems.push({ kind: 'truncated', detail: `the ${JSON.stringify(id)} chunk runs past the end of the file` });
      break;
    }
    pos = payload + size + (size & 1);
  }
  if (!info.problems.some((p) => p.kind === 'truncated' || p.kind === 'header-size-mismatch')) {
    if (info.declaredRiffSize + 8 !== fileSize) {
      info.problems.push({
        kind: 'header-size-mismatch',
        detail: `the RIFF header declares ${info.declaredRiffSize + 8} bytes but the file has ${fileSize}`,
      });
    }
    if (pos < fileSize && pos + 8 > fileSize) {
      info.problems.push({ kind: 'header-size-mismatch', detail: `${fileSize - pos} stray bytes follow the last chunk` });
    }
  }
  if (!info.format && !info.problems.some((p) => p.kind === 'truncated')) {
    info.problems.push({ kind: 'missing-chunk', detail: 'it has no fmt chunk, so its format is unknown' });
  }
  if (info.dataOffset === null && !info.problems.some((p) => p.kind === 'truncated')) {
    info.problems.push({ kind: 'missing-chunk', detail: 'it has no data chunk, so it holds no audio' });
  }
  return info;
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
  const blockAlign = (format.channels * format.bitsPerSample) / 8;
  const pad = data.length & 1;
  const out = Buffer.alloc(CANONICAL_HEADER_BYTES + data.length + pad);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(out.length - 8, 4);
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
  out.writeUInt32LE(Math.floor(data.length / blockAlign), 46);
  out.write('data', 50, 'latin1');
  out.writeUInt32LE(data.length, 54);
  out.set(data, CANONICAL_HEADER_BYTES);
  return out;
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
