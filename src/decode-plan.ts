import { DOWNMIX_FILTERS, SIDE_FILTERS } from './downmix.js';

/**
 * Building an ffmpeg decode, as data: which sources, which filters, where the raw samples
 * go. Kept apart from running it (ffmpeg.ts) so the command is testable without a process
 * and a batch is provably the same per-file command as a single conversion.
 */

export interface DecodeOptions {
  sampleRate: number;
  channels: number;
  /** Use libsoxr for resampling (when the ffmpeg build has it). */
  soxr: boolean;
  /** Apply the 300-3400 Hz telephone band. */
  bandLimit: boolean;
}

/**
 * What a decode writes: 16-bit samples, for in-process conditioning, or the platform's
 * A-law codes straight from ffmpeg's pcm_alaw encoder (the same table as ours, see
 * alaw.ts), which spares a faithful conversion the encoding and half the bytes.
 */
export type RawEncoding = 's16le' | 'alaw' | 'f32le';

export interface DecodePlanOutput {
  inputIndex: number;
  rawPath: string;
  encoding: RawEncoding;
  filters: string[];
  /** Stop decoding after this many seconds (keeps memory bounded for over-long sources). */
  maxSeconds?: number;
  /** Keep the source's channels (no downmix): the per-channel reference of a downmix. */
  keepChannels?: boolean;
  /**
   * This output's rate; default the plan's. Outputs of one input at several rates share
   * its decode: ffmpeg decodes an input once and feeds every output that maps it.
   */
  sampleRate?: number;
  /** This output's channel count; default the plan's (2 for a mid/side output). */
  channels?: number;
}

export interface DecodePlan {
  sampleRate: number;
  channels: number;
  inputs: { path: string }[];
  outputs: DecodePlanOutput[];
}

export interface DecodeJob {
  source: string;
  rawPath: string;
  /** Default 's16le'. */
  encoding?: RawEncoding;
  maxSeconds?: number;
  /**
   * Downmix with the dialogue-keeping matrix (downmix.ts) instead of ffmpeg's default, and
   * write the source's own channels, unmixed, here too, for measuring what the mix did.
   */
  downmix?: { referencePath: string };
  /** A stereo source: its side signal (L-R)/2 written here too (16-bit mono), for measuring what ffmpeg's mix did. */
  side?: { path: string };
  /**
   * A short stereo source whose channel count the probe read from the stream itself:
   * its mix and side signal come from one resampler, as one 16-bit 2-channel output at
   * rawPath (mix left, side right; `encoding` is then the caller's to apply to the mix).
   */
  midSide?: boolean;
}

/**
 * Filters (before the common chain) of a mid/side output: the mix (L+R)/2 and the side
 * (L-R)/2 as two channels. The mix is what ffmpeg's own stereo-to-mono rematrix makes
 * (swresample's 0.5 and 0.5, the same float multiply-add), and each channel goes through
 * the resampler on its own, so channel by channel these are the bytes of the mono mix
 * and of SIDE_FILTERS' side output (test/ffmpeg-graph.test.ts compares them), for one
 * resampler set up a source instead of two and one chain instead of a split into two.
 * The stereo layout is asked for first, as for the side; a stream that is really mono
 * would be upmixed at -3 dB here, so only sources whose probe read the channels from
 * the stream itself take this shape (see decode.ts).
 */
export const MID_SIDE_FILTERS: readonly string[] = ['aformat=sample_fmts=fltp:channel_layouts=stereo', 'pan=stereo|c0=0.5*c0+0.5*c1|c1=0.5*c0-0.5*c1'];

/** The filter chain for one source. It depends on the options only, never on the batch. */
export function filterChain(options: DecodeOptions): string[] {
  const filters: string[] = [];
  // soxr at its default (20-bit, "high quality") precision: far beyond what 8-bit A-law
  // keeps, and a fifth cheaper than the very-high setting. Without soxr, swr's default
  // sinc resampler (still band-limited). Resampling in float is not only
  // cleaner: given integer samples (16-bit FLAC or WAV), soxr adds its own randomly
  // seeded dither, and the same file converts to different bytes on every run.
  filters.push(
    options.soxr
      ? `aresample=${options.sampleRate}:resampler=soxr:internal_sample_fmt=fltp`
      : `aresample=${options.sampleRate}:internal_sample_fmt=fltp`,
  );
  if (options.bandLimit) {
    // Two 2nd-order sections each side: a gentle, phase-tolerable telephone band.
    filters.push('highpass=f=300:poles=2', 'highpass=f=300:poles=2', 'lowpass=f=3400:poles=2', 'lowpass=f=3400:poles=2');
  }
  return filters;
}

export function buildDecodePlan(jobs: DecodeJob[], options: DecodeOptions): DecodePlan {
  const filters = filterChain(options);
  return {
    sampleRate: options.sampleRate,
    channels: options.channels,
    inputs: jobs.map((j) => ({ path: j.source })),
    outputs: jobs.flatMap((j, i): DecodePlanOutput[] => {
      const cap = j.maxSeconds !== undefined ? { maxSeconds: j.maxSeconds } : {};
      if (j.midSide) return [{ inputIndex: i, rawPath: j.rawPath, encoding: 's16le', channels: 2, filters: [...MID_SIDE_FILTERS, ...filters], ...cap }];
      const main: DecodePlanOutput = {
        inputIndex: i,
        rawPath: j.rawPath,
        encoding: j.encoding ?? 's16le',
        filters: j.downmix ? [...DOWNMIX_FILTERS, ...filters] : filters,
        ...cap,
      };
      if (j.side) return [main, { inputIndex: i, rawPath: j.side.path, encoding: 's16le', filters: [...SIDE_FILTERS, ...filters], ...cap }];
      if (!j.downmix) return [main];
      return [main, { inputIndex: i, rawPath: j.downmix.referencePath, encoding: 's16le', filters, keepChannels: true, ...cap }];
    }),
  };
}
