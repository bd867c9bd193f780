/**
 * One call from 16-bit samples to the bytes of a profile's file: codec and container.
 * G.711 and 16-bit PCM are encoded in-process (byte-identical to ffmpeg's pcm_alaw,
 * pcm_mulaw and pcm_s16le); GSM 6.10 and MP3 come from ffmpeg's own libgsm and libmp3lame,
 * through src/ffmpeg.ts.
 */
import {
  encodeWithFfmpeg,
  FfmpegNotFoundError,
  ffmpegFeatures,
  locateFfmpeg,
  type EncodeSpec,
  type FfmpegBinary,
  type FfmpegFeatures,
  type FfmpegNeed,
} from '../ffmpeg.js';
import { encodeAlaw, encodeMulaw } from './g711.js';
import { encodePcm16 } from './pcm16.js';
import type { CodecId, EncodeTarget } from './types.js';
import { buildCodecWav, GSM_FRAME_BYTES, GSM_WAV_BLOCK_BYTES } from './wav-container.js';

/** A profile asks for a codec this ffmpeg was built without: a setup error naming the encoder. */
export class MissingEncoderError extends FfmpegNotFoundError {
  override name = 'MissingEncoderError';
}

/** A codec, container and rate that do not go together (a profile's data is wrong). */
export class UnsupportedTargetError extends Error {
  override name = 'UnsupportedTargetError';
}

/** Sample rates MP3 (MPEG-1, 2 and 2.5 layer III) can carry. */
export const MP3_SAMPLE_RATES: readonly number[] = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];
/** GSM 6.10 is defined at 8 kHz only (libgsm refuses anything else). */
export const GSM_SAMPLE_RATE = 8000;
/** MP3 bitrate when a profile names none: clear speech at any rate MP3 allows. */
export const DEFAULT_MP3_BITRATE = 32_000;

const CODEC_NAMES: Readonly<Record<CodecId, string>> = {
  alaw: 'G.711 A-law',
  mulaw: 'G.711 µ-law',
  pcm16: '16-bit PCM',
  gsm: 'GSM 6.10',
  mp3: 'MP3',
};

/** Which of ffmpeg's encoders a target needs, with the words an error uses; null when it is encoded in-process. */
export function encoderNeed(target: EncodeTarget): FfmpegNeed | null {
  const forWhat = (what: string): string => `${what}${target.id ? ` (profile ${target.id})` : ''}`;
  if (target.codec === 'gsm') {
    return target.container === 'raw'
      ? { kind: 'encoder', name: 'libgsm', for: forWhat('headerless GSM 6.10') }
      : { kind: 'encoder', name: 'libgsm_ms', for: forWhat('GSM 6.10 in WAV') };
  }
  if (target.codec === 'mp3') return { kind: 'encoder', name: 'libmp3lame', for: forWhat('MP3') };
  return null;
}

/** Throws a TypeError-free, clear error when `codec` cannot go into `container` at `rate`. */
export function validateTarget(target: EncodeTarget, rate: number): void {
  const what = `${CODEC_NAMES[target.codec]} in ${target.container === 'raw' ? 'a headerless file' : target.container.toUpperCase()}${target.id ? ` (profile ${target.id})` : ''}`;
  if ((target.codec === 'mp3') !== (target.container === 'mp3')) {
    throw new UnsupportedTargetError(`${what} is not a file any platform reads: MP3 audio goes in an MP3 file, and an MP3 file holds only MP3.`);
  }
  if (!Number.isInteger(rate) || rate <= 0) throw new UnsupportedTargetError(`${what}: the sample rate must be a positive whole number of Hz (got ${rate}).`);
  if (target.codec === 'gsm' && rate !== GSM_SAMPLE_RATE) {
    throw new UnsupportedTargetError(`${what}: GSM 6.10 is defined at ${GSM_SAMPLE_RATE} Hz only (got ${rate} Hz).`);
  }
  if (target.codec === 'mp3' && !MP3_SAMPLE_RATES.includes(rate)) {
    throw new UnsupportedTargetError(`${what}: MP3 carries only ${MP3_SAMPLE_RATES.join(', ')} Hz (got ${rate} Hz).`);
  }
}

/**
 * The in-process codecs' bytes (A-law, µ-law, 16-bit PCM) in the target's container;
 * null for a codec only ffmpeg encodes. Synchronous: a batch encodes thousands of prompts.
 */
export function encodeInProcess(samples: Int16Array, rate: number, target: EncodeTarget): Buffer | null {
  let data: Uint8Array;
  switch (target.codec) {
    case 'alaw':
      data = encodeAlaw(samples);
      break;
    case 'mulaw':
      data = encodeMulaw(samples);
      break;
    case 'pcm16':
      data = encodePcm16(samples);
      break;
    default:
      return null;
  }
  validateTarget(target, rate);
  return target.container === 'wav' ? buildCodecWav(data, target.codec, rate) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export interface EncodeOptions {
  /** The ffmpeg for GSM and MP3; default the one locateFfmpeg finds. */
  ffmpeg?: FfmpegBinary;
  /** Its features, when the caller has them (default asked of ffmpegFeatures, which caches them). */
  features?: FfmpegFeatures;
}

/** The ffmpeg run that encodes a target's codec, or null for an in-process codec. */
export function ffmpegEncodeSpec(target: EncodeTarget): EncodeSpec | null {
  const need = encoderNeed(target);
  if (!need) return null;
  if (target.codec === 'gsm') return { encoder: need.name, format: 'gsm' };
  // No Xing/LAME frame (it cannot be filled in on a pipe, and a constant-bitrate file needs
  // none) and no ID3 tag: the file is MP3 frames and nothing else.
  return {
    encoder: need.name,
    format: 'mp3',
    options: ['-b:a', String(target.mp3Bitrate ?? DEFAULT_MP3_BITRATE), '-write_xing', '0', '-id3v2_version', '0'],
  };
}

/** Throw MissingEncoderError when this ffmpeg lacks what the target needs. */
export function requireEncoder(binary: FfmpegBinary, features: FfmpegFeatures, target: EncodeTarget): void {
  const need = encoderNeed(target);
  if (!need || features.encoders.includes(need.name)) return;
  throw new MissingEncoderError(
    `ffmpeg ${features.version} (${binary.path}) has no encoder "${need.name}", needed for ${need.for}. ` +
      `Use an ffmpeg built with ${need.name.startsWith('libgsm') ? '--enable-libgsm' : '--enable-libmp3lame'} (Debian and Ubuntu's ffmpeg package has it) and point FFMPEG_PATH at it; \`promptprep doctor --json\` lists the encoders of each ffmpeg it finds.`,
  );
}

/**
 * The bytes of the target's file for these samples (mono, 16-bit, already at `rate`):
 * what a profile's platform reads, header and all.
 */
export async function encodeForProfile(samples: Int16Array, rate: number, target: EncodeTarget, options: EncodeOptions = {}): Promise<Buffer> {
  validateTarget(target, rate);
  const done = encodeInProcess(samples, rate, target);
  if (done) return done;
  const spec = ffmpegEncodeSpec(target) as EncodeSpec;
  const binary = options.ffmpeg ?? (await locateFfmpeg());
  requireEncoder(binary, options.features ?? (await ffmpegFeatures(binary)), target);
  const encoded = await encodeWithFfmpeg(binary, encodePcm16(samples), rate, spec);
  if (target.codec === 'gsm') {
    const unit = target.container === 'raw' ? GSM_FRAME_BYTES : GSM_WAV_BLOCK_BYTES;
    if (encoded.length % unit !== 0) throw new Error(`ffmpeg's ${spec.encoder} wrote ${encoded.length} bytes, not whole ${unit}-byte GSM 6.10 ${unit === GSM_FRAME_BYTES ? 'frames' : 'blocks'}`);
    return target.container === 'wav' ? buildCodecWav(encoded, 'gsm', rate) : encoded;
  }
  return encoded;
}
