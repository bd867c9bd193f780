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
