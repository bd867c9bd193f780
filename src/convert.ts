import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { ALAW_DECODE, decodeAlaw, encodeAlaw } from './alaw.js';
import { analyzeCodes, analyzeSamples, defaultAnalysisOptions, type AnalysisOptions, type AudioStats } from './audio-analysis.js';
import { discardStaged, placeStaged, removeOwnPartials, stageFile, writeFileAtomic } from './atomic-write.js';
import { checkWavBytes, NOT_WHOLE_CODES, wavFindings } from './check.js';
import { crashPoint } from './crash-point.js';
import { cutWithFade, largeGainWarning, normalizeLevel, trimSilence } from './conditioning.js';
import { buildDecodePlan, type DecodeJob } from './decode-plan.js';
import { DOWNMIX_ABOVE_CHANNELS, finishDownmix } from './downmix.js';
import { ffmpegFeatures, ffmpegNeeds, fileUrl, locateFfmpeg, runDecodePlan, type FfmpegBinary } from './ffmpeg.js';
import { naturalOutputName, suggestFileName, validateOutputName } from './file-name.js';
import { finding, type Finding } from './findings.js';
import { describeFsError } from './fs-errors.js';
import { bytesPerSecond, huaweiPrivateNumber, sizeLimit, wavFormatTag, type Profile } from './profile.js';
import type { Scene } from './scenes.js';
import { inShard, type Shard } from './shard.js';
import { ownerTag, removeDeadOwners } from './stale-files.js';
import { probeSource, type SourceProbe } from './source-probe.js';
import { VERSION } from './version.js';
import { exists, fitFileName } from './fs-util.js';
import { walkInputs } from './walk.js';
import { buildCanonicalWav, CANONICAL_HEADER_BYTES } from './wav.js';

/**
 * `promptprep convert`: any audio in, a canonical platform prompt out.
 *
 * Per file: probe in-process → (A-law sources: copy; others: one ffmpeg decode at the
 * platform rate, many sources per ffmpeg process, to A-law codes or, when conditioning
 * is asked for, to 16-bit samples) → conditioning and A-law in-process → canonical WAV
 * → verified with the `check` rules → written under a hidden temporary name and renamed
 * into place. A per-output stats file beside it records the source hash and options,
 * which is how a re-run knows it can skip.
 */

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

interface Resolved {
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

function resolveOptions(o: Omit<ConvertOptions, 'outDir'>): Resolved {
  const profile = o.profile ?? huaweiPrivateNumber;
  const maxBytes = o.maxBytes ?? sizeLimit(profile);
  const blockAlign = (profile.channels * profile.bitsPerSample) / 8;
  // The data chunk is padded to an even length, so an odd count costs one more byte.
  let maxSamples = Math.floor((maxBytes - CANONICAL_HEADER_BYTES) / blockAlign);
  if (((maxSamples * blockAlign) & 1) === 1) maxSamples -= 1;
  return {
    profile,
    maxBytes,
    maxSamples: Math.max(0, maxSamples),
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
function outputKey(r: Resolved, ffmpegVersion: string | null, soxr: boolean | null): string {
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

/** The per-output record beside each prompt: `<dir>/.promptprep/<name>.json`. */
export function statsPathFor(output: string): string {
  return path.join(path.dirname(output), '.promptprep', fitFileName(path.basename(output), '.json'));
}

export interface StatsRecord {
  promptprep: string;
  source: string;
  sourceSha256: string;
  outputKey: string;
  output: string;
  outputSha256: string;
  /**
   * The output this one replaced (null: none). Written before the new output is placed,
   * so after a kill between the two the old output is still recognised as promptprep's.
   */
  previousOutputSha256?: string | null;
  options: Record<string, unknown>;
  stats: ConvertStats;
  warnings: Finding[];
  convertedAt: string;
}

export async function readStatsRecord(output: string): Promise<StatsRecord | null> {
  try {
    return JSON.parse(await fs.readFile(statsPathFor(output), 'utf8')) as StatsRecord;
  } catch {
    return null;
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  // 1 MiB reads (64 KiB costs a third more CPU on MP3-sized files) into buffers that are
  // used again: a stream allocates, page-faults and then trims a copy of every chunk.
  const buf = spareHashBuffers.pop() ?? Buffer.allocUnsafeSlow(HASH_READ_BYTES);
  const fh = await fs.open(file, 'r');
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
    // Kept: at most as many as ever hashed at once (convertItems hashes 4 at a time).
    spareHashBuffers.push(buf);
  }
  return hash.digest('hex');
}

const HASH_READ_BYTES = 1 << 20;
const spareHashBuffers: Buffer[] = [];

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

type Route = 'copy' | 'batch' | 'solo';

interface Pending {
  item: ConvertItem;
  probe: SourceProbe;
  route: Route;
  /**
   * The source's hash, read beside the decode rather than before it (unless an earlier
   * output needs comparing): a decode that waits for it is time lost on every batch.
   * Started once, when its ffmpeg is running (or by finish()).
   */
  sourceSha256: () => Promise<string>;
  key: string;
  warnings: Finding[];
  /** The hash of the output this one replaces (promptprep's own, or any with --force). */
  replaces: string | null;
}

const DEFAULT_GROUP_FILES = 32;
/** Audio seconds per shared ffmpeg process: long sources get a process of their own. */
const GROUP_SECONDS = 240;

/**
 * Convert explicit source → output pairs. Never throws for a bad source: every problem
 * is a failed result. Throws only for a missing ffmpeg (when some source needs it).
 */
export async function convertItems(items: ConvertItem[], options: Omit<ConvertOptions, 'outDir'>): Promise<ConvertReport> {
  const r = resolveOptions(options);
  options.onStart?.(items.length);
  const results = new Map<ConvertItem, ConvertFileResult>();
  const emit = (res: ConvertFileResult, item: ConvertItem): void => {
    results.set(item, res);
    options.onFile?.(res);
  };
  // ffmpeg is looked up only when a source needs it: a batch of conforming A-law files converts without it.
  let binaryPromise: Promise<{ binary: FfmpegBinary; version: string; soxr: boolean }> | null = null;
  const ffmpegInfo = () =>
    (binaryPromise ??= (async () => {
      // An ffmpeg lacking what these options need (say, a filter) is passed over, or named in the error.
      const binary = await locateFfmpeg(process.env, ffmpegNeeds({ bandLimit: r.bandLimit }));
      const features = await ffmpegFeatures(binary);
      return { binary, version: features.version, soxr: features.soxr };
    })());

  // Most sources need ffmpeg: start finding it (and reading its version) while probing.
  if (items.length > 0) ffmpegInfo().catch(() => undefined);
  if (items.length > 0 && !r.dryRun) await removeLeftovers(items, r);
  const ioLimit = pLimit(8);
  // Sources are hashed while their ffmpeg runs (see launch below), under a limit of their
  // own so a big batch never reads every source at once.
  const hashLimit = pLimit(4);
  const hashSource = (file: string): Promise<string> => hashLimit(() => sha256File(file));
  const prepared = await Promise.all(
    items.map((item) =>
      ioLimit(async () => {
        const res = await prepare(item, r, ffmpegInfo, hashSource);
        if ('result' in res) emit(res.result, item);
        return res;
      }),
    ),
  );
  // In the order given, so groups (and logs) do not depend on which probe finished first.
  const pending = prepared.flatMap((res) => ('pending' in res ? [res.pending] : []));

  // A dry run goes the whole way a real run goes (probe, decode, conditioning, the check
  // rules) and stops at the write in finish(): it fails exactly what a real run fails.
  {
    const copies = pending.filter((p) => p.route === 'copy');
    const decodes = pending.filter((p) => p.route !== 'copy');
    const cpuLimit = pLimit(r.jobs);
    // Without --jobs: once what is left fits in two rounds, start it all and let the
    // system share the CPUs, rather than idle CPUs while the last long decodes run.
    const rebalance = (): void => {
      if (r.jobsGiven) return;
      const left = cpuLimit.activeCount + cpuLimit.pendingCount;
      cpuLimit.concurrency = left <= 2 * r.jobs ? Math.max(r.jobs, left) : r.jobs;
    };
    const work: Promise<void>[] = copies.map((p) =>
      cpuLimit(async () => emit(await convertFromAlaw(p, r), p.item)).then(rebalance),
    );
    if (decodes.length > 0) {
      const info = await ffmpegInfo();
      // Decodes whose ffmpeg has not started yet. A finished group's in-process work
      // (seconds of samples to measure, encode and verify) waits for them: run at once, it
      // would hold the event loop while the next ffmpeg waits to be spawned, and a CPU idles.
      const launching = new Set<Promise<void>>();
      const launch = (group: Pending[]) => {
        let started = (): void => undefined;
        const spawned = new Promise<void>((resolve) => (started = resolve));
        launching.add(spawned);
        void spawned.then(() => launching.delete(spawned));
        // Hashing starts only once this ffmpeg runs: its reads on the event loop would
        // otherwise sit between fluent-ffmpeg's steps towards the spawn.
        const onSpawn = (): void => {
          crashPoint('decoding');
          started();
          for (const p of group) void p.sourceSha256();
        };
        return decodeGroup(group, r, info, onSpawn).finally(started);
      };
      // A group that fails comes back as smaller groups, scheduled like any other, so
      // isolating one bad source keeps every job slot busy instead of a serial tail.
      const schedule = (group: Pending[]): Promise<void> =>
        cpuLimit(() => launch(group)).then(async (out) => {
          rebalance();
          if ('retry' in out) {
            const retried = out.retry.map(schedule);
            rebalance();
            await Promise.all(retried);
            return;
          }
          if ('results' in out) {
            for (const res of out.results) emit(res.result, res.item);
            return;
          }
          // One macrotask on, the group this slot let in has begun launching; let it spawn first.
          await new Promise((resolve) => setImmediate(resolve));
          await Promise.all(launching);
          for (const d of out.decoded) emit(await finish(d.p, d.audio, r), d.p.item);
        });
      for (const group of makeGroups(decodes, r.jobs)) work.push(schedule(group));
      rebalance();
    }
    await Promise.all(work);
  }
  // Report in the order the sources were given, whatever order they finished in.
  const files = items.map((item) => results.get(item) ?? { source: item.source, output: null, status: 'failed' as const, errors: [finding('internal', 'No result was recorded for this file.')], warnings: [] });
  return { files, summary: summarize(files) };
}

/** Decode scratch folders: `<tmp>/promptprep-decode-<owner tag>-XXXXXX`. */
const SCRATCH_PREFIX = 'promptprep-decode-';
const SCRATCH_FOLDER = /^promptprep-decode-([0-9a-f]{8}-\d+)-/;

/**
 * What killed runs left where this one writes: hidden partial outputs and records, and
 * decode scratch in the temp folder. Only a dead process's files go (see stale-files.ts):
 * another run into the same folder (a --shard beside this one) keeps its own.
 */
async function removeLeftovers(items: ConvertItem[], r: Resolved): Promise<void> {
  const dirs = new Set<string>();
  for (const item of items) {
    dirs.add(path.dirname(item.output));
    dirs.add(path.dirname(statsPathFor(item.output)));
  }
  if (r.stagingDir) dirs.add(r.stagingDir);
  await Promise.all([...dirs].map((dir) => removeOwnPartials(dir)));
  if (!r.stagingDir) await removeDeadOwners(os.tmpdir(), SCRATCH_FOLDER);
}

function summarize(files: ConvertFileResult[]): ConvertReport['summary'] {
  const count = (s: ConvertStatus) => files.filter((f) => f.status === s).length;
  return { total: files.length, converted: count('converted'), skipped: count('skipped'), failed: count('failed'), planned: count('planned') };
}

async function prepare(
  item: ConvertItem,
  r: Resolved,
  ffmpegInfo: () => Promise<{ version: string; soxr: boolean }>,
  hashSource: (file: string) => Promise<string>,
): Promise<{ result: ConvertFileResult } | { pending: Pending }> {
  const failed = (errors: Finding[], warnings: Finding[] = []) => ({
    result: { source: item.source, output: null, status: 'failed' as const, errors, warnings },
  });
  let stat;
  try {
    stat = await fs.stat(item.source);
  } catch (err) {
    return failed([finding('unreadable', describeFsError(err, item.source))]);
  }
  if (!stat.isFile()) {
    return failed([finding('unreadable', `"${item.source}" is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}, not an audio file.`)]);
  }
  if (stat.size === 0) return failed([finding('empty', `"${item.source}" is empty (0 bytes). Export or copy the recording again.`)]);

  // Never let an output replace its own source (e.g. --out pointing at the source folder).
  const [realSource, realOutput] = await Promise.all([fs.realpath(item.source), fs.realpath(item.output).catch(() => null)]);
  if (realOutput !== null && realOutput === realSource) {
    return failed([
      finding(
        'would-overwrite-source',
        `The output "${item.output}" is the source file itself; promptprep never overwrites a source. Choose another output directory.`,
      ),
    ]);
  }

  let hashing: Promise<string> | undefined;
  const sourceSha256 = (): Promise<string> => {
    if (!hashing) {
      hashing = hashSource(item.source);
      // Awaited where it is needed (the skip test, or finish()); this only keeps a read
      // error from also being an unhandled rejection.
      hashing.catch(() => undefined);
    }
    return hashing;
  };
  let probe: SourceProbe;
  try {
    probe = await probeSource(item.source, stat.size);
  } catch (err) {
    return failed([finding('unreadable', describeFsError(err, item.source))]);
  }
  if (probe.kind === 'no-audio') {
    return failed([finding('no-audio-stream', `"${item.source}" has no audio stream (${probe.reason}); there is nothing to convert.`)]);
  }
  const warnings: Finding[] = [];
  let route: Route = probe.kind === 'unknown' ? 'solo' : 'batch';
  if (probe.kind === 'audio') {
    // check's judgement of the structure: a source that is not a whole recording fails
    // here with check's code; one that is only laid out oddly is rewritten canonically.
    const notWhole = probe.wav ? wavFindings(probe.wav, r.profile).errors.filter((e) => NOT_WHOLE_CODES.has(e.code)) : [];
    if (notWhole.length > 0) {
      return failed(notWhole.map((e) => finding(e.code, `"${item.source}": ${e.message}`)));
    }
    const fmt = probe.wav?.format;
    if (
      fmt &&
      fmt.effectiveFormatTag === r.profile.formatTag &&
      fmt.sampleRate === r.profile.sampleRate &&
      fmt.channels === r.profile.channels &&
      fmt.bitsPerSample === r.profile.bitsPerSample &&
      probe.wav?.dataOffset !== null &&
      !r.bandLimit
    ) {
      route = 'copy';
    }
    const maxSeconds = r.maxSamples / r.profile.sampleRate;
    // With --trim-silence the length that counts is the trimmed one: finish() judges it.
    if (probe.durationSeconds * r.profile.sampleRate > r.maxSamples && !r.trimSilence) {
      if (r.onOversize === 'fail') {
        return failed([oversizeFinding(item.source, probe.durationSeconds, r)]);
      }
      warnings.push(
        finding(
          'cut-to-fit',
          `The source lasts ${probe.durationSeconds.toFixed(2)} s, more than the ${maxSeconds.toFixed(2)} s a prompt can hold; it was cut to fit with a ${0.5} s fade-out.`,
        ),
      );
    }
  }
  const needsFfmpeg = route !== 'copy';
  const info = needsFfmpeg ? await ffmpegInfo() : null;
  const key = outputKey(r, info?.version ?? null, info?.soxr ?? null);

  // lstat: a link at the output path (even a dangling one) is not a file promptprep wrote.
  const existing = await fs.lstat(item.output).catch(() => null);
  let replaces: string | null = null;
  if (existing) {
    const outputExists = (why: string) =>
      failed([finding('output-exists', `"${item.output}" already exists and ${why}; it was left untouched. Move it away, or use --force to replace it.`)]);
    if (!existing.isFile()) {
      if (!r.force) return outputExists(`is ${existing.isSymbolicLink() ? 'a symbolic link' : existing.isDirectory() ? 'a directory' : 'not a regular file'}, which promptprep never writes`);
    } else {
      const [record, current] = await Promise.all([readStatsRecord(item.output), sha256File(item.output).catch(() => null)]);
      if (!r.force) {
        if (!record) return outputExists('promptprep has no record of writing it');
        // The record also names the output it was about to replace: a run killed between
        // writing the record and placing the new output left that one, and it is ours.
        if (current === null || (current !== record.outputSha256 && current !== record.previousOutputSha256)) {
          return outputExists('its content is not what promptprep wrote there (it was changed or replaced since)');
        }
        let sha: string;
        try {
          sha = await sourceSha256();
        } catch (err) {
          return failed([finding('unreadable', describeFsError(err, item.source))]);
        }
        if (record.sourceSha256 === sha && record.outputKey === key && current === record.outputSha256) {
          return { result: { source: item.source, output: item.output, status: 'skipped', errors: [], warnings: record.warnings ?? [], stats: record.stats } };
        }
      }
      replaces = current;
    }
  }
  return { pending: { item, probe, route, sourceSha256, key, warnings, replaces } };
}

function oversizeFinding(source: string, seconds: number, r: Resolved): Finding {
  const maxSeconds = r.maxSamples / r.profile.sampleRate;
  return finding(
    'too-long',
    `"${source}" lasts ${seconds.toFixed(2)} s; a prompt can hold at most ${maxSeconds.toFixed(2)} s (${r.maxBytes.toLocaleString('en-US')} bytes of ${r.profile.codecName} at ${bytesPerSecond(r.profile)} bytes/s). Shorten it, raise --max-bytes if your platform allows, or use --on-oversize trim to cut it with a fade-out.`,
  );
}

function makeGroups(pending: Pending[], jobs: number): Pending[][] {
  const groups: Pending[][] = [];
  const batchable = pending.filter((p) => p.route === 'batch');
  for (const p of pending) if (p.route === 'solo') groups.push([p]);
  // Enough groups to keep every job busy, few enough that ffmpeg start-up is amortized.
  const perGroup = Math.max(1, Math.min(DEFAULT_GROUP_FILES, Math.ceil(batchable.length / jobs)));
  let current: Pending[] = [];
  let seconds = 0;
  for (const p of batchable) {
    const d = p.probe.kind === 'audio' ? p.probe.durationSeconds : GROUP_SECONDS;
    if (current.length > 0 && (current.length >= perGroup || seconds + d > GROUP_SECONDS)) {
      groups.push(current);
      current = [];
      seconds = 0;
    }
    current.push(p);
    seconds += d;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function decodeCap(p: Pending, r: Resolved): number | undefined {
  const limit = r.maxSamples / r.profile.sampleRate;
  // Silence trimming may shorten an over-long source enough to fit, so decode a margin more.
  const margin = r.trimSilence ? 60 : 1;
  if (p.probe.kind !== 'audio') return limit + margin;
  return p.probe.durationSeconds > limit ? limit + margin : undefined;
}

/**
 * Audio at the platform rate, as finish() takes it: 16-bit samples, or A-law codes (from
 * ffmpeg, or a conforming source's own) that are kept as they are unless conditioning
 * needs samples.
 */
type DecodedAudio = { samples: Int16Array; codes?: undefined } | { codes: Uint8Array; samples?: undefined };

/**
 * Whether finish() may change this source's samples (any conditioning, or a cut to fit):
 * only then is it decoded to 16 bits. Otherwise ffmpeg encodes the A-law itself, byte for
 * byte what encodeAlaw would make of the same samples, and the in-process work is the
 * verification alone. Decided from the options and this source's probe only, so a file's
 * bytes never depend on the batch it is in.
 */
function needsSamples(p: Pending, r: Resolved): boolean {
  if (r.normalize || r.trimSilence) return true;
  if (r.onOversize !== 'trim') return false;
  return p.probe.kind !== 'audio' || p.probe.durationSeconds * r.profile.sampleRate > r.maxSamples;
}

type GroupOutcome =
  | { results: { item: ConvertItem; result: ConvertFileResult }[] }
  | { decoded: { p: Pending; audio: DecodedAudio }[] }
  | { retry: Pending[][] };

async function decodeGroup(
  group: Pending[],
  r: Resolved,
  info: { binary: FfmpegBinary; version: string; soxr: boolean },
  onSpawn: () => void,
): Promise<GroupOutcome> {
  // Under the staging folder when there is one (watch cleans it at start); in the temp
  // folder under this process's tag otherwise, which the next run removes if this one
  // is killed (removeLeftovers).
  const tmpDir = await fs.mkdtemp(r.stagingDir ? path.join(r.stagingDir, '.decode-') : path.join(os.tmpdir(), `${SCRATCH_PREFIX}${ownerTag()}-`));
  try {
    const jobs: DecodeJob[] = group.map((p, i) => {
      const cap = decodeCap(p, r);
      // Surround sources: a float mix and the unmixed channels, finished by downmix.ts.
      const surround = surroundChannels(p) > 0;
      const encoding = surround ? 'f32le' : needsSamples(p, r) ? 's16le' : 'alaw';
      return {
        source: p.item.source,
        rawPath: path.join(tmpDir, `${i}.${encoding}`),
        encoding,
        ...(surround ? { downmix: { referencePath: path.join(tmpDir, `${i}.channels.s16le`) } } : {}),
        ...(cap !== undefined ? { maxSeconds: cap } : {}),
      };
    });
    const plan = buildDecodePlan(jobs, {
      sampleRate: r.profile.sampleRate,
      channels: r.profile.channels,
      soxr: info.soxr,
      bandLimit: r.bandLimit,
    });
    const run = await runDecodePlan(info.binary, plan, onSpawn);
    if (!run.ok) {
      if (group.length > 1) return { retry: splitFailedGroup(group, run.errorText) };
      const p = group[0] as Pending;
      return { results: [{ item: p.item, result: failedResult(p, [decodeFailure(p.item.source, run.errorText, p.probe.kind === 'unknown')]) }] };
    }
    // Only the decoded samples leave here; the in-process finish runs after the job slot is
    // free, so the next ffmpeg starts while this group is encoded and written.
    const decoded: { p: Pending; audio: DecodedAudio }[] = [];
    for (const [i, p] of group.entries()) {
      const job = jobs[i] as DecodeJob;
      const raw = await fs.readFile(job.rawPath);
      if (job.downmix) {
        const channels = await fs.readFile(job.downmix.referencePath);
        const mix = finishDownmix(float32(raw), int16(channels), surroundChannels(p), r.profile.sampleRate, r.analysis);
        if (mix.warning) p.warnings.push(mix.warning);
        decoded.push({ p, audio: { samples: mix.samples } });
        continue;
      }
      decoded.push({
        p,
        audio: job.encoding === 'alaw' ? { codes: raw } : { samples: new Int16Array(raw.buffer, raw.byteOffset, raw.length >> 1) },
      });
    }
    return { decoded };
  } finally {
    await fs.rm(tmpDir, { recursive: true, force: true });
  }
}

/** The channel count of a source that gets the dialogue-keeping downmix (downmix.ts), else 0. */
function surroundChannels(p: Pending): number {
  return p.probe.kind === 'audio' && p.probe.channels > DOWNMIX_ABOVE_CHANNELS ? p.probe.channels : 0;
}

function int16(raw: Buffer): Int16Array {
  const b = raw.byteOffset % 2 === 0 ? raw : Buffer.from(raw);
  return new Int16Array(b.buffer, b.byteOffset, b.length >> 1);
}

function float32(raw: Buffer): Float32Array {
  const b = raw.byteOffset % 4 === 0 ? raw : Buffer.from(raw);
  return new Float32Array(b.buffer, b.byteOffset, b.length >> 2);
}

/**
 * One source failed a shared process. ffmpeg usually names it ("file:/x.mp3: Invalid
 * data...", "input stream #3:0"): that one runs alone (for its own error message) and the
 * rest together again. When it does not say, halve the group and let both halves run.
 */
function splitFailedGroup(group: Pending[], errorText: string): Pending[][] {
  const culprits = new Set<number>();
  for (const m of errorText.matchAll(/input (?:stream )?#(\d+)/gi)) culprits.add(Number(m[1]));
  group.forEach((p, i) => {
    if (errorText.includes(fileUrl(p.item.source))) culprits.add(i);
  });
  const named = [...culprits].filter((i) => i >= 0 && i < group.length);
  if (named.length > 0 && named.length < group.length) {
    const rest = group.filter((_, i) => !named.includes(i));
    return [...named.map((i) => [group[i] as Pending]), rest];
  }
  const half = Math.ceil(group.length / 2);
  return [group.slice(0, half), group.slice(half)];
}

function failedResult(p: Pending, errors: Finding[]): ConvertFileResult {
  return { source: p.item.source, output: null, status: 'failed', errors, warnings: p.warnings };
}

function decodeFailure(source: string, errorText: string, unrecognized: boolean): Finding {
  if (/matches no streams|does not contain any stream/i.test(errorText)) {
    return finding('no-audio-stream', `"${source}" has no audio stream; there is nothing to convert.`);
  }
  // Neither music-metadata nor ffmpeg recognised it: not a media file at all.
  if (unrecognized || /Invalid data found when processing input|could not find codec parameters|Unknown input format/i.test(errorText)) {
    return finding(
      'not-audio',
      `"${source}" is not an audio or video file that can be read (ffmpeg says: ${lastLine(errorText)}). Check that it is the recording you meant.`,
    );
  }
  return finding('decode-failed', `ffmpeg could not decode "${source}": ${errorText}`);
}

function lastLine(text: string): string {
  const line = text.split('\n').pop() ?? text;
  // "[mp3 @ 0x55aa...] msg" and "file:/path: msg": keep the message, not ffmpeg's internals.
  return line.replace(/^\[[^\]]*\]\s*/, '').replace(/^file:.*?:\s(?=\S)/, '');
}

/** Conforming A-law WAV sources: the data is taken as is, no ffmpeg and no generation loss. */
async function convertFromAlaw(p: Pending, r: Resolved): Promise<ConvertFileResult> {
  if (p.probe.kind !== 'audio' || !p.probe.wav || p.probe.wav.dataOffset === null) {
    return failedResult(p, [finding('internal', 'copy route without a WAV data chunk')]);
  }
  const wav = p.probe.wav;
  let bytes: Buffer;
  try {
    const handle = await fs.open(p.item.source, 'r');
    try {
      const length = Math.min(wav.dataBytesPresent, r.maxSamples + r.profile.sampleRate * 120);
      bytes = Buffer.alloc(length);
      await handle.read(bytes, 0, length, wav.dataOffset);
    } finally {
      await handle.close();
    }
  } catch (err) {
    return failedResult(p, [finding('unreadable', describeFsError(err, p.item.source))]);
  }
  return finish(p, { codes: bytes }, r);
}

/**
 * Conditioning, encoding, verification and the atomic write. A-law codes are kept byte
 * for byte unless conditioning changes the audio.
 */
async function finish(p: Pending, decoded: DecodedAudio, r: Resolved): Promise<ConvertFileResult> {
  const rate = r.profile.sampleRate;
  const warnings = [...p.warnings];
  const codes = decoded.codes ?? null;
  const length = codes ? codes.length : (decoded.samples as Int16Array).length;
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
  // Codes become samples only when something below may change them (a header that
  // understated the length can still bring a cut to fit here).
  let data: Uint8Array;
  let before: AudioStats | null = null;
  let conditioned: Conditioned = { changed: false, trimmedLeadingSeconds: 0, trimmedTrailingSeconds: 0, cutToFit: false, gainDb: 0 };
  if (!codes || r.trimSilence || r.normalize || length > r.maxSamples) {
    const samples = decoded.samples ?? decodeAlaw(codes as Uint8Array);
    before = analyzeSamples(samples, rate, r.analysis);
    const c = condition(p, samples, r, warnings);
    if ('failed' in c) return c.failed;
    conditioned = c;
    data = codes && !c.changed ? codes : encodeAlaw(c.samples);
  } else {
    data = codes;
  }
  const wav = buildCanonicalWav(data, {
    formatTag: wavFormatTag(r.profile),
    sampleRate: rate,
    channels: r.profile.channels,
    bitsPerSample: r.profile.bitsPerSample,
  });
  const scene = r.sceneFor?.(p.item) ?? r.scene;
  const verdict = checkWavBytes(wav, wav.length, {
    profile: r.profile,
    maxBytes: r.maxBytes,
    analysis: r.analysis,
    ...(scene ? { scene } : {}),
  });
  const nameErrors = validateOutputName(path.basename(p.item.output), r.profile);
  if (verdict.errors.length > 0 || nameErrors.length > 0) {
    return failedResult(p, [...nameErrors, ...verdict.errors]);
  }
  warnings.push(...verdict.warnings.filter((w) => !warnings.some((x) => x.code === w.code)));
  if (r.dryRun) return { source: p.item.source, output: p.item.output, status: 'planned', errors: [], warnings };
  const after = verdict.stats ?? analyzeCodes(data, ALAW_DECODE, rate, r.analysis);
  let sourceSha256: string;
  try {
    sourceSha256 = await p.sourceSha256();
  } catch (err) {
    return failedResult(p, [finding('unreadable', describeFsError(err, p.item.source))]);
  }
  const stats: ConvertStats = {
    sourceSha256,
    durationSeconds: data.length / rate,
    bytes: wav.length,
    sha256: sha256(wav),
    input:
      p.probe.kind === 'audio'
        ? {
            container: p.probe.container,
            codec: p.probe.codec,
            sampleRate: p.probe.sampleRate,
            channels: p.probe.channels,
            durationSeconds: p.probe.durationSeconds,
          }
        : null,
    before: before ?? after,
    after,
    gainDb: conditioned.gainDb,
    trimmedLeadingSeconds: conditioned.trimmedLeadingSeconds,
    trimmedTrailingSeconds: conditioned.trimmedTrailingSeconds,
    cutToFit: conditioned.cutToFit,
  };
  const record: StatsRecord = {
    promptprep: VERSION,
    source: p.item.source,
    sourceSha256,
    outputKey: p.key,
    output: p.item.output,
    outputSha256: stats.sha256,
    previousOutputSha256: p.replaces,
    options: { normalize: r.normalize, trimSilence: r.trimSilence, bandLimit: r.bandLimit, onOversize: r.onOversize, maxBytes: r.maxBytes, profile: r.profile.id },
    stats,
    warnings,
    convertedAt: new Date().toISOString(),
  };
  // The record is made durable before the output is renamed into place, so there is no
  // moment at which an output of ours is in place without a record naming it: a kill
  // between the two leaves the previous output (named by the record as the one being
  // replaced) or none, and the next run converts again.
  try {
    const recordPath = statsPathFor(p.item.output);
    // Creates the output folder too: it appears with the first output, not before.
    await fs.mkdir(path.dirname(recordPath), { recursive: true });
    const staged = await stageFile(p.item.output, wav, r.stagingDir);
    try {
      crashPoint('staged');
      await writeFileAtomic(recordPath, `${JSON.stringify(record, jsonSafe, 2)}\n`, r.stagingDir);
      crashPoint('recorded');
    } catch (err) {
      await discardStaged(staged);
      throw err;
    }
    await placeStaged(staged);
    crashPoint('placed');
  } catch (err) {
    return failedResult(p, [finding('write-failed', `Could not write "${p.item.output}": ${(err as Error).message}`)]);
  }
  return { source: p.item.source, output: p.item.output, status: 'converted', errors: [], warnings, stats };
}

interface Conditioned {
  changed: boolean;
  trimmedLeadingSeconds: number;
  trimmedTrailingSeconds: number;
  cutToFit: boolean;
  gainDb: number;
}

/** --trim-silence, the cut to fit and --normalize, in that order; adds its warnings to `warnings`. */
function condition(
  p: Pending,
  input: Int16Array,
  r: Resolved,
  warnings: Finding[],
): (Conditioned & { samples: Int16Array }) | { failed: ConvertFileResult } {
  const rate = r.profile.sampleRate;
  let samples = input;
  let changed = false;
  let trimmedLeading = 0;
  let trimmedTrailing = 0;
  if (r.trimSilence) {
    const t = trimSilence(samples, rate, r.analysis);
    if (t.silent) {
      return { failed: failedResult(p, [finding('silent', `"${p.item.source}" is silent; trimming silence would leave nothing.`)]) };
    }
    if (t.samples.length !== samples.length) changed = true;
    samples = t.samples;
    trimmedLeading = t.leadingSeconds;
    trimmedTrailing = t.trailingSeconds;
  }
  let cutToFit = false;
  if (samples.length > r.maxSamples) {
    if (r.onOversize === 'fail') return { failed: failedResult(p, [oversizeFinding(p.item.source, samples.length / rate, r)]) };
    if (!warnings.some((w) => w.code === 'cut-to-fit')) {
      warnings.push(
        finding('cut-to-fit', `The audio lasts ${(samples.length / rate).toFixed(2)} s, more than a prompt can hold; it was cut to fit with a 0.5 s fade-out.`),
      );
    }
    samples = cutWithFade(samples, r.maxSamples, rate);
    cutToFit = true;
    changed = true;
  }
  let gainDb = 0;
  if (r.normalize) {
    const n = normalizeLevel(samples, rate, r.analysis);
    if (n.silent) {
      warnings.push(finding('normalize-silent', 'No speech was found to measure, so the level was left as it is.'));
    } else {
      gainDb = n.gainDb;
      if (n.gainDb !== 0) changed = true;
      samples = n.samples;
      const large = largeGainWarning(n.gainDb);
      if (large) warnings.push(large);
      if (n.limitedByPeak) {
        warnings.push(
          finding(
            'normalize-peak-limited',
            `Peaks limited the gain to ${n.gainDb.toFixed(1)} dB, so the speech level stays under the -22 dBFS target; the recording has very loud peaks compared with its speech.`,
          ),
        );
      }
    }
  }
  return { samples, changed, trimmedLeadingSeconds: trimmedLeading, trimmedTrailingSeconds: trimmedTrailing, cutToFit, gainDb };
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** Extensions of the audio and video files people convert; a folder named so is reported. */
const MEDIA_EXTENSIONS = [
  '.wav', '.wave', '.mp3', '.flac', '.ogg', '.oga', '.opus', '.m4a', '.aac', '.mp4', '.m4v', '.mov', '.mkv', '.mka', '.webm',
  '.wma', '.wmv', '.aif', '.aiff', '.aifc', '.caf', '.amr', '.3gp', '.au', '.snd', '.ac3', '.avi', '.mpg', '.mpeg',
] as const;

/**
 * Convert files and directories (walked recursively) into `options.outDir`. Output names
 * are the sources' base names with the profile's extension; invalid names fail with a
 * suggestion unless `rename`; two sources that would share an output name both fail.
 */
export async function convertFiles(inputs: string[], options: ConvertOptions): Promise<ConvertReport> {
  const r = resolveOptions(options);
  const outDir = path.resolve(options.outDir);
  const recordFolders = new Map<string, Promise<boolean>>();
  const entries = (
    await walkInputs(inputs, {
      // "x.flac" is a folder: its files are converted, and the folder is reported, as check does.
      suspiciousDirExtension: MEDIA_EXTENSIONS,
      // Re-running into a folder inside (or equal to) a source folder must not take our
      // own outputs for new sources: skip the output folder and files we wrote.
      exclude: async (p, isDirectory) => {
        if (isDirectory) return path.resolve(p) === outDir;
        // Most source folders hold no records at all: ask once a folder, not once a file.
        const records = path.join(path.dirname(p), '.promptprep');
        let has = recordFolders.get(records);
        if (!has) recordFolders.set(records, (has = exists(records)));
        return (await has) && (await readStatsRecord(p)) !== null;
      },
    })
  ).filter((e) => inShard(e.path, options.shard));
  const early: ConvertFileResult[] = [];
  const planned: ConvertItem[] = [];
  for (const entry of entries) {
    if (entry.problem) {
      early.push({ source: entry.path, output: null, status: 'failed', errors: [finding('unreadable', entry.problem)], warnings: [] });
      continue;
    }
    const natural = naturalOutputName(entry.path, r.profile);
    let name = natural;
    const problems = validateOutputName(natural, r.profile);
    if (problems.length > 0) {
      if (options.rename) {
        name = suggestFileName(natural, r.profile);
      } else {
        early.push({
          source: entry.path,
          output: null,
          status: 'failed',
          errors: problems.map((f) => ({ ...f, message: `${f.message} Or convert with --rename to apply the suggestion.` })),
          warnings: [],
        });
        continue;
      }
    }
    planned.push({ source: entry.path, output: path.join(options.outDir, name) });
  }
  // Two sources, one output name: neither wins silently. Case-insensitive, because
  // macOS and Windows folders (and people) treat A.wav and a.wav as one file.
  const byName = new Map<string, ConvertItem[]>();
  for (const item of planned) {
    const k = path.basename(item.output).toLowerCase();
    byName.set(k, [...(byName.get(k) ?? []), item]);
  }
  const items: ConvertItem[] = [];
  for (const item of planned) {
    const same = byName.get(path.basename(item.output).toLowerCase()) ?? [];
    if (same.length > 1) {
      const others = same.filter((o) => o !== item).map((o) => `"${o.source}"`);
      early.push({
        source: item.source,
        output: null,
        status: 'failed',
        errors: [
          finding(
            'name-collision',
            `"${item.source}" and ${others.join(', ')} would both become "${path.basename(item.output)}"; none of them was converted. Rename one of the sources.`,
          ),
        ],
        warnings: [],
      });
    } else {
      items.push(item);
    }
  }
  const onStart = options.onStart;
  for (const e of early) options.onFile?.(e);
  const report = await convertItems(items, {
    ...options,
    onStart: onStart ? (n) => onStart(n + early.length) : undefined,
  });
  const order = new Map(entries.map((e, i) => [e.path, i]));
  const files = [...early, ...report.files].sort((a, b) => (order.get(a.source) ?? 0) - (order.get(b.source) ?? 0));
  return { files, summary: summarize(files) };
}
