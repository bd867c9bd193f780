/**
 * Several processes writing one ledger at once: the watcher recording what it prepares,
 * a script hammering versions and transitions, and a person running `review` — no
 * SQLITE_BUSY surfaces and no write is lost. Also several processes opening a brand-new
 * ledger file at the same moment (the schema must be created exactly once).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../src/ledger/ledger.js';
import { STACK_LINE, type CliResult } from './helpers/cli.js';
import { counts, driveTo, ledgerViolations, PLATFORM, prep } from './helpers/ledger-fixtures.js';
import { startLedgerChild, type LedgerChild } from './helpers/ledger-child.js';
import { Project, show } from './helpers/ledger-project.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let root: string;
const children: LedgerChild[] = [];

beforeAll(async () => {
  root = await makeTempDir('promptprep-ledger-conc-');
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
});
afterAll(async () => {
  await removeTempDir(root);
});

const WATCHED = 30;
const REVIEWED = 5;

describe('concurrent writers', () => {
  it('the watcher, a hammering script and review commands share the ledger without losing a write', async () => {
    const p = await Project.create(path.join(root, 'shared'));
    // 30 recordings in the inbox (the same bytes under 30 names is 30 prompts).
    const first = await p.source('w/inbox/drop-00.mp3', { seconds: 1 });
    for (let i = 1; i < WATCHED; i++) await fs.copyFile(first, p.path('sources', 'w', 'inbox', `drop-${String(i).padStart(2, '0')}.mp3`));
    // Prompts a person will review meanwhile, already staged.
    const seed = Ledger.open(p.ledgerFile);
    for (let i = 0; i < REVIEWED; i++) {
      prep(seed, `cli-${i}.wav`);
      driveTo(seed, `cli-${i}.wav`, 'awaiting-upload');
    }
    seed.close();
    const before = counts(p.ledgerFile);

    const stop = p.path('stop');
    const hammer = startLedgerChild('hammer', { file: p.ledgerFile, prefix: 'h', stop, min: 200 });
    children.push(hammer);
    await hammer.waitFor((m) => m.started === true);

    const reviews: CliResult[] = [];
    const reviewing = (async () => {
      for (let i = 0; i < REVIEWED; i++) {
        reviews.push(await p.run(['review', `cli-${i}.wav`, 'submitted']));
        reviews.push(await p.run(['review', `cli-${i}.wav`, 'approved']));
      }
    })();
    // 30 conversions beside a hammering writer: on a loaded machine this outlasts the
    // helper's default 30 s, whose SIGTERM watch answers by finishing its round and exiting 0.
    const watch = await p.run(['watch', p.path('sources', 'w'), '--once', '--stable-ms', '0', '--log-format', 'json', '--jobs', '2'], { timeoutMs: 120_000 });
    await reviewing;
    await fs.writeFile(stop, '');
    const result = await hammer.waitFor((m) => m.done === true, 60_000);
    await hammer.exited;

    expect(result.errors, hammer.stderr()).toEqual([]);
    expect(hammer.stderr()).toBe('');
    const rounds = result.rounds as number;
    expect(rounds).toBeGreaterThanOrEqual(200);

    expect(watch.code, show(watch)).toBe(0);
    const log = `${watch.stdout}\n${watch.stderr}`;
    expect(log).not.toMatch(/SQLITE_BUSY|database is locked|could not record/);
    expect(log).not.toMatch(STACK_LINE);
    expect(log.match(/"event":"converted"/g), show(watch)).toHaveLength(WATCHED);

    for (const r of reviews) {
      expect(r.code, show(r)).toBe(0);
      expect(r.stderr).toBe('');
    }

    // Every write is there: 30 watched prompts, the hammer's rounds, the reviews.
    const after = counts(p.ledgerFile);
    const hammerPrompts = Math.min(40, rounds);
    expect(after.prompts).toBe(before.prompts + WATCHED + hammerPrompts);
    expect(after.versions).toBe(before.versions + WATCHED + rounds);
    expect(after.events).toBe(before.events + WATCHED + rounds * 4 + REVIEWED * 2);
    const ledger = Ledger.open(p.ledgerFile, { readonly: true });
    try {
      const rows = ledger.status({ platform: PLATFORM });
      expect(rows.filter((r) => r.name.startsWith('drop-')).map((r) => [r.state, r.version])).toEqual(Array.from({ length: WATCHED }, () => ['prepared', 1]));
      expect(rows.filter((r) => r.name.startsWith('cli-')).map((r) => r.state)).toEqual(Array.from({ length: REVIEWED }, () => 'approved'));
      expect(rows.filter((r) => r.name.startsWith('h-')).every((r) => r.state === 'rejected')).toBe(true);
      const versions = ledger.db.prepare("SELECT count(*) AS n FROM events WHERE actor = 'hammer'").get() as { n: number };
      expect(versions.n).toBe(rounds * 4);
      const watched = ledger.db.prepare("SELECT count(*) AS n FROM events WHERE actor = 'watcher'").get() as { n: number };
      expect(watched.n).toBe(WATCHED);
    } finally {
      ledger.close();
    }
    expect(ledgerViolations(p.ledgerFile)).toEqual([]);
  }, 180_000);

  it('processes opening a new ledger file at the same moment create its schema exactly once', async () => {
    // More rounds for hunting races by hand: PROMPTPREP_LEDGER_OPEN_ROUNDS=40.
    const ROUNDS = Number(process.env.PROMPTPREP_LEDGER_OPEN_ROUNDS ?? 4);
    for (let round = 0; round < ROUNDS; round++) {
      const file = path.join(root, `fresh-${round}`, 'ledger.sqlite');
      const openers = Array.from({ length: 6 }, (_, i) => startLedgerChild('open', { file, name: `o-${i}.wav` }));
      children.push(...openers);
      const results = await Promise.all(openers.map((o) => o.waitFor((m) => 'ok' in m)));
      await Promise.all(openers.map((o) => o.exited));
      expect(results, `round ${round}`).toEqual(Array.from({ length: 6 }, () => ({ ok: true })));
      expect(counts(file)).toMatchObject({ prompts: 6, versions: 6, events: 6 });
      expect(ledgerViolations(file)).toEqual([]);
    }
  });
});
