import { parseFile } from 'music-metadata';
import { formatTagName, parseWav, type WavFormat, type WavInfo } from './wav.js';
import { promises as fs } from 'node:fs';

/**
 * What a source is, found in-process (music-metadata, and our own RIFF parser for WAV)
 * so duration and format are known before any ffmpeg starts: an over-long source fails
 * up front, and an unknown one is kept out of shared ffmpeg batches.
 */

export type SourceProbe =
  | {
      kind: 'audio';
      container: string;
      codec: string;
      sampleRate: number;
      channels: number;
      durationSeconds: number;
      /** Set for RIFF/WAVE sources. */
      wav?: WavInfo;
    }
  /** music-metadata could not tell: ffmpeg decides, in a process of its own. */
  | { kind: 'unknown'; reason: string }
  | { kind: 'no-audio'; reason: string };

const WAV_HEAD_BYTES = 64 * 1024;

export async function probeSource(file: string, size: number): Promise<SourceProbe> {
  let wav: WavInfo | undefined;
  const head = await readHead(file, Math.min(size, WAV_HEAD_BYTES));
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WAVE') {
    wav = parseWav(head, size);
  }
  let meta;
  try {
    meta = await parseFile(file, { duration: true, skipCovers: true });
  } catch (err) {
    return { kind: 'unknown', reason: (err as Error).message };
  }
  const f = meta.format;
  if (f.hasAudio === false && f.hasVideo === true) {
    return { kind: 'no-audio', reason: 'it is a video file with no audio track' };
  }
  if (!f.codec || !f.sampleRate || !f.duration || !f.numberOfChannels) {
    return { kind: 'unknown', reason: 'format details not found in-process' };
  }
  return {
    kind: 'audio',
    container: f.container ?? 'unknown',
    codec: wav?.format ? wavCodecName(wav.format, f.codec) : f.codec,
    sampleRate: f.sampleRate,
    channels: f.numberOfChannels,
    durationSeconds: f.duration,
    ...(wav ? { wav } : {}),
  };
}

async function readHead(file: string, length: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** music-metadata's names for the common tags, so an extensible source reads like a plain one. */
const TAG_NAMES: Record<number, string> = { 1: 'PCM', 3: 'IEEE_FLOAT', 6: 'ALAW', 7: 'MULAW' };

/**
 * music-metadata names a WAVE_FORMAT_EXTENSIBLE source by its outer tag ("non-PCM
 * (65534)"), though the sub-format GUID says what the samples are; our parser reads it.
 */
function wavCodecName(format: WavFormat, fallback: string): string {
  const tag = format.effectiveFormatTag;
  if (format.formatTag !== WAVE_FORMAT_EXTENSIBLE || tag === WAVE_FORMAT_EXTENSIBLE) return fallback;
  const name = TAG_NAMES[tag] ?? formatTagName(tag);
  return `${name} ${format.bitsPerSample}-bit (WAVE_FORMAT_EXTENSIBLE)`;
}
