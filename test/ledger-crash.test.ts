/**
 * Killing a writer in the middle of its work (SIGKILL: no cleanup, no flush) leaves the
 * ledger consistent: the file passes integrity_check, every event names a version, each
 * review's state is its latest event's, versions are numbered without gaps, and a
 * transaction is all there or not at all. The next writer carries on.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../src/ledger/ledger.js';
import { counts, ledgerViolations, PLATFORM } from './helpers/ledger-fixtures.js';
import { startLedgerChild, type LedgerChild } from './helpers/ledger-child.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let root: string;
const children: LedgerChild[] = [];

beforeAll(async () => {
  root = await makeTempDir('promptprep-ledger-crash-');
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});
afterAll(async () => {
  await removeTempDir(root);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start a writer, let it run a random while after it is ready, SIGKILL it. */
async function killMidWrite(task: Record<string, unknown>, minMs: number, maxMs: number): Promise<LedgerChild> {
  const c = startLedgerChild('crash', task);
  children.push(c);
  await c.waitFor((m) => m.ready === true);
  await sleep(minMs + Math.floor(Math.random() * (maxMs - minMs)));
  c.child.kill('SIGKILL');
  const exit = await c.exited;
  expect(exit.signal, c.stderr()).toBe('SIGKILL');
  return c;
}

describe('SIGKILL in the middle of a write', () => {
  it('step by step transitions: the ledger stays consistent and the next writer carries on', async () => {
    const file = path.join(root, 'steps', 'ledger.sqlite');
    let last = { versions: 0, events: 0 };
    for (let run = 0; run < 5; run++) {
      const c = await killMidWrite({ file, mode: 'steps', seed: `run${run}` }, 80, 400);
      expect(c.stderr()).toBe('');
      expect(ledgerViolations(file), `after kill ${run}`).toEqual([]);
      const now = counts(file);
      expect(now.versions, `run ${run} wrote nothing before it was killed`).toBeGreaterThan(last.versions);
      last = now;
    }
    // Still a working ledger: it opens for writing, answers status, accepts changes.
    const ledger = Ledger.open(file);
    try {
      const rows = ledger.status({ platform: PLATFORM });
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThanOrEqual(25);
      const any = rows[0]!;
      const v = ledger.recordPrepared({ name: any.name, sha256: 'f'.repeat(64), bytes: 1, durationSeconds: 1, actor: 'after' });
      expect(v.version.number).toBe(any.version + 1);
    } finally {
      ledger.close();
    }
    expect(ledgerViolations(file)).toEqual([]);
  });

  it('a batch in one transaction is all there or not at all', async () => {
    const file = path.join(root, 'bulk', 'ledger.sqlite');
    const BATCH = 2000;
    for (let run = 0; run < 3; run++) {
      const c = await killMidWrite({ file, mode: 'bulk', seed: `b${run}`, batch: BATCH }, 150, 600);
      expect(ledgerViolations(file), `after kill ${run}`).toEqual([]);
      const done = new Set(c.messages.filter((m) => typeof m.batch === 'string').map((m) => m.batch as string));
      const db = new Database(file, { readonly: true });
      try {
        // Prompts per batch (bulk-<seed>-<i>-<k>.wav): a whole batch or none.
        const byTag = new Map<string, number>();
        for (const row of db.prepare('SELECT name FROM prompts WHERE name LIKE ?').all(`bulk-b${run}-%`) as { name: string }[]) {
          const m = /^bulk-(b\d+-\d+)-\d+\.wav$/.exec(row.name);
          expect(m, row.name).not.toBeNull();
          byTag.set(m![1]!, (byTag.get(m![1]!) ?? 0) + 1);
        }
        for (const [tag, n] of byTag) expect(n, `batch ${tag}`).toBe(BATCH);
        // Every batch the writer reported done is there (a commit it saw is durable).
        for (const tag of done) expect(byTag.get(tag), `reported batch ${tag}`).toBe(BATCH);
        expect(byTag.size - done.size).toBeLessThanOrEqual(1);
      } finally {
        db.close();
      }
    }
  });
});
