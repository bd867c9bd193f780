/**
 * The Ledger class on a real SQLite file with an injected clock: every legal transition
 * and every refused one, the history, versions, supersession, platform names, the
 * overdue flag (weekends included), status filters and reopening (migration).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../src/config-defaults.js';
import type { ConvertFileResult, ConvertReport } from '../src/convert/index.js';
import { Ledger } from '../src/ledger/ledger.js';
import { recordConversions } from '../src/ledger/project.js';
import { platformVersionName } from '../src/ledger/platform-name.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../src/ledger/schema.js';
import { assertTransition, canTransition, REVIEW_STATES, TransitionError, type ReviewState } from '../src/ledger/states.js';
import { addWorkingDays, isOverdue } from '../src/ledger/working-days.js';
import { approveLatest, DAY, driveTo, HOUR, ledgerViolations, pathTo, PLATFORM, prep, sha, TestClock } from './helpers/ledger-fixtures.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let n = 0;
const open: Ledger[] = [];

beforeAll(async () => {
  dir = await makeTempDir('promptprep-ledger-');
});
afterEach(() => {
  for (const l of open.splice(0)) if (l.db.open) l.close();
});
afterAll(async () => {
  await removeTempDir(dir);
});

function fresh(clock = new TestClock()): { ledger: Ledger; file: string; clock: TestClock } {
  const file = path.join(dir, `l${++n}`, 'ledger.sqlite');
  const ledger = Ledger.open(file, { now: clock.now });
  open.push(ledger);
  return { ledger, file, clock };
}

/** The transition table the issue specifies; states.ts must say exactly this. */
const LEGAL: [ReviewState, ReviewState][] = [
  ['prepared', 'awaiting-upload'],
  ['prepared', 'uploading'],
  ['prepared', 'superseded'],
  ['awaiting-upload', 'in-review'],
  ['awaiting-upload', 'uploading'],
  ['awaiting-upload', 'superseded'],
  ['uploading', 'in-review'],
  ['uploading', 'prepared'],
  ['uploading', 'rejected'],
  ['in-review', 'approved'],
  ['in-review', 'rejected'],
  ['in-review', 'superseded'],
  ['approved', 'superseded'],
  ['superseded', 'retired'],
];
const isLegal = (from: ReviewState, to: ReviewState) => LEGAL.some(([f, t]) => f === from && t === to);
/** Everything else, except asking for the state a version is already in (a no-op). */
const REFUSED: [ReviewState, ReviewState][] = REVIEW_STATES.flatMap((from) =>
  REVIEW_STATES.filter((to) => to !== from && !isLegal(from, to)).map((to): [ReviewState, ReviewState] => [from, to]),
);

describe('the transition table', () => {
  it('states.ts allows exactly the specified transitions', () => {
    const actual = REVIEW_STATES.flatMap((from) => REVIEW_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}>${to}`));
    expect(actual.sort()).toEqual(LEGAL.map(([f, t]) => `${f}>${t}`).sort());
    expect(REFUSED).toHaveLength(REVIEW_STATES.length ** 2 - REVIEW_STATES.length - LEGAL.length);
  });

  it('every state is reachable from prepared', () => {
    for (const s of REVIEW_STATES) expect(() => pathTo(s)).not.toThrow();
  });

  it('a refusal names the platform, and what the user can type instead', () => {
    const a = { name: 'a.wav', version: 1, platform: 'huawei-cec' };
    expect(() => assertTransition(a, 'retired', 'approved')).toThrow(
      'a.wav version 1 is retired on huawei-cec; it cannot be recorded as approved. It was deleted in the console; nothing more to record.',
    );
    expect(() => assertTransition({ ...a, platform: 'huawei-console' }, 'in-review', 'retired')).toThrow(
      'You can record `promptprep review a.wav approved` or `promptprep review a.wav rejected --reason "<审核说明>"`.',
    );
    // Internal states are named by the word the user types for them.
    expect(() => assertTransition(a, 'prepared', 'in-review')).toThrow('it cannot be recorded as submitted.');
  });
});

describe('legal transitions, each recorded with its actor', () => {
  it.each(LEGAL)('%s → %s', (from, to) => {
    const { ledger, clock } = fresh();
    const name = `t-${from}-${to}.wav`;
    prep(ledger, name);
    driveTo(ledger, name, from);
    clock.advance(HOUR);
    const v = ledger.transition({ name, platform: PLATFORM, to, actor: 'alice', reason: 'because' });
    expect(v.state).toBe(to);
    expect(v.since).toBe(clock.now().toISOString());
    expect(ledger.findVersion(name, PLATFORM).state).toBe(to);
    const events = ledger.events(name);
    expect(events.at(-1)).toEqual({ version: 1, platform: PLATFORM, from, to, actor: 'alice', reason: 'because', at: clock.now().toISOString() });
    // The whole history: born prepared, then one event per step.
    expect(events[0]).toMatchObject({ from: null, to: 'prepared', platform: '*', actor: 'test' });
    expect(events.map((e) => e.to)).toEqual(['prepared', ...pathTo(from), to]);
  });
});

describe('recording the state a version is already in', () => {
  it.each(REVIEW_STATES)('%s again changes nothing: no event, same since, changed false', (state) => {
    const { ledger, clock } = fresh();
    const name = `same-${state}.wav`;
    prep(ledger, name);
    const before = driveTo(ledger, name, state);
    const events = ledger.events(name);
    clock.advance(HOUR);
    const res = ledger.recordState({ name, platform: PLATFORM, to: state, actor: 'retrying script' });
    expect(res.changed).toBe(false);
    expect(res.version).toMatchObject({ state, since: before.since });
    expect(ledger.events(name)).toEqual(events);
  });
});

describe('refused transitions', () => {
  it.each(REFUSED)('%s → %s is refused with a sentence and changes nothing', (from, to) => {
    const { ledger } = fresh();
    const name = `r-${from}-${to}.wav`;
    prep(ledger, name);
    const before = driveTo(ledger, name, from);
    const eventsBefore = ledger.events(name);
    let err: unknown;
    try {
      ledger.transition({ name, platform: PLATFORM, to, actor: 'mallory' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransitionError);
    const message = (err as Error).message;
    expect(message).toContain(`${name} version 1 is ${from} on ${PLATFORM}; it cannot be recorded as ${to === 'in-review' ? 'submitted' : to}. `);
    const after = ledger.findVersion(name, PLATFORM);
    expect(after.state).toBe(from);
    expect(after.since).toBe(before.since);
    expect(ledger.events(name)).toEqual(eventsBefore);
  });

  it('the common mistakes come with a hint', () => {
    const { ledger } = fresh();
    prep(ledger, 'a.wav');
    expect(() => ledger.transition({ name: 'a.wav', platform: PLATFORM, to: 'approved', actor: 't' })).toThrow(/Stage it first with `promptprep upload`/);
    driveTo(ledger, 'a.wav', 'awaiting-upload');
    expect(() => ledger.transition({ name: 'a.wav', platform: PLATFORM, to: 'approved', actor: 't' })).toThrow(/Record `promptprep review a.wav submitted` once you submitted it/);
    driveTo(ledger, 'a.wav', 'rejected');
    expect(() => ledger.transition({ name: 'a.wav', platform: PLATFORM, to: 'approved', actor: 't' })).toThrow(/A rejected file stays rejected/);
  });

  it('unknown prompts and versions are refused as such', () => {
    const { ledger } = fresh();
    prep(ledger, 'a.wav');
    expect(() => ledger.transition({ name: 'nope.wav', platform: PLATFORM, to: 'in-review', actor: 't' })).toThrow(TransitionError);
    expect(() => ledger.transition({ name: 'nope.wav', platform: PLATFORM, to: 'in-review', actor: 't' })).toThrow('No prompt or platform file named nope.wav');
    expect(() => ledger.transition({ name: 'a.wav', version: 3, platform: PLATFORM, to: 'awaiting-upload', actor: 't' })).toThrow('a.wav has no version 3; it has versions 1.');
    expect(() => ledger.setPromptInfo('nope.wav', { scene: 'waitVoice' })).toThrow(TransitionError);
  });
});

describe('history', () => {
  it('keeps every change with who made it, when, and the reason', () => {
    const { ledger, clock } = fresh();
    prep(ledger, 'h.wav', 'h', { actor: 'watcher' });
    clock.advance(HOUR);
    ledger.transition({ name: 'h.wav', platform: PLATFORM, to: 'awaiting-upload', actor: 'upload command' });
    clock.advance(HOUR);
    ledger.transition({ name: 'h.wav', platform: PLATFORM, to: 'in-review', actor: 'review command' });
    clock.advance(DAY);
    ledger.transition({ name: 'h.wav', platform: PLATFORM, to: 'rejected', actor: 'review command', reason: '背景噪音过大' });
    const events = ledger.events('h.wav');
    expect(events.map((e) => [e.from, e.to, e.actor, e.reason])).toEqual([
      [null, 'prepared', 'watcher', null],
      ['prepared', 'awaiting-upload', 'upload command', null],
      ['awaiting-upload', 'in-review', 'review command', null],
      ['in-review', 'rejected', 'review command', '背景噪音过大'],
    ]);
    expect(events.map((e) => e.at)).toEqual([
      '2026-01-05T10:00:00.000Z',
      '2026-01-05T11:00:00.000Z',
      '2026-01-05T12:00:00.000Z',
      '2026-01-06T12:00:00.000Z',
    ]);
    const v = ledger.findVersion('h.wav', PLATFORM);
    expect(v.reason).toBe('背景噪音过大');
    expect(ledger.status({ platform: PLATFORM })[0]).toMatchObject({ state: 'rejected', reason: '背景噪音过大', since: '2026-01-06T12:00:00.000Z' });
  });

  it('a rejection without a reason does not inherit an older one', () => {
    const { ledger } = fresh();
    prep(ledger, 'q.wav');
    driveTo(ledger, 'q.wav', 'awaiting-upload');
    ledger.transition({ name: 'q.wav', platform: PLATFORM, to: 'in-review', actor: 't', reason: 'submitted via 催审' });
    const v = ledger.transition({ name: 'q.wav', platform: PLATFORM, to: 'rejected', actor: 't' });
    expect(v.reason).toBeNull();
  });

  it('noteError keeps the state, records the error and raises attention', () => {
    const { ledger } = fresh();
    const { version } = prep(ledger, 'e.wav');
    driveTo(ledger, 'e.wav', 'in-review');
    ledger.noteError(version.versionId, PLATFORM, 'HTTP 503', 'cec client');
    const row = ledger.status({ platform: PLATFORM })[0]!;
    expect(row.state).toBe('in-review');
    expect(row.attention).toBe('last platform error: HTTP 503');
    expect(ledger.events('e.wav').at(-1)).toMatchObject({ from: 'in-review', to: 'in-review', actor: 'cec client', reason: 'error: HTTP 503' });
  });

  it('an upload left in uploading needs a person', () => {
    const { ledger } = fresh();
    prep(ledger, 'u.wav');
    ledger.transition({ name: 'u.wav', platform: PLATFORM, to: 'uploading', actor: 't', remoteName: 'u.wav' });
    expect(ledger.status({ platform: PLATFORM })[0]!.attention).toMatch(/never recorded; check the platform for u\.wav/);
  });

  it('finds a version by remote id, and keeps unmatched callbacks', () => {
    const { ledger } = fresh();
    prep(ledger, 'c.wav');
    ledger.transition({ name: 'c.wav', platform: 'huawei-cec', to: 'uploading', actor: 't' });
    ledger.transition({ name: 'c.wav', platform: 'huawei-cec', to: 'in-review', actor: 't', remoteId: '1182733043937561608' });
    expect(ledger.findByRemoteId('huawei-cec', '1182733043937561608')).toMatchObject({ name: 'c.wav', state: 'in-review' });
    expect(ledger.findByRemoteId('huawei-cec', '42')).toBeNull();
    // Review state is per platform: the console knows nothing of it.
    expect(ledger.findVersion('c.wav', PLATFORM).state).toBe('prepared');
    ledger.recordUnmatchedCallback('huawei-cec', '42', '{"status":"2"}');
    expect(ledger.unmatchedCallbacks('huawei-cec')).toEqual([
      { remoteId: '42', body: '{"status":"2"}', count: 1, firstReceivedAt: '2026-01-05T10:00:00.000Z', receivedAt: '2026-01-05T10:00:00.000Z' },
    ]);
  });
});

describe('recordPrepared', () => {
  it('the same bytes again are no new version; new bytes are the next', () => {
    const { ledger, clock } = fresh();
    const first = prep(ledger, 'w.wav', 'one', { scene: 'waitVoice', description: 'Hold music' });
    expect(first.created).toBe(true);
    expect(first.version).toMatchObject({ number: 1, state: 'prepared', scene: 'waitVoice', description: 'Hold music', sha256: sha('one') });
    clock.advance(HOUR);
    const again = prep(ledger, 'w.wav', 'one', { filePath: '/elsewhere/w.wav' });
    expect(again.created).toBe(false);
    expect(again.version).toMatchObject({ number: 1, filePath: '/elsewhere/w.wav', scene: 'waitVoice' });
    expect(ledger.versions('w.wav', PLATFORM)).toHaveLength(1);
    expect(ledger.events('w.wav')).toHaveLength(1);

    const second = prep(ledger, 'w.wav', 'two');
    expect(second.created).toBe(true);
    expect(second.version).toMatchObject({ number: 2, state: 'prepared', sha256: sha('two'), createdAt: '2026-01-05T11:00:00.000Z' });
    // Back to the first bytes: still a new version, since the latest differs.
    expect(prep(ledger, 'w.wav', 'one').version.number).toBe(3);
    expect(ledger.versions('w.wav', PLATFORM).map((v) => v.number)).toEqual([1, 2, 3]);
  });

  it('keeps the scene and description unless new ones are given', () => {
    const { ledger } = fresh();
    prep(ledger, 's.wav', 'a', { scene: 'callerHintTone', description: 'first' });
    prep(ledger, 's.wav', 'b');
    expect(ledger.findVersion('s.wav', PLATFORM)).toMatchObject({ scene: 'callerHintTone', description: 'first' });
    prep(ledger, 's.wav', 'c', { scene: 'calleeHintTone' });
    expect(ledger.findVersion('s.wav', PLATFORM)).toMatchObject({ scene: 'calleeHintTone', description: 'first' });
    ledger.setPromptInfo('s.wav', { description: 'second' });
    expect(ledger.findVersion('s.wav', PLATFORM)).toMatchObject({ scene: 'calleeHintTone', description: 'second' });
  });
});

describe('approval supersedes older versions', () => {
  it('an approved older version becomes superseded, with the replacement named', () => {
    const { ledger } = fresh();
    prep(ledger, 'x.wav', 'v1');
    approveLatest(ledger, 'x.wav');
    prep(ledger, 'x.wav', 'v2');
    const v2 = approveLatest(ledger, 'x.wav', 'bob');
    expect(v2).toMatchObject({ number: 2, state: 'approved', platformName: 'x-v2.wav' });
    const v1 = ledger.findVersion('x.wav', PLATFORM, 1);
    expect(v1).toMatchObject({ state: 'superseded', reason: 'replaced by version 2 (x-v2.wav)', platformName: 'x.wav' });
    expect(ledger.events('x.wav').at(-1)).toMatchObject({ version: 1, from: 'approved', to: 'superseded', actor: 'bob' });
    const row = ledger.status({ platform: PLATFORM })[0]!;
    expect(row).toMatchObject({ version: 2, state: 'approved', inUse: { version: 2, platformName: 'x-v2.wav' }, deletable: [{ version: 1, platformName: 'x.wav' }] });
    // Deleting the old file in the console retires it; nothing is left to delete.
    ledger.transition({ name: 'x.wav', version: 1, platform: PLATFORM, to: 'retired', actor: 'bob' });
    expect(ledger.status({ platform: PLATFORM })[0]!.deletable).toEqual([]);
  });

  it('in-review and never-uploaded older versions are superseded; rejected ones stay rejected', () => {
    const { ledger } = fresh();
    prep(ledger, 'y.wav', 'v1');
    driveTo(ledger, 'y.wav', 'rejected');
    const v2 = prep(ledger, 'y.wav', 'v2').version;
    expect(ledger.assignPlatformName(v2.versionId, PLATFORM, 128, '.wav')).toBe('y-v2.wav');
    driveTo(ledger, 'y.wav', 'in-review');
    prep(ledger, 'y.wav', 'v3');
    prep(ledger, 'y.wav', 'v4');
    approveLatest(ledger, 'y.wav');
    expect(ledger.versions('y.wav', PLATFORM).map((v) => [v.number, v.state])).toEqual([
      [1, 'rejected'],
      [2, 'superseded'],
      [3, 'superseded'],
      [4, 'approved'],
    ]);
    // Version 3 never had a platform name: nothing to delete for it.
    expect(ledger.status({ platform: PLATFORM })[0]).toMatchObject({ inUse: { version: 4, platformName: 'y-v4.wav' }, deletable: [{ version: 2, platformName: 'y-v2.wav' }] });
  });

  it('approving an older version leaves newer ones alone', () => {
    const { ledger } = fresh();
    prep(ledger, 'z.wav', 'v1');
    const v1 = ledger.findVersion('z.wav', PLATFORM);
    ledger.assignPlatformName(v1.versionId, PLATFORM, 128, '.wav');
    driveTo(ledger, 'z.wav', 'in-review');
    prep(ledger, 'z.wav', 'v2');
    ledger.transition({ name: 'z.wav', version: 1, platform: PLATFORM, to: 'approved', actor: 't' });
    const row = ledger.status({ platform: PLATFORM })[0]!;
    expect(row).toMatchObject({ version: 2, state: 'prepared', inUse: { version: 1, platformName: 'z.wav' }, deletable: [] });
  });
});

describe('platform names', () => {
  it('the plain name until an earlier version reached the platform, then <stem>-vN.wav', () => {
    const { ledger } = fresh();
    const v1 = prep(ledger, 'p.wav', 'v1').version;
    // Version 1 was never staged: version 2 may still take the plain name.
    const v2 = prep(ledger, 'p.wav', 'v2').version;
    expect(ledger.assignPlatformName(v2.versionId, PLATFORM, 128, '.wav')).toBe('p.wav');
    expect(ledger.assignPlatformName(v2.versionId, PLATFORM, 128, '.wav')).toBe('p.wav');
    expect(ledger.findVersion('p.wav', PLATFORM, 1).platformName).toBeNull();
    driveTo(ledger, 'p.wav', 'in-review');
    const v3 = prep(ledger, 'p.wav', 'v3').version;
    expect(ledger.assignPlatformName(v3.versionId, PLATFORM, 128, '.wav')).toBe('p-v3.wav');
    expect(v1.platformName).toBeNull();
    // The platform name finds its version.
    expect(ledger.findVersion('p-v3.wav', PLATFORM)).toMatchObject({ number: 3 });
    expect(ledger.transition({ name: 'p-v3.wav', platform: PLATFORM, to: 'awaiting-upload', actor: 't' })).toMatchObject({ number: 3, state: 'awaiting-upload' });
  });

  it.each(['in-review', 'rejected', 'approved', 'uploading'] as const)('an earlier version %s means a -vN name', (state) => {
    const { ledger } = fresh();
    prep(ledger, 'q.wav', 'v1');
    driveTo(ledger, 'q.wav', state);
    const v2 = prep(ledger, 'q.wav', 'v2').version;
    expect(ledger.assignPlatformName(v2.versionId, PLATFORM, 128, '.wav')).toBe('q-v2.wav');
  });

  it('an earlier version staged under the plain name (awaiting upload) means a -vN name, not a clash', () => {
    const { ledger } = fresh();
    const v1 = prep(ledger, 'a.wav', 'v1').version;
    expect(ledger.assignPlatformName(v1.versionId, PLATFORM, 128, '.wav')).toBe('a.wav');
    driveTo(ledger, 'a.wav', 'awaiting-upload');
    const v2 = prep(ledger, 'a.wav', 'v2').version;
    expect(ledger.assignPlatformName(v2.versionId, PLATFORM, 128, '.wav')).toBe('a-v2.wav');
  });

  it('a name another prompt already uses is refused', () => {
    const { ledger } = fresh();
    const other = prep(ledger, 'b-v2.wav').version;
    ledger.assignPlatformName(other.versionId, PLATFORM, 128, '.wav');
    prep(ledger, 'b.wav', 'v1');
    driveTo(ledger, 'b.wav', 'in-review');
    const v2 = prep(ledger, 'b.wav', 'v2').version;
    expect(() => ledger.assignPlatformName(v2.versionId, PLATFORM, 128, '.wav')).toThrow(/b-v2\.wav for b\.wav version 2 is already used by another prompt/);
    expect(ledger.findVersion('b.wav', PLATFORM, 2).platformName).toBeNull();
  });

  it('a long name is shortened to fit the limit', () => {
    const long = `${'n'.repeat(124)}.wav`;
    const out = platformVersionName(long, 12, 128, '.wav');
    expect(out).toHaveLength(128);
    expect(out.endsWith('-v12.wav')).toBe(true);
    expect(platformVersionName('wait_voice1.wav', 3, 128, '.wav')).toBe('wait_voice1-v3.wav');
  });
});

describe('overdue reviews (injected clock, working days)', () => {
  it('addWorkingDays skips weekends', () => {
    const d = (iso: string) => new Date(iso);
    // 2026-01-02 is a Friday.
    expect(addWorkingDays(d('2026-01-07T10:00:00Z'), 1).toISOString()).toBe('2026-01-08T10:00:00.000Z'); // Wed → Thu
    expect(addWorkingDays(d('2026-01-02T10:00:00Z'), 1).toISOString()).toBe('2026-01-05T10:00:00.000Z'); // Fri → Mon
    expect(addWorkingDays(d('2026-01-03T10:00:00Z'), 1).toISOString()).toBe('2026-01-05T10:00:00.000Z'); // Sat → Mon
    expect(addWorkingDays(d('2026-01-04T10:00:00Z'), 1).toISOString()).toBe('2026-01-05T10:00:00.000Z'); // Sun → Mon
    expect(addWorkingDays(d('2026-01-01T10:00:00Z'), 2).toISOString()).toBe('2026-01-05T10:00:00.000Z'); // Thu → Mon
    expect(addWorkingDays(d('2026-01-02T10:00:00Z'), 5).toISOString()).toBe('2026-01-09T10:00:00.000Z'); // a week
    expect(addWorkingDays(d('2026-01-05T10:00:00Z'), 0.5).toISOString()).toBe('2026-01-05T22:00:00.000Z');
    expect(isOverdue(d('2026-01-02T10:00:00Z'), d('2026-01-05T10:00:00Z'), 1)).toBe(false);
    expect(isOverdue(d('2026-01-02T10:00:00Z'), d('2026-01-05T10:00:00.001Z'), 1)).toBe(true);
  });

  it('the china calendar skips official holidays and counts make-up working days (调休), on Beijing dates', () => {
    const d = (iso: string) => new Date(iso);
    const due = (iso: string, cal: 'china' | 'weekends') => addWorkingDays(d(iso), 1, cal).toISOString();
    // Wednesday 30 Sep 2026, 10:00 in Beijing, before the National Day break (1-7 Oct).
    expect(due('2026-09-30T02:00:00Z', 'weekends')).toBe('2026-10-01T02:00:00.000Z');
    expect(due('2026-09-30T02:00:00Z', 'china')).toBe('2026-10-08T02:00:00.000Z');
    // Friday 13 Feb 2026, before the Spring Festival (15-23 Feb): Saturday 14 Feb is a make-up working day.
    expect(due('2026-02-13T02:00:00Z', 'weekends')).toBe('2026-02-16T02:00:00.000Z');
    expect(due('2026-02-13T02:00:00Z', 'china')).toBe('2026-02-14T02:00:00.000Z');
    expect(due('2026-02-14T02:00:00Z', 'china')).toBe('2026-02-24T02:00:00.000Z');
    // 23:30 UTC on Friday 2 Jan 2026 is Saturday 3 Jan in Beijing (New Year holiday); Sunday
    // 4 Jan is a make-up working day there. Counted in UTC dates, it would be Monday.
    expect(due('2026-01-02T23:30:00Z', 'china')).toBe('2026-01-03T23:30:00.000Z');
    expect(due('2026-01-02T23:30:00Z', 'weekends')).toBe('2026-01-05T23:30:00.000Z');
    expect(isOverdue(d('2026-09-30T02:00:00Z'), d('2026-10-05T02:00:00Z'), 1, 'china')).toBe(false);
    expect(isOverdue(d('2026-09-30T02:00:00Z'), d('2026-10-05T02:00:00Z'), 1, 'weekends')).toBe(true);
  });

  it('status counts in the calendar it is given, and says when each review is due', () => {
    const clock = new TestClock('2026-09-30T02:00:00.000Z');
    const { ledger } = fresh(clock);
    prep(ledger, 'n.wav');
    driveTo(ledger, 'n.wav', 'in-review');
    clock.set('2026-10-06T02:00:00.000Z'); // in the middle of the National Day break
    const row = (calendar: 'china' | 'weekends') => ledger.status({ platform: PLATFORM, calendar })[0]!;
    expect(row('china')).toMatchObject({ overdue: false, reviewDue: '2026-10-08T02:00:00.000Z' });
    expect(row('weekends')).toMatchObject({ overdue: true, reviewDue: '2026-10-01T02:00:00.000Z' });
    expect(ledger.status({ platform: PLATFORM })[0]).toMatchObject({ overdue: true }); // weekends by default
  });

  it('a review submitted on Friday is not overdue over the weekend, and is on Monday after the hour', () => {
    const clock = new TestClock('2026-01-02T10:00:00.000Z');
    const { ledger } = fresh(clock);
    prep(ledger, 'f.wav');
    driveTo(ledger, 'f.wav', 'in-review');
    const overdue = (days?: number) => ledger.status({ platform: PLATFORM, ...(days ? { overdueWorkingDays: days } : {}) })[0]!.overdue;
    clock.set('2026-01-02T23:00:00.000Z');
    expect(overdue()).toBe(false);
    clock.set('2026-01-04T23:59:00.000Z'); // Sunday night
    expect(overdue()).toBe(false);
    clock.set('2026-01-05T09:59:00.000Z'); // Monday, before the hour it was submitted
    expect(overdue()).toBe(false);
    clock.set('2026-01-05T10:01:00.000Z');
    expect(overdue()).toBe(true);
    expect(overdue(2)).toBe(false);
    clock.set('2026-01-06T10:01:00.000Z');
    expect(overdue(2)).toBe(true);
    expect(ledger.status({ platform: PLATFORM, overdueWorkingDays: 2 })[0]).toMatchObject({ name: 'f.wav', state: 'in-review', overdue: true });
    // Approval ends it.
    ledger.transition({ name: 'f.wav', platform: PLATFORM, to: 'approved', actor: 't' });
    expect(overdue()).toBe(false);
  });

  it('only reviews can be overdue: a file waiting to be uploaded or rejected is not', () => {
    const clock = new TestClock('2026-01-05T10:00:00.000Z');
    const { ledger } = fresh(clock);
    prep(ledger, 'w.wav');
    driveTo(ledger, 'w.wav', 'awaiting-upload');
    prep(ledger, 'r.wav');
    driveTo(ledger, 'r.wav', 'rejected');
    clock.advance(30 * DAY);
    expect(ledger.status({ platform: PLATFORM }).map((r) => r.overdue)).toEqual([false, false]);
  });
});

describe('status', () => {
  it('one row per prompt about its latest version, filtered by scene and state', () => {
    const { ledger } = fresh();
    prep(ledger, 'a.wav', 'a', { scene: 'callerHintTone' });
    prep(ledger, 'b.wav', 'b', { scene: 'callerHintTone' });
    driveTo(ledger, 'b.wav', 'in-review');
    prep(ledger, 'c.wav', 'c1', { scene: 'waitVoice' });
    approveLatest(ledger, 'c.wav');
    prep(ledger, 'c.wav', 'c2');
    prep(ledger, 'd.wav', 'd');
    const all = ledger.status({ platform: PLATFORM });
    expect(all.map((r) => [r.name, r.version, r.state, r.scene])).toEqual([
      ['a.wav', 1, 'prepared', 'callerHintTone'],
      ['b.wav', 1, 'in-review', 'callerHintTone'],
      ['c.wav', 2, 'prepared', 'waitVoice'],
      ['d.wav', 1, 'prepared', null],
    ]);
    expect(all[2]!.inUse).toEqual({ version: 1, platformName: 'c.wav' });
    expect(ledger.status({ platform: PLATFORM, scene: 'callerHintTone' }).map((r) => r.name)).toEqual(['a.wav', 'b.wav']);
    expect(ledger.status({ platform: PLATFORM, state: 'prepared' }).map((r) => r.name)).toEqual(['a.wav', 'c.wav', 'd.wav']);
    expect(ledger.status({ platform: PLATFORM, scene: 'callerHintTone', state: 'prepared' }).map((r) => r.name)).toEqual(['a.wav']);
    expect(ledger.status({ platform: PLATFORM, state: 'approved' })).toEqual([]);
    // Another platform sees every version as merely prepared.
    expect(ledger.status({ platform: 'huawei-cec' }).every((r) => r.state === 'prepared' && r.inUse === null)).toBe(true);
  });
});

describe('the file', () => {
  it('reopening keeps the schema version and the data', () => {
    const clock = new TestClock();
    const { ledger, file } = fresh(clock);
    prep(ledger, 'm.wav', 'v1', { scene: 'waitVoice' });
    approveLatest(ledger, 'm.wav');
    prep(ledger, 'm.wav', 'v2');
    const before = { status: ledger.status({ platform: PLATFORM }), events: ledger.events('m.wav') };
    ledger.close();
    for (let i = 0; i < 2; i++) {
      const again = Ledger.open(file, { now: clock.now });
      open.push(again);
      expect(again.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(again.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(again.status({ platform: PLATFORM })).toEqual(before.status);
      expect(again.events('m.wav')).toEqual(before.events);
      again.close();
    }
    const ro = Ledger.open(file, { readonly: true, now: clock.now });
    open.push(ro);
    expect(ro.status({ platform: PLATFORM })).toEqual(before.status);
    ro.close();
    expect(ledgerViolations(file)).toEqual([]);
  });

  it('an empty database file is migrated in place', () => {
    const file = path.join(dir, 'empty.sqlite');
    new Database(file).close();
    const l = Ledger.open(file);
    open.push(l);
    expect(l.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(l.status({ platform: PLATFORM })).toEqual([]);
  });

  it('a ledger written by schema 1 is upgraded in place, its data kept', () => {
    const file = path.join(dir, 'schema1.sqlite');
    const db = new Database(file);
    db.exec(MIGRATIONS[0] as string);
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO prompts (name, created_at, updated_at) VALUES ('old.wav', 'x', 'x')").run();
    db.prepare(
      "INSERT INTO versions (prompt_id, number, sha256, bytes, duration_seconds, platform_name, created_at) VALUES (1, 1, 'abc', 100, 1, 'old.wav', 'x')",
    ).run();
    db.close();
    const l = Ledger.open(file);
    open.push(l);
    expect(l.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThan(1);
    const indexes = (l.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toContain('versions_platform_name');
    expect(l.findVersion('old.wav', PLATFORM).sha256).toBe('abc');
  });

  it('a ledger from a newer promptprep is refused, untouched', () => {
    const file = path.join(dir, 'newer.sqlite');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => Ledger.open(file)).toThrow(/written by a newer promptprep \(schema \d+; this one knows up to \d+\)\. Upgrade promptprep\./);
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    check.close();
  });

  it('the ledger invariants hold after every kind of change', () => {
    const { ledger, file } = fresh();
    for (const [from, to] of LEGAL) {
      const name = `i-${from}-${to}.wav`;
      prep(ledger, name);
      driveTo(ledger, name, from);
      ledger.transition({ name, platform: PLATFORM, to, actor: 't' });
    }
    prep(ledger, 'i.wav', 'v1');
    approveLatest(ledger, 'i.wav');
    prep(ledger, 'i.wav', 'v2');
    approveLatest(ledger, 'i.wav');
    expect(ledgerViolations(file)).toEqual([]);
  });
});

describe('statements', () => {
  it('are prepared once a ledger, however many prompts are recorded', () => {
    const { ledger } = fresh();
    const prepare = vi.spyOn(ledger.db, 'prepare');
    prep(ledger, 'warm-1.wav');
    prep(ledger, 'warm-1.wav');
    prep(ledger, 'warm-1.wav', 'other bytes');
    const afterWarmUp = prepare.mock.calls.length;
    expect(afterWarmUp).toBeGreaterThan(0);
    for (let i = 0; i < 50; i++) {
      prep(ledger, `p-${i}.wav`);
      prep(ledger, `p-${i}.wav`);
      prep(ledger, `p-${i}.wav`, `v2 of ${i}`);
    }
    expect(prepare.mock.calls.length).toBe(afterWarmUp);
    expect(ledger.status({ platform: PLATFORM })).toHaveLength(51);
  });
});

describe('recordConversions', () => {
  const converted = (name: string): ConvertFileResult => ({
    source: `/in/${name}.mp3`,
    output: `/out/${name}.wav`,
    status: 'converted',
    errors: [],
    warnings: [],
    stats: { sha256: sha(name), bytes: 64058, durationSeconds: 4, sourceSha256: sha(`src ${name}`) } as ConvertFileResult['stats'],
  });
  const report = (names: string[]): ConvertReport => ({
    files: names.map(converted),
    summary: { total: names.length, converted: names.length, skipped: 0, failed: 0, planned: 0 },
  });

  it('records a batch in one transaction: all of it, or none of it when one prompt fails', () => {
    const { ledger } = fresh();
    expect(recordConversions(ledger, report(['a', 'b', 'c']), defaultConfig(), 'test')).toBe(3);
    expect(ledger.status({ platform: PLATFORM }).map((r) => r.name)).toEqual(['a.wav', 'b.wav', 'c.wav']);

    const real = ledger.recordPrepared.bind(ledger);
    let calls = 0;
    vi.spyOn(ledger, 'recordPrepared').mockImplementation((p) => {
      if (++calls === 2) throw new Error('disk full');
      return real(p);
    });
    expect(() => recordConversions(ledger, report(['d', 'e', 'f']), defaultConfig(), 'test')).toThrow('disk full');
    expect(ledger.status({ platform: PLATFORM }).map((r) => r.name)).toEqual(['a.wav', 'b.wav', 'c.wav']);
  });
});
