import type Database from 'better-sqlite3';

/**
 * Schema migrations, applied in order inside one transaction each; `PRAGMA user_version`
 * records how far a ledger file has come, so an old file is upgraded in place.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: prompts, their versions, review state per platform, and the history of every change
  `
  CREATE TABLE prompts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    scene TEXT,
    description TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    prompt_id INTEGER NOT NULL REFERENCES prompts(id),
    number INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    duration_seconds REAL NOT NULL,
    source TEXT,
    source_sha256 TEXT,
    file_path TEXT,
    platform_name TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (prompt_id, number)
  );
  CREATE INDEX versions_prompt ON versions(prompt_id, number DESC);
  CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    platform TEXT NOT NULL,
    state TEXT NOT NULL,
    since TEXT NOT NULL,
    reason TEXT,
    remote_id TEXT,
    remote_name TEXT,
    last_error TEXT,
    UNIQUE (version_id, platform)
  );
  CREATE INDEX reviews_state ON reviews(platform, state);
  CREATE UNIQUE INDEX reviews_remote ON reviews(platform, remote_id) WHERE remote_id IS NOT NULL;
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    platform TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT,
    at TEXT NOT NULL
  );
  CREATE INDEX events_version ON events(version_id, id);
  CREATE TABLE unmatched_callbacks (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    remote_id TEXT,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
  );
  `,
  // 2: look-ups by the names a version has on a platform (review <platform name>, uploads)
  `
  CREATE INDEX versions_platform_name ON versions(platform_name) WHERE platform_name IS NOT NULL;
  CREATE INDEX reviews_remote_name ON reviews(platform, remote_name) WHERE remote_name IS NOT NULL;
  `,
  // 3: unmatched callbacks kept one row per fileId, with a count, instead of one per call
  // (a platform that retries, or a flood, grew the table without bound). Existing rows
  // fold into their fileId's row, keeping the latest body.
  `
  CREATE TABLE unmatched_callbacks_by_id (
    platform TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    body TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_received_at TEXT NOT NULL,
    last_received_at TEXT NOT NULL,
    PRIMARY KEY (platform, remote_id)
  );
  INSERT INTO unmatched_callbacks_by_id (platform, remote_id, body, count, first_received_at, last_received_at)
    SELECT u.platform, COALESCE(u.remote_id, ''),
      (SELECT l.body FROM unmatched_callbacks l WHERE l.platform = u.platform AND l.remote_id IS u.remote_id ORDER BY l.id DESC LIMIT 1),
      count(*), min(u.received_at), max(u.received_at)
    FROM unmatched_callbacks u GROUP BY u.platform, u.remote_id;
  DROP TABLE unmatched_callbacks;
  ALTER TABLE unmatched_callbacks_by_id RENAME TO unmatched_callbacks;
  CREATE INDEX unmatched_callbacks_recent ON unmatched_callbacks(platform, last_received_at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database): void {
  const current = (): number => {
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v > SCHEMA_VERSION) {
      throw new Error(
        `The ledger was written by a newer promptprep (schema ${v}; this one knows up to ${SCHEMA_VERSION}). Upgrade promptprep.`,
      );
    }
    return v;
  };
  while (current() < SCHEMA_VERSION) {
    db.transaction(() => {
      // Read again under the write lock: another process opening the same new file may
      // have applied this migration between the check above and taking the lock.
      const v = current();
      if (v >= SCHEMA_VERSION) return;
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
