/**
 * G.711 µ-law in-process, built the way ffmpeg's pcm_tablegen builds it, so the bytes are
 * ffmpeg's pcm_mulaw bytes for the same samples (test/codecs-g711.test.ts proves it for
 * all 65,536 inputs). A-law lives in ../alaw.ts and is re-exported here so every G.711
 * path is found in one place.
 */
export { ALAW_DECODE, decodeAlaw, encodeAlaw } from '../alaw.js';
import { buildG711EncodeTable, decodeWithTable, encodeWithTable } from '../alaw.js';

const BIAS = 0x84;

/** ITU-T G.711 µ-law expansion (ffmpeg's ulaw2linear): a code to a 16-bit sample. */
function ulawToLinear(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? BIAS - t : t - BIAS;
}

/** µ-law byte → 16-bit linear sample. */
export const MULAW_DECODE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = ulawToLinear(i);
  return table;
})();

/** 16-bit sample (offset by 32768) → µ-law byte (mask 0xff in ffmpeg's table build); built on first use (few commands encode µ-law). */
let mulawEncode: Uint8Array | null = null;

export function encodeMulaw(samples: Int16Array): Uint8Array {
  mulawEncode ??= buildG711EncodeTable(ulawToLinear, 0xff);
  return encodeWithTable(mulawEncode, samples);
}

export function decodeMulaw(bytes: Uint8Array): Int16Array {
  return decodeWithTable(MULAW_DECODE, bytes);
}
