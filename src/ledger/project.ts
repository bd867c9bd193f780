import path from 'node:path';
import type { Config } from '../config.js';
import type { ConvertFileResult, ConvertReport } from '../convert/index.js';
import { DEFAULT_LEDGER_PATH, Ledger, type LedgerOptions, type PreparedVersion } from './ledger.js';

/** Which ledger file a command uses: --ledger, else the config's ledger.path, else the default. */
export function ledgerPath(config: Config, flag?: string, cwd: string = process.cwd()): string {
  return path.resolve(cwd, flag ?? config.ledger.path ?? DEFAULT_LEDGER_PATH);
}

export function openLedger(config: Config, flag?: string, options: LedgerOptions = {}): Ledger {
  return Ledger.open(ledgerPath(config, flag), options);
}

/**
 * Record every prompt a `convert` run produced (or found up to date) as prepared, in one
 * transaction: one commit (one fsync) for the batch rather than one a prompt, which on
 * 2,000 new prompts took ~0.4 s at the end of the run; and a failure records none of them
 * rather than some (the next run records them all).
 */
export function recordConversions(
  ledger: Ledger,
  report: ConvertReport,
  config: Config,
  actor: string,
  /**
   * A scene given on the command line, kept in the ledger. Scenes and descriptions from
   * the config are not copied in: commands read them from the config as it is now.
   */
  sceneOverride?: string,
): number {
  return ledger.atomically(() => {
    let created = 0;
    for (const f of report.files) {
      const p = preparedVersion(f, actor, sceneOverride);
      if (p && ledger.recordPrepared(p).created) created++;
    }
    return created;
  });
}

/** What the ledger keeps of a convert result: only a converted or up-to-date prompt has a version. */
function preparedVersion(f: ConvertFileResult, actor: string, sceneOverride: string | undefined): PreparedVersion | null {
  if ((f.status !== 'converted' && f.status !== 'skipped') || !f.output || !f.stats) return null;
  return {
    name: path.basename(f.output),
    sha256: f.stats.sha256,
    bytes: f.stats.bytes,
    durationSeconds: f.stats.durationSeconds,
    source: path.resolve(f.source),
    sourceSha256: f.stats.sourceSha256 ?? null,
    filePath: path.resolve(f.output),
    scene: sceneOverride ?? null,
    actor,
  };
}

/** How many results a ConversionRecorder gathers before it commits them, and how long it lets one wait. */
export const RECORD_BATCH_FILES = 256;
export const RECORD_BATCH_MS = 250;
/** The page cache of a ledger a recorder writes to, in KiB: the B-tree paths a batch walks. */
export const RECORDER_CACHE_KIB = 256;

/**
 * Records a convert run's prompts while the run goes on: results are gathered (only the
 * few fields the ledger keeps) and committed a batch at a time, in one transaction each,
 * once RECORD_BATCH_FILES are waiting or the oldest has waited RECORD_BATCH_MS. So the
 * ledger is written while later sources still decode, not all at the end, and a run of
 * any size holds at most one batch. A killed run leaves the batches committed so far;
 * the next run records the rest (up-to-date prompts are recorded as they are skipped).
 *
 * The ledger is attached when it is open (opening loads SQLite, so it is started only
 * once there is something to record); results wait until then. After a failed commit
 * nothing more is recorded, and finish() throws that error.
 */
export class ConversionRecorder {
  private ledger: Ledger | null = null;
  private waiting: PreparedVersion[] = [];
  private timer: NodeJS.Timeout | null = null;
  private failure: { error: unknown } | null = null;
  /** New versions recorded so far. */
  created = 0;

  constructor(
    private readonly actor: string,
    private readonly sceneOverride?: string,
    private readonly batchFiles = RECORD_BATCH_FILES,
    private readonly batchMs = RECORD_BATCH_MS,
  ) {}

  /** Whether this result goes to the ledger at all (a caller opens the ledger on the first one). */
  wants(f: ConvertFileResult): boolean {
    return !this.failure && preparedVersion(f, this.actor, this.sceneOverride) !== null;
  }

  add(f: ConvertFileResult): void {
    if (this.failure) return;
    const p = preparedVersion(f, this.actor, this.sceneOverride);
    if (!p) return;
    this.waiting.push(p);
    if (this.waiting.length >= this.batchFiles) this.commit();
    else this.timer ??= setTimeout(() => this.commit(), this.batchMs);
  }

  attach(ledger: Ledger): void {
    this.ledger = ledger;
    // A recorder only adds rows. SQLite's page cache (16 MB in better-sqlite3's build)
    // would otherwise keep every page a run touches, the whole ledger of a big run: some
    // 1 KB a prompt of memory for nothing, as each batch reads few pages again.
    ledger.db.pragma(`cache_size = -${RECORDER_CACHE_KIB}`);
    if (this.waiting.length >= this.batchFiles) this.commit();
    else if (this.waiting.length > 0) this.timer ??= setTimeout(() => this.commit(), this.batchMs);
  }

  /** The ledger could not be opened: nothing is recorded, and finish() throws this. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.waiting = [];
  }

  /** Commit what is left; returns the count of new versions, or throws the first failure. */
  finish(): number {
    this.commit();
    if (this.failure) throw this.failure.error;
    return this.created;
  }

  private commit(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ledger = this.ledger;
    if (!ledger || this.failure || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    try {
      this.created += ledger.atomically(() => {
        let created = 0;
        for (const p of batch) if (ledger.recordPrepared(p).created) created++;
        return created;
      });
    } catch (err) {
      this.fail(err);
    }
  }
}
