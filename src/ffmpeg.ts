import { execFile, spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, fstatSync, openSync, promises as fs, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import ffmpeg from 'fluent-ffmpeg';
import { writeFileAtomic } from './atomic-write.js';
import { cacheDir } from './cache-dir.js';
import { decodeGraph, fileUrl, RAW_SAMPLE_BYTES, type GraphOutput } from './decode-graph.js';
import { ffmpegEnv } from './ffmpeg-env.js';
import type { DecodePlan, DecodePlanOutput, RawEncoding } from './decode-plan.js';

// The graph is built in decode-graph.ts; its helpers are part of this module's API too.
export { decodeGraph, fileUrl, graphValue, type DecodeGraph, type GraphOutput } from './decode-graph.js';

/**
 * The one module that knows how ffmpeg is found and driven (through fluent-ffmpeg).
 * Everything else hands it a DecodePlan (pure data, see decode-plan.ts) and gets raw
 * samples on disk back.
 */

const execFileAsync = promisify(execFile);

/**
 * Where an ffmpeg came from, in the order they are tried: the user's own choice, the
 * ffmpeg-static package (its binary is downloaded from GitHub at install time), a system
 * ffmpeg, and last the binary published inside npm packages (@ffmpeg-installer/<os>-<cpu>),
 * which installs wherever npm itself works.
 */
export const FFMPEG_SOURCES = ['FFMPEG_PATH', 'ffmpeg-static', 'PATH', '@ffmpeg-installer/ffmpeg'] as const;
export type FfmpegSource = (typeof FFMPEG_SOURCES)[number];

export interface FfmpegBinary {
  path: string;
  /** How it was found, for `promptprep doctor` and bench output. */
  source: FfmpegSource;
}

/** No usable ffmpeg (missing, broken, or lacking what the command needs): a setup error with a fix. */
export class FfmpegNotFoundError extends Error {
  override name = 'FfmpegNotFoundError';
}

/** Something a command needs compiled into ffmpeg, and what for (the error names both). */
export interface FfmpegNeed {
  kind: 'encoder' | 'filter';
  name: string;
  for: string;
}

/** What every conversion needs: the filter chain (decode-plan.ts) and the raw outputs (runDecodePlan). */
export const BASE_NEEDS: readonly FfmpegNeed[] = [
  { kind: 'filter', name: 'aresample', for: 'resampling to the platform rate' },
  { kind: 'encoder', name: 'pcm_s16le', for: 'decoding to 16-bit samples' },
  { kind: 'encoder', name: 'pcm_alaw', for: 'encoding G.711 A-law' },
  { kind: 'filter', name: 'aformat', for: 'downmixing surround sources' },
  { kind: 'filter', name: 'pan', for: 'downmixing surround sources' },
  { kind: 'encoder', name: 'pcm_f32le', for: 'downmixing surround sources' },
];

const RAW_ENCODERS: Record<RawEncoding, string> = { s16le: 'pcm_s16le', alaw: 'pcm_alaw', f32le: 'pcm_f32le' };

/** What a conversion with these options needs from ffmpeg. */
export function ffmpegNeeds(options: { bandLimit?: boolean } = {}): FfmpegNeed[] {
  const needs = [...BASE_NEEDS];
  if (options.bandLimit) {
    needs.push({ kind: 'filter', name: 'highpass', for: '--band-limit' }, { kind: 'filter', name: 'lowpass', for: '--band-limit' });
  }
  return needs;
}

/** The needs this ffmpeg lacks, in words ("no encoder "gsm" (needed for ...)"); [] when it has them all. */
export function missingNeeds(features: FfmpegFeatures, needs: readonly FfmpegNeed[]): string[] {
  return needs
    .filter((n) => !(n.kind === 'encoder' ? features.encoders : features.filters).includes(n.name))
    .map((n) => `no ${n.kind} "${n.name}" (needed for ${n.for})`);
}

/** One place an ffmpeg was looked for, as `promptprep doctor` reports it. */
export interface FfmpegCandidate {
  source: FfmpegSource;
  /** The binary's path; null when this source has none (FFMPEG_PATH unset, package not installed). */
  path: string | null;
  /** The npm package that shipped it, with its version, e.g. "@ffmpeg-installer/linux-x64 4.1.0". */
  package?: string;
  /**
   * chosen: used. unusable: found, but it does not run or lacks something needed. absent:
   * this source has no ffmpeg. not-needed: usable, but an earlier one was chosen (or
   * FFMPEG_PATH is set, which allows no other).
   */
  status: 'chosen' | 'unusable' | 'absent' | 'not-needed';
  /** Why it was passed over (or, for the chosen one, why it was taken). */
  reason: string;
  /** What the probe found, when the binary ran. */
  features: FfmpegFeatures | null;
}

export interface FfmpegSearch {
  chosen: FfmpegBinary | null;
  candidates: FfmpegCandidate[];
}

export interface FfmpegSearchOptions {
  env?: NodeJS.ProcessEnv;
  needs?: readonly FfmpegNeed[];
  /** Look at (and probe) every source, not only up to the first usable one. */
  all?: boolean;
  /** Only these sources (default: all of FFMPEG_SOURCES, in that order). */
  sources?: readonly FfmpegSource[];
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const requireHere = createRequire(import.meta.url);

const isModuleNotFound = (err: unknown, name: string): boolean =>
  (err as NodeJS.ErrnoException)?.code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(`'${name}'`);

interface PackagedBinary {
  path: string | null;
  package?: string;
  /** Why there is none. */
  reason?: string;
}

function packageVersion(name: string): string {
  try {
    return ` ${(requireHere(`${name}/package.json`) as { version?: string }).version ?? ''}`.trimEnd();
  } catch {
    return '';
  }
}

function ffmpegStaticBinary(): PackagedBinary {
  try {
    // Optional dependency: absent on closed networks, where its install-time download fails.
    const p = requireHere('ffmpeg-static') as unknown;
    if (typeof p !== 'string') return { path: null, reason: `ffmpeg-static has no binary for ${process.platform}-${process.arch}` };
    return { path: p, package: `ffmpeg-static${packageVersion('ffmpeg-static')}` };
  } catch (err) {
    if (isModuleNotFound(err, 'ffmpeg-static')) {
      return { path: null, reason: 'the optional package ffmpeg-static is not installed (its binary download at install time failed, or optional packages were left out)' };
    }
    return { path: null, reason: `ffmpeg-static could not be loaded: ${(err as Error).message}` };
  }
}

function ffmpegInstallerBinary(): PackagedBinary {
  const platformPackage = `@ffmpeg-installer/${process.platform}-${process.arch}`;
  try {
    const m = requireHere('@ffmpeg-installer/ffmpeg') as { path?: unknown; version?: unknown };
    if (typeof m.path !== 'string') return { path: null, reason: '@ffmpeg-installer/ffmpeg gave no binary path' };
    // Its own `version` is the ffmpeg build's date; the package version (4.1.0) says more.
    return { path: m.path, package: `${platformPackage}${packageVersion(platformPackage)}` };
  } catch (err) {
    if (isModuleNotFound(err, '@ffmpeg-installer/ffmpeg')) {
      return { path: null, reason: 'the optional package @ffmpeg-installer/ffmpeg is not installed (reinstall without --omit=optional)' };
    }
    // It throws plain strings: "Unsupported platform/architecture: ...", "Could not find ffmpeg executable, tried ...".
    const text = typeof err === 'string' ? err : (err as Error).message;
    return { path: null, reason: `@ffmpeg-installer/ffmpeg: ${text}` };
  }
}

/** Every executable `ffmpeg` on PATH, in PATH order; one path per binary (/bin is often /usr/bin). */
async function ffmpegsOnPath(env: NodeJS.ProcessEnv): Promise<string[]> {
  const found: string[] = [];
  const seen = new Set<string>();
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of process.platform === 'win32' ? ['ffmpeg.exe', 'ffmpeg'] : ['ffmpeg']) {
      const candidate = path.join(dir, name);
      if (!(await isExecutable(candidate))) continue;
      const real = await fs.realpath(candidate).catch(() => candidate);
      if (seen.has(real)) continue;
      seen.add(real);
      found.push(candidate);
    }
  }
  return found;
}

/** Probe one binary: does it run, and does it have what is needed? null when it is usable. */
async function judge(binary: FfmpegBinary, needs: readonly FfmpegNeed[]): Promise<{ problem: string | null; features: FfmpegFeatures | null }> {
  if (!(await isExecutable(binary.path))) return { problem: 'no executable file is there', features: null };
  let features: FfmpegFeatures;
  try {
    features = await ffmpegFeatures(binary);
  } catch (err) {
    return { problem: `it did not run: ${(err as Error).message.split('\n')[0]}`, features: null };
  }
  const missing = missingNeeds(features, needs);
  return { problem: missing.length > 0 ? `it has ${missing.join(', ')}` : null, features };
}

const FIRST_USABLE = `the first usable ffmpeg in the order ${FFMPEG_SOURCES.join(', ')}`;

/**
 * Look for ffmpeg in FFMPEG_SOURCES order and take the first that runs and has what
 * `needs` lists. A set FFMPEG_PATH allows no other: the user asked for that binary, so a
 * broken one is an error rather than a quiet fallback. Every place looked at is reported.
 */
export async function searchFfmpeg(options: FfmpegSearchOptions = {}): Promise<FfmpegSearch> {
  const env = options.env ?? process.env;
  const needs = options.needs ?? BASE_NEEDS;
  const candidates: FfmpegCandidate[] = [];
  let chosen: FfmpegBinary | null = null;
  /** Set when FFMPEG_PATH is set: nothing else may be chosen. */
  let pinned = false;

  const sources = options.sources ?? FFMPEG_SOURCES;
  const consider = async (source: FfmpegSource, found: PackagedBinary, chooseReason: string): Promise<void> => {
    if (!sources.includes(source)) return;
    const base = { source, path: found.path, ...(found.package ? { package: found.package } : {}) };
    if (found.path === null) {
      candidates.push({ ...base, status: 'absent', reason: found.reason ?? 'none found', features: null });
      return;
    }
    const binary: FfmpegBinary = { path: found.path, source };
    const { problem, features } = await judge(binary, needs);
    if (problem) {
      candidates.push({ ...base, status: 'unusable', reason: problem, features });
    } else if (chosen || pinned) {
      candidates.push({ ...base, status: 'not-needed', reason: pinned && !chosen ? 'FFMPEG_PATH is set, so no other ffmpeg is used' : `an earlier one (${chosen?.source}) was chosen`, features });
    } else {
      chosen = binary;
      candidates.push({ ...base, status: 'chosen', reason: chooseReason, features });
    }
  };

  /** In a plain search, looking further once one is chosen (or FFMPEG_PATH decided) only costs time. */
  const done = (): boolean => (chosen !== null || pinned) && !options.all;

  const fromEnv = sources.includes('FFMPEG_PATH') ? env.FFMPEG_PATH : undefined;
  if (fromEnv) {
    await consider('FFMPEG_PATH', { path: fromEnv }, 'FFMPEG_PATH is set');
    pinned = true;
  } else if (sources.includes('FFMPEG_PATH')) {
    candidates.push({ source: 'FFMPEG_PATH', path: null, status: 'absent', reason: 'FFMPEG_PATH is not set', features: null });
  }
  if (done()) return { chosen, candidates };
  if (sources.includes('ffmpeg-static')) await consider('ffmpeg-static', ffmpegStaticBinary(), FIRST_USABLE);
  if (done()) return { chosen, candidates };
  const onPath = sources.includes('PATH') ? await ffmpegsOnPath(env) : [];
  if (onPath.length === 0 && sources.includes('PATH')) candidates.push({ source: 'PATH', path: null, status: 'absent', reason: 'no ffmpeg on PATH', features: null });
  for (const p of onPath) if (!done()) await consider('PATH', { path: p }, FIRST_USABLE);
  if (done()) return { chosen, candidates };
  if (sources.includes('@ffmpeg-installer/ffmpeg')) await consider('@ffmpeg-installer/ffmpeg', ffmpegInstallerBinary(), FIRST_USABLE);
  return { chosen, candidates };
}

const INSTALL_HINT =
  'Install ffmpeg (Debian/Ubuntu: `sudo apt-get install ffmpeg`; macOS: `brew install ffmpeg`; Windows: `winget install ffmpeg`), ' +
  'or set FFMPEG_PATH to an ffmpeg binary, or reinstall with network access so the optional ffmpeg-static package can download its binary ' +
  '(FFMPEG_BINARIES_URL points it at a mirror) and the optional @ffmpeg-installer/ffmpeg package is installed. ' +
  '`promptprep doctor` shows every place it looked.';

/** The error for a search that chose nothing: what was wrong with each ffmpeg found. */
export function noFfmpegError(search: FfmpegSearch): FfmpegNotFoundError {
  const env = search.candidates.find((c) => c.source === 'FFMPEG_PATH' && c.path !== null);
  if (env) {
    const version = env.features ? ` (ffmpeg ${env.features.version})` : '';
    const fix = env.features ? 'Point FFMPEG_PATH at an ffmpeg that has it, or unset it.' : 'Fix the path or unset FFMPEG_PATH.';
    return new FfmpegNotFoundError(`FFMPEG_PATH is set to "${env.path}"${version}, but ${env.reason}. ${fix}`);
  }
  const unusable = search.candidates.filter((c) => c.status === 'unusable');
  if (unusable.length === 0) return new FfmpegNotFoundError(`ffmpeg was not found. ${INSTALL_HINT}`);
  const lines = unusable.map((c) => `  ${c.path} (from ${c.source}${c.features ? `, ffmpeg ${c.features.version}` : ''}): ${c.reason}`);
  return new FfmpegNotFoundError(`no usable ffmpeg was found:\n${lines.join('\n')}\n${INSTALL_HINT}`);
}

const located = new Map<string, Promise<FfmpegBinary>>();

/**
 * The ffmpeg to use: the first usable one in FFMPEG_SOURCES order (see searchFfmpeg).
 * Throws FfmpegNotFoundError, naming each binary found and what it lacks, when there is none.
 */
export function locateFfmpeg(env: NodeJS.ProcessEnv = process.env, needs: readonly FfmpegNeed[] = BASE_NEEDS): Promise<FfmpegBinary> {
  const key = needs.map((n) => `${n.kind}:${n.name}`).join(',');
  if (env === process.env) {
    const known = located.get(key);
    if (known) return known;
  }
  const search = searchFfmpeg({ env, needs }).then((s) => {
    if (s.chosen) return s.chosen;
    throw noFfmpegError(s);
  });
  if (env === process.env) {
    located.set(key, search);
    search.catch(() => located.delete(key));
  }
  return search;
}

export interface FfmpegFeatures {
  version: string;
  /** libsoxr, the high-quality resampler, is compiled in. */
  soxr: boolean;
  /** Audio encoders compiled in (`ffmpeg -encoders`). */
  encoders: string[];
  /** Audio filters compiled in (`ffmpeg -filters`). */
  filters: string[];
}

const featureCache = new Map<string, Promise<FfmpegFeatures>>();

/** `ffmpeg <flag>` with the banner off; its stdout. */
async function ask(binary: FfmpegBinary, flag: string): Promise<string> {
  try {
    return (await execFileAsync(binary.path, ['-hide_banner', flag], { maxBuffer: 4 << 20, env: ffmpegEnv() })).stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    const said = (e.stderr ?? '').trim().split('\n').pop();
    throw new Error(`\`${binary.path} ${flag}\` failed: ${said || e.message}`);
  }
}

/** Names from an `ffmpeg -encoders` listing, audio ones only (" A....D pcm_alaw  PCM A-law ..."). */
export function parseEncoders(listing: string): string[] {
  const names: string[] = [];
  for (const m of listing.matchAll(/^ A[A-Z.]{5} (\S+)/gm)) names.push(m[1] as string);
  return names;
}

/** Names from an `ffmpeg -filters` listing, those with audio in or out (" ... aresample  A->A  ..."). */
export function parseFilters(listing: string): string[] {
  const names: string[] = [];
  for (const m of listing.matchAll(/^ [A-Z.]{2,3} (\S+)\s+(\S*->\S*)/gm)) if ((m[2] as string).includes('A')) names.push(m[1] as string);
  return names;
}

/**
 * What the binary can do: version, libsoxr, audio encoders and filters. Starting ffmpeg
 * only to ask costs ~50 ms of CPU a question on every run, on the way to the first decode,
 * so the answer is kept per binary in the user's cache folder and asked again when the
 * binary file changes.
 */
export function ffmpegFeatures(binary: FfmpegBinary): Promise<FfmpegFeatures> {
  let cached = featureCache.get(binary.path);
  if (!cached) {
    cached = (async () => {
      const dir = cacheDir();
      const id = dir ? await binaryIdentity(binary) : null;
      const known = dir && id ? await featuresFromDisk(dir, id) : null;
      if (known) return known;
      const [versionText, encoderText, filterText] = await Promise.all([ask(binary, '-version'), ask(binary, '-encoders'), ask(binary, '-filters')]);
      const firstLine = versionText.split('\n')[0] ?? '';
      const version = /^ffmpeg version (\S+)/.exec(firstLine)?.[1];
      if (!version) throw new Error(`\`${binary.path} -version\` does not answer as ffmpeg does ("${firstLine.slice(0, 80)}")`);
      const features: FfmpegFeatures = {
        version,
        soxr: versionText.includes('--enable-libsoxr'),
        encoders: parseEncoders(encoderText),
        filters: parseFilters(filterText),
      };
      if (dir && id) void featuresToDisk(dir, id, features);
      return features;
    })();
    featureCache.set(binary.path, cached);
    const mine = cached;
    // A failure is not kept: the binary may be fixed (or replaced) while we run.
    mine.catch(() => {
      if (featureCache.get(binary.path) === mine) featureCache.delete(binary.path);
    });
  }
  return cached;
}

const FEATURES_FILE = 'ffmpeg-features.json';

interface FeaturesEntry extends FfmpegFeatures {
  /** Size, times and inode of the binary when it was asked: any change means a new binary. */
  identity: string;
}

interface BinaryIdentity {
  /** The binary's real path. */
  key: string;
  identity: string;
}

async function binaryIdentity(binary: FfmpegBinary): Promise<BinaryIdentity | null> {
  try {
    const real = await fs.realpath(binary.path);
    const st = await fs.stat(real);
    return { key: real, identity: `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` };
  } catch {
    return null;
  }
}

async function readFeaturesFile(dir: string): Promise<Record<string, FeaturesEntry>> {
  try {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, FEATURES_FILE), 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, FeaturesEntry>) : {};
  } catch {
    return {};
  }
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

async function featuresFromDisk(dir: string, id: BinaryIdentity): Promise<FfmpegFeatures | null> {
  const entry = (await readFeaturesFile(dir))[id.key];
  // An entry from an older promptprep (no encoders or filters) is asked again.
  if (!entry || entry.identity !== id.identity || typeof entry.version !== 'string' || typeof entry.soxr !== 'boolean') return null;
  if (!isStringArray(entry.encoders) || !isStringArray(entry.filters)) return null;
  return { version: entry.version, soxr: entry.soxr, encoders: entry.encoders, filters: entry.filters };
}

/** Best effort: a cache that cannot be written only means asking ffmpeg again next time. */
async function featuresToDisk(dir: string, id: BinaryIdentity, features: FfmpegFeatures): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    const all = await readFeaturesFile(dir);
    all[id.key] = { ...features, identity: id.identity };
    await writeFileAtomic(path.join(dir, FEATURES_FILE), `${JSON.stringify(all)}\n`);
  } catch {
    // unwritable home, read-only file system, full disk: carry on without the cache
  }
}

export interface DecodeRun {
  ok: boolean;
  /** ffmpeg's own error text (the last lines of stderr), for messages. */
  errorText: string;
  /** Inputs (plan.inputs indexes) that ffmpeg's error names, when it names any. */
  failedInputs: number[];
  /** When ok: each plan output's raw bytes, in plan.outputs order (none for the inputs in `delivered`: they were handed on). */
  data?: Buffer[];
  /** Inputs already handed to onInputReady while the process ran. */
  delivered?: number[];
}

/**
 * Run one ffmpeg process for the whole plan and give back every output's raw bytes
 * (the plan's rawPaths are scratch names; a sequence's file is cut where its sources
 * end). Several inputs in one process is the point: starting ffmpeg costs more than
 * decoding a short prompt. The inputs are filtergraph sources (decodeGraph). A single source that
 * fails that way is run once more as a plain `-i` input, so a file either shape can read
 * converts, and a failure is explained in ffmpeg's usual words ("matches no streams",
 * "Invalid data found", a missing decoder), which amovie does not give.
 */
export async function runDecodePlan(
  binary: FfmpegBinary,
  plan: DecodePlan,
  hooks: DecodeHooks = {},
): Promise<DecodeRun> {
  const { onSpawn, onInputReady, onExit } = hooks;
  const g = decodeGraph(plan);
  const counts = new Map<number, number>();
  const feed = onInputReady ? new SequenceFeed(plan, g.outputs, counts, onInputReady, hooks.transientOutputs ?? new Set()) : null;
  // One filter thread: the chains are cheap, and a pool of threads only adds wake-ups.
  const graphRun = await runFfmpeg(
    binary,
    ['-filter_complex_threads', '1', '-filter_complex', g.graph],
    [],
    plan,
    g.outputs.map((o) => ({ path: o.path, like: o.like, mapping: ['-map', `[${o.label}]`, ...(feed && o.members ? ['-flush_packets', '1'] : [])] })),
    onSpawn,
    (filter, samples) => {
      counts.set(filter, (counts.get(filter) ?? 0) + samples);
      feed?.poll();
    },
  );
  onExit?.();
  feed?.close();
  const delivered = feed ? [...feed.delivered].sort((a, b) => a - b) : [];
  if (graphRun.ok) {
    const data = await readGraphOutputs(plan, g.outputs, counts, (o) => feed?.handedOn(o) ?? { members: 0, offset: 0 });
    if (data) return { ok: true, errorText: '', failedInputs: [], data, delivered };
    return { ok: false, errorText: 'ffmpeg wrote a sequence of sources whose length does not add up to what it counted', failedInputs: [], delivered };
  }
  if (plan.inputs.length === 1) {
    const inputRun = await runFfmpeg(
      binary,
      [],
      plan.inputs.map((input) => fileUrl(input.path)),
      plan,
      plan.outputs.map((o, k) => ({ path: o.rawPath, like: k, mapping: ['-map', `${o.inputIndex}:a:0`, '-vn', '-sn', '-dn', ...filterArgs(o)] })),
    );
    if (!inputRun.ok) return { ok: false, errorText: inputRun.errorText, failedInputs: [0] };
    return { ok: true, errorText: '', failedInputs: [], data: await Promise.all(plan.outputs.map((o) => fs.readFile(o.rawPath))) };
  }
  const inputOfFilter = new Map(g.movieFilterIndex.map((n, i) => [n, i]));
  const failedInputs = new Set<number>();
  for (const m of graphRun.errorLines.matchAll(/Parsed_amovie_(\d+)/g)) {
    const i = inputOfFilter.get(Number(m[1]));
    if (i !== undefined) failedInputs.add(i);
  }
  plan.inputs.forEach((input, i) => {
    if (graphRun.errorLines.includes(fileUrl(input.path))) failedInputs.add(i);
  });
  return { ok: false, errorText: graphRun.errorText, failedInputs: [...failedInputs].sort((a, b) => a - b), delivered };
}

/** An input's outputs, written in full: plan output index to bytes. */
export type InputReady = (input: number, data: ReadonlyMap<number, Buffer>) => void;

export interface DecodeHooks {
  /** The process is running (or has failed to start). */
  onSpawn?: () => void;
  /**
   * An input's outputs (plan output index to bytes), as soon as ffmpeg has written all of
   * them, while it goes on with the rest of a sequence; such inputs are listed in the
   * result's `delivered`, whether the process then succeeds or fails.
   */
  onInputReady?: InputReady;
  /**
   * Plan outputs that onInputReady only reads while it runs, and keeps nothing of: handed
   * over in a buffer that is reused for the next source. A short prompt's fresh buffer
   * costs page faults and malloc churn that outlive it (the heap grows with the run).
   */
  transientOutputs?: ReadonlySet<number>;
  /**
   * The process has exited: its CPU is free before the outputs are read back and cut
   * (a single source that failed is then tried once more as an -i input).
   */
  onExit?: () => void;
}

/**
 * Hands a sequence's sources on while ffmpeg still decodes the ones after them, so their
 * in-process work overlaps the decode instead of waiting for the whole group.
 *
 * A source's own count (the ashowinfo at the end of its chain) is not final when the next
 * source's count first shows: the slots of a sequence are separate concats, and one of
 * them can move on to the next source early (a stereo source's side signal ends at 60 s
 * while its mix goes on), which makes ffmpeg decode the next source, and count its other
 * branches, in parallel. What is final is the concat's own progress: every frame is
 * counted on its chain before the concat writes it, and the concat writes a source's
 * frames all before the next one's, so once the count after the concat passes the
 * source's end (as counted so far), what it wrote past that is the next source's and the
 * source is whole in that slot. Its bytes are in the slot's file once the file is that
 * long (the output is flushed a packet at a time). The last source of a sequence waits
 * for the process to end. Any trouble reading stops the feed: the end of the run
 * delivers the rest as usual.
 */
class SequenceFeed {
  readonly delivered = new Set<number>();
  private readonly sequences: { slots: Slot[]; next: number }[] = [];
  private stopped = false;

  constructor(
    private readonly plan: DecodePlan,
    outputs: readonly GraphOutput[],
    private readonly counts: ReadonlyMap<number, number>,
    private readonly onReady: InputReady,
    private readonly transient: ReadonlySet<number>,
  ) {
    for (const o of outputs) {
      if (o.sequence === undefined || !o.members) continue;
      const seq = (this.sequences[o.sequence] ??= { slots: [], next: 0 });
      seq.slots.push({ o, frame: frameBytes(plan, o.like), fd: null, offset: 0, samples: 0, scratch: null });
    }
  }

  poll(): void {
    if (this.stopped) return;
    try {
      for (const seq of this.sequences) while (this.deliverNext(seq));
    } catch {
      this.stopped = true;
    }
  }

  /** How much of each slot's file is handed on already: the end of the run reads only the rest. */
  handedOn(o: GraphOutput): { members: number; offset: number } {
    if (o.sequence === undefined) return { members: 0, offset: 0 };
    const seq = this.sequences[o.sequence];
    const slot = seq?.slots.find((s) => s.o === o);
    return slot && seq ? { members: seq.next, offset: slot.offset } : { members: 0, offset: 0 };
  }

  private deliverNext(seq: { slots: Slot[]; next: number }): boolean {
    const j = seq.next;
    const lengths: number[] = [];
    for (const slot of seq.slots) {
      const members = slot.o.members as { output: number; counter: number }[];
      if (!members[j + 1] || slot.o.written === undefined) return false;
      const own = this.counts.get((members[j] as { counter: number }).counter) ?? 0;
      if ((this.counts.get(slot.o.written) ?? 0) <= slot.samples + own) return false;
      const length = own * slot.frame;
      slot.fd ??= openSync(slot.o.path, 'r');
      if (fstatSync(slot.fd).size < slot.offset + length) return false;
      lengths.push(length);
    }
    const data = new Map<number, Buffer>();
    seq.slots.forEach((slot, k) => {
      const length = lengths[k] as number;
      const output = ((slot.o.members as { output: number }[])[j] as { output: number }).output;
      let bytes: Buffer;
      if (this.transient.has(output)) {
        // Grown by doubling: a run of prompts settles on one buffer a slot.
        if (!slot.scratch || slot.scratch.length < length) slot.scratch = Buffer.allocUnsafeSlow(Math.max(length, 2 * (slot.scratch?.length ?? 0), 65536));
        bytes = slot.scratch.subarray(0, length);
      } else {
        bytes = Buffer.allocUnsafe(length);
      }
      if (length > 0 && readSync(slot.fd as number, bytes, 0, length, slot.offset) !== length) throw new Error('short read');
      slot.offset += length;
      slot.samples += length / slot.frame;
      data.set(output, bytes);
    });
    seq.next++;
    const first = (seq.slots[0] as { o: GraphOutput }).o;
    const input = (this.plan.outputs[((first.members as { output: number }[])[j] as { output: number }).output] as DecodePlanOutput).inputIndex;
    this.delivered.add(input);
    this.onReady(input, data);
    return true;
  }

  close(): void {
    this.stopped = true;
    for (const seq of this.sequences) {
      for (const slot of seq.slots) {
        if (slot.fd !== null) closeSync(slot.fd);
        slot.fd = null;
      }
    }
  }
}

/** One slot of a sequence being handed on: its file, and how much of it (bytes, samples) is handed on. */
interface Slot {
  o: GraphOutput;
  /** Bytes a sample frame. */
  frame: number;
  fd: number | null;
  offset: number;
  samples: number;
  /** The buffer a transient output of this slot is read into, source after source. */
  scratch: Buffer | null;
}

/**
 * Each plan output's bytes: its own file, or its part of a sequence, cut where ashowinfo
 * counted; a sequence's sources already handed on are not read again (their outputs are
 * left out). Null when a sequence does not add up.
 */
async function readGraphOutputs(
  plan: DecodePlan,
  outputs: readonly GraphOutput[],
  counts: ReadonlyMap<number, number>,
  handedOn: (o: GraphOutput) => { members: number; offset: number },
): Promise<Buffer[] | null> {
  const data: Buffer[] = new Array<Buffer>(plan.outputs.length);
  for (const o of outputs) {
    const done = handedOn(o);
    const bytes = done.offset > 0 ? await readFrom(o.path, done.offset) : await fs.readFile(o.path);
    if (!o.members) {
      data[o.like] = bytes;
      continue;
    }
    const frame = frameBytes(plan, o.like);
    let at = 0;
    for (const m of o.members.slice(done.members)) {
      const end = at + (counts.get(m.counter) ?? 0) * frame;
      if (end > bytes.length) return null;
      data[m.output] = bytes.subarray(at, end);
      at = end;
    }
    if (at !== bytes.length) return null;
  }
  return data;
}

/** Bytes a sample frame of a plan output (a sequence's, whose channel count is fixed). */
function frameBytes(plan: DecodePlan, output: number): number {
  const o = plan.outputs[output] as DecodePlanOutput;
  return RAW_SAMPLE_BYTES[o.encoding] * (o.channels ?? plan.channels);
}

/** A file's bytes from `offset` to its end. */
async function readFrom(file: string, offset: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const bytes = Buffer.allocUnsafe(Math.max(0, size - offset));
    let got = 0;
    while (got < bytes.length) {
      const { bytesRead } = await handle.read(bytes, got, bytes.length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return bytes.subarray(0, got);
  } finally {
    await handle.close();
  }
}

function filterArgs(out: DecodePlanOutput): string[] {
  return out.filters.length > 0 ? ['-af', out.filters.join(',')] : [];
}

/** One ffmpeg output: where, written like which plan output, and how it is mapped. */
interface RunOutput {
  path: string;
  like: number;
  mapping: string[];
}

/** ashowinfo's line: "[Parsed_ashowinfo_12 @ 0x...] [info] n:0 pts:... nb_samples:32000 ...". */
const COUNTER_LINE = /^\[Parsed_ashowinfo_(\d+) @ [^\]]*\] \[info\] n:\d+ .*? nb_samples:(\d+) /;
const LEVEL_TAG = /^(?:\[[^\]]* @ [^\]]*\] )?\[(panic|fatal|error|warning|info|verbose|debug|trace)\] /;
/** Error lines kept for the message: the first ones say what went wrong, the last ones where it stopped. */
const ERROR_LINES_KEPT = 40;

/** One ffmpeg run of a plan's outputs, with these global options and `-i` inputs. */
async function runFfmpeg(
  binary: FfmpegBinary,
  globalOptions: string[],
  inputs: string[],
  plan: DecodePlan,
  outputs: readonly RunOutput[],
  onSpawn?: () => void,
  onCount?: (filter: number, samples: number) => void,
): Promise<{ ok: boolean; errorText: string; errorLines: string }> {
  const command = ffmpeg();
  command.setFfmpegPath(binary.path);
  skipCapabilityProbes(command);
  withEnv(command, ffmpegEnv());
  for (const input of inputs) command.input(input);
  // Global options: fluent-ffmpeg has no slot for them, and ffmpeg reads them anywhere.
  // Counting a sequence needs ashowinfo's info lines; every line carries its level so the
  // errors are still told apart, and the progress line is left out.
  const logLevel = onCount ? ['-loglevel', 'repeat+level+info', '-nostats'] : ['-loglevel', 'repeat+level+error'];
  command.outputOptions(['-nostdin', '-hide_banner', ...logLevel, ...globalOptions]);
  for (const out of outputs) {
    const like = plan.outputs[out.like] as DecodePlanOutput;
    command.output(fileUrl(out.path));
    command.outputOptions([
      ...out.mapping,
      '-map_metadata',
      '-1',
      ...(like.keepChannels ? [] : ['-ac', String(like.channels ?? plan.channels)]),
      '-ar',
      String(like.sampleRate ?? plan.sampleRate),
      '-c:a',
      RAW_ENCODERS[like.encoding],
      ...(like.maxSeconds !== undefined ? ['-t', like.maxSeconds.toFixed(6)] : []),
      '-f',
      like.encoding,
    ]);
  }
  const errors: string[] = [];
  command.on('stderr', (line: string) => {
    const counter = onCount ? COUNTER_LINE.exec(line) : null;
    if (counter) {
      onCount?.(Number(counter[1]), Number(counter[2]));
      return;
    }
    const level = LEVEL_TAG.exec(line)?.[1];
    // Untagged lines continue the one before (or are fluent-ffmpeg's own).
    if (level !== undefined && level !== 'panic' && level !== 'fatal' && level !== 'error') return;
    const text = line.replace(LEVEL_TAG, (m) => m.replace(/\[(panic|fatal|error)\] $/, ''));
    if (text.trim() === '') return;
    if (errors.length >= ERROR_LINES_KEPT) errors.splice(ERROR_LINES_KEPT / 2, 1);
    errors.push(text);
  });
  return await new Promise((resolve) => {
    command
      .on('start', () => onSpawn?.())
      .on('error', (err: Error) => {
        onSpawn?.();
        const errorLines = errors.join('\n');
        resolve({ ok: false, errorText: cleanStderr(errorLines, err.message), errorLines });
      })
      .on('end', () => resolve({ ok: true, errorText: '', errorLines: '' }))
      .run();
  });
}

/**
 * fluent-ffmpeg runs `ffmpeg -formats` and `ffmpeg -encoders` before a first command (twice
 * when two start together) to validate formats and codecs. Ours are fixed (raw s16le and
 * alaw, built into every ffmpeg) and the binary's features were read once by
 * ffmpegFeatures, so those probes only cost process start-ups. These are fluent-ffmpeg
 * 2.1.3 internals; the version is pinned exactly in package.json.
 */
function skipCapabilityProbes(command: ffmpeg.FfmpegCommand): void {
  const internals = command as unknown as {
    _checkCapabilities: (cb: (err?: Error | null) => void) => void;
    availableEncoders: (cb: (err: Error | null, encoders: Record<string, unknown>) => void) => void;
  };
  internals._checkCapabilities = (cb) => cb(null);
  internals.availableEncoders = (cb) => cb(null, {});
}

/**
 * fluent-ffmpeg 2.1.3 has no option for the child's environment: its run() hands
 * _spawnFfmpeg the spawn options, and this adds `env` to them (version pinned, as above).
 */
function withEnv(command: ffmpeg.FfmpegCommand, env: NodeJS.ProcessEnv): void {
  const internals = command as unknown as { _spawnFfmpeg: (args: string[], options: unknown, ...callbacks: unknown[]) => void };
  const spawnFfmpeg = internals._spawnFfmpeg.bind(command);
  internals._spawnFfmpeg = (args, options, ...callbacks) =>
    typeof options === 'object' && options !== null ? spawnFfmpeg(args, { ...options, env }, ...callbacks) : spawnFfmpeg(args, options, ...callbacks);
}

function cleanStderr(stderr: string, fallback: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('Conversion failed'));
  return lines.length > 0 ? lines.slice(-6).join('\n') : fallback;
}

/** One encode of 16-bit mono samples by one of ffmpeg's encoders (GSM 6.10, MP3: codecs we do not write in-process). */
export interface EncodeSpec {
  /** ffmpeg encoder name, e.g. "libgsm_ms". */
  encoder: string;
  /** Output format (ffmpeg -f), e.g. "gsm" for the bare frames. */
  format: string;
  /** Encoder options, e.g. ['-b:a', '32k']. */
  options?: readonly string[];
}

/**
 * Encode samples (16-bit little-endian, mono, at `sampleRate`) through stdin and get the
 * encoded bytes from stdout: no temporary files, no file names on the command line, and
 * +bitexact so the same samples give the same bytes on every run.
 */
export function encodeWithFfmpeg(binary: FfmpegBinary, pcm: Uint8Array, sampleRate: number, spec: EncodeSpec): Promise<Buffer> {
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-f', 's16le', '-ar', String(sampleRate), '-ac', '1', '-i', 'pipe:0',
    '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact',
    '-c:a', spec.encoder, ...(spec.options ?? []),
    '-f', spec.format, 'pipe:1',
  ];
  return new Promise<Buffer>((resolve, reject) => {
    const child = spawn(binary.path, args, { stdio: ['pipe', 'pipe', 'pipe'], env: ffmpegEnv() });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      err = (err + s).slice(-4096);
    });
    // ffmpeg that fails early closes its stdin: its exit code and stderr tell why, not EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => reject(new Error(`ffmpeg (${binary.path}) could not be started to encode with ${spec.encoder}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`ffmpeg could not encode with ${spec.encoder}: ${cleanStderr(err, signal ? `killed by ${signal}` : `exit code ${code}`)}`));
    });
    child.stdin.end(pcm);
  });
}
