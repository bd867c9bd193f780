/**
 * Ledger test helpers: an injectable clock, prepared versions without audio, driving a
 * version to any review state along legal transitions, and the ledger's invariants
 * checked straight from the SQLite file (for the crash and concurrency tests).
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { Ledger, type VersionRow } from '../../src/ledger/ledger.js';
import { canTransition, REVIEW_STATES, type ReviewState } from '../../src/ledger/states.js';

export const PLATFORM = 'huawei-console';

/** A clock a test moves by hand. */
export class TestClock {
  private t: number;
  constructor(iso = '2026-01-05T10:00:00.000Z') {
    this.t = Date.parse(iso);
  }
  readonly now = (): Date => new Date(this.t);
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Record a prepared version (no audio needed: the ledger keeps only the numbers). */
export function prep(
  ledger: Ledger,
  name: string,
  content = name,
  extra: { scene?: string | null; description?: string | null; actor?: string; filePath?: string | null } = {},
): { version: VersionRow; created: boolean } {
  return ledger.recordPrepared({
    name,
    sha256: sha(content),
    bytes: 8058,
    durationSeconds: 1,
    source: `/src/${name}`,
    filePath: extra.filePath ?? `/prompts/${name}`,
    scene: extra.scene ?? null,
    description: extra.description ?? null,
    actor: extra.actor ?? 'test',
  });
}

/** The shortest chain of legal transitions from prepared to `target` (BFS over states.ts). */
export function pathTo(target: ReviewState): ReviewState[] {
  const prev = new Map<ReviewState, ReviewState | null>([['prepared', null]]);
  const queue: ReviewState[] = ['prepared'];
  while (queue.length > 0) {
    const s = queue.shift() as ReviewState;
    if (s === target) break;
    for (const n of REVIEW_STATES) {
      if (!prev.has(n) && canTransition(s, n)) {
        prev.set(n, s);
        queue.push(n);
      }
    }
  }
  if (!prev.has(target)) throw new Error(`${target} is unreachable from prepared`);
  const out: ReviewState[] = [];
  for (let s: ReviewState | null = target; s && s !== 'prepared'; s = prev.get(s) ?? null) out.unshift(s);
  return out;
}

/** Move the latest version of `name` along legal transitions until it is `target`. */
export function driveTo(ledger: Ledger, name: string, target: ReviewState, actor = 'test'): VersionRow {
  let v = ledger.findVersion(name, PLATFORM);
  for (const to of pathTo(target)) v = ledger.transition({ name, version: v.number, platform: PLATFORM, to, actor });
  return v;
}

/** What `upload` + `review submitted` + `review approved` do to the latest version. */
export function approveLatest(ledger: Ledger, name: string, actor = 'test'): VersionRow {
  const v = ledger.findVersion(name, PLATFORM);
  ledger.assignPlatformName(v.versionId, PLATFORM, 128, '.wav');
  for (const to of ['awaiting-upload', 'in-review', 'approved'] as const) ledger.transition({ name, version: v.number, platform: PLATFORM, to, actor });
  return ledger.versionById(v.versionId, PLATFORM);
}

export interface LedgerCounts {
  prompts: number;
  versions: number;
  reviews: number;
  events: number;
}

export function counts(file: string): LedgerCounts {
  const db = new Database(file, { readonly: true });
  try {
    const n = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { prompts: n('prompts'), versions: n('versions'), reviews: n('reviews'), events: n('events') };
  } finally {
    db.close();
  }
}

/**
 * Everything that must hold in a ledger file whatever happened to the writer. Returns
 * the violations (empty when consistent).
 */
export function ledgerViolations(file: string): string[] {
  const db = new Database(file, { readonly: true });
  const out: string[] = [];
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') out.push(`integrity_check: ${String(integrity)}`);
    const fk = db.pragma('foreign_key_check') as unknown[];
    if (fk.length > 0) out.push(`foreign_key_check: ${JSON.stringify(fk)}`);
    const orphanEvents = db.prepare('SELECT count(*) AS n FROM events e LEFT JOIN versions v ON v.id = e.version_id WHERE v.id IS NULL').get() as { n: number };
    if (orphanEvents.n > 0) out.push(`${orphanEvents.n} event(s) reference no version`);
    const orphanReviews = db.prepare('SELECT count(*) AS n FROM reviews r LEFT JOIN versions v ON v.id = r.version_id WHERE v.id IS NULL').get() as { n: number };
    if (orphanReviews.n > 0) out.push(`${orphanReviews.n} review(s) reference no version`);
    const orphanVersions = db.prepare('SELECT count(*) AS n FROM versions v LEFT JOIN prompts p ON p.id = v.prompt_id WHERE p.id IS NULL').get() as { n: number };
    if (orphanVersions.n > 0) out.push(`${orphanVersions.n} version(s) reference no prompt`);

    // Versions numbered 1..n without gaps.
    const gaps = db
      .prepare('SELECT p.name, count(*) AS n, min(v.number) AS lo, max(v.number) AS hi FROM versions v JOIN prompts p ON p.id = v.prompt_id GROUP BY p.id HAVING lo != 1 OR hi != n')
      .all() as { name: string; n: number; lo: number; hi: number }[];
    for (const g of gaps) out.push(`${g.name}: ${g.n} version(s) numbered ${g.lo}..${g.hi}`);

    // Each version was born prepared, by exactly one event, its first.
    const births = db
      .prepare(
        `SELECT v.id, (SELECT count(*) FROM events e WHERE e.version_id = v.id AND e.from_state IS NULL) AS n,
                (SELECT e.to_state FROM events e WHERE e.version_id = v.id ORDER BY e.id LIMIT 1) AS first
         FROM versions v`,
      )
      .all() as { id: number; n: number; first: string | null }[];
    for (const b of births) if (b.n !== 1 || b.first !== 'prepared') out.push(`version ${b.id}: ${b.n} birth event(s), first event ${b.first}`);

    // The latest event on a platform is the review's state; the chain of events is unbroken.
    const reviews = db.prepare('SELECT version_id, platform, state FROM reviews').all() as { version_id: number; platform: string; state: string }[];
    const eventsOf = db.prepare("SELECT from_state, to_state FROM events WHERE version_id = ? AND (platform = ? OR platform = '*') ORDER BY id");
    for (const r of reviews) {
      const evs = eventsOf.all(r.version_id, r.platform) as { from_state: string | null; to_state: string }[];
      const last = evs[evs.length - 1];
      if (!last || last.to_state !== r.state) out.push(`version ${r.version_id}: review is ${r.state} but its latest event says ${last?.to_state ?? '(none)'}`);
      for (let i = 1; i < evs.length; i++) {
        if (evs[i]!.from_state !== evs[i - 1]!.to_state) {
          out.push(`version ${r.version_id}: event ${i} goes from ${evs[i]!.from_state} but the one before went to ${evs[i - 1]!.to_state}`);
        }
      }
    }
    // A version with no review row never left prepared.
    const bare = db
      .prepare(
        `SELECT v.id, count(e.id) AS n FROM versions v LEFT JOIN events e ON e.version_id = v.id AND e.platform != '*'
         WHERE NOT EXISTS (SELECT 1 FROM reviews r WHERE r.version_id = v.id) GROUP BY v.id HAVING n > 0`,
      )
      .all() as { id: number; n: number }[];
    for (const b of bare) out.push(`version ${b.id}: ${b.n} platform event(s) but no review row`);

    // Approval supersedes older versions in the same transaction: at most one approved.
    const doubles = db
      .prepare(
        `SELECT p.name, count(*) AS n FROM reviews r JOIN versions v ON v.id = r.version_id JOIN prompts p ON p.id = v.prompt_id
         WHERE r.state = 'approved' GROUP BY p.id, r.platform HAVING n > 1`,
      )
      .all() as { name: string; n: number }[];
    for (const d of doubles) out.push(`${d.name}: ${d.n} approved versions at once`);
  } finally {
    db.close();
  }
  return out;
}
