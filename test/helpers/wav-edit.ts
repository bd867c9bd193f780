/**
 * Byte surgery on real WAV files (made by ffmpeg) to break exactly one rule: remove a
 * chunk, change one fmt field. Kept independent of src/wav.ts so the tests do not judge
 * the parser with itself.
 */

export interface RawChunk {
  id: string;
  offset: number;
  size: number;
}

/** Chunks of a well-formed RIFF/WAVE buffer, in order. */
export function listChunks(bytes: Buffer): RawChunk[] {
  if (bytes.toString('latin1', 0, 4) !== 'RIFF' || bytes.toString('latin1', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE buffer');
  }
  const out: RawChunk[] = [];
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const size = bytes.readUInt32LE(pos + 4);
    out.push({ id: bytes.toString('latin1', pos, pos + 4), offset: pos, size });
    pos += 8 + size + (size & 1);
  }
  return out;
}

export function chunkIds(bytes: Buffer): string[] {
  return listChunks(bytes).map((c) => c.id);
}

function chunk(bytes: Buffer, id: string): RawChunk {
  const c = listChunks(bytes).find((x) => x.id === id);
  if (!c) throw new Error(`no ${JSON.stringify(id)} chunk`);
  return c;
}

/** Set the RIFF size field to match the buffer. */
export function fixRiffSize(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

/** The buffer without chunk `id`, RIFF size corrected. */
export function removeChunk(bytes: Buffer, id: string): Buffer {
  const c = chunk(bytes, id);
  const end = c.offset + 8 + c.size + (c.size & 1);
  return fixRiffSize(Buffer.concat([bytes.subarray(0, c.offset), bytes.subarray(end)]));
}

/** Append a chunk (padded to even length), RIFF size corrected. */
export function appendChunk(bytes: Buffer, id: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(payload.length, 4);
  const pad = Buffer.alloc(payload.length & 1);
  return fixRiffSize(Buffer.concat([bytes, head, payload, pad]));
}

export interface FmtPatch {
  formatTag?: number;
  channels?: number;
  sampleRate?: number;
  byteRate?: number;
  blockAlign?: number;
  bitsPerSample?: number;
}

/** Rewrite fields of the fmt chunk in place (on a copy). */
export function patchFmt(bytes: Buffer, patch: FmtPatch): Buffer {
  const out = Buffer.from(bytes);
  const p = chunk(out, 'fmt ').offset + 8;
  if (patch.formatTag !== undefined) out.writeUInt16LE(patch.formatTag, p);
  if (patch.channels !== undefined) out.writeUInt16LE(patch.channels, p + 2);
  if (patch.sampleRate !== undefined) out.writeUInt32LE(patch.sampleRate, p + 4);
  if (patch.byteRate !== undefined) out.writeUInt32LE(patch.byteRate, p + 8);
  if (patch.blockAlign !== undefined) out.writeUInt16LE(patch.blockAlign, p + 12);
  if (patch.bitsPerSample !== undefined) out.writeUInt16LE(patch.bitsPerSample, p + 14);
  return out;
}

/** Deterministic pseudo-random bytes (not a WAV: never starts with "RIFF"). */
export function noiseBytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  if (out.toString('latin1', 0, 4) === 'RIFF') out[0] = 0;
  return out;
}
