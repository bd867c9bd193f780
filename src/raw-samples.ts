/**
 * Views of ffmpeg's raw output as samples. A Buffer read from disk may start at an odd
 * offset inside Node's pooled memory, where a typed array cannot be laid over it: such a
 * buffer is copied first, an aligned one is used as it is.
 */
export function int16(raw: Buffer): Int16Array {
  const b = raw.byteOffset % 2 === 0 ? raw : Buffer.from(raw);
  return new Int16Array(b.buffer, b.byteOffset, b.length >> 1);
}

export function float32(raw: Buffer): Float32Array {
  const b = raw.byteOffset % 4 === 0 ? raw : Buffer.from(raw);
  return new Float32Array(b.buffer, b.byteOffset, b.length >> 2);
}
