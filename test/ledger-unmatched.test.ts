/**
 * Review callbacks for fileIds the ledger does not know: one row per fileId with a count
 * and the last arrival, at most MAX_UNMATCHED_CALLBACKS of them, and a ledger written
 * before this (one row per call) still opens with its rows folded in.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, MAX_UNMATCHED_CALLBACKS } from '../src/ledger/ledger.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/ledger/schema.js';
import { TestClock } from './helpers/ledger-fixtures.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const CEC = 'huawei-cec';
let dir: string;
let n = 0;
const open: Ledger[] = [];

beforeAll(async () => {
  dir = await makeTempDir('promptprep-unmatched-');
});
afterEach(() => {
  for (const l of open.splice(0)) if (l.db.open) l.close();
});
afterAll(async () => {
  await removeTempDir(dir);
});

function fresh(clock = new TestClock(), maxUnmatchedCallbacks?: number): Ledger {
  const ledger = Ledger.open(path.join(dir, `l${++n}`, 'ledger.sqlite'), { now: clock.now, ...(maxUnmatchedCallbacks ? { maxUnmatchedCallbacks } : {}) });
  open.push(ledger);
  return ledger;
}

const rowCount = (l: Ledger) => (l.db.prepare('SELECT count(*) AS n FROM unmatched_callbacks').get() as { n: number }).n;

describe('unmatched callbacks', () => {
  it('the same fileId again is one row with a count, its latest body and both times', () => {
    const clock = new TestClock('2026-03-02T08:00:00.000Z');
    const l = fresh(clock);
    l.recordUnmatchedCallback(CEC, '42', '{"fileId":"42","status":"3"}');
    clock.advance(60_000);
    l.recordUnmatchedCallback(CEC, '42', '{"fileId":"42","status":"2"}');
    l.recordUnmatchedCallback('other-platform', '42', '{}');
    expect(l.unmatchedCallbacks(CEC)).toEqual([
      { remoteId: '42', body: '{"fileId":"42","status":"2"}', count: 2, firstReceivedAt: '2026-03-02T08:00:00.000Z', receivedAt: '2026-03-02T08:01:00.000Z' },
    ]);
    l.forgetUnmatchedCallback(CEC, '42');
    expect(l.unmatchedCallbacks(CEC)).toEqual([]);
    expect(l.unmatchedCallbacks('other-platform')).toHaveLength(1);
  });

  it(`keeps ${MAX_UNMATCHED_CALLBACKS} fileIds unless opened with another limit`, () => {
    expect(MAX_UNMATCHED_CALLBACKS).toBe(200);
    expect(fresh().unmatchedCallbackSummary(CEC).limit).toBe(200);
  });

  it('three times the limit of unknown fileIds keep the latest; the summary counts them and names the newest first', () => {
    // Each call is a committed write: a limit of 20 shows the bound without a slow test.
    const clock = new TestClock();
    const l = fresh(clock, 20);
    for (let i = 0; i < 60; i++) {
      clock.advance(1000);
      l.recordUnmatchedCallback(CEC, String(100_000 + i), `{"fileId":"${100_000 + i}","status":"2"}`);
    }
    expect(rowCount(l)).toBe(20);
    const kept = l.unmatchedCallbacks(CEC).map((u) => Number(u.remoteId));
    expect(kept[0]).toBe(100_040);
    expect(kept.at(-1)).toBe(100_059);
    const s = l.unmatchedCallbackSummary(CEC, 5);
    expect(s).toMatchObject({ fileIds: 20, callbacks: 20, limit: 20 });
    expect(s.latest.map((u) => u.remoteId)).toEqual(['100059', '100058', '100057', '100056', '100055']);
    // A repeat of a kept fileId counts; it is not a new row.
    l.recordUnmatchedCallback(CEC, '100045', '{}');
    expect(rowCount(l)).toBe(20);
    expect(l.unmatchedCallbackSummary(CEC).callbacks).toBe(21);
  });

  it('a ledger of schema 2 (one row per callback) opens, its callbacks folded per fileId', () => {
    const file = path.join(dir, 'schema2.sqlite');
    const db = new Database(file);
    db.exec(MIGRATIONS[0] as string);
    db.exec(MIGRATIONS[1] as string);
    db.pragma('user_version = 2');
    const ins = db.prepare('INSERT INTO unmatched_callbacks (platform, remote_id, body, received_at) VALUES (?, ?, ?, ?)');
    ins.run(CEC, '7', '{"fileUrl":"u","fileId":"7","status":"3","comment":"first"}', '2026-01-01T00:00:00.000Z');
    ins.run(CEC, '8', '{"fileUrl":"u","fileId":"8","status":"2"}', '2026-01-01T00:00:01.000Z');
    ins.run(CEC, '7', '{"fileUrl":"u","fileId":"7","status":"2"}', '2026-01-01T00:00:02.000Z');
    ins.run(CEC, null, '{}', '2026-01-01T00:00:03.000Z');
    db.close();

    const l = Ledger.open(file, { now: new TestClock().now });
    open.push(l);
    expect(l.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(l.unmatchedCallbacks(CEC)).toEqual([
      { remoteId: '8', body: '{"fileUrl":"u","fileId":"8","status":"2"}', count: 1, firstReceivedAt: '2026-01-01T00:00:01.000Z', receivedAt: '2026-01-01T00:00:01.000Z' },
      { remoteId: '7', body: '{"fileUrl":"u","fileId":"7","status":"2"}', count: 2, firstReceivedAt: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:02.000Z' },
      { remoteId: '', body: '{}', count: 1, firstReceivedAt: '2026-01-01T00:00:03.000Z', receivedAt: '2026-01-01T00:00:03.000Z' },
    ]);
    // And it goes on working: a new call for a folded fileId counts on.
    l.recordUnmatchedCallback(CEC, '7', '{"fileId":"7","status":"2"}');
    expect(l.unmatchedCallbacks(CEC).find((u) => u.remoteId === '7')).toMatchObject({ count: 3 });
  });
});
