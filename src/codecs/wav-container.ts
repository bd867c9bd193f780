/**
 * The canonical WAV of each codec: the exact layout the platforms' strict parsers read,
 * and the layout ffmpeg writes with +bitexact (test/codecs-containers.test.ts compares
 * whole files). Nothing but RIFF, WAVE, fmt, fact (non-PCM only) and data.
 *
 * - A-law, µ-law: fmt of 18 bytes (cbSize 0), fact, data: 58-byte header (src/wav.ts).
 * - 16-bit PCM: fmt of 16 bytes, no fact: the 44-byte header Asterisk's format_wav and
 *   libsndfile read.
 * - GSM 6.10 (Microsoft's 65-byte blocks of 320 samples): fmt of 20 bytes (cbSize 2,
 *   samplesPerBlock 320), block align 65, 0 bits a sample, fact, data: 60 bytes, which is
 *   all Asterisk's format_wav_gsm accepts (it insists on fmt 20, then fact, then data).
 */
import { buildCanonicalWav, CANONICAL_HEADER_BYTES } from '../wav.js';
import type { CodecId } from './types.js';

export type WavCodecId = Exclude<CodecId, 'mp3'>;

/** Microsoft GSM 6.10 in WAV: two 33-byte frames packed into 65 bytes, 320 samples. */
export const GSM_WAV_BLOCK_BYTES = 65;
export const GSM_WAV_BLOCK_SAMPLES = 320;
/** Headerless GSM 6.10 (.gsm): one 33-byte frame a 160 samples, each starting with the nibble 0xD. */
export const GSM_FRAME_BYTES = 33;
export const GSM_FRAME_SAMPLES = 160;

export const PCM16_HEADER_BYTES = 44;
export const GSM_WAV_HEADER_BYTES = 60;

/** WAVE format tag of each codec that WAV can carry. */
export const WAV_FORMAT_TAG: Readonly<Record<WavCodecId, number>> = { alaw: 6, mulaw: 7, pcm16: 1, gsm: 0x31 };

/** Bytes before the audio in the canonical WAV of `codec`. */
export function wavHeaderBytes(codec: WavCodecId): number {
  switch (codec) {
    case 'alaw':
    case 'mulaw':
      return CANONICAL_HEADER_BYTES;
    case 'pcm16':
      return PCM16_HEADER_BYTES;
    case 'gsm':
      return GSM_WAV_HEADER_BYTES;
  }
}

/** Bytes of audio data one second takes in `codec` at `sampleRate` (GSM: 1,625 at 8 kHz). */
export function wavBytesPerSecond(codec: WavCodecId, sampleRate: number): number {
  switch (codec) {
    case 'alaw':
    case 'mulaw':
      return sampleRate;
    case 'pcm16':
      return sampleRate * 2;
    case 'gsm':
      return Math.round((sampleRate * GSM_WAV_BLOCK_BYTES) / GSM_WAV_BLOCK_SAMPLES);
  }
}

/**
 * The canonical WAV of `data` (the codec's own bytes, mono) at `sampleRate`. GSM data
 * must be whole 65-byte blocks, as ffmpeg's libgsm_ms writes them.
 */
export function buildCodecWav(data: Uint8Array, codec: WavCodecId, sampleRate: number): Buffer {
  switch (codec) {
    case 'alaw':
    case 'mulaw':
      return buildCanonicalWav(data, { formatTag: WAV_FORMAT_TAG[codec], sampleRate, channels: 1, bitsPerSample: 8 });
    case 'pcm16':
      return buildPcm16Wav(data, sampleRate);
    case 'gsm':
      return buildGsmWav(data, sampleRate);
  }
}

function riff(out: Buffer): void {
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(out.length - 8, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
}

function buildPcm16Wav(data: Uint8Array, sampleRate: number): Buffer {
  if (data.length % 2 !== 0) throw new Error(`16-bit PCM data must be whole 2-byte samples; got ${data.length} bytes`);
  const out = Buffer.alloc(PCM16_HEADER_BYTES + data.length);
  riff(out);
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(data.length, 40);
  out.set(data, PCM16_HEADER_BYTES);
  return out;
}

function buildGsmWav(data: Uint8Array, sampleRate: number): Buffer {
  if (data.length % GSM_WAV_BLOCK_BYTES !== 0) {
    throw new Error(`GSM 6.10 WAV data must be whole ${GSM_WAV_BLOCK_BYTES}-byte blocks; got ${data.length} bytes`);
  }
  const blocks = data.length / GSM_WAV_BLOCK_BYTES;
  const pad = data.length & 1;
  const out = Buffer.alloc(GSM_WAV_HEADER_BYTES + data.length + pad);
  riff(out);
  out.writeUInt32LE(20, 16);
  out.writeUInt16LE(WAV_FORMAT_TAG.gsm, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(wavBytesPerSecond('gsm', sampleRate), 28);
  out.writeUInt16LE(GSM_WAV_BLOCK_BYTES, 32);
  out.writeUInt16LE(0, 34);
  out.writeUInt16LE(2, 36);
  out.writeUInt16LE(GSM_WAV_BLOCK_SAMPLES, 38);
  out.write('fact', 40, 'latin1');
  out.writeUInt32LE(4, 44);
  // Whole blocks, as ffmpeg and Asterisk write it: the samples a decoder gives back.
  out.writeUInt32LE(blocks * GSM_WAV_BLOCK_SAMPLES, 48);
  out.write('data', 52, 'latin1');
  out.writeUInt32LE(data.length, 56);
  out.set(data, GSM_WAV_HEADER_BYTES);
  return out;
}
