/** Encoders and containers per codec: see encode.ts for the one call that makes a profile's file. */
export type { CodecId, ContainerId, EncodeTarget } from './types.js';
export { decodeMulaw, encodeMulaw, MULAW_DECODE, ALAW_DECODE, decodeAlaw, encodeAlaw } from './g711.js';
export { decodePcm16, encodePcm16 } from './pcm16.js';
export {
  buildCodecWav,
  wavBytesPerSecond,
  wavHeaderBytes,
  WAV_FORMAT_TAG,
  GSM_FRAME_BYTES,
  GSM_FRAME_SAMPLES,
  GSM_WAV_BLOCK_BYTES,
  GSM_WAV_BLOCK_SAMPLES,
  type WavCodecId,
} from './wav-container.js';
export {
  DEFAULT_MP3_BITRATE,
  encodeForProfile,
  encodeInProcess,
  encoderNeed,
  ffmpegEncodeSpec,
  GSM_SAMPLE_RATE,
  MissingEncoderError,
  MP3_SAMPLE_RATES,
  requireEncoder,
  UnsupportedTargetError,
  validateTarget,
  type EncodeOptions,
} from './encode.js';
