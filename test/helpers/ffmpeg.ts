import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { inject } from 'vitest';

const execFileP = promisify(execFile);

/**
 * The ffmpeg the tests drive to make and measure audio: the one the CLI would use, found
 * once for the run by test/setup/ffmpeg.ts (which prints which it is).
 */
export const FFMPEG = inject('ffmpegPath');

/** Flags that stop ffmpeg writing a LIST/INFO chunk with its version: canonical, reproducible output. */
export const BITEXACT = ['-fflags', '+bitexact', '-flags:a', '+bitexact'] as const;

/** Run ffmpeg with an argument array (never a shell string). Rejects with ffmpeg's stderr. */
export async function runFfmpeg(args: readonly string[]): Promise<void> {
  try {
    await execFileP(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`ffmpeg ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

export interface ToneOptions {
  /** Seconds of tone. Default 1. */
  seconds?: number;
  /** Tone frequency (Hz). Default 440. */
  frequency?: number;
  /** Gain applied to ffmpeg's sine (which peaks at -18 dBFS), in dB. Default 0. */
  gainDb?: number;
  /** Sample rate of the file. Default 8000. */
  sampleRate?: number;
  /** Channels of the file. Default 1. */
  channels?: number;
  /** Audio codec. Default pcm_alaw. */
  codec?: string;
  /** Container format (ffmpeg -f). Default wav. */
  format?: string;
  /** Write ffmpeg's canonical header (no LIST chunk). Default true. */
  bitexact?: boolean;
  /** Silence before the tone (s). */
  leadSeconds?: number;
  /** Silence after the tone (s). */
  tailSeconds?: number;
}

/**
 * Silence before: a delay for every channel. Spelled out per channel, not `all=1`, nor
 * `apad=pad_dur` below: ffmpeg 4.1 (the npm registry's binary) knows neither.
 */
export function leadFilter(seconds: number, channels: number): string {
  return `adelay=delays=${Array(channels).fill(Math.round(seconds * 1000)).join('|')}`;
}

/** Silence after, in samples (see leadFilter). */
export function tailFilter(seconds: number, rate: number): string {
  return `apad=pad_len=${Math.round(seconds * rate)}`;
}

/** Make a tone file with real ffmpeg; returns `out`. */
export async function makeTone(out: string, o: ToneOptions = {}): Promise<string> {
  const rate = o.sampleRate ?? 8000;
  const filters: string[] = [];
  if (o.gainDb !== undefined && o.gainDb !== 0) filters.push(`volume=${o.gainDb}dB`);
  if (o.leadSeconds) filters.push(leadFilter(o.leadSeconds, o.channels ?? 1));
  if (o.tailSeconds) filters.push(tailFilter(o.tailSeconds, rate));
  const args = ['-f', 'lavfi', '-i', `sine=frequency=${o.frequency ?? 440}:sample_rate=${rate}:duration=${o.seconds ?? 1}`];
  if (filters.length > 0) args.push('-af', filters.join(','));
  args.push('-ar', String(rate), '-ac', String(o.channels ?? 1), '-c:a', o.codec ?? 'pcm_alaw');
  if (o.bitexact ?? true) args.push(...BITEXACT);
  args.push('-f', o.format ?? 'wav', out);
  await runFfmpeg(args);
  return out;
}

/** Make all-zero (digitally silent) audio with real ffmpeg. */
export async function makeSilence(out: string, seconds = 1, codec = 'pcm_alaw'): Promise<string> {
  await runFfmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', String(seconds), '-c:a', codec, ...BITEXACT, '-f', 'wav', out]);
  return out;
}

