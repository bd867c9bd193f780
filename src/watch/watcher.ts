import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { removeStalePartials } from '../atomic-write.js';
import type { ConvertOptions } from '../convert/index.js';
import { locateFfmpeg } from '../ffmpeg.js';
import { silentLogger, type Logger } from '../logger.js';
import { huaweiPrivateNumber, type Profile } from '../profile.js';
import type { Scene } from '../scenes.js';
import { isIgnoredPath } from './ignore.js';
import { readIntents, clearIntent } from './journal.js';
import { ensureLayout, layoutFor, type WatchLayout } from './layout.js';
import { exists } from '../fs-util.js';
import { processRound, type RoundOutcome, type WatchEvent } from './processor.js';
import { StabilityTracker } from './stability.js';

/**
 * `promptprep watch`: the drop folder. chokidar reports files; a sweeper decides when each
 * is completely written; rounds of settled files are converted together (so a burst
 * shares ffmpeg processes) and placed by the processor.
 */

export interface WatchOptions {
  /** Watch root holding inbox/, ready/, rejected/, archive/. Default "./watch". */
  root?: string;
  profile?: Profile;
  /**
   * Several platforms from one inbox: each gets its own ready/<profile id>/ folder, in its
   * layout; the first one's versions are archived (and it is the ledger's). Overrides `profile`.
   */
  targets?: Profile[];
  /** Conversion options, as for `convert`. */
  convert?: Omit<ConvertOptions, 'outDir' | 'onFile' | 'onStart' | 'stagingDir' | 'dryRun' | 'force' | 'shard' | 'profile'>;
  /** Give invalid names the suggested valid name instead of rejecting. Default false. */
  rename?: boolean;
  /** Unchanged size and mtime for this long means completely written. Default 2000 ms. */
  stableMs?: number;
  /** How often candidates are re-examined. Default 250 ms. */
  scanIntervalMs?: number;
  /** Poll instead of relying on file-system events (network shares). Default false. */
  poll?: boolean;
  /** Poll interval. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Sources per round. Default 64. */
  batchSize?: number;
  /** Process what is in the inbox, then return (cron, CI). Default false. */
  once?: boolean;
  /** Abort to stop: no new files are taken, the round in flight finishes. */
  signal?: AbortSignal;
  logger?: Logger;
  onEvent?: (event: WatchEvent) => void;
  /** Scene of a source (path relative to the inbox) and its prompt name, for scene rules. */
  sceneFor?: (rel: string, name: string) => Scene | undefined;
}

export interface WatchSummary {
  converted: number;
  rejected: number;
  /** --once: sources given up on after repeated passing faults (left in the inbox). */
  failed: number;
  /** Sources left in the inbox (stopped before they were settled, or still retrying). */
  pending: number;
}

/** --once gives up on a source after this many passing faults in a row (it stays in the inbox). */
const MAX_TRANSIENT_ATTEMPTS = 5;
/** Longest wait between two tries of a source that keeps failing (a running watcher never gives up). */
const MAX_RETRY_DELAY_MS = 5 * 60_000;
/** A full read of the inbox at least this often, whatever the file-system events say. */
const FULL_SCAN_MS = 2000;

export async function runWatch(options: WatchOptions = {}): Promise<WatchSummary> {
  const layout = layoutFor(options.root ?? 'watch');
  await ensureLayout(layout);
  // Fail now, not on the first file, when ffmpeg is missing.
  await locateFfmpeg();
  const lock = await acquireRootLock(layout);
  try {
    return await watchLocked(layout, options);
  } finally {
    await lock.release();
  }
}

async function watchLocked(layout: WatchLayout, options: WatchOptions): Promise<WatchSummary> {
  const logger = options.logger ?? silentLogger();
  const stableMs = options.stableMs ?? 2000;
  const scanIntervalMs = options.scanIntervalMs ?? 250;
  const batchSize = options.batchSize ?? 64;
  await cleanStaging(layout);

  const tracker = new StabilityTracker(stableMs);
  const attempts = new Map<string, number>();
  const queue: string[] = [];
  const queued = new Set<string>();
  /** Sources that failed for a passing reason, and when to try each again (backoff). */
  const waiting = new Map<string, number>();
  const retryBaseMs = Math.max(stableMs, scanIntervalMs);
  const summary: WatchSummary = { converted: 0, rejected: 0, failed: 0, pending: 0 };
  const targets = options.targets ?? [];
  const primary = targets[0] ?? options.profile ?? huaweiPrivateNumber;
  const processorOptions = {
    layout: targets.length > 0 ? { ...layout, ready: path.join(layout.ready, primary.id) } : layout,
    profile: primary,
    extraTargets: targets.slice(1).map((profile) => ({ profile, outDir: path.join(layout.ready, profile.id) })),
    rename: options.rename ?? false,
    convert: options.convert ?? {},
    logger,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.sceneFor ? { sceneFor: options.sceneFor } : {}),
  };

  const consider = (file: string): void => {
    const rel = path.relative(layout.inbox, file);
    if (rel.startsWith('..') || isIgnoredPath(rel) || queued.has(file) || waiting.has(file)) return;
    if (!tracker.has(file)) {
      logger.debug({ event: 'seen', source: rel }, `${rel} seen; waiting until it is completely written`);
    }
    tracker.track(file);
  };

  // Crash recovery: sources named by an unfinished intent are resumed first.
  for (const intent of await readIntents(layout.journal)) {
    const abs = path.join(layout.inbox, intent.source);
    if (await exists(abs)) {
      logger.info({ event: 'recovering', source: intent.source, version: intent.version }, `resuming ${intent.source} (version ${intent.version}) after an interrupted run`);
      consider(abs);
    } else {
      await clearIntent(layout.journal, intent.source);
    }
  }

  let watcher: FSWatcher | null = null;
  // Files are found by reading the inbox, not by chokidar watching each one: with a
  // watcher per file, every source leaving the inbox made chokidar re-examine all the
  // others (quadratic in a burst). chokidar watches the folders and says when to look.
  let dirty = true;
  let lastScan = 0;
  if (!options.once) {
    const poll = options.poll ?? false;
    watcher = chokidarWatch(layout.inbox, {
      ignoreInitial: false,
      usePolling: poll,
      interval: options.pollIntervalMs ?? 1000,
      binaryInterval: options.pollIntervalMs ?? 1000,
      ignored: (p: string, stats?: Stats) => {
        const rel = path.relative(layout.inbox, p);
        return rel !== '' && (isIgnoredPath(rel) || stats?.isFile() === true);
      },
    });
    const nudge = () => {
      dirty = true;
    };
    watcher.on('raw', nudge).on('addDir', nudge).on('add', nudge).on('change', nudge);
    watcher.on('error', (err: unknown) => logger.error({ event: 'error', err: String(err) }, `watcher error: ${String(err)}`));
    await new Promise<void>((resolve) => watcher!.once('ready', () => resolve()));
    logger.info(
      { event: 'watching', root: layout.root, poll },
      `watching ${layout.inbox}${poll ? ' (polling)' : ''}; prompts go to ${layout.ready}`,
    );
  }
  /** Read the inbox when told something changed, and every few seconds regardless. */
  const scan = async (): Promise<void> => {
    const now = Date.now();
    if (!dirty && now - lastScan < FULL_SCAN_MS) return;
    dirty = false;
    lastScan = now;
    for (const file of await listFiles(layout.inbox)) consider(file);
  };
  if (options.once) await scan();

  const stopped = () => options.signal?.aborted === true;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      // The listener goes when the timer fires: one per idle scan would pile up on the signal.
      const onAbort = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });

  try {
    while (!stopped()) {
      if (!options.once) await scan();
      for (const [file, due] of waiting) {
        if (due <= Date.now()) {
          waiting.delete(file);
          tracker.track(file);
        }
      }
      for (const file of await tracker.sweep()) {
        if (!queued.has(file)) {
          queued.add(file);
          queue.push(file);
          logger.info({ event: 'queued', source: path.relative(layout.inbox, file) }, `${path.relative(layout.inbox, file)} queued`);
        }
      }
      if (queue.length > 0) {
        const round = queue.splice(0, batchSize);
        let outcome: RoundOutcome;
        try {
          outcome = await processRound(round, processorOptions, attempts);
        } catch (err) {
          // processRound turns a file's failures into rejections or retries; this is the net
          // under it, so that nothing about one round can stop the watcher.
          logger.error({ event: 'error', err: String(err) }, `a round of ${round.length} file(s) failed: ${(err as Error).message}; will retry`);
          outcome = { converted: 0, rejected: 0, retry: round.map((source) => ({ source, reason: 'transient' as const })) };
        }
        summary.converted += outcome.converted;
        summary.rejected += outcome.rejected;
        const retried = new Set(outcome.retry.map((r) => r.source));
        for (const file of round) {
          if (!retried.has(file)) {
            queued.delete(file);
            attempts.delete(file);
            // Placed sources leave the inbox, so a file here now was dropped again while the
            // round ran; its watcher event came while the path was in flight and was dropped.
            if (await exists(file)) tracker.track(file);
          }
        }
        for (const r of outcome.retry) {
          queued.delete(r.source);
          if (r.reason === 'deferred') {
            queue.push(r.source);
            queued.add(r.source);
            continue;
          }
          const n = (attempts.get(r.source) ?? 0) + 1;
          attempts.set(r.source, n);
          if (r.reason !== 'transient') {
            tracker.track(r.source);
            continue;
          }
          const rel = path.relative(layout.inbox, r.source);
          if (options.once && n >= MAX_TRANSIENT_ATTEMPTS) {
            logger.error({ event: 'error', source: rel }, `${rel} failed ${n} times; left in the inbox`);
            summary.failed++;
            continue;
          }
          const delay = Math.min(MAX_RETRY_DELAY_MS, retryBaseMs * 2 ** (n - 1));
          if (n === MAX_TRANSIENT_ATTEMPTS) {
            logger.error({ event: 'error', source: rel }, `${rel} failed ${n} times; it stays in the inbox and is tried again at most every ${MAX_RETRY_DELAY_MS / 60_000} minutes`);
          }
          waiting.set(r.source, Date.now() + delay);
        }
        continue;
      }
      if (options.once && tracker.size === 0 && waiting.size === 0) break;
      await sleep(scanIntervalMs);
    }
  } finally {
    await watcher?.close();
  }
  summary.pending = (await listFiles(layout.inbox)).length;
  return summary;
}

export class WatchRootBusyError extends Error {
  override name = 'WatchRootBusyError';
}

/**
 * One watcher per root: two would clean each other's staging and race for the same
 * sources. The lock names its process; a lock whose process is gone is taken over.
 */
const heldRoots = new Set<string>();

async function acquireRootLock(layout: WatchLayout): Promise<{ release: () => Promise<void> }> {
  const file = path.join(path.dirname(layout.journal), 'watch.lock');
  // Our own pid in the file is a stale lock (a restarted container reuses pids) unless this
  // very process holds the root.
  if (heldRoots.has(layout.root)) {
    throw new WatchRootBusyError(`${layout.root} is already being watched by this process (${process.pid}).`);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fs.open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      heldRoots.add(layout.root);
      return {
        release: async () => {
          heldRoots.delete(layout.root);
          await fs.rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new WatchRootBusyError(`${layout.root} is already being watched by process ${pid}; stop it first (or remove ${file} if that process is not promptprep).`);
    }
    await fs.rm(file, { force: true }); // left by a process that is gone (killed, crashed)
  }
  throw new WatchRootBusyError(`could not take the lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every non-ignored file under the inbox. */
async function listFiles(inbox: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (isIgnoredPath(path.relative(inbox, full))) continue;
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out.push(full);
    }
  }
  await walk(inbox);
  return out.sort();
}

/**
 * Whatever is in staging was never made visible: a crash left it, and it can go. So can
 * the temporary file of an intent record whose write a crash cut short.
 */
async function cleanStaging(layout: WatchLayout): Promise<void> {
  await removeStalePartials(layout.journal);
  let names: string[] = [];
  try {
    names = await fs.readdir(layout.staging);
  } catch {
    return;
  }
  for (const n of names) await fs.rm(path.join(layout.staging, n), { recursive: true, force: true });
}
