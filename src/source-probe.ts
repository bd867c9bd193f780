import { parseFile } from 'music-metadata';
import { formatTagName, readWavInfo, type WavFormat, type WavInfo } from './wav.js';
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

export async function probeSource(file: string, size: number): Promise<SourceProbe> {
  let wav: WavInfo | undefined;
  const handle = await fs.open(file, 'r');
  try {
    // Chunk by chunk from disk: a WAV of any size or chunk count costs one small read or a few.
    const info = await readWavInfo(handle, size);
    if (info.declaredRiffSize !== null) wav = info;
  } finally {
    await handle.close();
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
    // A WAV's length is what its data chunk holds; its fact chunk may say otherwise.
    durationSeconds: (wav && wavDataSeconds(wav)) ?? f.duration,
    ...(wav ? { wav } : {}),
  };
}

function wavDataSeconds(wav: WavInfo): number | null {
  const fmt = wav.format;
  if (!fmt || wav.dataOffset === null || fmt.blockAlign === 0 || fmt.sampleRate === 0) return null;
  return Math.floor(wav.dataBytesPresent / fmt.blockAlign) / fmt.sampleRate;
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
