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
 * ffmpeg's table construction for both G.711 laws (libavcodec pcm_tablegen's
 * build_xlaw_table): each 14-bit input goes to the nearest code by midpoints of the decoded
 * values, expanded here to every 16-bit sample (offset by 32768). The textbook Sun g711.c
 * truncates instead and differs on about 1.5% of inputs, which would break
 * "byte-identical to ffmpeg". codecs/g711.ts builds µ-law's table with this too.
 */
export function buildG711EncodeTable(toLinear: (code: number) => number, mask: number): Uint8Array {
  const table14 = new Uint8Array(16384);
  let j = 1;
  table14[8192] = mask;
  for (let i = 0; i < 127; i++) {
    const v1 = toLinear(i ^ mask);
    const v2 = toLinear((i + 1) ^ mask);
    const v = (v1 + v2 + 4) >> 3;
    for (; j < v; j++) {
      table14[8192 - j] = i ^ (mask ^ 0x80);
      table14[8192 + j] = i ^ mask;
    }
  }
  for (; j < 8192; j++) {
    table14[8192 - j] = 127 ^ (mask ^ 0x80);
    table14[8192 + j] = 127 ^ mask;
  }
  table14[0] = table14[1] as number;
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = table14[i >> 2] as number;
  return table;
}

/** Samples through a 65,536-entry encode table. */
export function encodeWithTable(table: Uint8Array, samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = table[(samples[i] as number) + 32768] as number;
  return out;
}

/** Codes through a 256-entry decode table. */
export function decodeWithTable(table: Int16Array, bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i] as number] as number;
  return out;
}

/** A-law byte → 16-bit linear sample. */
export const ALAW_DECODE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = alawToLinear(i);
  return table;
})();

/**
 * 16-bit linear sample (offset by 32768) → A-law byte. Built on first use: every command
 * loads this module, few encode (ffmpeg writes the A-law of a faithful conversion).
 */
let alawEncode: Uint8Array | null = null;

export function encodeAlaw(samples: Int16Array): Uint8Array {
  alawEncode ??= buildG711EncodeTable(alawToLinear, 0xd5);
  return encodeWithTable(alawEncode, samples);
}

/** One channel of interleaved samples, encoded: no copy of the channel first. */
export function encodeAlawChannel(interleaved: Int16Array, channels: number, channel: number): Uint8Array {
  alawEncode ??= buildG711EncodeTable(alawToLinear, 0xd5);
  const table = alawEncode;
  const out = new Uint8Array(Math.floor(interleaved.length / channels));
  for (let i = 0, j = channel; i < out.length; i++, j += channels) out[i] = table[(interleaved[j] as number) + 32768] as number;
  return out;
}

export function decodeAlaw(bytes: Uint8Array): Int16Array {
  return decodeWithTable(ALAW_DECODE, bytes);
}
