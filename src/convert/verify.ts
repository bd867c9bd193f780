import path from 'node:path';
import type { AudioStats } from '../audio-analysis.js';
import { checkWavBytes, checkWavPieces, type CheckOptions } from '../check.js';
import { validateOutputName } from '../file-name.js';
import { finding, type Finding } from '../findings.js';
import { wavFormatTag } from '../profile.js';
import { outputLength, type OutputBytes } from '../atomic-write.js';
import { canonicalWavParts } from '../wav.js';
import type { ConvertFileResult, Resolved } from './options.js';
import { failedResult, type Pending } from './pending.js';

/**
 * A decode that came back much shorter than the source's header promised is a truncated
 * file, and one with no samples at all has nothing to convert: both fail here, before any
 * conditioning. null when the length is believable.
 */
export function checkDecodedLength(p: Pending, length: number, r: Resolved): ConvertFileResult | null {
  const rate = r.profile.sampleRate;
  if (p.probe.kind === 'audio' && length < r.maxSamples) {
    const expected = p.probe.durationSeconds;
    const got = length / rate;
    if (got < expected * 0.95 - 0.1) {
      return failedResult(p, [
        finding(
          'truncated',
          `"${p.item.source}" is truncated: its header promises ${expected.toFixed(2)} s but only ${got.toFixed(2)} s of audio could be decoded. Copy or export it again.`,
        ),
      ]);
    }
  }
  if (length === 0) {
    return failedResult(p, [finding('no-audio-stream', `"${p.item.source}" decoded to no audio at all.`)]);
  }
  return null;
}

/**
 * The canonical WAV around the codes, judged by the same rules `check` applies (and the
 * output name by the profile's name rules): nothing is written that check would refuse.
 * The check's warnings are added to `warnings` (once per code). The file comes back as
 * its pieces (header, the codes themselves, a pad byte), never joined into one copy.
 */
export function buildVerifiedWav(
  p: Pending,
  data: Uint8Array,
  r: Resolved,
  warnings: Finding[],
): { wav: OutputBytes; stats: AudioStats | undefined } | { failed: ConvertFileResult } {
  const wav = canonicalWavParts(data, {
    formatTag: wavFormatTag(r.profile),
    sampleRate: r.profile.sampleRate,
    channels: r.profile.channels,
    bitsPerSample: r.profile.bitsPerSample,
  });
  const header = wav[0] as Uint8Array;
  const verdict =
    r.profile.container === 'wav'
      ? checkWavPieces(header, data, outputLength(wav), checkOptions(p, r))
      : { errors: [], warnings: [], stats: undefined };
  return judged(p, wav, verdict, r, warnings);
}

/**
 * A profile's file as its encoder wrote it (any codec), judged as buildVerifiedWav judges
 * the A-law one: by `check`'s rules where the container is WAV, by its name always.
 */
export function verifyFile(
  p: Pending,
  file: Buffer,
  r: Resolved,
  warnings: Finding[],
): { wav: OutputBytes; stats: AudioStats | undefined } | { failed: ConvertFileResult } {
  const verdict = r.profile.container === 'wav' ? checkWavBytes(file, file.length, checkOptions(p, r)) : { errors: [], warnings: [], stats: undefined };
  return judged(p, [file], verdict, r, warnings);
}

function checkOptions(p: Pending, r: Resolved): CheckOptions {
  const scene = r.sceneFor?.(p.item) ?? r.scene;
  return { profile: r.profile, maxBytes: r.maxBytes, analysis: r.analysis, ...(scene ? { scene } : {}) };
}

function judged(
  p: Pending,
  wav: OutputBytes,
  verdict: { errors: Finding[]; warnings: Finding[]; stats?: AudioStats | undefined },
  r: Resolved,
  warnings: Finding[],
): { wav: OutputBytes; stats: AudioStats | undefined } | { failed: ConvertFileResult } {
  const nameErrors = validateOutputName(path.basename(p.item.output), r.profile);
  if (verdict.errors.length > 0 || nameErrors.length > 0) {
    return { failed: failedResult(p, [...nameErrors, ...verdict.errors]) };
  }
  warnings.push(...verdict.warnings.filter((w) => !warnings.some((x) => x.code === w.code)));
  return { wav, stats: verdict.stats };
}
