import path from 'node:path';
import { float32, int16 } from '../raw-samples.js';
import type { AnalysisOptions } from '../audio-analysis.js';
import { filterChain, type DecodePlan, type DecodePlanOutput } from '../decode-plan.js';
import { DOWNMIX_FILTERS, finishDownmix } from '../downmix.js';
import type { Finding } from '../findings.js';
import { runDecodePlan, type FfmpegBinary } from '../ffmpeg.js';

/**
 * One decode for every target: each source of a group is read and decoded once by one
 * ffmpeg process, which resamples it once per distinct rate the targets ask for (ffmpeg
 * feeds one input's decoded frames to every output that maps it). The samples come back
 * as 16-bit PCM; each target encodes them to its own codec in-process.
 */

export interface SharedSource {
  source: string;
  /** Channels of a source that gets the dialogue-keeping downmix (downmix.ts); 0 for ffmpeg's own. */
  surroundChannels: number;
  /** The rates wanted, each once, and how many seconds of each to decode (undefined: all). */
  rates: { rate: number; maxSeconds?: number }[];
}

export interface SharedDecodeOptions {
  channels: number;
  soxr: boolean;
  bandLimit: boolean;
}

interface OutputFiles {
  rate: number;
  main: string;
  /** The unmixed channels, for measuring what a surround downmix did. */
  reference?: string;
}

/** The plan for a group (pure data), with where each source's audio at each rate is written. */
export function buildSharedDecodePlan(
  sources: readonly SharedSource[],
  scratchDir: string,
  options: SharedDecodeOptions,
): { plan: DecodePlan; files: OutputFiles[][] } {
  const outputs: DecodePlanOutput[] = [];
  const files = sources.map((s, i) =>
    s.rates.map(({ rate, maxSeconds }): OutputFiles => {
      const filters = filterChain({ ...options, sampleRate: rate });
      const cap = maxSeconds !== undefined ? { maxSeconds } : {};
      const surround = s.surroundChannels > 0;
      const main = path.join(scratchDir, `${i}-${rate}.${surround ? 'f32le' : 's16le'}`);
      outputs.push({
        inputIndex: i,
        rawPath: main,
        encoding: surround ? 'f32le' : 's16le',
        filters: surround ? [...DOWNMIX_FILTERS, ...filters] : filters,
        sampleRate: rate,
        ...cap,
      });
      if (!surround) return { rate, main };
      const reference = path.join(scratchDir, `${i}-${rate}.channels.s16le`);
      outputs.push({ inputIndex: i, rawPath: reference, encoding: 's16le', filters, keepChannels: true, sampleRate: rate, ...cap });
      return { rate, main, reference };
    }),
  );
  const primary = sources[0]?.rates[0]?.rate ?? 8000;
  return { plan: { sampleRate: primary, channels: options.channels, inputs: sources.map((s) => ({ path: s.source })), outputs }, files };
}

/** A source's audio at one rate, and the downmix warning where its mix moved the speech level. */
export interface RateAudio {
  samples: Int16Array;
  warning?: Finding;
}

export type SharedDecodeOutcome = { ok: true; audio: Map<number, RateAudio>[] } | { ok: false; errorText: string };

/** Run the group's decode in `scratchDir` (removed by the caller) and read the samples back. */
export async function decodeShared(
  binary: FfmpegBinary,
  sources: readonly SharedSource[],
  scratchDir: string,
  options: SharedDecodeOptions & { analysis: AnalysisOptions },
  onSpawn?: () => void,
): Promise<SharedDecodeOutcome> {
  const { plan, files } = buildSharedDecodePlan(sources, scratchDir, options);
  const run = await runDecodePlan(binary, plan, onSpawn ? { onSpawn } : {});
  if (!run.ok) return { ok: false, errorText: run.errorText };
  const data = run.data ?? [];
  const indexOf = new Map(plan.outputs.map((o, k) => [o.rawPath, k]));
  const bytesOf = (rawPath: string): Buffer => data[indexOf.get(rawPath) as number] as Buffer;
  const audio: Map<number, RateAudio>[] = [];
  for (const [i, s] of sources.entries()) {
    const byRate = new Map<number, RateAudio>();
    for (const f of files[i] as OutputFiles[]) {
      const raw = bytesOf(f.main);
      if (f.reference) {
        const mix = finishDownmix(float32(raw), int16(bytesOf(f.reference)), s.surroundChannels, f.rate, options.analysis);
        byRate.set(f.rate, { samples: mix.samples, ...(mix.warning ? { warning: mix.warning } : {}) });
      } else {
        byRate.set(f.rate, { samples: int16(raw) });
      }
    }
    audio.push(byRate);
  }
  return { ok: true, audio };
}

