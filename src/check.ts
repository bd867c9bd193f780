import { closeSync, constants, fstatSync, openSync, promises as fs, readSync, type Stats } from 'node:fs';
import path from 'node:path';
import { defaultAnalysisOptions, fmtDb, type AnalysisOptions, type AudioStats } from './audio-analysis.js';
import { analyzeWavData, durationFindings, judgeHeaderless, judgeMp3, profileLabel, wavFormatErrors, wavSampleCount, wavSeconds } from './codecs/judge.js';
import { wavHeaderBytes } from './codecs/wav-container.js';
import { validateFileName } from './file-name.js';
import { finding, type Finding } from './findings.js';
import { bytesPerSecond, huaweiPrivateNumber, sizeLimit, type Profile } from './profile.js';
import { PRE_CALL_SCENES, type Scene } from './scenes.js';
import { parseWav, readWavInfo, type WavInfo } from './wav.js';
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

/**
 * Files up to this size are read whole in one read, for the level analysis of their
 * audio; larger ones (no prompt of any profile is near it) are judged from their chunk
 * headers, walked from disk, so memory does not grow with file size.
 */
const WHOLE_READ_LIMIT = 8 * 1024 * 1024;

const CONVERT_HINT = 'Convert it with `promptprep convert`.';

/** Check one file on disk against the profile. Never throws for a bad file: every problem is a finding. */
export async function checkFile(filePath: string, options: CheckOptions = {}): Promise<FileCheck> {
  return checkFileSync(filePath, options, new ReadBuffer()) ?? checkLargeFile(filePath, options);
}

/** One growing buffer the whole-file reads of a run share, so a file read allocates nothing. */
class ReadBuffer {
  bytes = Buffer.allocUnsafe(64 * 1024);
  fit(length: number): Buffer {
    if (this.bytes.length < length) this.bytes = Buffer.allocUnsafe(Math.max(length, this.bytes.length * 2));
    return this.bytes;
  }
}

/**
 * The check of a file up to WHOLE_READ_LIMIT, read whole with synchronous calls (open,
 * fstat, read, close): for the small files prompts are, these cost a fraction of the
 * same calls made asynchronously, and the judging after them is CPU work anyway.
 * Opened non-blocking, so a FIFO given a prompt's name is reported, never waited on.
 * Returns null for a larger file: that one is judged from its chunk headers (checkLargeFile).
 */
function checkFileSync(filePath: string, options: CheckOptions, buffer: ReadBuffer): FileCheck | null {
  const profile = options.profile ?? huaweiPrivateNumber;
  const errors = validateFileName(path.basename(filePath), profile);
  let fd: number;
  try {
    fd = openSync(filePath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    errors.push(finding('unreadable', describeFsError(err, filePath)));
    return finish(filePath, errors, [], options);
  }
  let body: ReturnType<typeof checkWavBytes>;
  try {
    const stat = fstatSync(fd);
    const kind = notAFile(stat, filePath);
    if (kind) {
      errors.push(kind);
      return finish(filePath, errors, [], options);
    }
    if (stat.size > WHOLE_READ_LIMIT) return null;
    const bytes = buffer.fit(stat.size);
    let off = 0;
    while (off < stat.size) {
      const n = readSync(fd, bytes, off, stat.size - off, off);
      if (n === 0) break;
      off += n;
    }
    // A file that shrank while it was read is judged as the header prefix of its stat size.
    body = checkWavBytes(bytes.subarray(0, off), stat.size, options.profile ? options : { ...options, profile });
  } catch (err) {
    errors.push(finding('unreadable', describeFsError(err, filePath)));
    return finish(filePath, errors, [], options);
  } finally {
    closeSync(fd);
  }
  return judged(filePath, errors, body, options, profile);
}

/** A file over WHOLE_READ_LIMIT: judged from its chunk headers, walked from disk. */
async function checkLargeFile(filePath: string, options: CheckOptions): Promise<FileCheck> {
  const profile = options.profile ?? huaweiPrivateNumber;
  const errors: Finding[] = [...validateFileName(path.basename(filePath), profile)];
  let body: ReturnType<typeof checkWavBytes>;
  try {
    const handle = await fs.open(filePath, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stat = await handle.stat();
      const kind = notAFile(stat, filePath);
      if (kind) {
        errors.push(kind);
        return finish(filePath, errors, [], options);
      }
      // A headerless or MP3 file this large is judged by its size and first bytes.
      body =
        profile.container !== 'wav'
          ? checkWavBytes(await readHead(handle, HEAD_BYTES), stat.size, { ...options, profile })
          : judgeWav(await readWavInfo(handle, stat.size), null, { ...options, profile });
    } finally {
      await handle.close();
    }
  } catch (err) {
    errors.push(finding('unreadable', describeFsError(err, filePath)));
    return finish(filePath, errors, [], options);
  }
  return judged(filePath, errors, body, options, profile);
}

function notAFile(stat: Stats, filePath: string): Finding | null {
  if (stat.isDirectory()) return finding('unreadable', `"${filePath}" is a directory, not an audio file.`);
  if (!stat.isFile()) {
    return finding('unreadable', `"${filePath}" is not a regular file (a device, pipe or socket); only regular files can be uploaded.`);
  }
  return null;
}

function judged(filePath: string, nameErrors: Finding[], body: ReturnType<typeof checkWavBytes>, options: CheckOptions, profile: Profile): FileCheck {
  // Not a WAV at all: a new name would only hide that, so the name findings say convert.
  const names = body.errors.some((e) => e.code === 'not-wav' || e.code === 'container') ? validateFileName(path.basename(filePath), profile, 'convert') : nameErrors;
  return finish(filePath, names.length === 0 ? body.errors : [...names, ...body.errors], body.warnings, options, body.stats);
}

/** Bytes of a large headerless or MP3 file read for its judgement. */
const HEAD_BYTES = 64 * 1024;

async function readHead(handle: fs.FileHandle, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let off = 0;
  while (off < length) {
    const { bytesRead } = await handle.read(buf, off, length - off, off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return buf.subarray(0, off);
}

/**
 * Judge a file's bytes (the whole file, or a prefix of a file of `fileSize` bytes) in the
 * profile's container: WAV, headerless, or MP3. Shared with `convert`, which verifies
 * each output in memory before it is renamed into place.
 */
export function checkWavBytes(
  bytes: Uint8Array,
  fileSize: number,
  options: CheckOptions = {},
): { errors: Finding[]; warnings: Finding[]; stats?: AudioStats } {
  if (fileSize === 0) {
    return { errors: [finding('empty', 'The file is empty (0 bytes). Export or copy the recording again.')], warnings: [] };
  }
  const profile = options.profile ?? huaweiPrivateNumber;
  if (profile.container !== 'wav') {
    const maxBytes = options.maxBytes ?? profile.maxBytes;
    const analysis = options.analysis ?? defaultAnalysisOptions;
    const verdict = profile.container === 'mp3' ? judgeMp3(bytes, fileSize, profile, maxBytes) : judgeHeaderless(bytes, fileSize, profile, maxBytes, analysis);
    if (verdict.stats) audioWarnings(verdict.stats, options, profile, verdict.warnings);
    return verdict;
  }
  const info = parseWav(bytes, fileSize);
  const whole = bytes.length === fileSize ? bytes : null;
  return judgeWav(info, whole && info.dataOffset !== null ? whole.subarray(info.dataOffset, info.dataOffset + info.dataBytesPresent) : null, options);
}

/**
 * checkWavBytes for a WAV held in two pieces, `header` (every byte before the data, so
 * every chunk header) and `data` (the data chunk's payload), as convert builds its
 * output: the same verdict without joining them into one copy of the file first.
 */
export function checkWavPieces(
  header: Uint8Array,
  data: Uint8Array,
  fileSize: number,
  options: CheckOptions = {},
): { errors: Finding[]; warnings: Finding[]; stats?: AudioStats } {
  const info = parseWav(header, fileSize);
  const whole = info.dataOffset === header.length && info.dataBytesPresent === data.length;
  return judgeWav(info, whole ? data : null, options);
}

/** The verdict on a parsed WAV; `data` holds its data chunk's bytes when they are in memory (for level analysis). */
function judgeWav(info: WavInfo, data: Uint8Array | null, options: CheckOptions): { errors: Finding[]; warnings: Finding[]; stats?: AudioStats } {
  const profile = options.profile ?? huaweiPrivateNumber;
  const maxBytes = options.maxBytes ?? sizeLimit(profile);
  const fileSize = info.fileSize;
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  if (fileSize === 0) {
    errors.push(finding('empty', 'The file is empty (0 bytes). Export or copy the recording again.'));
    return { errors, warnings };
  }
  if (fileSize > maxBytes) {
    const header = profile.codec === 'mp3' ? 0 : wavHeaderBytes(profile.codec);
    const seconds = (maxBytes - header) / bytesPerSecond(profile);
    errors.push(
      finding(
        'too-large',
        `The file is ${fileSize.toLocaleString('en-US')} bytes; the limit is ${maxBytes.toLocaleString('en-US')} bytes for ${profileLabel(profile)} (about ${seconds.toFixed(1)} s of ${profile.codecName} audio at ${profile.sampleRate} Hz). Shorten the recording, or convert with \`promptprep convert --on-oversize trim\`.`,
      ),
    );
  }
  const structure = wavFindings(info, profile);
  errors.push(...structure.errors);
  warnings.push(...structure.warnings);
  const fmt = info.format;
  if (!fmt) return { errors, warnings };
  errors.push(...wavFormatErrors(info, profile));
  const seconds = wavSeconds(info);
  if (seconds !== null && !info.problems.some((p) => p.kind === 'truncated')) errors.push(...durationFindings(seconds, profile));

  let stats: AudioStats | undefined;
  // Levels are measured on the audio the platform will play: in its codec only.
  if (data && info.dataOffset !== null && fmt.effectiveFormatTag === profile.formatTag) {
    stats = analyzeWavData(fmt, data, options.analysis ?? defaultAnalysisOptions) ?? undefined;
    if (stats) audioWarnings(stats, options, profile, warnings);
  }
  return stats ? { errors, warnings, stats } : { errors, warnings };
}

/** The level warnings, and the scene's length rule, on audio that could be decoded. */
function audioWarnings(stats: AudioStats, options: CheckOptions, profile: Profile, warnings: Finding[]): void {
  levelWarnings(stats, options.analysis ?? defaultAnalysisOptions, profile, warnings);
  if (options.scene && PRE_CALL_SCENES.has(options.scene) && profile.preCallMaxSeconds !== undefined && stats.durationSeconds > profile.preCallMaxSeconds) {
    warnings.push(
      finding(
        'too-long-for-scene',
        `The prompt lasts ${stats.durationSeconds.toFixed(1)} s; in the ${options.scene} scene the platform plays only about ${profile.preCallMaxSeconds} s before ringing cuts it off. Keep it under ${profile.preCallMaxSeconds} s.`,
      ),
    );
  }
}

/** Codes of wavFindings errors that mean a source does not hold a whole recording: `convert` fails on these. */
export const NOT_WHOLE_CODES: ReadonlySet<string> = new Set(['truncated', 'empty-data']);

/**
 * What the RIFF structure of a file says, apart from its format: damage, layouts a reader
 * could take two ways (errors), and layouts that are only not canonical (warnings).
 * `convert` applies the same judgement to its WAV sources.
 */
export function wavFindings(info: WavInfo, profile: Profile = huaweiPrivateNumber): { errors: Finding[]; warnings: Finding[] } {
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
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
  if (info.declaredRiffSize === null) return { errors, warnings };
  const truncated = info.problems.some((p) => p.kind === 'truncated');
  const fmt = info.format;
  const fact = info.factSampleCount;
  const samples = (n: number): string => `${n.toLocaleString('en-US')} samples`;
  const seconds = (n: number): string => (fmt && fmt.sampleRate > 0 ? ` (${(n / fmt.sampleRate).toFixed(2)} s)` : '');

  if (info.dataOffset !== null && !info.dataSizeUnset && info.declaredDataSize === 0) {
    const promised = fact !== null && fact > 0 ? ` although its fact chunk promises ${samples(fact)}${seconds(fact)}: it was probably cut short` : '';
    errors.push(finding('empty-data', `The data chunk is empty, so the file holds no audio${promised}. Export or copy the recording again.`));
  }
  const { counts } = info;
  if (counts.fmt > 1 || counts.fact > 1 || counts.data > 1) {
    const duplicated = (['fmt ', 'fact', 'data'] as const).map((id) => ({ id, n: counts[id === 'fmt ' ? 'fmt' : id] })).filter((d) => d.n > 1);
    errors.push(
      finding(
        'duplicate-chunk',
        `The file has ${duplicated.map((d) => `${d.n} ${JSON.stringify(d.id)} chunks`).join(' and ')}; which one a player reads is up to its parser (promptprep judges the first). \`promptprep convert\` keeps the first and writes a clean file.`,
      ),
    );
  }
  if (info.dataBeforeFmt && fmt) {
    errors.push(
      finding(
        'chunk-order',
        `The data chunk comes before the fmt chunk: a parser reading front to back, as a streaming media server does, meets the audio before it knows its format. ${CONVERT_HINT}`,
      ),
    );
  }
  // Judged for the platform's sample layout only: in another, the format error says it all
  // and the fact chunk's samples are not the platform's anyway.
  const platformLayout = fmt !== null && fmt.bitsPerSample === profile.bitsPerSample && fmt.channels === profile.channels;
  if (fmt && platformLayout && fact !== null && fmt.blockAlign > 0 && info.dataOffset !== null && !info.dataSizeUnset && !truncated && info.declaredDataSize) {
    const held = wavSampleCount(fmt, info.dataBytesPresent);
    if (held !== null && fact !== held) {
      errors.push(
        finding(
          'fact-mismatch',
          `The fact chunk says the file holds ${samples(fact)}${seconds(fact)} but its data chunk holds ${samples(held)}${seconds(held)}: a parser that takes the length from the fact chunk gets it wrong. ${CONVERT_HINT}`,
        ),
      );
    }
  }
  if (fmt && fmt.fmtSize === 17) {
    errors.push(
      finding(
        'header-size-mismatch',
        `The fmt chunk is 17 bytes: a format takes 16, or 18 and more with its cbSize; a parser that reads 18 takes the pad byte for part of the format. ${CONVERT_HINT}`,
      ),
    );
  }
  if (fmt && fmt.extraFormatBytes !== null && 18 + fmt.extraFormatBytes > fmt.fmtSize) {
    errors.push(
      finding(
        'header-size-mismatch',
        `The fmt chunk is inconsistent: its cbSize ${fmt.extraFormatBytes} promises ${fmt.extraFormatBytes} format bytes after the first 18, but the ${fmt.fmtSize}-byte chunk holds ${Math.max(0, fmt.fmtSize - 18)}. ${CONVERT_HINT}`,
      ),
    );
  }
  if (fmt && fmt.formatTag === WAVE_FORMAT_EXTENSIBLE_TAG && fmt.effectiveFormatTag === profile.formatTag) {
    warnings.push(
      finding(
        'extensible-format',
        `The fmt chunk wraps ${profile.codecName} in WAVE_FORMAT_EXTENSIBLE (format tag 0xFFFE) instead of giving format tag ${profile.formatTag} directly; a telephony parser that reads only the format tag refuses it. \`promptprep convert\` writes the plain form.`,
      ),
    );
  }
  chunkWarnings(info, warnings);
  return { errors, warnings };
}

const WAVE_FORMAT_EXTENSIBLE_TAG = 0xfffe;

/** How many extra chunk ids the extra-chunks finding names; the rest are counted. */
const NAMED_EXTRA_CHUNKS = 5;

function chunkWarnings(info: WavInfo, warnings: Finding[]): void {
  const n = info.extraChunkCount;
  if (n > 0) {
    const named = info.extraChunks.slice(0, NAMED_EXTRA_CHUNKS);
    const list =
      n <= NAMED_EXTRA_CHUNKS
        ? named.map((c) => `${JSON.stringify(c.id)}, ${c.size.toLocaleString('en-US')} bytes`).join('; ')
        : `the first ${named.map((c) => JSON.stringify(c.id)).join(', ')}`;
    warnings.push(
      finding(
        'extra-chunks',
        `The file carries extra chunks beyond fmt/fact/data (${n.toLocaleString('en-US')} in all${n <= NAMED_EXTRA_CHUNKS ? ':' : ','} ${list}); strict telephony media servers may refuse them. \`promptprep convert\` writes a clean file.`,
      ),
    );
  }
  if (info.format && info.format.effectiveFormatTag !== 1 && info.factSampleCount === null && info.dataOffset !== null) {
    warnings.push(
      finding('no-fact-chunk', 'The file has no fact chunk, which a non-PCM WAV file should carry. `promptprep convert` writes one.'),
    );
  }
}

function levelWarnings(stats: AudioStats, a: AnalysisOptions, profile: Profile, warnings: Finding[]): void {
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
        `The speech level is ${fmtDb(stats.activeDb)}, well under the telephony target of about -22 dBFS (warning below ${a.quietActiveDb} dBFS)${profile.codec === 'alaw' || profile.codec === 'mulaw' ? `; ${profile.codecName} makes quiet audio noisy` : ''}. Convert with \`promptprep convert --normalize\`.`,
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

export interface CheckFilesOptions extends CheckOptions {
  shard?: Shard;
  /** Scene per file (e.g. from the config's prompt names); `scene` applies when this gives none. */
  sceneFor?: (filePath: string) => Scene | undefined;
}

export interface CheckSummary {
  total: number;
  passed: number;
  failed: number;
  warnings: number;
}

export interface CheckReport {
  files: FileCheck[];
  summary: CheckSummary;
}

/**
 * Check files and directories (walked recursively) against the profile. The library
 * entry point behind `promptprep check`.
 */
export async function checkFiles(inputs: string[], options: CheckFilesOptions = {}): Promise<CheckReport> {
  const files: FileCheck[] = [];
  for await (const file of checkFilesEach(inputs, options)) files.push(file);
  return { files, summary: summarize(files) };
}

/**
 * The checks of checkFiles one at a time, in the same (sorted) order, as they are done:
 * a report can be written as it goes, holding no more than a few files' results at once.
 */
export async function* checkFilesEach(inputs: string[], options: CheckFilesOptions = {}): AsyncGenerator<FileCheck> {
  const profile = options.profile ?? huaweiPrivateNumber;
  const entries = (await walkInputs(inputs, { suspiciousDirExtension: profile.extension })).filter((e) =>
    inShard(e.path, options.shard),
  );
  const buffer = new ReadBuffer();
  // One options object for the run; a file whose scene differs gets its own.
  const runOptions: CheckOptions = { ...options, profile };
  let sliceStart = performance.now();
  for (const entry of entries) {
    if (entry.problem) {
      // A folder's name is not a prompt name: judge it only when it could be a file.
      const isDir = await fs.stat(entry.path).then((s) => s.isDirectory()).catch(() => false);
      const errors = [...(isDir ? [] : validateFileName(path.basename(entry.path), profile)), finding('unreadable', entry.problem)];
      yield finish(entry.path, errors, [], options);
      continue;
    }
    const scene = options.sceneFor?.(entry.path) ?? options.scene;
    const fileOptions = scene === undefined || scene === options.scene ? runOptions : { ...runOptions, scene };
    yield checkFileSync(entry.path, fileOptions, buffer) ?? (await checkLargeFile(entry.path, fileOptions));
    // The reads are synchronous: give timers, signals and the report's writes a turn now and then.
    if (performance.now() - sliceStart > EVENT_LOOP_SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/** How long checkFilesEach works synchronously before it lets the event loop run. */
const EVENT_LOOP_SLICE_MS = 20;

/** Count passes, failures and warnings. */
export function summarize(files: Iterable<FileCheck>, into: CheckSummary = { total: 0, passed: 0, failed: 0, warnings: 0 }): CheckSummary {
  for (const f of files) {
    into.total++;
    if (f.ok) into.passed++;
    else into.failed++;
    into.warnings += f.warnings.length;
  }
  return into;
}
