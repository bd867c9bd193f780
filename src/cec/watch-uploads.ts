import path from 'node:path';
import { currentPromptInfo } from '../catalog.js';
import type { Config } from '../config.js';
import type { Ledger, VersionRow } from '../ledger/ledger.js';
import type { Logger } from '../logger.js';
import type { CallbackReceiver } from './callbacks.js';
import { callbackUrlFromConfig, clientFromConfig, startReceiverFromConfig } from './setup.js';
import { uploadToCec } from './uploader.js';

/**
 * `watch --upload`: the callback receiver runs beside the watcher, and every new prompt
 * kicks an upload pass. Passes never overlap; a kick during a pass runs one more after it.
 *
 * Only what this watch root prepared (a version whose file is in its ready/ folder) is
 * uploaded: other prompts in the ledger (a `convert` run, another root) go up only by an
 * explicit `promptprep upload`. A failed upload is logged once with its reason and tried
 * again later, each time after twice the wait (see UploadRetries).
 */
export interface CecUploads {
  kick(): void;
  stop(): Promise<void>;
}

export interface CecUploadsOptions {
  /** The watch root: its ready/ folder holds what this watcher prepared. */
  root: string;
  /** First wait after a failed upload; doubles each time. Default 30 s. */
  retryBaseMs?: number;
  /** The longest wait between tries. Default 30 min. */
  retryMaxMs?: number;
}

/** Upload failures of one version: when to try again, and what was last said about it. */
export class UploadRetries {
  private readonly failures = new Map<string, { tries: number; nextAt: number; message: string }>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private static key(name: string, version: number): string {
    return `${name}\u0000${version}`;
  }

  /** Whether a version may be tried now (never failed, or its wait is over). */
  due(name: string, version: number): boolean {
    const f = this.failures.get(UploadRetries.key(name, version));
    return !f || f.nextAt <= this.now();
  }

  /**
   * Record a failure. Returns the wait before the next try and whether this is news
   * (a first failure, or a different reason) that should be logged.
   */
  failed(name: string, version: number, message: string): { waitMs: number; news: boolean } {
    const key = UploadRetries.key(name, version);
    const before = this.failures.get(key);
    const tries = (before?.tries ?? 0) + 1;
    const waitMs = Math.min(this.maxMs, this.baseMs * 2 ** (tries - 1));
    this.failures.set(key, { tries, nextAt: this.now() + waitMs, message });
    return { waitMs, news: before?.message !== message };
  }

  /** Forget a version's failures (it went up, or left the ledger's prepared state). Returns whether it had any. */
  succeeded(name: string, version: number): boolean {
    return this.failures.delete(UploadRetries.key(name, version));
  }

  /** When the earliest waiting version is due, or null when none waits. */
  nextDue(): number | null {
    let next: number | null = null;
    for (const f of this.failures.values()) if (next === null || f.nextAt < next) next = f.nextAt;
    return next;
  }
}

function within(dir: string, file: string | null): boolean {
  if (!file) return false;
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function describeWait(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}

export async function startCecUploads(config: Config, ledger: Ledger, logger: Logger, options: CecUploadsOptions): Promise<CecUploads> {
  const client = clientFromConfig(config);
  const callbackUrl = callbackUrlFromConfig(config);
  const ready = path.join(path.resolve(options.root), 'ready');
  const retries = new UploadRetries(options.retryBaseMs ?? 30_000, options.retryMaxMs ?? 30 * 60_000);
  const receiver: CallbackReceiver = await startReceiverFromConfig(config, ledger, logger);
  logger.info({ event: 'listening', port: receiver.port }, `receiving CEC review callbacks on port ${receiver.port}`);
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const ours = (v: VersionRow) => within(ready, v.filePath);
  const onePass = async (): Promise<void> => {
    const outcome = await uploadToCec({
      ledger,
      client,
      cec: config.cec,
      callbackUrl,
      logger,
      include: (v) => ours(v) && retries.due(v.name, v.number),
      promptInfo: (name, recorded) => currentPromptInfo(config.prompts, name, recorded),
    });
    for (const u of outcome.uploaded) retries.succeeded(u.name, u.version);
    for (const f of outcome.failed) {
      const { waitMs, news } = retries.failed(f.name, f.version, f.message);
      if (news) {
        logger.warn(
          { event: 'upload-failed', name: f.name, version: f.version, retryInMs: waitMs },
          `${f.name} v${f.version} not uploaded: ${f.message}; trying again in ${describeWait(waitMs)}, then less and less often`,
        );
      }
    }
    for (const a of outcome.needsAttention) {
      // Never retried by itself: a person must check the platform. Said once.
      const { news } = retries.failed(a.name, a.version, a.message);
      if (news) {
        logger.warn(
          { event: 'upload-attention', name: a.name, version: a.version },
          `${a.name} v${a.version}: ${a.message}. If it is not on the platform: promptprep upload --platform huawei-cec --resume-interrupted ${a.name}`,
        );
      }
    }
  };

  const schedule = () => {
    if (timer) clearTimeout(timer);
    if (stopped) return;
    // A platform outage longer than the client's retries leaves prompts prepared: try
    // again when the earliest failure is due, and every few minutes even when no new file arrives.
    const due = retries.nextDue();
    const wait = Math.max(1000, Math.min(5 * 60_000, due === null ? 5 * 60_000 : due - Date.now()));
    timer = setTimeout(kick, wait);
    timer.unref();
  };

  const pass = async (): Promise<void> => {
    do {
      again = false;
      try {
        await onePass();
      } catch (err) {
        logger.error({ event: 'error' }, `upload pass failed: ${(err as Error).message}`);
      }
    } while (again && !stopped);
    schedule();
  };
  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = pass().finally(() => {
      running = null;
    });
  }
  kick(); // prompts this root prepared earlier and never uploaded
  return {
    kick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      while (running) await running;
      await receiver.close();
    },
  };
}
