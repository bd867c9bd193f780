import type { Database } from 'better-sqlite3';

/**
 * Tells the page when the ledger changed, whoever changed it: `watch`, the callback
 * receiver or `review` in a shell write from other processes. SQLite's data_version
 * changes when another connection commits, and reading it costs no file I/O beyond a
 * page-cache check, so polling it every half second is cheap even with many prompts.
 * The desk's own writes do not move it (same connection): they call `changed()`.
 */
export class LedgerChanges {
  private readonly listeners = new Set<(kind: string) => void>();
  private last: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    intervalMs = 500,
  ) {
    this.last = this.version();
    this.timer = setInterval(() => this.poll(), intervalMs);
    this.timer.unref();
  }

  private version(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  private poll(): void {
    let now: number;
    try {
      now = this.version();
    } catch {
      return; // closed while a tick was due
    }
    if (now !== this.last) {
      this.last = now;
      this.changed('ledger');
    }
  }

  /** Something the page shows changed: every open page reloads what it shows. */
  changed(kind = 'ledger'): void {
    for (const l of this.listeners) l(kind);
  }

  subscribe(listener: (kind: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  close(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }
}
