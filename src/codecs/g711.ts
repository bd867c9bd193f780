/**
 * G.711 µ-law in-process, built the way ffmpeg's pcm_tablegen builds it, so the bytes are
 * ffmpeg's pcm_mulaw bytes for the same samples (test/codecs-g711.test.ts proves it for
 * all 65,536 inputs). A-law lives in ../alaw.ts and is re-exported here so every G.711
 * path is found in one place.
 */
export { ALAW_DECODE, decodeAlaw, encodeAlaw } from '../alaw.js';

const BIAS = 0x84;

/** ITU-T G.711 µ-law expansion (ffmpeg's ulaw2linear): a code to a 16-bit sample. */
function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? BIAS - t : t - BIAS;
}

/**
 * ffmpeg's build_xlaw_table with µ-law's mask 0xff: each 14-bit input goes to the nearest
 * code by midpoints of the decoded values. A textbook compander (Sun's g711.c) rounds
 * differently on some inputs, which would break "byte-identical to ffmpeg".
 */
function buildLinearToUlaw14(): Uint8Array {
  const mask = 0xff;
  const table = new Uint8Array(16384);
  let j = 1;
  table[8192] = mask;
  for (let i = 0; i < 127; i++) {
    const v1 = ulawToLinear(i ^ mask);
    const v2 = ulawToLinear((i + 1) ^ mask);
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

/** µ-law byte → 16-bit linear sample. */
export const MULAW_DECODE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = ulawToLinear(i);
  return table;
})();

/** 16-bit sample (offset by 32768) → µ-law byte; built on first use (few commands encode µ-law). */
let mulawEncode: Uint8Array | null = null;
function mulawEncodeTable(): Uint8Array {
  if (!mulawEncode) {
    const table14 = buildLinearToUlaw14();
    mulawEncode = new Uint8Array(65536);
    for (let i = 0; i < 65536; i++) mulawEncode[i] = table14[i >> 2] as number;
  }
  return mulawEncode;
}

export function encodeMulaw(samples: Int16Array): Uint8Array {
  const table = mulawEncodeTable();
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = table[(samples[i] as number) + 32768] as number;
  return out;
}

export function decodeMulaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = MULAW_DECODE[bytes[i] as number] as number;
  return out;
}
