/**
 * What `check` says of a file's codec and container, for any profile: the WAV format
 * rules per codec (format tag, rate, block layout, GSM's 20-byte fmt), headerless files
 * judged by their extension's codec and their size, and MP3 judged by its frame headers.
 * Every message names the profile whose rule it is; no rule here knows a platform by name.
 */
import { analyzeCodes, analyzeSamples, type AnalysisOptions, type AudioStats } from '../audio-analysis.js';
import { finding, type Finding } from '../findings.js';
import { formatTagName, type WavFormat, type WavInfo } from '../wav.js';
import { ALAW_DECODE, MULAW_DECODE } from './g711.js';
import { decodePcm16 } from './pcm16.js';
import type { CodecId, ContainerId } from './types.js';
import { GSM_FRAME_BYTES, GSM_FRAME_SAMPLES, GSM_WAV_BLOCK_BYTES, GSM_WAV_BLOCK_SAMPLES, WAV_FORMAT_TAG, wavBytesPerSecond } from './wav-container.js';

/** What judging reads of a profile (a Profile has all of it). */
export interface JudgedProfile {
  id: string;
  title: string;
  codec: CodecId;
  container: ContainerId;
  extension: string;
  sampleRates: readonly number[];
  channels: number;
  maxBytes?: number;
  minSeconds?: number;
  maxSeconds?: number;
  mp3Bitrate?: number;
}

export interface Verdict {
  errors: Finding[];
  warnings: Finding[];
  /** The level analysis of the audio, where it could be decoded in-process. */
  stats?: AudioStats;
}

const CONVERT_HINT = 'Convert it with `promptprep convert`.';

export const CODEC_NAMES: Readonly<Record<CodecId, string>> = {
  alaw: 'G.711 A-law',
  mulaw: 'G.711 µ-law',
  pcm16: '16-bit PCM',
  gsm: 'GSM 6.10',
  mp3: 'MP3',
};

/** "the amazon-connect profile (Amazon Connect prompts)": whose rule a finding applies. */
export function profileLabel(profile: Pick<JudgedProfile, 'id' | 'title'>): string {
  return `the ${profile.id} profile (${profile.title})`;
}

function ratesText(rates: readonly number[]): string {
  const hz = rates.map((r) => `${r}`);
  return hz.length === 1 ? `${hz[0]} Hz` : `${hz.slice(0, -1).join(', ')} or ${hz[hz.length - 1]} Hz`;
}

/** How the profile's codec sits in a WAV fmt chunk: its tag, bits, block align and byte rate at `rate`. */
function expectedWavFormat(codec: Exclude<CodecId, 'mp3'>, rate: number): { tag: number; bits: number; blockAlign: number; byteRate: number } {
  switch (codec) {
    case 'alaw':
    case 'mulaw':
      return { tag: WAV_FORMAT_TAG[codec], bits: 8, blockAlign: 1, byteRate: rate };
    case 'pcm16':
      return { tag: 1, bits: 16, blockAlign: 2, byteRate: rate * 2 };
    case 'gsm':
      return { tag: WAV_FORMAT_TAG.gsm, bits: 0, blockAlign: GSM_WAV_BLOCK_BYTES, byteRate: wavBytesPerSecond('gsm', rate) };
  }
}

/** Samples a WAV's data holds, by its own format (GSM: 320 a 65-byte block); null when it cannot be told. */
export function wavSampleCount(fmt: WavFormat, dataBytes: number): number | null {
  if (fmt.blockAlign <= 0) return null;
  const blocks = Math.floor(dataBytes / fmt.blockAlign);
  if (fmt.effectiveFormatTag === WAV_FORMAT_TAG.gsm) return blocks * (fmt.samplesPerBlock ?? GSM_WAV_BLOCK_SAMPLES);
  if (fmt.bitsPerSample <= 0) return null;
  return Math.floor((dataBytes * 8) / (fmt.bitsPerSample * Math.max(1, fmt.channels)));
}

/**
 * The format errors of a WAV for the profile: codec, rate (one of the profile's rates),
 * channels, bits, and a block layout that follows from them (GSM 6.10: 65-byte blocks of
 * 320 samples in a 20-byte fmt, which is all Asterisk's reader takes).
 */
export function wavFormatErrors(info: WavInfo, profile: JudgedProfile): Finding[] {
  const fmt = info.format;
  const errors: Finding[] = [];
  if (!fmt) return errors;
  const who = profileLabel(profile);
  if (profile.codec === 'mp3') {
    errors.push(finding('container', `The file is a WAV file; ${who} needs an MP3 file. ${CONVERT_HINT}`));
    return errors;
  }
  const want = expectedWavFormat(profile.codec, fmt.sampleRate);
  const codecName = CODEC_NAMES[profile.codec];
  if (fmt.effectiveFormatTag !== want.tag) {
    errors.push(
      finding(
        'codec',
        `The audio is ${formatTagName(fmt.effectiveFormatTag, fmt.bitsPerSample)} (WAVE format tag ${fmt.effectiveFormatTag}); ${who} needs ${codecName} (format tag ${want.tag}). ${CONVERT_HINT}`,
      ),
    );
  }
  if (!profile.sampleRates.includes(fmt.sampleRate)) {
    errors.push(finding('sample-rate', `The sample rate is ${fmt.sampleRate} Hz; ${who} needs ${ratesText(profile.sampleRates)}. ${CONVERT_HINT}`));
  }
  if (fmt.channels !== profile.channels) {
    errors.push(finding('channels', `The file has ${fmt.channels} channels; ${who} needs ${profile.channels} (mono). ${CONVERT_HINT}`));
  }
  const rightCodec = fmt.effectiveFormatTag === want.tag;
  // With the wrong codec, its bits are worth naming only where it has any (not GSM's 0).
  if (fmt.bitsPerSample !== want.bits && (rightCodec || (want.bits > 0 && fmt.bitsPerSample > 0))) {
    errors.push(
      finding(
        'bits-per-sample',
        want.bits === 0
          ? `The fmt chunk gives ${fmt.bitsPerSample} bits a sample; ${codecName} has none (0), as ${who} reads it. ${CONVERT_HINT}`
          : `The samples are ${fmt.bitsPerSample}-bit; ${who} needs ${want.bits}-bit. ${CONVERT_HINT}`,
      ),
    );
  }
  // Block align and byte rate must follow from the file's own format, whatever the profile.
  const gsmFile = fmt.effectiveFormatTag === WAV_FORMAT_TAG.gsm;
  if (gsmFile || fmt.bitsPerSample > 0) {
    const expectedAlign = gsmFile ? GSM_WAV_BLOCK_BYTES : (fmt.channels * fmt.bitsPerSample) / 8;
    const expectedRate = gsmFile ? wavBytesPerSecond('gsm', fmt.sampleRate) : fmt.sampleRate * expectedAlign;
    if (fmt.blockAlign !== expectedAlign || fmt.byteRate !== expectedRate) {
      const from = gsmFile ? `GSM 6.10 blocks (${GSM_WAV_BLOCK_BYTES} bytes of ${GSM_WAV_BLOCK_SAMPLES} samples)` : `${fmt.channels} channel(s) of ${fmt.bitsPerSample}-bit samples`;
      errors.push(
        finding(
          'header-size-mismatch',
          `The fmt chunk is inconsistent: block align ${fmt.blockAlign} and byte rate ${fmt.byteRate} do not follow from ${from} at ${fmt.sampleRate} Hz (expected ${expectedAlign} and ${expectedRate}). ${CONVERT_HINT}`,
        ),
      );
    }
  }
  if (!rightCodec) return errors;
  if (profile.codec === 'gsm') {
    if (fmt.fmtSize !== 20 || fmt.extraFormatBytes !== 2 || fmt.samplesPerBlock !== GSM_WAV_BLOCK_SAMPLES) {
      errors.push(
        finding(
          'header-size-mismatch',
          `The fmt chunk of a ${codecName} WAV for ${who} must be 20 bytes ending in cbSize 2 and ${GSM_WAV_BLOCK_SAMPLES} samples a block (Asterisk's reader refuses any other); this one is ${fmt.fmtSize} bytes${fmt.samplesPerBlock !== null ? ` with ${fmt.samplesPerBlock} samples a block` : ''}. ${CONVERT_HINT}`,
        ),
      );
    }
    const order = info.chunks.map((c) => c.id).join(' ');
    if (info.counts.fact === 0 || info.extraChunkCount > 0 || !order.startsWith('fmt  fact data')) {
      errors.push(
        finding(
          'chunk-order',
          `The chunks are ${info.chunks.map((c) => JSON.stringify(c.id)).join(', ')}; ${who} reads ${codecName} WAV by fixed offsets, as Asterisk does: exactly "fmt ", "fact", "data" and nothing between. ${CONVERT_HINT}`,
        ),
      );
    }
    if (info.dataOffset !== null && !info.dataSizeUnset && info.dataBytesPresent % GSM_WAV_BLOCK_BYTES !== 0) {
      errors.push(
        finding(
          'partial-frame',
          `The data chunk holds ${info.dataBytesPresent.toLocaleString('en-US')} bytes, not whole ${GSM_WAV_BLOCK_BYTES}-byte ${codecName} blocks as ${who} reads them: the last ${info.dataBytesPresent % GSM_WAV_BLOCK_BYTES} bytes are cut short. ${CONVERT_HINT}`,
        ),
      );
    }
  } else if (profile.codec === 'pcm16' && info.dataOffset !== null && info.dataBytesPresent % 2 !== 0 && !info.dataSizeUnset) {
    errors.push(
      finding(
        'partial-frame',
        `The data chunk holds ${info.dataBytesPresent.toLocaleString('en-US')} bytes, an odd number: the 16-bit samples ${who} reads take 2 bytes each, so the last sample is cut short. ${CONVERT_HINT}`,
      ),
    );
  }
  return errors;
}

/** The level analysis of a WAV's data, for the codecs decoded in-process (not GSM). */
export function analyzeWavData(fmt: WavFormat, data: Uint8Array, options: AnalysisOptions): AudioStats | null {
  if (fmt.channels !== 1 || fmt.sampleRate <= 0) return null;
  if (fmt.effectiveFormatTag === 6 && fmt.bitsPerSample === 8) return analyzeCodes(data, ALAW_DECODE, fmt.sampleRate, options);
  if (fmt.effectiveFormatTag === 7 && fmt.bitsPerSample === 8) return analyzeCodes(data, MULAW_DECODE, fmt.sampleRate, options);
  if (fmt.effectiveFormatTag === 1 && fmt.bitsPerSample === 16) return analyzeSamples(decodePcm16(data), fmt.sampleRate, options);
  return null;
}

/** Duration limits of the profile, for a prompt of `seconds`. */
export function durationFindings(seconds: number, profile: JudgedProfile): Finding[] {
  const out: Finding[] = [];
  const who = profileLabel(profile);
  if (profile.maxSeconds !== undefined && seconds > profile.maxSeconds) {
    out.push(
      finding(
        'duration-too-long',
        `The prompt lasts ${seconds.toFixed(1)} s; ${who} takes at most ${profile.maxSeconds} s. Shorten the recording, or convert with \`promptprep convert --on-oversize trim\`.`,
      ),
    );
  }
  if (profile.minSeconds !== undefined && seconds < profile.minSeconds) {
    out.push(finding('duration-too-short', `The prompt lasts ${seconds.toFixed(2)} s; ${who} takes at least ${profile.minSeconds} s.`));
  }
  return out;
}

/** Container signatures a headerless file must not start with (four exact bytes: no codec's data is mistaken). */
function containerOf(bytes: Uint8Array): string | null {
  const text = (from: number, to: number): string => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && text(0, 4) === 'RIFF' && text(8, 12) === 'WAVE') return 'a WAV (RIFF) file';
  if (bytes.length >= 12 && text(0, 4) === 'FORM' && (text(8, 12) === 'AIFF' || text(8, 12) === 'AIFC')) return 'an AIFF file';
  if (bytes.length >= 4 && text(0, 4) === 'OggS') return 'an Ogg file';
  if (bytes.length >= 4 && text(0, 4) === 'fLaC') return 'a FLAC file';
  if (bytes.length >= 8 && text(4, 8) === 'ftyp') return 'an MP4/M4A file';
  if (bytes.length >= 5 && text(0, 3) === 'ID3' && (bytes[3] as number) <= 4) return 'an MP3 file (it starts with an ID3 tag)';
  if (bytes.length >= 6 && text(0, 6) === '#!AMR\n') return 'an AMR file';
  return null;
}

/** Bytes of one whole unit of a headerless codec: a sample, or a GSM frame. */
function rawUnit(codec: Exclude<CodecId, 'mp3'>): { bytes: number; samples: number; what: string } {
  switch (codec) {
    case 'pcm16':
      return { bytes: 2, samples: 1, what: '2-byte 16-bit samples' };
    case 'gsm':
      return { bytes: GSM_FRAME_BYTES, samples: GSM_FRAME_SAMPLES, what: `${GSM_FRAME_BYTES}-byte GSM 6.10 frames` };
    default:
      return { bytes: 1, samples: 1, what: 'bytes' };
  }
}

/**
 * A headerless file (Asterisk's .alaw .ulaw .sln .sln16 .gsm): nothing tells its format
 * but the extension, so the profile's codec and rate are taken as given, and the file is
 * judged by what can be seen: no container header, whole samples or frames, GSM's frame
 * signature, the size limit, and the levels of the audio it holds. `bytes` is the whole
 * file or a prefix of it.
 */
export function judgeHeaderless(bytes: Uint8Array, fileSize: number, profile: JudgedProfile, maxBytes: number | undefined, analysis: AnalysisOptions): Verdict {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const who = profileLabel(profile);
  if (profile.codec === 'mp3') return { errors, warnings };
  const codecName = CODEC_NAMES[profile.codec];
  const rate = profile.sampleRates[0] as number;
  const whole = bytes.length === fileSize;
  if (maxBytes !== undefined && fileSize > maxBytes) {
    errors.push(
      finding(
        'too-large',
        `The file is ${fileSize.toLocaleString('en-US')} bytes; the limit is ${maxBytes.toLocaleString('en-US')} bytes for ${who} (about ${(maxBytes / wavBytesPerSecond(profile.codec, rate)).toFixed(1)} s of ${codecName} at ${rate} Hz). Shorten the recording, or convert with \`promptprep convert --on-oversize trim\`.`,
      ),
    );
  }
  const container = containerOf(bytes);
  if (container) {
    errors.push(
      finding(
        'container',
        `The file is ${container}, but ${who} wants headerless ${codecName} at ${rate} Hz in "${profile.extension}" files: the player would play the header as noise. ${CONVERT_HINT}`,
      ),
    );
    return { errors, warnings };
  }
  const unit = rawUnit(profile.codec);
  if (fileSize % unit.bytes !== 0) {
    errors.push(
      finding(
        'partial-frame',
        `The file is ${fileSize.toLocaleString('en-US')} bytes, not whole ${unit.what}: headerless ${codecName} ("${profile.extension}" for ${who}) is cut short or is not ${codecName}. ${CONVERT_HINT}`,
      ),
    );
  }
  if (profile.codec === 'gsm') {
    for (let at = 0; at + 1 <= bytes.length; at += GSM_FRAME_BYTES) {
      if ((bytes[at] as number) >> 4 !== 0xd) {
        errors.push(
          finding(
            'codec',
            `The file is not the headerless GSM 6.10 ${who} wants in "${profile.extension}" files: its frame ${(at / GSM_FRAME_BYTES + 1).toLocaleString('en-US')} (byte ${at.toLocaleString('en-US')}) does not start with GSM's signature nibble 0xD, as every ${GSM_FRAME_BYTES}-byte frame does. ${CONVERT_HINT}`,
          ),
        );
        break;
      }
    }
  }
  const seconds = (Math.floor(fileSize / unit.bytes) * unit.samples) / rate;
  errors.push(...durationFindings(seconds, profile));
  let stats: AudioStats | null = null;
  if (whole) {
    if (profile.codec === 'alaw') stats = analyzeCodes(bytes, ALAW_DECODE, rate, analysis);
    else if (profile.codec === 'mulaw') stats = analyzeCodes(bytes, MULAW_DECODE, rate, analysis);
    else if (profile.codec === 'pcm16') stats = analyzeSamples(decodePcm16(bytes), rate, analysis);
  }
  return stats ? { errors, warnings, stats } : { errors, warnings };
}

/** The first MPEG audio frame of an MP3 file, as its header says. */
export interface Mp3Frame {
  offset: number;
  /** 1 (MPEG-1), 2 (MPEG-2) or 2.5. */
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  bitrate: number;
  sampleRate: number;
  channels: 1 | 2;
  /** Bytes of the frame. */
  length: number;
}

/** kbit/s by bitrate index (0 = free format), per MPEG-1 layer and for MPEG-2/2.5 (layer I, layers II and III). */
const MPEG_BITRATES = {
  v1l1: [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  v1l2: [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  v1l3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2l1: [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  v2l23: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
} as const;
const MP3_RATES: Record<1 | 2 | 2.5, number[]> = { 1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 2.5: [11025, 12000, 8000] };

/** Parse an MPEG audio frame header at `at`; null when none is there. */
export function parseMp3Frame(bytes: Uint8Array, at: number): Mp3Frame | null {
  if (at + 4 > bytes.length) return null;
  const b1 = bytes[at + 1] as number;
  const b2 = bytes[at + 2] as number;
  const b3 = bytes[at + 3] as number;
  if (bytes[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const v = (b1 >> 3) & 3;
  const l = (b1 >> 1) & 3;
  const bi = b2 >> 4;
  const si = (b2 >> 2) & 3;
  if (v === 1 || l === 0 || bi === 15 || si === 3) return null;
  const version = v === 3 ? 1 : v === 2 ? 2 : 2.5;
  const layer = (4 - l) as 1 | 2 | 3;
  const sampleRate = MP3_RATES[version][si] as number;
  const table = version === 1 ? (layer === 1 ? MPEG_BITRATES.v1l1 : layer === 2 ? MPEG_BITRATES.v1l2 : MPEG_BITRATES.v1l3) : layer === 1 ? MPEG_BITRATES.v2l1 : MPEG_BITRATES.v2l23;
  const bitrate = (table[bi] as number) * 1000;
  const padding = (b2 >> 1) & 1;
  const samples = layer === 3 ? (version === 1 ? 1152 : 576) : layer === 2 ? 1152 : 384;
  // Layer I counts its padding in 4-byte slots.
  const length = bitrate > 0 ? (layer === 1 ? (Math.floor((12 * bitrate) / sampleRate) + padding) * 4 : Math.floor(((samples / 8) * bitrate) / sampleRate) + padding) : 0;
  return { offset: at, version, layer, bitrate, sampleRate, channels: (b3 >> 6) === 3 ? 1 : 2, length };
}

/** Where the audio starts: after an ID3v2 tag, if there is one. */
function id3v2End(bytes: Uint8Array): number {
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 0;
  const size = (((bytes[6] as number) & 0x7f) << 21) | (((bytes[7] as number) & 0x7f) << 14) | (((bytes[8] as number) & 0x7f) << 7) | ((bytes[9] as number) & 0x7f);
  const footer = (bytes[5] as number) & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * An MP3 file: its first frame (after any ID3v2 tag, confirmed by the frame after it) is
 * MPEG layer III at one of the profile's rates, with the profile's channels.
 */
export function judgeMp3(bytes: Uint8Array, fileSize: number, profile: JudgedProfile, maxBytes: number | undefined): Verdict {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const who = profileLabel(profile);
  if (maxBytes !== undefined && fileSize > maxBytes) {
    errors.push(
      finding(
        'too-large',
        `The file is ${fileSize.toLocaleString('en-US')} bytes; the limit is ${maxBytes.toLocaleString('en-US')} bytes for ${who}. Shorten the recording, or convert with \`promptprep convert --on-oversize trim\`.`,
      ),
    );
  }
  const container = containerOf(bytes);
  const start = id3v2End(bytes);
  let frame: Mp3Frame | null = null;
  // The first frame sits right after the tag; a few stray bytes before it are tolerated, as decoders do.
  const searchEnd = Math.min(bytes.length, start + 4096);
  for (let at = start; at < searchEnd && !frame; at++) {
    const f = parseMp3Frame(bytes, at);
    if (!f) continue;
    const next = f.length > 0 && at + f.length + 4 <= bytes.length ? parseMp3Frame(bytes, at + f.length) : null;
    // A lone sync pattern in other data is not a frame: the next frame must follow where this one says it ends.
    if (next || (f.length > 0 && at + f.length >= fileSize) || at + f.length + 4 > bytes.length) frame = f;
  }
  if (!frame || (container && !container.startsWith('an MP3'))) {
    const what = container && !container.startsWith('an MP3') ? `it is ${container}` : `no MPEG audio frame was found${start > 0 ? ' after its ID3 tag' : ''}`;
    errors.push(finding('container', `The file is not an MP3 file (${what}); ${who} needs an MP3 file. ${CONVERT_HINT}`));
    return { errors, warnings };
  }
  if (frame.layer !== 3) {
    errors.push(finding('codec', `The audio is MPEG layer ${frame.layer === 2 ? 'II' : 'I'}, not MP3 (layer III), which ${who} needs. ${CONVERT_HINT}`));
    return { errors, warnings };
  }
  if (!profile.sampleRates.includes(frame.sampleRate)) {
    errors.push(finding('sample-rate', `The sample rate is ${frame.sampleRate} Hz; ${who} needs ${ratesText(profile.sampleRates)}. ${CONVERT_HINT}`));
  }
  if (frame.channels !== profile.channels) {
    errors.push(finding('channels', `The MP3 is ${frame.channels === 2 ? 'stereo' : 'mono'}; ${who} needs ${profile.channels} channel${profile.channels === 1 ? ' (mono)' : 's'}. ${CONVERT_HINT}`));
  }
  if (frame.bitrate > 0) errors.push(...durationFindings(((fileSize - frame.offset) * 8) / frame.bitrate, profile));
  return { errors, warnings };
}

/** Seconds of audio a WAV holds by its header and data size, or null when it cannot be told. */
export function wavSeconds(info: WavInfo): number | null {
  const fmt = info.format;
  if (!fmt || fmt.sampleRate <= 0 || info.dataOffset === null) return null;
  const n = wavSampleCount(fmt, info.dataBytesPresent);
  return n === null ? null : n / fmt.sampleRate;
}

