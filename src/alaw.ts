/**
 * G.711 A-law, done in-process: decoding lets `check` measure levels without starting
 * ffmpeg, and encoding after our own gain stage keeps conversion to one ffmpeg pass.
 * The tables follow the ITU-T G.711 reference (the same as ffmpeg's pcm_alaw), so a
 * file encoded here is byte-identical to one ffmpeg would write from the same samples.
 */

function alawToLinear(code: number): number {
  const a = code ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  switch (seg) {
    case 0:
      t += 8;
      break;
    case 1:
      t += 0x108;
      break;
    default:
      t += 0x108;
      t <<= seg - 1;
  }
  return a & 0x80 ? t : -t;
}

/**
 * ffmpeg's table construction (libavcodec pcm_tablegen): each 14-bit input goes to the
 * nearest code by midpoints. The textbook Sun g711.c truncates instead and differs on
 * about 1.5% of inputs, which would break "byte-identical to ffmpeg".
 */
function buildLinearToAlaw14(): Uint8Array {
  const mask = 0xd5;
  const table = new Uint8Array(16384);
  let j = 1;
  table[8192] = mask;
  for (let i = 0; i < 127; i++) {
    const v1 = alawToLinear(i ^ mask);
    const v2 = alawToLinear((i + 1) ^ mask);
    const v = (v1 + v2 + 4) >> 3;
    for (; j < v; j++) {
      table[8192 - j] = i ^ (mask ^ 0x80);
      table[8192 + j] = i ^ mask;
    }
  }
  for (; j < 8192; j++) {
    table[8192 - j] = 127 ^ (mask ^ 0x80);
    table[8192 + j] = 127 ^ mask;
  }
  table[0] = table[1] as number;
  return table;
}

/** A-law byte → 16-bit linear sample. */
export const ALAW_DECODE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = alawToLinear(i);
  return table;
})();

/**
 * 16-bit linear sample (offset by 32768) → A-law byte, expanded from the 14-bit table.
 * Built on first use: every command loads this module, few encode (ffmpeg writes the
 * A-law of a faithful conversion).
 */
let alawEncode: Uint8Array | null = null;
function alawEncodeTable(): Uint8Array {
  if (!alawEncode) {
    const table14 = buildLinearToAlaw14();
    alawEncode = new Uint8Array(65536);
    for (let i = 0; i < 65536; i++) alawEncode[i] = table14[i >> 2] as number;
  }
  return alawEncode;
}

export function encodeAlaw(samples: Int16Array): Uint8Array {
  const table = alawEncodeTable();
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = table[(samples[i] as number) + 32768] as number;
  return out;
}

export function decodeAlaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ALAW_DECODE[bytes[i] as number] as number;
  return out;
}
