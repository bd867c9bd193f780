import { execFile } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import ffmpeg from 'fluent-ffmpeg';
import { writeFileAtomic } from './atomic-write.js';
import { cacheDir } from './cache-dir.js';
import type { DecodePlan } from './decode-plan.js';

/**
 * The one module that knows how ffmpeg is found and driven (through fluent-ffmpeg).
 * Everything else hands it a DecodePlan (pure data, see decode-plan.ts) and gets raw
 * samples on disk back.
 */

const execFileAsync = promisify(execFile);

export interface FfmpegBinary {
  path: string;
  /** How it was found, for `promptprep doctor`-style messages and bench output. */
  source: 'FFMPEG_PATH' | 'ffmpeg-static' | 'PATH';
}

export class FfmpegNotFoundError extends Error {
  override name = 'FfmpegNotFoundError';
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

function ffmpegStaticPath(): string | null {
  try {
    // Optional dependency: absent on closed networks, where its install-time download fails.
    const require = createRequire(import.meta.url);
    const p = require('ffmpeg-static') as unknown;
    return typeof p === 'string' ? p : null;
  } catch {
    return null;
  }
}

let located: Promise<FfmpegBinary> | null = null;

/**
 * Find ffmpeg: `FFMPEG_PATH`, then ffmpeg-static's binary if it was installed, then
 * `ffmpeg` on PATH. A set but broken FFMPEG_PATH is an error, not a silent fallback:
 * the user asked for that binary.
 */
export function locateFfmpeg(env: NodeJS.ProcessEnv = process.env): Promise<FfmpegBinary> {
  if (env === process.env && located) return located;
  const search = (async (): Promise<FfmpegBinary> => {
    const fromEnv = env.FFMPEG_PATH;
    if (fromEnv) {
      if (await isExecutable(fromEnv)) return { path: fromEnv, source: 'FFMPEG_PATH' };
      throw new FfmpegNotFoundError(`FFMPEG_PATH is set to "${fromEnv}", but no executable file is there. Fix the path or unset FFMPEG_PATH.`);
    }
    const bundled = ffmpegStaticPath();
    if (bundled && (await isExecutable(bundled))) return { path: bundled, source: 'ffmpeg-static' };
    for (const dir of (env.PATH ?? '').split(path.delimiter)) {
      if (!dir) continue;
      for (const name of process.platform === 'win32' ? ['ffmpeg.exe', 'ffmpeg'] : ['ffmpeg']) {
        const candidate = path.join(dir, name);
        if (await isExecutable(candidate)) return { path: candidate, source: 'PATH' };
      }
    }
    throw new FfmpegNotFoundError(
      'ffmpeg was not found. Install it (Debian/Ubuntu: `sudo apt-get install ffmpeg`; macOS: `brew install ffmpeg`; Windows: `winget install ffmpeg`), ' +
        'or set FFMPEG_PATH to an ffmpeg binary, or reinstall with network access so the optional ffmpeg-static package can download its binary.',
    );
  })();
  if (env === process.env) {
    located = search;
    search.catch(() => {
      located = null;
    });
  }
  return search;
}

export interface FfmpegFeatures {
  version: string;
  /** libsoxr, the high-quality resampler, is compiled in. */
  soxr: boolean;
}

const featureCache = new Map<string, Promise<FfmpegFeatures>>();

/**
 * What the binary can do, from `ffmpeg -version`. Starting ffmpeg only to ask costs
 * ~50 ms of CPU on every run, on the way to the first decode, so the answer is kept per
 * binary in the user's cache folder and asked again when the binary file changes.
 */
export function ffmpegFeatures(binary: FfmpegBinary): Promise<FfmpegFeatures> {
  let cached = featureCache.get(binary.path);
  if (!cached) {
    cached = (async () => {
      const dir = cacheDir();
      const id = dir ? await binaryIdentity(binary) : null;
      const known = dir && id ? await featuresFromDisk(dir, id) : null;
      if (known) return known;
      const { stdout } = await execFileAsync(binary.path, ['-hide_banner', '-version'], { maxBuffer: 1 << 20 });
      const firstLine = stdout.split('\n')[0] ?? '';
      const version = /^ffmpeg version (\S+)/.exec(firstLine)?.[1] ?? 'unknown';
      const features = { version, soxr: stdout.includes('--enable-libsoxr') };
      if (dir && id) void featuresToDisk(dir, id, features);
      return features;
    })();
    featureCache.set(binary.path, cached);
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

async function featuresFromDisk(dir: string, id: BinaryIdentity): Promise<FfmpegFeatures | null> {
  const entry = (await readFeaturesFile(dir))[id.key];
  if (!entry || entry.identity !== id.identity || typeof entry.version !== 'string' || typeof entry.soxr !== 'boolean') return null;
  return { version: entry.version, soxr: entry.soxr };
}

/** Best effort: a cache that cannot be written only means asking ffmpeg again next time. */
async function featuresToDisk(dir: string, id: BinaryIdentity, features: FfmpegFeatures): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
    const all = await readFeaturesFile(dir);
    all[id.key] = { ...features, identity: id.identity };
    await writeFileAtomic(path.join(dir, FEATURES_FILE), `${JSON.stringify(all, null, 2)}\n`);
  } catch {
    // unwritable home, read-only file system, full disk: carry on without the cache
  }
}

/** A file path as an ffmpeg URL, so a name such as "-y.mp3" or "a:b.wav" is never read as an option or a protocol. */
export function fileUrl(p: string): string {
  return `file:${path.resolve(p)}`;
}

export interface DecodeRun {
  ok: boolean;
  /** ffmpeg's own error text (the last lines of stderr), for messages. */
  errorText: string;
}

/**
 * Run one ffmpeg process for the whole plan: every input decoded to its own raw output.
 * Several inputs in one process is the point: starting ffmpeg costs more than decoding
 * a short prompt.
 */
export async function runDecodePlan(
  binary: FfmpegBinary,
  plan: DecodePlan,
  /** Called once the process is running (or has failed to start). */
  onSpawn?: () => void,
): Promise<DecodeRun> {
  const command = ffmpeg();
  command.setFfmpegPath(binary.path);
  skipCapabilityProbes(command);
  for (const input of plan.inputs) command.input(fileUrl(input.path));
  // Global options: fluent-ffmpeg has no slot for them, and ffmpeg reads them anywhere.
  command.outputOptions(['-nostdin', '-hide_banner', '-loglevel', 'error']);
  for (const out of plan.outputs) {
    command.output(fileUrl(out.rawPath));
    const options = [
      '-map',
      `${out.inputIndex}:a:0`,
      '-vn',
      '-sn',
      '-dn',
      '-map_metadata',
      '-1',
      ...(out.filters.length > 0 ? ['-af', out.filters.join(',')] : []),
      '-ac',
      String(plan.channels),
      '-ar',
      String(plan.sampleRate),
      '-c:a',
      out.encoding === 'alaw' ? 'pcm_alaw' : 'pcm_s16le',
      ...(out.maxSeconds !== undefined ? ['-t', out.maxSeconds.toFixed(6)] : []),
      '-f',
      out.encoding,
    ];
    command.outputOptions(options);
  }
  return await new Promise<DecodeRun>((resolve) => {
    command
      .on('start', () => onSpawn?.())
      .on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
        onSpawn?.();
        resolve({ ok: false, errorText: cleanStderr(stderr ?? '', err.message) });
      })
      .on('end', () => resolve({ ok: true, errorText: '' }))
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

function cleanStderr(stderr: string, fallback: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('Conversion failed'));
  return lines.length > 0 ? lines.slice(-6).join('\n') : fallback;
}
