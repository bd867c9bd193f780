/**
 * The review workflow through the built CLI in a project directory: convert → status →
 * upload (outbox + checklist) → review → a replacement version → the old file retired;
 * rejections with their reason, refused transitions, `status --fail-on` and `--json`,
 * and `bindings` for every mode.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noSceneHint } from '../src/catalog.js';
import { Ledger } from '../src/ledger/ledger.js';
import { approveLatest, driveTo, ledgerViolations, PLATFORM, prep } from './helpers/ledger-fixtures.js';
import { ok, Project, show } from './helpers/ledger-project.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let root: string;
let count = 0;

beforeAll(async () => {
  root = await makeTempDir('promptprep-ledger-cli-');
});
afterAll(async () => {
  await removeTempDir(root);
});

const project = (config: Record<string, unknown> = {}) => Project.create(path.join(root, `p${++count}`), config);

describe('a prompt from conversion to the old version retired', () => {
  it('walks the whole replacement cycle', async () => {
    const p = await project({ prompts: { 'wait_voice1.wav': { scene: 'callerHintTone', description: 'Ringback for callers' } } });
    await p.source('wait_voice1.wav', { frequency: 440 });
    ok(await p.convert());

    let { json } = await p.status();
    expect(json.prompts).toHaveLength(1);
    expect(json.prompts[0]).toMatchObject({ name: 'wait_voice1.wav', version: 1, state: 'prepared', scene: 'callerHintTone', description: 'Ringback for callers', inUse: null });

    // upload: the file staged under its platform name, and the checklist.
    let res = ok(await p.run(['upload']));
    const staged1 = p.path('outbox', 'wait_voice1.wav');
    expect(await fs.readFile(staged1)).toEqual(await fs.readFile(p.path('prompts', 'wait_voice1.wav')));
    expect(res.stdout).toContain('Upload 1 file(s) in the Huawei Cloud console:');
    expect(res.stdout).toContain('放音文件管理');
    expect(res.stdout).toContain(`[ ] 1. ${staged1}`);
    expect(res.stdout).toContain('文件说明 (description): Ringback for callers');
    expect(res.stdout).toMatch(/scene: callerHintTone\s+version: 1/);
    expect(res.stdout).not.toContain('replaces');
    expect(res.stdout).toContain('promptprep review <file> submitted');
    ({ json } = await p.status());
    expect(json.prompts[0]).toMatchObject({ state: 'awaiting-upload', platformName: 'wait_voice1.wav' });
    // Nothing new to stage; the checklist still lists what waits in the outbox.
    res = ok(await p.run(['upload']));
    expect(res.stdout).toContain(`[ ] 1. ${staged1}   (staged earlier, not yet recorded as submitted)`);

    // Approving before submitting is refused: exit 2, one clear sentence, nothing changed.
    res = ok(await p.run(['review', 'wait_voice1.wav', 'approved']), 2);
    expect(res.stderr).toContain('wait_voice1.wav version 1 is awaiting-upload on huawei-console; it cannot be recorded as approved.');
    expect(res.stderr).toContain('`promptprep review wait_voice1.wav submitted`');
    expect(res.stdout).toBe('');

    res = ok(await p.run(['review', 'wait_voice1.wav', 'submitted']));
    expect(res.stdout).toBe('wait_voice1.wav version 1 (wait_voice1.wav) is now in-review on huawei-console.\n');
    res = ok(await p.run(['review', 'wait_voice1.wav', 'approved']));
    expect(res.stdout).toBe('wait_voice1.wav version 1 (wait_voice1.wav) is now approved on huawei-console.\n');
    res = ok(await p.run(['bindings', '--mode', 'AX']));
    expect(res.stdout).toBe('{"preVoice":{"callerHintTone":"wait_voice1.wav"}}\n');

    // A new recording: version 2, staged as wait_voice1-v2.wav, replacing the approved file.
    await p.source('wait_voice1.wav', { frequency: 660 });
    ok(await p.convert());
    ({ json } = await p.status());
    expect(json.prompts[0]).toMatchObject({ version: 2, state: 'prepared', inUse: { version: 1, platformName: 'wait_voice1.wav' } });
    res = ok(await p.run(['upload']));
    const staged2 = p.path('outbox', 'wait_voice1-v2.wav');
    expect(await fs.readFile(staged2)).toEqual(await fs.readFile(p.path('prompts', 'wait_voice1.wav')));
    // The approved version 1 is no longer to upload: the outbox holds only the checklist.
    expect(await fs.readdir(p.path('outbox'))).toEqual(['wait_voice1-v2.wav']);
    expect(res.stdout).toContain('Taken out of outbox/ (submitted or replaced since): wait_voice1.wav');
    expect(res.stdout).toContain(`[ ] 1. ${staged2}`);
    expect(res.stdout).toMatch(/scene: callerHintTone\s+version: 2/);
    expect(res.stdout).toContain('replaces wait_voice1.wav: keep that file and its bindings until this one is approved');

    ok(await p.run(['review', 'wait_voice1-v2.wav', 'submitted']));
    // Bindings keep the approved file while the new one is in review.
    res = ok(await p.run(['bindings', '--mode', 'AXB']));
    expect(res.stdout).toBe('{"preVoice":{"callerHintTone":"wait_voice1.wav"}}\n');

    res = ok(await p.run(['review', 'wait_voice1-v2.wav', 'approved']));
    expect(res.stdout).toContain('wait_voice1.wav version 2 (wait_voice1-v2.wav) is now approved on huawei-console.');
    const retire = /recorded with: (promptprep review .+)$/m.exec(res.stdout);
    expect(retire, res.stdout).not.toBeNull();
    expect(res.stdout).toContain('Switch bindings to wait_voice1-v2.wav; then wait_voice1.wav (version 1) can be deleted in the console');

    ({ json } = await p.status());
    expect(json.prompts[0]).toMatchObject({
      version: 2,
      state: 'approved',
      inUse: { version: 2, platformName: 'wait_voice1-v2.wav' },
      deletable: [{ version: 1, platformName: 'wait_voice1.wav' }],
    });
    res = ok(await p.run(['status']));
    expect(res.stdout).toContain('wait_voice1.wav can be deleted in the console');
    res = ok(await p.run(['bindings', '--mode', 'AX']));
    expect(res.stdout).toBe('{"preVoice":{"callerHintTone":"wait_voice1-v2.wav"}}\n');

    // The command the approval printed retires the old file (it names the version).
    const args = (retire as RegExpExecArray)[1]!.split(' ').slice(1);
    expect(args).toEqual(['review', 'wait_voice1.wav', 'retired', '--version', '1']);
    res = ok(await p.run(args));
    expect(res.stdout).toBe('wait_voice1.wav version 1 (wait_voice1.wav) is now retired on huawei-console.\n');

    ({ json } = await p.status());
    expect(json.prompts[0]).toMatchObject({ version: 2, state: 'approved', deletable: [] });
    res = ok(await p.run(['status']));
    expect(res.stdout).not.toContain('can be deleted');
    ok(await p.run(['status', '--fail-on', 'rejected,overdue,attention']));

    const ledger = Ledger.open(p.ledgerFile, { readonly: true });
    try {
      expect(ledger.events('wait_voice1.wav').map((e) => [e.version, e.from, e.to, e.actor])).toEqual([
        [1, null, 'prepared', 'convert command'],
        [1, 'prepared', 'awaiting-upload', 'upload command'],
        [1, 'awaiting-upload', 'in-review', 'review command'],
        [1, 'in-review', 'approved', 'review command'],
        [2, null, 'prepared', 'convert command'],
        [2, 'prepared', 'awaiting-upload', 'upload command'],
        [2, 'awaiting-upload', 'in-review', 'review command'],
        [2, 'in-review', 'approved', 'review command'],
        [1, 'approved', 'superseded', 'review command'],
        [1, 'superseded', 'retired', 'review command'],
      ]);
    } finally {
      ledger.close();
    }
    expect(ledgerViolations(p.ledgerFile)).toEqual([]);
  });

  it('a second version staged before the first was submitted gets its own name and replaces it in the outbox', async () => {
    const p = await project();
    await p.source('x.wav', { frequency: 500 });
    ok(await p.convert());
    ok(await p.run(['upload']));
    await p.source('x.wav', { frequency: 700 });
    ok(await p.convert());
    const res = ok(await p.run(['upload', '--json']));
    const staged = JSON.parse(res.stdout) as { staged: { name: string; version: number; platformName: string; replaces: string | null }[]; problems: unknown[] };
    expect(staged).toMatchObject({ staged: [{ name: 'x.wav', version: 2, platformName: 'x-v2.wav', replaces: null, earlier: false }], removed: ['x.wav'], problems: [] });
    expect(staged.staged).toHaveLength(1);
    expect(await fs.readdir(p.path('outbox'))).toEqual(['x-v2.wav']);
    // Version 1 was never submitted: it is superseded, not left waiting.
    const { json } = await p.status();
    expect(json.prompts[0]).toMatchObject({ version: 2, state: 'awaiting-upload' });
    const ledger = Ledger.open(p.ledgerFile, { readonly: true });
    expect(ledger.findVersion('x.wav', PLATFORM, 1)).toMatchObject({ state: 'superseded', reason: 'replaced by version 2 (x-v2.wav) before it was submitted' });
    ledger.close();
  });
});

describe('rejections, refusals and --fail-on', () => {
  let p: Project;

  beforeAll(async () => {
    p = await project({ review: { overdueWorkingDays: 1 } });
    await p.source('a.wav', { frequency: 400 });
    await p.source('b.wav', { frequency: 800 });
    ok(await p.convert());
    ok(await p.run(['upload']));
    ok(await p.run(['review', 'a.wav', 'submitted']));
    ok(await p.run(['review', 'b.wav', 'submitted']));
  });

  it('a rejection keeps the reviewer\'s reason, and a rejected file stays rejected', async () => {
    let res = ok(await p.run(['review', 'a.wav', 'rejected', '--reason', '背景噪音过大，请重新录制']));
    expect(res.stdout).toBe('a.wav version 1 (a.wav) is now rejected on huawei-console.\n');
    const { json } = await p.status();
    expect(json.prompts.find((r) => r.name === 'a.wav')).toMatchObject({ state: 'rejected', reason: '背景噪音过大，请重新录制' });
    res = ok(await p.run(['status']));
    expect(res.stdout).toMatch(/a\.wav .*rejected .*背景噪音过大，请重新录制/);

    res = ok(await p.run(['review', 'a.wav', 'approved']), 2);
    expect(res.stderr).toBe(
      'promptprep: a.wav version 1 is rejected on huawei-console; it cannot be recorded as approved. A rejected file stays rejected; fix the recording and convert it again (a new version).\n',
    );
    res = ok(await p.run(['review', 'b.wav', 'retired']), 2);
    expect(res.stderr).toContain(
      'b.wav version 1 is in-review on huawei-console; it cannot be recorded as retired. You can record `promptprep review b.wav approved` or `promptprep review b.wav rejected --reason "<审核说明>"`.',
    );
    expect(res.stderr).not.toMatch(/awaiting-upload|superseded|can become/);
    res = ok(await p.run(['review', 'nope.wav', 'submitted']), 2);
    expect(res.stderr).toContain('No prompt or platform file named nope.wav in the ledger.');
    res = ok(await p.run(['review', 'a.wav', 'accepted']), 2);
    expect(res.stderr).toContain('action must be one of: submitted, approved, rejected, retired (got "accepted")');
    res = ok(await p.run(['review', 'a.wav', 'submitted', '--version', '7']), 2);
    expect(res.stderr).toContain('a.wav has no version 7; it has versions 1.');
  });

  it('--fail-on rejected,overdue exits 1 while anything needs a person, 0 once nothing does', async () => {
    let res = ok(await p.run(['status', '--fail-on', 'rejected']), 1);
    expect(res.stderr).toBe('1 prompt(s) match --fail-on rejected: a.wav\n');
    ok(await p.run(['status', '--fail-on', 'overdue']));

    // There is no clock flag: the review of b.wav started long ago.
    const changed = p.sql("UPDATE reviews SET since = '2020-01-03T10:00:00.000Z' WHERE state = 'in-review'");
    expect(changed.changes).toBe(1);
    let { res: r2, json } = await p.status('--fail-on', 'rejected,overdue');
    expect(r2.code, show(r2)).toBe(1);
    expect(json.failing).toEqual(['a.wav', 'b.wav']);
    expect(json.prompts.find((x) => x.name === 'b.wav')).toMatchObject({ state: 'in-review', overdue: true });
    expect(json.summary).toMatchObject({ total: 2, overdue: 1, rejected: 1, 'in-review': 1 });
    res = ok(await p.run(['status', '--fail-on', 'overdue']), 1);
    expect(res.stderr).toBe('1 prompt(s) match --fail-on overdue: b.wav\n');
    res = ok(await p.run(['status']));
    expect(res.stdout).toMatch(/b\.wav .*OVERDUE: ask for review \(催审\)/);
    // Filters narrow what is judged.
    ok(await p.run(['status', '--state', 'in-review', '--fail-on', 'rejected']));
    ok(await p.run(['status', '--fail-on', 'bogus']), 2);
    ok(await p.run(['status', '--state', 'bogus']), 2);
    ok(await p.run(['status', '--scene', 'bogus']), 2);

    // b.wav approved, a.wav re-recorded: nothing needs a person.
    ok(await p.run(['review', 'b.wav', 'approved']));
    await p.source('a.wav', { frequency: 450 });
    ok(await p.convert());
    ({ res: r2, json } = await p.status('--fail-on', 'rejected,overdue'));
    expect(r2.code, show(r2)).toBe(0);
    expect(r2.stderr).toBe('');
    expect(json.failing).toEqual([]);
    expect(json.prompts.map((x) => [x.name, x.version, x.state])).toEqual([
      ['a.wav', 2, 'prepared'],
      ['b.wav', 1, 'approved'],
    ]);
  });
});

describe('status --json', () => {
  it('has one entry per prompt with every field, a summary and the failing list', async () => {
    const p = await project();
    const { res, json } = await p.status();
    expect(res.code).toBe(0);
    expect(json).toMatchObject({
      prompts: [],
      summary: { total: 0, overdue: 0, attention: 0, prepared: 0, 'awaiting-upload': 0, uploading: 0, 'in-review': 0, approved: 0, rejected: 0, superseded: 0, retired: 0 },
      failing: [],
    });
    const text = await p.run(['status']);
    expect(text.stdout).toContain('No prompts in the ledger yet.');

    const ledger = Ledger.open(p.ledgerFile);
    prep(ledger, 'one.wav', 'one', { scene: 'waitVoice', description: 'Please hold' });
    ledger.close();
    const again = await p.status();
    expect(Object.keys(again.json.prompts[0]!).sort()).toEqual(
      ['attention', 'deletable', 'description', 'inUse', 'name', 'overdue', 'platformName', 'reason', 'reviewDue', 'scene', 'since', 'state', 'version'].sort(),
    );
    expect(again.json.prompts[0]).toMatchObject({ name: 'one.wav', scene: 'waitVoice', description: 'Please hold', version: 1, state: 'prepared', reason: null, platformName: null, inUse: null, overdue: false, attention: null, deletable: [] });
    expect(again.json.prompts[0]!.since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(again.json.summary).toMatchObject({ total: 1, prepared: 1 });
    // --scene filters; --ledger points elsewhere.
    expect((await p.status('--scene', 'callerHintTone')).json.prompts).toEqual([]);
    const other = await p.status('--ledger', p.path('other.sqlite'));
    expect(other.json.prompts).toEqual([]);
  });
});

describe('bindings', () => {
  let p: Project;

  beforeAll(async () => {
    p = await project();
    // A clock a second ahead at each read, so "approved later" is unambiguous.
    let t = Date.parse('2026-01-05T10:00:00.000Z');
    const ledger = Ledger.open(p.ledgerFile, { now: () => new Date((t += 1000)) });
    try {
      const approved = (name: string, scene: string) => {
        prep(ledger, name, `${name}-1`, { scene });
        approveLatest(ledger, name);
      };
      approved('ring.wav', 'callerHintTone');
      // Version 2 in review: bindings keep version 1.
      prep(ledger, 'ring.wav', 'ring-2');
      ledger.assignPlatformName(ledger.findVersion('ring.wav', PLATFORM).versionId, PLATFORM, 128, '.wav');
      driveTo(ledger, 'ring.wav', 'in-review');
      approved('callee.wav', 'calleeHintTone');
      approved('record-a.wav', 'recordHintTone');
      approved('record-b.wav', 'recordHintTone'); // approved later: it wins, with a note
      approved('x.wav', 'preVoiceX');
      prep(ledger, 'y.wav', 'y', { scene: 'preVoiceY' });
      driveTo(ledger, 'y.wav', 'rejected');
      approved('callback.wav', 'callbackTone');
      approved('wait.wav', 'waitVoice');
      prep(ledger, 'close.wav', 'close', { scene: 'closeHintTone' });
      driveTo(ledger, 'close.wav', 'in-review');
      // Approved, but for no binding parameter.
      approved('app.wav', 'app');
      // Approved with no scene at all.
      approved('plain.wav', 'waitVoice');
      ledger.db.prepare("UPDATE prompts SET scene = NULL WHERE name = 'plain.wav'").run();
    } finally {
      ledger.close();
    }
  });

  const cases: [string, string, string[]][] = [
    [
      'AX',
      '{"preVoice":{"callerHintTone":"ring.wav","calleeHintTone":"callee.wav"},"recordHintTone":"record-b.wav"}',
      [
        'recordHintTone: several approved prompts have the scene recordHintTone (record-a.wav, record-b.wav); using record-b.wav.',
        'lastMinVoice: no prompt has the scene lastMinVoice; left out.',
      ],
    ],
    [
      'AXB',
      '{"preVoice":{"callerHintTone":"ring.wav","calleeHintTone":"callee.wav"},"recordHintTone":"record-b.wav"}',
      [
        'recordHintTone: several approved prompts have the scene recordHintTone (record-a.wav, record-b.wav); using record-b.wav.',
        'lastMinVoice: no prompt has the scene lastMinVoice; left out.',
      ],
    ],
    [
      'AXYB',
      '{"preVoiceX":"x.wav","recordHintTone":"record-b.wav"}',
      [
        'preVoiceY: no prompt approved on huawei-console yet (y.wav is rejected); left out.',
        'recordHintTone: several approved prompts have the scene recordHintTone (record-a.wav, record-b.wav); using record-b.wav.',
      ],
    ],
    ['AXE', '{"callbackTone":"callback.wav"}', []],
    ['X', '{"waitVoice":"wait.wav"}', ['closeHintTone: no prompt approved on huawei-console yet (close.wav is in-review); left out.']],
  ];

  it.each(cases)('--mode %s prints only approved names, and says what is missing', async (mode, fragment, notes) => {
    const res = ok(await p.run(['bindings', '--mode', mode]));
    expect(res.stdout).toBe(`${fragment}\n`);
    // plain.wav, approved with no scene, is named with how to give it one.
    expect(res.stderr).toBe([...notes, noSceneHint(['plain.wav'])].map((n) => `${n}\n`).join(''));
    // Never a name that is not approved.
    for (const unapproved of ['ring-v2.wav', 'y.wav', 'close.wav']) expect(res.stdout).not.toContain(unapproved);
  });

  it('an empty ledger gives an empty fragment and a note per parameter', async () => {
    const empty = await project();
    const res = ok(await empty.run(['bindings', '--mode', 'X']));
    expect(res.stdout).toBe('{}\n');
    expect(res.stderr).toBe('waitVoice: no prompt has the scene waitVoice; left out.\ncloseHintTone: no prompt has the scene closeHintTone; left out.\n');
  });

  it('an unknown or missing mode is a usage error', async () => {
    let res = await p.run(['bindings', '--mode', 'AXZ']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("argument 'AXZ' is invalid. Allowed choices are AX, AXB, AXYB, AXE, X.");
    res = await p.run(['bindings']);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
  });
});
