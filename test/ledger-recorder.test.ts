/**
 * ConversionRecorder: a convert run's prompts go to the ledger while the run goes on, a
 * transaction per batch (by count, or once the oldest result has waited), not in one
 * write at the end; results that arrive before the ledger is open wait for it.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConvertFileResult } from '../src/convert/index.js';
import { Ledger } from '../src/ledger/ledger.js';
import { ConversionRecorder, RECORDER_CACHE_KIB } from '../src/ledger/project.js';
import { PLATFORM, sha } from './helpers/ledger-fixtures.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let n = 0;
const ledgers: Ledger[] = [];
beforeAll(async () => {
  dir = await makeTempDir('promptprep-ledger-recorder-');
});
afterAll(async () => {
  for (const l of ledgers) l.close();
  await removeTempDir(dir);
});
const fresh = (): Ledger => {
  const l = Ledger.open(path.join(dir, `l${++n}.sqlite`));
  ledgers.push(l);
  return l;
};

const result = (name: string, status: ConvertFileResult['status'] = 'converted'): ConvertFileResult => ({
  source: `/in/${name}.mp3`,
  output: status === 'failed' ? null : `/out/${name}.wav`,
  status,
  errors: [],
  warnings: [],
  ...(status === 'failed' ? {} : { stats: { sha256: sha(name), bytes: 64058, durationSeconds: 4, sourceSha256: sha(`src ${name}`) } as ConvertFileResult['stats'] }),
});
const names = (l: Ledger): string[] => l.status({ platform: PLATFORM }).map((r) => r.name);

describe('ConversionRecorder', () => {
  it('commits a batch as soon as it is full, while more results are still to come', () => {
    const ledger = fresh();
    const rec = new ConversionRecorder('test', undefined, 3, 60_000);
    rec.attach(ledger);
    for (const k of ['a', 'b']) rec.add(result(k));
    rec.add(result('x', 'failed'));
    expect(names(ledger)).toEqual([]);
    rec.add(result('c'));
    // Three waiting: committed now, before the run ends.
    expect(names(ledger)).toEqual(['a.wav', 'b.wav', 'c.wav']);
    rec.add(result('d', 'skipped'));
    expect(rec.finish()).toBe(4);
    expect(names(ledger)).toEqual(['a.wav', 'b.wav', 'c.wav', 'd.wav']);
  });

  it('commits a part batch once its oldest result has waited the batch time', async () => {
    const ledger = fresh();
    const rec = new ConversionRecorder('test', undefined, 1000, 20);
    rec.attach(ledger);
    rec.add(result('a'));
    expect(names(ledger)).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(names(ledger)).toEqual(['a.wav']);
    expect(rec.finish()).toBe(1);
  });

  it('keeps results until the ledger is attached, and throws a failed commit at the end', () => {
    const ledger = fresh();
    const rec = new ConversionRecorder('test', 'pre-call', 2, 60_000);
    for (const k of ['a', 'b', 'c']) rec.add(result(k));
    rec.attach(ledger);
    expect(names(ledger)).toEqual(['a.wav', 'b.wav', 'c.wav']);
    expect(ledger.status({ platform: PLATFORM })[0]?.scene).toBe('pre-call');
    vi.spyOn(ledger, 'recordPrepared').mockImplementation(() => {
      throw new Error('disk full');
    });
    rec.add(result('d'));
    rec.add(result('e'));
    expect(rec.wants(result('f'))).toBe(false);
    expect(() => rec.finish()).toThrow('disk full');
    expect(names(ledger)).toEqual(['a.wav', 'b.wav', 'c.wav']);
  });

  it("keeps SQLite's page cache small on the ledger it records to: a long run does not hold every page it wrote", () => {
    const ledger = fresh();
    const rec = new ConversionRecorder('test', undefined, 2, 60_000);
    rec.attach(ledger);
    expect(ledger.db.pragma('cache_size', { simple: true })).toBe(-RECORDER_CACHE_KIB);
    for (const k of ['a', 'b', 'c']) rec.add(result(k));
    expect(rec.finish()).toBe(3);
  });
});
