import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, promises as fs, readSync } from 'node:fs';
import { CouldNotDetermineFileTypeError, parseBuffer, parseFile, UnsupportedFileTypeError, type IAudioMetadata } from 'music-metadata';
import { formatTagName, parseWav, readWavInfo, type WavFormat, type WavInfo } from './wav.js';

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
  return (await probeAndHashSource(file, size)).probe;
}

/**
 * Sources up to this size (a 60 s MP3 at 128 kbit/s) are read whole, in one read, and
 * parsed from memory: music-metadata reading a file itself makes some 25 small reads of
 * an MP3, and the source would be opened and read once more for its hash. Larger
 * sources are parsed from disk, where those reads are small beside the decode.
 */
export const WHOLE_READ_BYTES = 1 << 20;

/**
 * probeSource, and the source's SHA-256 when the file was small enough to be read whole
 * (null otherwise: the caller hashes it from disk). The verdicts are the same either way:
 * the same bytes go to the same parsers.
 */
export async function probeAndHashSource(
  file: string,
  size: number,
  /** Sources up to this size are read whole (tests set 0 to take the from-disk path). */
  wholeReadBytes = WHOLE_READ_BYTES,
): Promise<{ probe: SourceProbe; sha256: string | null }> {
  let wav: WavInfo | undefined;
  const whole = size <= wholeReadBytes ? readWholeSync(file, size) : null;
  let info: WavInfo;
  if (whole) {
    info = parseWav(whole, size);
  } else {
    const handle = await fs.open(file, 'r');
    try {
      // Chunk by chunk from disk: a WAV of any size or chunk count costs one small read or a few.
      info = await readWavInfo(handle, size);
    } finally {
      await handle.close();
    }
  }
  if (info.declaredRiffSize !== null) wav = info;
  try {
    const sha256 = whole ? createHash('sha256').update(whole).digest('hex') : null;
    let meta;
    try {
      meta = whole ? await parseWhole(file, whole) : await parseFile(file, MM_OPTIONS);
    } catch (err) {
      return { probe: { kind: 'unknown', reason: (err as Error).message }, sha256 };
    }
    // Only numbers and strings are kept from here on (nothing that points into `whole`).
    return { probe: fromMetadata(meta.format, wav), sha256 };
  } finally {
    if (whole) spareWholeBuffers.push(whole.buffer as ArrayBuffer);
  }
}

/**
 * Buffers of WHOLE_READ_BYTES used again from source to source: a fresh buffer a source
 * is memory outside the JavaScript heap that the garbage collector lets pile up (tens of
 * MB over a few thousand sources) before it frees any. At most as many are kept as were
 * ever in use at once (the probes in flight).
 */
const spareWholeBuffers: ArrayBuffer[] = [];

const MM_OPTIONS = { duration: true, skipCovers: true } as const;

/**
 * All `size` bytes, or null when the file is not that size any more (then it is read as a
 * large one). Synchronous open, read and close: for a file this small, from the page
 * cache, they cost a fraction of the same three calls made through the thread pool, as
 * `check` found. Opened non-blocking, so a FIFO put in the source's place is an error,
 * never a wait.
 */
function readWholeSync(file: string, size: number): Buffer | null {
  const backing = spareWholeBuffers.pop() ?? Buffer.allocUnsafeSlow(WHOLE_READ_BYTES).buffer;
  const buf = Buffer.from(backing, 0, size);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    spareWholeBuffers.push(backing);
    throw err;
  }
  try {
    let got = 0;
    while (got < size) {
      const bytesRead = readSync(fd, buf, got, size - got, got);
      if (bytesRead === 0) {
        spareWholeBuffers.push(backing);
        return null;
      }
      got += bytesRead;
    }
    return buf;
  } catch (err) {
    spareWholeBuffers.push(backing);
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** music-metadata on bytes in memory, as parseFile would on the file: the name's extension picks the parser first, and errors name the file. */
async function parseWhole(file: string, bytes: Buffer) {
  try {
    return await parseBuffer(bytes, { path: file, size: bytes.length }, MM_OPTIONS);
  } catch (err) {
    if (err instanceof CouldNotDetermineFileTypeError || err instanceof UnsupportedFileTypeError) err.message += `: ${file}`;
    throw err;
  }
}

function fromMetadata(f: IAudioMetadata['format'], wav: WavInfo | undefined): SourceProbe {
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
