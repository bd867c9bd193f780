/**
 * The codecs a prompt can be written in, one row each: what a profile names with `codec`,
 * and what the checks and the size arithmetic need to know of it. A leaf module (no zod,
 * no imports), so the check and convert paths can read it at no cost.
 */

export type CodecId = 'alaw' | 'mulaw' | 'pcm16' | 'gsm' | 'mp3';

export interface CodecInfo {
  id: CodecId;
  /** For people: "G.711 A-law". */
  name: string;
  /** WAVE format tag of the codec in a `fmt ` chunk; null where it is not written in WAV (MP3). */
  formatTag: number | null;
  /** Bits a sample in a WAV `fmt ` chunk; 0 where samples are not a fixed size (GSM frames, MP3). */
  bitsPerSample: number;
  /**
   * Bytes one second of mono audio takes at `rate` Hz. GSM 6.10 packs 320 samples into a
   * 65-byte block (1625 B/s at 8 kHz); MP3 is its bitrate, which the profile gives.
   */
  bytesPerSecond(rate: number, mp3Bitrate?: number): number;
}

export const CODECS: Readonly<Record<CodecId, CodecInfo>> = {
  alaw: { id: 'alaw', name: 'G.711 A-law', formatTag: 6, bitsPerSample: 8, bytesPerSecond: (rate) => rate },
  mulaw: { id: 'mulaw', name: 'G.711 µ-law', formatTag: 7, bitsPerSample: 8, bytesPerSecond: (rate) => rate },
  pcm16: { id: 'pcm16', name: '16-bit PCM', formatTag: 1, bitsPerSample: 16, bytesPerSecond: (rate) => rate * 2 },
  gsm: { id: 'gsm', name: 'GSM 6.10', formatTag: 0x31, bitsPerSample: 0, bytesPerSecond: (rate) => (rate * 65) / 320 },
  mp3: {
    id: 'mp3',
    name: 'MP3',
    formatTag: null,
    bitsPerSample: 0,
    bytesPerSecond: (_rate, mp3Bitrate) => {
      if (mp3Bitrate === undefined) throw new Error('MP3 takes as many bytes a second as its bitrate: give mp3Bitrate');
      return mp3Bitrate / 8;
    },
  },
};

export const CODEC_IDS = Object.keys(CODECS) as CodecId[];

export function codecInfo(id: CodecId): CodecInfo {
  return CODECS[id];
}
