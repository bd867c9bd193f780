/**
 * How much audio a target can hold, known before anything is decoded: the size limit
 * less the container's header, at the codec's bytes a second, and the platform's own
 * duration limit where it has one, whichever is shorter. A source longer than that fails
 * up front (or is cut to fit), per target: one run can make a 4-minute prompt for Amazon
 * Connect (µ-law 8 kHz: 50 MB hold 6,250 s, the 5-minute limit counts first) and refuse
 * it for Huawei (A-law: 2,000,000 bytes hold 250 s).
 */

export type SizedCodec = 'alaw' | 'mulaw' | 'pcm16' | 'gsm' | 'mp3';
export type SizedContainer = 'wav' | 'raw' | 'mp3';

/** What capacity reads of a profile (every Profile has these). */
export interface SizeRules {
  codec: SizedCodec;
  container: SizedContainer;
  maxBytes?: number;
  maxSeconds?: number;
  /** kbit/s of an MP3 profile. */
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

/** GSM 6.10 as WAV carries it (format 0x31): 320 samples in 65 bytes. */
const GSM_BLOCK_BYTES = 65;
const GSM_BLOCK_SAMPLES = 320;

/**
 * Bytes before the audio in the canonical file: RIFF/WAVE, `fmt ` (18 bytes for the
 * G.711 codes, 16 for PCM, 20 for GSM with its samples-per-block), `fact` where the
 * format is not PCM, and the `data` chunk header. Raw and MP3: none counted (an MP3's
 * frame headers are part of its bitrate).
 */
export function headerBytes(rules: Pick<SizeRules, 'codec' | 'container'>): number {
  if (rules.container !== 'wav') return 0;
  switch (rules.codec) {
    case 'pcm16':
      return 12 + 8 + 16 + 8;
    case 'gsm':
      return 12 + 8 + 20 + 12 + 8;
    default:
      return 12 + 8 + 18 + 12 + 8;
  }
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
      let blocks = Math.floor(room / GSM_BLOCK_BYTES);
      if (padded && blocks % 2 === 1 && blocks * GSM_BLOCK_BYTES + 1 > room) blocks -= 1;
      return blocks * GSM_BLOCK_SAMPLES;
    }
    case 'mp3': {
      const bytesPerSecond = ((rules.mp3Bitrate ?? 32) * 1000) / 8;
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
