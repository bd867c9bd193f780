import { encodeAlaw } from '../../src/alaw.js';
import { buildCanonicalWav } from '../../src/wav.js';

/** 16-bit samples of a sine tone, computed in-process. */
export function sineSamples(seconds: number, frequency = 440, peakDbfs = -12, sampleRate = 8000): Int16Array {
  const n = Math.round(seconds * sampleRate);
  const amp = 32767 * Math.pow(10, peakDbfs / 20);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
  return out;
}

/** The canonical valid prompt: in-process A-law in promptprep's own 58-byte-header layout. */
export function canonicalPrompt(seconds = 1): Buffer {
  return buildCanonicalWav(encodeAlaw(sineSamples(seconds)), { formatTag: 6, sampleRate: 8000, channels: 1, bitsPerSample: 8 });
}
