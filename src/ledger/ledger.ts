import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { platformVersionName } from './platform-name.js';
import { migrate } from './schema.js';
import { assertTransition, canTransition, TransitionError, type ReviewState } from './states.js';
import { addWorkingDays, type WorkCalendar } from './working-days.js';

/**
 * The ledger: every prompt, every version, and each version's review on each platform,
 * with the history of every change and who made it. SQLite in WAL mode, so the watcher,
 * a person running `review` and a callback receiver can all write at once; every
 * read-modify-write is one IMMEDIATE transaction, so none of them loses another's write.
 */

export const DEFAULT_LEDGER_PATH = path.join('.promptprep', 'ledger.sqlite');

/** Unmatched review callbacks kept per platform: the most recent fileIds. */
export const MAX_UNMATCHED_CALLBACKS = 200;

export interface UnmatchedCallback {
  remoteId: string;
  /** The latest body received for this fileId. */
  body: string;
  /** Callbacks received for this fileId. */
  count: number;
  firstReceivedAt: string;
  /** When the latest arrived. */
  receivedAt: string;
}

export interface LedgerOptions {
  /** Clock, injectable for tests (overdue flags, timestamps). */
  now?: () => Date;
  /** How long a writer waits for another's transaction. Default 10 s. */
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** Unmatched review callbacks kept per platform (the most recent fileIds). Default MAX_UNMATCHED_CALLBACKS. */
  maxUnmatchedCallbacks?: number;
}

export interface PreparedVersion {
  /** Platform file name of the prompt (the prepared file's name). */
  name: string;
  sha256: string;
  bytes: number;
  durationSeconds: number;
  source?: string | null;
  sourceSha256?: string | null;
  filePath?: string | null;
  scene?: string | null;
  description?: string | null;
  actor: string;
  /** Platform whose state the returned row shows. Default huawei-console. */
  platform?: string;
}

export interface VersionRow {
  promptId: number;
  versionId: number;
  name: string;
  scene: string | null;
  description: string | null;
  number: number;
  sha256: string;
  bytes: number;
  durationSeconds: number;
  source: string | null;
  filePath: string | null;
  platformName: string | null;
  createdAt: string;
  state: ReviewState;
  since: string;
  reason: string | null;
  remoteId: string | null;
  remoteName: string | null;
  lastError: string | null;
}

export interface TransitionRequest {
  /** Prompt name, or the platform name of one of its versions. */
  name: string;
  /** Default: the version the name denotes (a platform name), else the latest. */
  version?: number;
  platform: string;
  to: ReviewState;
  actor: string;
  reason?: string | null;
  remoteId?: string | null;
  remoteName?: string | null;
  lastError?: string | null;
}

export interface StatusRow {
  name: string;
  scene: string | null;
  description: string | null;
  version: number;
  state: ReviewState;
  since: string;
  reason: string | null;
  platformName: string | null;
  /** The approved version bindings should use now (may be older than `version`). */
  inUse: { version: number; platformName: string } | null;
  overdue: boolean;
  /** In review: when it becomes overdue (ISO time), counted in working days of the review calendar. */
  reviewDue: string | null;
  /** Something a person must look at (an interrupted upload, a platform error). */
  attention: string | null;
  /** Superseded versions still on the platform: safe to delete in the console. */
  deletable: { version: number; platformName: string }[];
}

export interface StatusQuery {
  platform: string;
  scene?: string;
  state?: ReviewState;
  /** Reviews waiting longer than this many working days are overdue. Default 1. */
  overdueWorkingDays?: number;
  /** Which days count as working days. Default weekends only. */
  calendar?: WorkCalendar;
  /**
   * Scene and description as they are now (the config's), from what the ledger recorded;
   * applied before the scene filter. Default: what the ledger recorded.
   */
  promptInfo?: (name: string, recorded: { scene: string | null; description: string | null }) => { scene: string | null; description: string | null };
}

interface RawRow {
  prompt_id: number;
  version_id: number;
  name: string;
  scene: string | null;
  description: string | null;
  number: number;
  sha256: string;
  bytes: number;
  duration_seconds: number;
  source: string | null;
  file_path: string | null;
  platform_name: string | null;
  created_at: string;
  state: string | null;
  since: string | null;
  reason: string | null;
  remote_id: string | null;
  remote_name: string | null;
  last_error: string | null;
}

const VERSION_SELECT = `
  SELECT p.id AS prompt_id, v.id AS version_id, p.name, p.scene, p.description, v.number, v.sha256, v.bytes,
         v.duration_seconds, v.source, v.file_path, v.platform_name, v.created_at,
         r.state, r.since, r.reason, r.remote_id, r.remote_name, r.last_error
  FROM versions v
  JOIN prompts p ON p.id = v.prompt_id
  LEFT JOIN reviews r ON r.version_id = v.id AND r.platform = @platform`;

function toVersionRow(r: RawRow): VersionRow {
  return {
    promptId: r.prompt_id,
    versionId: r.version_id,
    name: r.name,
    scene: r.scene,
    description: r.description,
    number: r.number,
    sha256: r.sha256,
    bytes: r.bytes,
    durationSeconds: r.duration_seconds,
    source: r.source,
    filePath: r.file_path,
    platformName: r.platform_name,
    createdAt: r.created_at,
    // No review row yet: the version exists only on our side.
    state: (r.state ?? 'prepared') as ReviewState,
    since: r.since ?? r.created_at,
    reason: r.reason,
    remoteId: r.remote_id,
    remoteName: r.remote_name,
    lastError: r.last_error,
  };
}

function retryWhileBusy(timeoutMs: number, step: () => void): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      step();
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 10 + Math.floor(Math.random() * 40)); // a short synchronous pause
    }
  }
}

/** States in which a version's file exists (or may exist) on the platform. */
const ON_PLATFORM: ReadonlySet<ReviewState> = new Set(['uploading', 'in-review', 'approved', 'rejected', 'superseded']);

export class Ledger {
  readonly db: Database.Database;
  private readonly now: () => Date;
  private unmatchedLimit = MAX_UNMATCHED_CALLBACKS;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, now: () => Date) {
    this.db = db;
    this.now = now;
  }

  static open(file: string, options: LedgerOptions = {}): Ledger {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const timeout = options.busyTimeoutMs ?? 10_000;
    const db = new Database(file, { readonly: options.readonly ?? false, timeout });
    try {
      // Switching a new file to WAL, and the WAL start-up itself, can answer SQLITE_BUSY
      // without waiting on the busy handler when several processes open the same new
      // ledger at once: retry those steps until the busy timeout.
      retryWhileBusy(timeout, () => {
        if (!options.readonly) {
          db.pragma('journal_mode = WAL');
          // FULL: a commit acknowledged to a callback sender survives a power cut.
          db.pragma('synchronous = FULL');
        }
        db.pragma('foreign_keys = ON');
        if (!options.readonly) migrate(db);
      });
    } catch (err) {
      db.close();
      throw err;
    }
    const ledger = new Ledger(db, options.now ?? (() => new Date()));
    ledger.unmatchedLimit = options.maxUnmatchedCallbacks ?? MAX_UNMATCHED_CALLBACKS;
    return ledger;
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one write transaction; the ledger's own changes inside it nest (savepoints). */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  /**
   * Statements are prepared once a ledger and used again. Prepared anew per call, each one
   * held native memory until the garbage collector got to it: recording 2,000 converted
   * prompts raised the process's peak by ~30 MB.
   */
  private prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Record a prepared file. The same bytes again are no new version; different bytes
   * under the same name are the next version. Returns the version and whether it is new.
   */
  recordPrepared(p: PreparedVersion): { version: VersionRow; created: boolean } {
    return this.atomically(() => {
      const at = this.stamp();
      let prompt = this.prepare('SELECT id, scene, description FROM prompts WHERE name = ?').get(p.name) as
        | { id: number; scene: string | null; description: string | null }
        | undefined;
      if (!prompt) {
        const info = this.prepare('INSERT INTO prompts (name, scene, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
          .run(p.name, p.scene ?? null, p.description ?? null, at, at);
        prompt = { id: Number(info.lastInsertRowid), scene: p.scene ?? null, description: p.description ?? null };
      } else if ((p.scene && p.scene !== prompt.scene) || (p.description && p.description !== prompt.description)) {
        this.prepare('UPDATE prompts SET scene = coalesce(?, scene), description = coalesce(?, description), updated_at = ? WHERE id = ?')
          .run(p.scene ?? null, p.description ?? null, at, prompt.id);
      }
      const latest = this.prepare('SELECT id, number, sha256 FROM versions WHERE prompt_id = ? ORDER BY number DESC LIMIT 1')
        .get(prompt.id) as { id: number; number: number; sha256: string } | undefined;
      if (latest && latest.sha256 === p.sha256) {
        if (p.filePath) this.prepare('UPDATE versions SET file_path = ? WHERE id = ?').run(p.filePath, latest.id);
        return { version: this.versionById(latest.id, p.platform ?? 'huawei-console'), created: false };
      }
      const number = (latest?.number ?? 0) + 1;
      const info = this.prepare(
        `INSERT INTO versions (prompt_id, number, sha256, bytes, duration_seconds, source, source_sha256, file_path, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(prompt.id, number, p.sha256, p.bytes, p.durationSeconds, p.source ?? null, p.sourceSha256 ?? null, p.filePath ?? null, at);
      const versionId = Number(info.lastInsertRowid);
      this.prepare('INSERT INTO events (version_id, platform, from_state, to_state, actor, reason, at) VALUES (?, ?, NULL, ?, ?, NULL, ?)')
        .run(versionId, '*', 'prepared', p.actor, at);
      return { version: this.versionById(versionId, p.platform ?? 'huawei-console'), created: true };
    });
  }

  setPromptInfo(name: string, info: { scene?: string | null; description?: string | null }): void {
    const res = this.prepare('UPDATE prompts SET scene = coalesce(?, scene), description = coalesce(?, description), updated_at = ? WHERE name = ?')
      .run(info.scene ?? null, info.description ?? null, this.stamp(), name);
    if (res.changes === 0) throw new TransitionError(`No prompt named ${name} in the ledger.`);
  }

  versionById(versionId: number, platform: string): VersionRow {
    const row = this.prepare(`${VERSION_SELECT} WHERE v.id = @id`).get({ platform, id: versionId }) as RawRow | undefined;
    if (!row) throw new Error(`version ${versionId} not found`);
    return toVersionRow(row);
  }

  versions(name: string, platform: string): VersionRow[] {
    return (this.prepare(`${VERSION_SELECT} WHERE p.name = @name ORDER BY v.number`).all({ platform, name }) as RawRow[]).map(toVersionRow);
  }

  /** A prompt name or a version's platform name, and optionally a version number. */
  findVersion(name: string, platform: string, number?: number): VersionRow {
    const direct = this.versions(name, platform);
    if (direct.length > 0) {
      const v = number === undefined ? direct[direct.length - 1] : direct.find((x) => x.number === number);
      if (!v) throw new TransitionError(`${name} has no version ${number}; it has versions ${direct.map((x) => x.number).join(', ')}.`);
      return v;
    }
    const byPlatformName = this.prepare(`${VERSION_SELECT} WHERE v.platform_name = @name OR r.remote_name = @name ORDER BY v.number DESC`)
      .all({ platform, name }) as RawRow[];
    const row = byPlatformName.map(toVersionRow).find((v) => number === undefined || v.number === number);
    if (!row) throw new TransitionError(`No prompt or platform file named ${name} in the ledger.`);
    return row;
  }

  findByRemoteId(platform: string, remoteId: string): VersionRow | null {
    const row = this.prepare(`${VERSION_SELECT} WHERE r.remote_id = @remoteId`).get({ platform, remoteId }) as RawRow | undefined;
    return row ? toVersionRow(row) : null;
  }

  /**
   * Move one version to a new state, recording who did it and why. Approving a version
   * supersedes older versions of the same prompt. Refuses illegal transitions. Asking for
   * the state the version is already in changes nothing (a script may retry a step).
   */
  transition(req: TransitionRequest): VersionRow {
    return this.recordState(req).version;
  }

  /** As `transition`, and says whether anything changed (false: it was in that state already). */
  recordState(req: TransitionRequest): { version: VersionRow; changed: boolean } {
    return this.atomically(() => {
      const v = this.findVersion(req.name, req.platform, req.version);
      if (v.state === req.to) return { version: v, changed: false };
      this.applyTransition(v, req);
      if (req.to === 'approved') {
        for (const older of this.versions(v.name, req.platform)) {
          if (older.number < v.number && ['prepared', 'awaiting-upload', 'in-review', 'approved'].includes(older.state)) {
            this.applyTransition(older, {
              ...req,
              to: 'superseded',
              reason: `replaced by version ${v.number}${v.platformName ? ` (${v.platformName})` : ''}`,
              remoteId: undefined,
              remoteName: undefined,
              lastError: undefined,
            });
          }
        }
      }
      return { version: this.versionById(v.versionId, req.platform), changed: true };
    });
  }

  private applyTransition(v: VersionRow, req: TransitionRequest): void {
    if (!canTransition(v.state, req.to)) {
      const latest = this.prepare('SELECT max(number) AS n FROM versions WHERE prompt_id = ?').get(v.promptId) as { n: number };
      const ref = v.number === latest.n ? v.name : `${v.name} --version ${v.number}`;
      assertTransition({ name: v.name, version: v.number, platform: req.platform, ref }, v.state, req.to);
    }
    const at = this.stamp();
    const exists = this.prepare('SELECT 1 FROM reviews WHERE version_id = ? AND platform = ?').get(v.versionId, req.platform);
    const reason = req.reason === undefined ? (req.to === 'rejected' ? null : v.reason) : req.reason;
    if (exists) {
      this.prepare(
        `UPDATE reviews SET state = ?, since = ?, reason = ?, remote_id = coalesce(?, remote_id), remote_name = coalesce(?, remote_name), last_error = ?
         WHERE version_id = ? AND platform = ?`,
      ).run(req.to, at, reason, req.remoteId ?? null, req.remoteName ?? null, req.lastError ?? null, v.versionId, req.platform);
    } else {
      this.prepare(
        'INSERT INTO reviews (version_id, platform, state, since, reason, remote_id, remote_name, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(v.versionId, req.platform, req.to, at, reason, req.remoteId ?? null, req.remoteName ?? null, req.lastError ?? null);
    }
    this.prepare('INSERT INTO events (version_id, platform, from_state, to_state, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(v.versionId, req.platform, v.state, req.to, req.actor, req.reason ?? null, at);
  }

  /** Record a platform error on a version without changing its state. */
  noteError(versionId: number, platform: string, message: string, actor: string): void {
    this.atomically(() => {
      const v = this.versionById(versionId, platform);
      const at = this.stamp();
      const exists = this.prepare('SELECT 1 FROM reviews WHERE version_id = ? AND platform = ?').get(versionId, platform);
      if (exists) this.prepare('UPDATE reviews SET last_error = ? WHERE version_id = ? AND platform = ?').run(message, versionId, platform);
      else
        this.prepare('INSERT INTO reviews (version_id, platform, state, since, last_error) VALUES (?, ?, ?, ?, ?)')
          .run(versionId, platform, v.state, v.since, message);
      this.prepare('INSERT INTO events (version_id, platform, from_state, to_state, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(versionId, platform, v.state, v.state, actor, `error: ${message}`, at);
    });
  }

  /**
   * The name a version goes to the platform under: the prompt's own name while no earlier
   * version was ever on the platform (or staged for it), else `<stem>-v<N>.wav`, so bindings can keep the old
   * file until the new one is approved.
   */
  assignPlatformName(versionId: number, platform: string, maxLength: number, extension: string): string {
    return this.atomically(() => {
      const v = this.versionById(versionId, platform);
      if (v.platformName) return v.platformName;
      const others = this.versions(v.name, platform).filter((o) => o.number !== v.number);
      // An earlier version staged under the plain name (awaiting upload) may already be in
      // the console too, and its name is taken in any case: the new one gets a -vN name.
      const used = others.some((o) => ON_PLATFORM.has(o.state) || o.state === 'retired' || o.platformName !== null);
      const name = used ? platformVersionName(v.name, v.number, maxLength, extension) : v.name;
      const clash = this.prepare('SELECT 1 FROM versions WHERE platform_name = ? AND id != ?').get(name, versionId);
      if (clash) throw new TransitionError(`The platform name ${name} for ${v.name} version ${v.number} is already used by another prompt.`);
      this.prepare('UPDATE versions SET platform_name = ? WHERE id = ?').run(name, versionId);
      return name;
    });
  }

  /** Whether some version was given this platform file name (a file promptprep staged). */
  isPlatformName(name: string): boolean {
    return this.prepare('SELECT 1 FROM versions WHERE platform_name = ?').get(name) !== undefined;
  }

  events(name: string): { version: number; platform: string; from: string | null; to: string; actor: string; reason: string | null; at: string }[] {
    return this.prepare(
      `SELECT v.number AS version, e.platform, e.from_state AS "from", e.to_state AS "to", e.actor, e.reason, e.at
       FROM events e JOIN versions v ON v.id = e.version_id JOIN prompts p ON p.id = v.prompt_id
       WHERE p.name = ? ORDER BY e.id`,
    ).all(name) as { version: number; platform: string; from: string | null; to: string; actor: string; reason: string | null; at: string }[];
  }

  /**
   * Keep a review callback for a fileId we do not know (yet): one row per fileId, with how
   * often and when it came and its latest body. Only the most recent fileIds of a platform
   * are kept (MAX_UNMATCHED_CALLBACKS unless opened otherwise), so a flood cannot grow the ledger.
   */
  recordUnmatchedCallback(platform: string, remoteId: string, body: string): void {
    this.atomically(() => {
      const at = this.stamp();
      this.prepare(
        `INSERT INTO unmatched_callbacks (platform, remote_id, body, count, first_received_at, last_received_at) VALUES (?, ?, ?, 1, ?, ?)
         ON CONFLICT (platform, remote_id) DO UPDATE SET body = excluded.body, count = count + 1, last_received_at = excluded.last_received_at`,
      ).run(platform, remoteId, body, at, at);
      this.prepare(
        `DELETE FROM unmatched_callbacks WHERE platform = ? AND rowid NOT IN
           (SELECT rowid FROM unmatched_callbacks WHERE platform = ? ORDER BY last_received_at DESC, rowid DESC LIMIT ?)`,
      ).run(platform, platform, this.unmatchedLimit);
    });
  }

  /** Kept unmatched callbacks, oldest first; `receivedAt` is the latest arrival. */
  unmatchedCallbacks(platform: string): UnmatchedCallback[] {
    return this.prepare(
      `SELECT remote_id AS remoteId, body, count, first_received_at AS firstReceivedAt, last_received_at AS receivedAt
       FROM unmatched_callbacks WHERE platform = ? ORDER BY last_received_at, rowid`,
    ).all(platform) as UnmatchedCallback[];
  }

  /** How many fileIds and callbacks are unmatched, and the latest few (newest first): for `status`. */
  unmatchedCallbackSummary(platform: string, latest = 5): { fileIds: number; callbacks: number; latest: UnmatchedCallback[]; limit: number } {
    const totals = this.prepare('SELECT count(*) AS fileIds, COALESCE(sum(count), 0) AS callbacks FROM unmatched_callbacks WHERE platform = ?').get(platform) as {
      fileIds: number;
      callbacks: number;
    };
    const rows = this.prepare(
      `SELECT remote_id AS remoteId, body, count, first_received_at AS firstReceivedAt, last_received_at AS receivedAt
       FROM unmatched_callbacks WHERE platform = ? ORDER BY last_received_at DESC, rowid DESC LIMIT ?`,
    ).all(platform, latest) as UnmatchedCallback[];
    return { ...totals, latest: rows, limit: this.unmatchedLimit };
  }

  /** The upload of this fileId is recorded now: its early callback is no longer unmatched. */
  forgetUnmatchedCallback(platform: string, remoteId: string): void {
    this.prepare('DELETE FROM unmatched_callbacks WHERE platform = ? AND remote_id = ?').run(platform, remoteId);
  }

  /** One row per prompt, about its latest version, in one query (fast on 10,000 prompts). */
  status(q: StatusQuery): StatusRow[] {
    const rows = this.prepare(
      `${VERSION_SELECT}
       ORDER BY p.name, v.number`,
    ).all({ platform: q.platform }) as RawRow[];
    const now = this.now();
    const days = q.overdueWorkingDays ?? 1;
    const out: StatusRow[] = [];
    let i = 0;
    while (i < rows.length) {
      const promptId = (rows[i] as RawRow).prompt_id;
      const group: VersionRow[] = [];
      while (i < rows.length && (rows[i] as RawRow).prompt_id === promptId) group.push(toVersionRow(rows[i++] as RawRow));
      const latest = group[group.length - 1] as VersionRow;
      if (q.promptInfo) {
        const info = q.promptInfo(latest.name, { scene: latest.scene, description: latest.description });
        for (const v of group) Object.assign(v, { scene: info.scene, description: info.description });
      }
      if (q.scene && latest.scene !== q.scene) continue;
      if (q.state && latest.state !== q.state) continue;
      out.push(statusRowFor(group, now, days, q.calendar ?? 'weekends'));
    }
    return out;
  }
}

/**
 * One status row from all versions of a prompt (oldest first): its latest version, the
 * approved one in use, whether its review is overdue, and what a person must look at.
 */
export function statusRowFor(group: VersionRow[], now: Date, overdueWorkingDays: number, calendar: WorkCalendar = 'weekends'): StatusRow {
  const latest = group[group.length - 1] as VersionRow;
  const approved = [...group].reverse().find((v) => v.state === 'approved');
  const due = latest.state === 'in-review' ? addWorkingDays(new Date(latest.since), overdueWorkingDays, calendar) : null;
  let attention: string | null = null;
  if (latest.state === 'uploading') {
    attention = `an upload was started at ${latest.since} and its result was never recorded; check the platform for ${latest.remoteName ?? latest.platformName ?? latest.name} before uploading again`;
  } else if (latest.lastError) {
    attention = `last platform error: ${latest.lastError}`;
  }
  return {
    name: latest.name,
    scene: latest.scene,
    description: latest.description,
    version: latest.number,
    state: latest.state,
    since: latest.since,
    reason: latest.reason,
    platformName: latest.platformName,
    inUse: approved ? { version: approved.number, platformName: approved.platformName ?? approved.name } : null,
    overdue: due !== null && now.getTime() > due.getTime(),
    reviewDue: due?.toISOString() ?? null,
    attention,
    deletable: group
      .filter((v) => v.state === 'superseded' && v.platformName !== null && v.platformName !== (approved?.platformName ?? null))
      .map((v) => ({ version: v.number, platformName: v.platformName as string })),
  };
}
