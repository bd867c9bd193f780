import { CODECS, type CodecId } from '../codec-info.js';
import { DEFAULT_MP3_BITRATE } from '../codecs/encode.js';
import { GSM_FRAME_BYTES, GSM_FRAME_SAMPLES, GSM_WAV_BLOCK_BYTES, GSM_WAV_BLOCK_SAMPLES, wavHeaderBytes } from '../codecs/wav-container.js';
import type { ContainerId } from '../profile-spec.js';

/**
 * How much audio a target can hold, known before anything is decoded: the size limit
 * less the container's header, at the codec's bytes a second, and the platform's own
 * duration limit where it has one, whichever is shorter. A source longer than that fails
 * up front (or is cut to fit), per target: one run can make a 4-minute prompt for Amazon
 * Connect (µ-law 8 kHz: 50 MB hold 6,250 s, the 5-minute limit counts first) and refuse
 * it for Huawei (A-law: 2,000,000 bytes hold 250 s).
 */

/** What capacity reads of a profile (every Profile has these). */
export interface SizeRules {
  codec: CodecId;
  container: ContainerId;
  maxBytes?: number;
  maxSeconds?: number;
  /** Bits a second of an MP3 profile (the encoder's default when it names none). */
  mp3Bitrate?: number;
}

export interface Capacity {
  /** Samples a prompt may have at `rate` (Infinity: no limit). */
  maxSamples: number;
  /** The same, in seconds. */
  maxSeconds: number;
  /** Which limit decides: the size (with the codec's rate), the platform's duration limit, or none. */
  limitedBy: 'size' | 'duration' | 'none';
}

/** Bytes before the audio in the canonical file; none for raw and MP3 (an MP3's frame headers are part of its bitrate). */
export function headerBytes(rules: Pick<SizeRules, 'codec' | 'container'>): number {
  return rules.container === 'wav' && rules.codec !== 'mp3' ? wavHeaderBytes(rules.codec) : 0;
}

/** Samples of the longest prompt whose file fits in `maxBytes`, at `rate`. */
function samplesInBytes(rules: SizeRules, maxBytes: number, rate: number): number {
  const room = maxBytes - headerBytes(rules);
  if (room <= 0) return 0;
  // A WAV data chunk of odd length is padded with one byte, which counts towards the size.
  const padded = rules.container === 'wav';
  switch (rules.codec) {
    case 'alaw':
    case 'mulaw': {
      const n = room;
      return padded && n % 2 === 1 ? n - 1 : n;
    }
    case 'pcm16':
      return Math.floor(room / 2);
    case 'gsm': {
      // Whole blocks only; headerless GSM is 33-byte frames of 160 samples, the same rate.
      const [unit, per] = rules.container === 'raw' ? [GSM_FRAME_BYTES, GSM_FRAME_SAMPLES] : [GSM_WAV_BLOCK_BYTES, GSM_WAV_BLOCK_SAMPLES];
      let blocks = Math.floor(room / unit);
      if (padded && blocks % 2 === 1 && blocks * unit + 1 > room) blocks -= 1;
      return blocks * per;
    }
    case 'mp3': {
      const bytesPerSecond = CODECS.mp3.bytesPerSecond(rate, rules.mp3Bitrate ?? DEFAULT_MP3_BITRATE);
      // One frame of 1152 samples to spare: the encoder's last frame is padded to whole.
      return Math.max(0, Math.floor((room / bytesPerSecond) * rate) - 1152);
    }
  }
}

/** The longest prompt a target takes at `rate`; `maxBytes` overrides the profile's size limit. */
export function capacity(rules: SizeRules, rate: number, maxBytes: number | undefined = rules.maxBytes): Capacity {
  const bySize = maxBytes === undefined ? Infinity : samplesInBytes(rules, maxBytes, rate);
  const byDuration = rules.maxSeconds === undefined ? Infinity : Math.floor(rules.maxSeconds * rate);
  const maxSamples = Math.min(bySize, byDuration);
  const limitedBy = maxSamples === Infinity ? 'none' : bySize <= byDuration ? 'size' : 'duration';
  return { maxSamples, maxSeconds: maxSamples / rate, limitedBy };
}
