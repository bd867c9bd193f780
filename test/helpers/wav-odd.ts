/**
 * WAVs that hold a whole A-law prompt in a non-canonical layout, or that are not whole
 * prompts at all (issue #12.2), made from a valid ffmpeg file by byte surgery. Built with
 * the independent helpers of wav-edit.ts, never with src/wav.ts.
 */
import { fixRiffSize, listChunks, type RawChunk } from './wav-edit.js';

function chunkBytes(bytes: Buffer, c: RawChunk): Buffer {
  return bytes.subarray(c.offset, c.offset + 8 + c.size + (c.size & 1));
}

function parts(valid: Buffer): { fmt: Buffer; fact: Buffer; data: Buffer; fmtPayload: Buffer; dataPayload: Buffer } {
  const find = (id: string): RawChunk => {
    const c = listChunks(valid).find((x) => x.id === id);
    if (!c) throw new Error(`the seed has no ${JSON.stringify(id)} chunk`);
    return c;
  };
  const fmt = find('fmt ');
  const data = find('data');
  return {
    fmt: chunkBytes(valid, fmt),
    fact: chunkBytes(valid, find('fact')),
    data: chunkBytes(valid, data),
    fmtPayload: valid.subarray(fmt.offset + 8, fmt.offset + 8 + fmt.size),
    dataPayload: valid.subarray(data.offset + 8, data.offset + 8 + data.size),
  };
}

function riff(...chunks: Buffer[]): Buffer {
  return fixRiffSize(Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE', 'latin1'), ...chunks]));
}

function rawChunk(id: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload, Buffer.alloc(payload.length & 1)]);
}

/** The 58-byte file: a canonical header whose data chunk is empty; fact still promises `factSamples`. */
export function emptyData(valid: Buffer, factSamples = 25_508): Buffer {
  const { fmt } = parts(valid);
  const fact = Buffer.alloc(4);
  fact.writeUInt32LE(factSamples, 0);
  return riff(fmt, rawChunk('fact', fact), rawChunk('data', Buffer.alloc(0)));
}

/** A second data chunk after the first (other audio: which one plays depends on the reader). */
export function duplicateData(valid: Buffer): Buffer {
  const { fmt, fact, data } = parts(valid);
  return riff(fmt, fact, data, rawChunk('data', Buffer.alloc(800, 0xd5)));
}

/** A second fmt chunk, claiming 16 kHz, after the data. */
export function duplicateFmt(valid: Buffer): Buffer {
  const { fmt, fact, data, fmtPayload } = parts(valid);
  const other = Buffer.from(fmtPayload);
  other.writeUInt32LE(16000, 4);
  other.writeUInt32LE(16000, 8);
  return riff(fmt, fact, data, rawChunk('fmt ', other));
}

/** data, then fmt and fact: a reader going front to back meets the audio before its format. */
export function dataBeforeFmt(valid: Buffer): Buffer {
  const { fmt, fact, data } = parts(valid);
  return riff(data, fmt, fact);
}

/** A fact chunk whose sample count is not the data's. */
export function factMismatch(valid: Buffer, factSamples = 25_508): Buffer {
  const { fmt, data } = parts(valid);
  const fact = Buffer.alloc(4);
  fact.writeUInt32LE(factSamples, 0);
  return riff(fmt, rawChunk('fact', fact), data);
}

/** The same A-law audio with a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk (sub-format A-law). */
export function extensibleAlaw(valid: Buffer): Buffer {
  const { fact, data, fmtPayload } = parts(valid);
  const fmt = Buffer.alloc(40);
  fmtPayload.copy(fmt, 0, 0, 16);
  fmt.writeUInt16LE(0xfffe, 0);
  fmt.writeUInt16LE(22, 16); // cbSize
  fmt.writeUInt16LE(8, 18); // valid bits per sample
  fmt.writeUInt32LE(4, 20); // channel mask: front centre
  // KSDATAFORMAT_SUBTYPE_ALAW: {00000006-0000-0010-8000-00aa00389b71}
  Buffer.from('0600000000001000800000aa00389b71', 'hex').copy(fmt, 24);
  return riff(rawChunk('fmt ', fmt), fact, data);
}

/** The audio bytes of the seed's data chunk: what a canonical rewrite must carry unchanged. */
export function audioOf(valid: Buffer): Buffer {
  return parts(valid).dataPayload;
}
