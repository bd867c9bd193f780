import { createHash } from 'node:crypto';
import os from 'node:os';
import { defaultAnalysisOptions, type AnalysisOptions, type AudioStats } from '../audio-analysis.js';
import type { Finding } from '../findings.js';
import { huaweiPrivateNumber, sizeLimit, type Profile } from '../profile.js';
import type { Scene } from '../scenes.js';
import type { Shard } from '../shard.js';
import { VERSION } from '../version.js';
import { capacity } from '../targets/capacity.js';

/** convert's options and results, and the options resolved once per run. */

export interface ConvertOptions {
  /** Output directory (created with the first output written; never when nothing is). */
  outDir: string;
  profile?: Profile;
  /** Size limit in bytes; default the profile's. */
  maxBytes?: number;
  /** Apply suggested valid names instead of failing on names the platform rejects. */
  rename?: boolean;
  /** Over-long sources: fail up front (default) or cut to fit with a short fade-out. */
  onOversize?: 'fail' | 'trim';
  normalize?: boolean;
  trimSilence?: boolean;
  bandLimit?: boolean;
  /**
   * ffmpeg processes at once. Default: the CPU count, except that once no more than twice
   * that many decodes are left, they all start: the system then shares the CPUs among
   * them, where one process per CPU would leave CPUs idle while the last (long) ones finish.
   * A number given here is a strict cap.
   */
  jobs?: number;
  shard?: Shard;
  /**
   * Report what would happen; write nothing. Every source is decoded and judged as in a
   * real run (so a dry run takes about as long), only the writes are left out.
   */
  dryRun?: boolean;
  /** Redo outputs even when an up-to-date one exists, and replace files promptprep did not write. */
  force?: boolean;
  analysis?: AnalysisOptions;
  /** Where the prompts will play (enables scene rules such as the pre-call length). */
  scene?: Scene;
  /** Scene per item (config names, inbox folders); `scene` applies when this gives none. */
  sceneFor?: (item: ConvertItem) => Scene | undefined;
  /**
   * Folder for the temporary files of in-progress writes (same file system as the
   * outputs). Default: beside each output, under a hidden name.
   */
  stagingDir?: string;
  /** Called once the work list is known. */
  onStart?: (total: number) => void;
  /** Called as each file finishes, in completion order. */
  onFile?: (result: ConvertFileResult) => void;
}

export type ConvertStatus = 'converted' | 'skipped' | 'failed' | 'planned';

export interface ConvertStats {
  sourceSha256: string;
  durationSeconds: number;
  bytes: number;
  sha256: string;
  input: { container: string; codec: string; sampleRate: number; channels: number; durationSeconds: number } | null;
  /**
   * Levels of the decoded audio before conditioning. Without conditioning the audio is
   * never held at 16 bits (ffmpeg writes the A-law codes), and this equals `after`.
   */
  before: AudioStats;
  /** Levels of the written prompt. */
  after: AudioStats;
  gainDb: number;
  trimmedLeadingSeconds: number;
  trimmedTrailingSeconds: number;
  cutToFit: boolean;
}

export interface ConvertFileResult {
  source: string;
  output: string | null;
  status: ConvertStatus;
  errors: Finding[];
  warnings: Finding[];
  stats?: ConvertStats;
}

export interface ConvertReport {
  files: ConvertFileResult[];
  summary: { total: number; converted: number; skipped: number; failed: number; planned: number };
}

/** One source and the exact output path it goes to (watch uses this directly). */
export interface ConvertItem {
  source: string;
  output: string;
}

export interface Resolved {
  profile: Profile;
  maxBytes: number;
  maxSamples: number;
  onOversize: 'fail' | 'trim';
  normalize: boolean;
  trimSilence: boolean;
  bandLimit: boolean;
  jobs: number;
  /** --jobs was given: a strict cap, no sharing of the CPUs at the end. */
  jobsGiven: boolean;
  analysis: AnalysisOptions;
  dryRun: boolean;
  force: boolean;
  scene: Scene | undefined;
  sceneFor: ((item: ConvertItem) => Scene | undefined) | undefined;
  stagingDir: string | undefined;
}

export function resolveOptions(o: Omit<ConvertOptions, 'outDir'>): Resolved {
  const profile = o.profile ?? huaweiPrivateNumber;
  const maxBytes = o.maxBytes ?? sizeLimit(profile);
  return {
    profile,
    maxBytes,
    // The size limit less the header at the codec's rate, or the platform's duration limit.
    maxSamples: capacity(profile, profile.sampleRate, maxBytes).maxSamples,
    onOversize: o.onOversize ?? 'fail',
    normalize: o.normalize ?? false,
    trimSilence: o.trimSilence ?? false,
    bandLimit: o.bandLimit ?? false,
    jobs: Math.max(1, o.jobs ?? os.availableParallelism()),
    jobsGiven: o.jobs !== undefined,
    analysis: o.analysis ?? defaultAnalysisOptions,
    dryRun: o.dryRun ?? false,
    force: o.force ?? false,
    scene: o.scene,
    sceneFor: o.sceneFor,
    stagingDir: o.stagingDir,
  };
}

/** What decides the output bytes; a change in any of them makes a re-run convert again. */
export function outputKey(r: Resolved, ffmpegVersion: string | null, soxr: boolean | null): string {
  const key = {
    promptprep: VERSION,
    profile: r.profile,
    maxBytes: r.maxBytes,
    onOversize: r.onOversize,
    normalize: r.normalize,
    trimSilence: r.trimSilence,
    bandLimit: r.bandLimit,
    analysis: r.analysis,
    ffmpeg: ffmpegVersion,
    soxr,
  };
  return createHash('sha256').update(JSON.stringify(key)).digest('hex');
}

export function summarize(files: ConvertFileResult[]): ConvertReport['summary'] {
  const count = (s: ConvertStatus) => files.filter((f) => f.status === s).length;
  return { total: files.length, converted: count('converted'), skipped: count('skipped'), failed: count('failed'), planned: count('planned') };
}
