import { promises as fs } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { analyzeCodes, defaultAnalysisOptions, fmtDb, type AnalysisOptions, type AudioStats } from './audio-analysis.js';
import { ALAW_DECODE } from './alaw.js';
import { validateFileName } from './file-name.js';
import { finding, type Finding } from './findings.js';
import { bytesPerSecond, huaweiPrivateNumber, type Profile } from './profile.js';
import { PRE_CALL_SCENES, type Scene } from './scenes.js';
import { formatTagName, parseWav, type WavInfo } from './wav.js';
import { describeFsError } from './fs-errors.js';
import { inShard, type Shard } from './shard.js';
import { walkInputs } from './walk.js';

export interface CheckOptions {
  /** Platform rules; default Huawei PrivateNumber. */
  profile?: Profile;
  /** Overrides the profile's size limit (bytes). */
  maxBytes?: number;
  /** Warnings count as failures. Default false. */
  strict?: boolean;
  /** Thresholds for the level warnings. */
  analysis?: AnalysisOptions;
  /** Where the prompt will play; enables scene rules such as the pre-call length. */
  scene?: Scene;
}

export interface FileCheck {
  path: string;
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
  /** Present when the audio could be decoded. */
  stats?: AudioStats;
}

/** Files larger than this are judged from their header only, never read whole. */
const ANALYSIS_READ_LIMIT = 64 * 1024 * 1024;
const HEADER_READ_BYTES = 1024 * 1024;

const CONVERT_HINT = 'Convert it with `promptprep convert`.';

/** Check one file on disk against the profile. Never throws for a bad file: every problem is a finding. */
export async function checkFile(filePath: string, options: CheckOptions = {}): Promise<FileCheck> {
  const profile = options.profile ?? huaweiPrivateNumber;
  const errors: Finding[] = [...validateFileName(path.basename(filePath), profile)];
  let stat;
  try {
    stat = await fs.stat(filePath);
  } catch (err) {
    errors.push(finding('unreadable', describeFsError(err, filePath)));
    return finish(filePath, errors, [], options);
  }
  if (stat.isDirectory()) {
    errors.push(finding('unreadable', `"${filePath}" is a directory, not an audio file.`));
    return finish(filePath, errors, [], options);
  }
  if (!stat.isFile()) {
    errors.push(finding('unreadable', `"${filePath}" is not a regular file (a device, pipe or socket); only regular files can be uploaded.`));
    return finish(filePath, errors, [], options);
  }
  let bytes: Buffer;
  try {
    bytes = await readPrefix(filePath, stat.size <= ANALYSIS_READ_LIMIT ? stat.size : HEADER_READ_BYTES);
  } catch (err) {
    errors.push(finding('unreadable', describeFsError(err, filePath)));
    return finish(filePath, errors, [], options);
  }
  const body = checkWavBytes(bytes, stat.size, { ...options, profile });
  // Not a WAV at all: a new name would only hide that, so the name findings say convert.
  const nameErrors = body.errors.some((e) => e.code === 'not-wav') ? validateFileName(path.basename(filePath), profile, 'convert') : errors;
  return finish(filePath, [...nameErrors, ...body.errors], body.warnings, options, body.stats);
}

/**
 * Judge WAV bytes (a whole file, or a header prefix of a file of `fileSize` bytes).
 * Shared with `convert`, which verifies each output in memory before it is renamed into place.
 */
export function checkWavBytes(
  bytes: Uint8Array,
  fileSize: number,
  options: CheckOptions = {},
): { errors: Finding[]; warnings: Finding[]; stats?: AudioStats } {
  const profile = options.profile ?? huaweiPrivateNumber;
  const maxBytes = options.maxBytes ?? profile.maxBytes;
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  if (fileSize === 0) {
    errors.push(finding('empty', 'The file is empty (0 bytes). Export or copy the recording again.'));
    return { errors, warnings };
  }
  if (fileSize > maxBytes) {
    const seconds = (maxBytes - 58) / bytesPerSecond(profile);
    errors.push(
      finding(
        'too-large',
        `The file is ${fileSize.toLocaleString('en-US')} bytes; the limit is ${maxBytes.toLocaleString('en-US')} bytes (about ${seconds.toFixed(1)} s of ${profile.codecName} audio). Shorten the recording, or convert with \`promptprep convert --on-oversize trim\`.`,
      ),
    );
  }
  const info = parseWav(bytes, fileSize);
  for (const problem of info.problems) {
    switch (problem.kind) {
      case 'not-riff':
        errors.push(finding('not-wav', `The file is not a WAV file: ${problem.detail}. ${CONVERT_HINT}`));
        break;
      case 'truncated':
        errors.push(finding('truncated', `The file is truncated: ${problem.detail}. Copy or export it again.`));
        break;
      case 'header-size-mismatch':
        errors.push(finding('header-size-mismatch', `The WAV header does not match the file: ${problem.detail}. ${CONVERT_HINT}`));
        break;
      case 'missing-chunk':
        errors.push(finding('missing-chunk', `The WAV file is incomplete: ${problem.detail}. ${CONVERT_HINT}`));
        break;
    }
  }
  const fmt = info.format;
  if (!fmt) return { errors, warnings };
  formatErrors(info, profile, errors);
  chunkWarnings(info, warnings);

  let stats: AudioStats | undefined;
  const decodable =
    fmt.effectiveFormatTag === 6 && fmt.channels === 1 && fmt.bitsPerSample === 8 && fmt.sampleRate > 0 && info.dataOffset !== null;
  const whole = bytes.length === fileSize;
  if (decodable && whole && info.dataOffset !== null) {
    const data = bytes.subarray(info.dataOffset, info.dataOffset + info.dataBytesPresent);
    stats = analyzeCodes(data, ALAW_DECODE, fmt.sampleRate, options.analysis ?? defaultAnalysisOptions);
    levelWarnings(stats, options.analysis ?? defaultAnalysisOptions, warnings);
    if (options.scene && PRE_CALL_SCENES.has(options.scene) && stats.durationSeconds > profile.preCallMaxSeconds) {
      warnings.push(
        finding(
          'too-long-for-scene',
          `The prompt lasts ${stats.durationSeconds.toFixed(1)} s; in the ${options.scene} scene the platform plays only about ${profile.preCallMaxSeconds} s before ringing cuts it off. Keep it under ${profile.preCallMaxSeconds} s.`,
        ),
      );
    }
  }
  return stats ? { errors, warnings, stats } : { errors, warnings };
}

function formatErrors(info: WavInfo, profile: Profile, errors: Finding[]): void {
  const fmt = info.format;
  if (!fmt) return;
  if (fmt.effectiveFormatTag !== profile.formatTag) {
    errors.push(
      finding(
        'codec',
        `The audio is ${formatTagName(fmt.effectiveFormatTag, fmt.bitsPerSample)} (WAVE format tag ${fmt.effectiveFormatTag}); the platform needs ${profile.codecName} (format tag ${profile.formatTag}). ${CONVERT_HINT}`,
      ),
    );
  }
  if (fmt.sampleRate !== profile.sampleRate) {
    errors.push(finding('sample-rate', `The sample rate is ${fmt.sampleRate} Hz; the platform needs ${profile.sampleRate} Hz. ${CONVERT_HINT}`));
  }
  if (fmt.channels !== profile.channels) {
    errors.push(
      finding('channels', `The file has ${fmt.channels} channels; the platform needs ${profile.channels} (mono). ${CONVERT_HINT}`),
    );
  }
  if (fmt.bitsPerSample !== profile.bitsPerSample) {
    errors.push(
      finding(
        'bits-per-sample',
        `The samples are ${fmt.bitsPerSample}-bit; the platform needs ${profile.bitsPerSample}-bit. ${CONVERT_HINT}`,
      ),
    );
  }
  const expectedAlign = (fmt.channels * fmt.bitsPerSample) / 8;
  if (fmt.blockAlign !== expectedAlign || fmt.byteRate !== fmt.sampleRate * fmt.blockAlign) {
    errors.push(
      finding(
        'header-size-mismatch',
        `The fmt chunk is inconsistent: block align ${fmt.blockAlign} and byte rate ${fmt.byteRate} do not follow from ${fmt.channels} channel(s) of ${fmt.bitsPerSample}-bit samples at ${fmt.sampleRate} Hz (expected ${expectedAlign} and ${fmt.sampleRate * expectedAlign}). ${CONVERT_HINT}`,
      ),
    );
  }
}

function chunkWarnings(info: WavInfo, warnings: Finding[]): void {
  const extra = info.chunks.filter((c) => c.id !== 'fmt ' && c.id !== 'fact' && c.id !== 'data');
  if (extra.length > 0) {
    warnings.push(
      finding(
        'extra-chunks',
        `The file carries extra chunks (${extra.map((c) => `${JSON.stringify(c.id)}, ${c.size} bytes`).join('; ')}) beyond fmt/fact/data; strict telephony media servers may refuse them. \`promptprep convert\` writes a clean file.`,
      ),
    );
  }
  if (info.format && info.format.effectiveFormatTag !== 1 && info.factSampleCount === null && info.dataOffset !== null) {
    warnings.push(
      finding('no-fact-chunk', 'The file has no fact chunk, which a non-PCM WAV file should carry. `promptprep convert` writes one.'),
    );
  }
}

function levelWarnings(stats: AudioStats, a: AnalysisOptions, warnings: Finding[]): void {
  if (stats.durationSeconds === 0) return;
  if (stats.peakDb < a.silencePeakDb) {
    warnings.push(
      finding(
        'digital-silence',
        `The file is silent: its loudest sample is ${fmtDb(stats.peakDb)} (below ${a.silencePeakDb} dBFS). Check that the right recording was exported.`,
      ),
    );
    return;
  }
  if (stats.activeDb < a.quietActiveDb) {
    warnings.push(
      finding(
        'too-quiet',
        `The speech level is ${fmtDb(stats.activeDb)}, well under the telephony target of about -22 dBFS (warning below ${a.quietActiveDb} dBFS); A-law makes quiet audio noisy. Convert with \`promptprep convert --normalize\`.`,
      ),
    );
  }
  if (stats.clippedRuns > 0) {
    warnings.push(
      finding(
        'clipping',
        `The audio clips: ${stats.clippedRuns} run(s) of ${a.clipRunSamples}+ samples at full scale. Re-record or export at a lower level.`,
      ),
    );
  }
  if (stats.leadingSilenceSeconds > a.maxLeadingSilence) {
    warnings.push(
      finding(
        'leading-silence',
        `The prompt starts with ${stats.leadingSilenceSeconds.toFixed(2)} s of silence (more than ${a.maxLeadingSilence} s); callers hear dead air. Convert with \`promptprep convert --trim-silence\`.`,
      ),
    );
  }
  if (stats.trailingSilenceSeconds > a.maxTrailingSilence) {
    warnings.push(
      finding(
        'trailing-silence',
        `The prompt ends with ${stats.trailingSilenceSeconds.toFixed(2)} s of silence (more than ${a.maxTrailingSilence} s). Convert with \`promptprep convert --trim-silence\`.`,
      ),
    );
  }
}

function finish(filePath: string, errors: Finding[], warnings: Finding[], options: CheckOptions, stats?: AudioStats): FileCheck {
  const ok = errors.length === 0 && (!options.strict || warnings.length === 0);
  return stats ? { path: filePath, ok, errors, warnings, stats } : { path: filePath, ok, errors, warnings };
}

async function readPrefix(filePath: string, length: number): Promise<Buffer> {
  const handle = await fs.open(filePath, 'r');
  try {
    const buf = Buffer.alloc(length);
    let off = 0;
    while (off < length) {
      const { bytesRead } = await handle.read(buf, off, length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === length ? buf : buf.subarray(0, off);
  } finally {
    await handle.close();
  }
}

export interface CheckFilesOptions extends CheckOptions {
  shard?: Shard;
  /** Scene per file (e.g. from the config's prompt names); `scene` applies when this gives none. */
  sceneFor?: (filePath: string) => Scene | undefined;
  /** Files checked at once (I/O overlap only; checking is in-process). Default 16. */
  concurrency?: number;
}

export interface CheckReport {
  files: FileCheck[];
  summary: { total: number; passed: number; failed: number; warnings: number };
}

/**
 * Check files and directories (walked recursively) against the profile. The library
 * entry point behind `promptprep check`.
 */
export async function checkFiles(inputs: string[], options: CheckFilesOptions = {}): Promise<CheckReport> {
  const profile = options.profile ?? huaweiPrivateNumber;
  const entries = (await walkInputs(inputs, { suspiciousDirExtension: profile.extension })).filter((e) =>
    inShard(e.path, options.shard),
  );
  const limit = pLimit(options.concurrency ?? 16);
  const files = await Promise.all(
    entries.map((entry) =>
      limit(async (): Promise<FileCheck> => {
        if (entry.problem) {
          // A folder's name is not a prompt name: judge it only when it could be a file.
          const isDir = await fs.stat(entry.path).then((s) => s.isDirectory()).catch(() => false);
          const errors = [...(isDir ? [] : validateFileName(path.basename(entry.path), profile)), finding('unreadable', entry.problem)];
          return finish(entry.path, errors, [], options);
        }
        const scene = options.sceneFor?.(entry.path) ?? options.scene;
        return checkFile(entry.path, { ...options, profile, ...(scene ? { scene } : {}) });
      }),
    ),
  );
  const passed = files.filter((f) => f.ok).length;
  return {
    files,
    summary: {
      total: files.length,
      passed,
      failed: files.length - passed,
      warnings: files.reduce((n, f) => n + f.warnings.length, 0),
    },
  };
}
