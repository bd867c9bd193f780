/**
 * One truth for the whole workflow (issue #13): every command resolves the platform the
 * same way and says which one it speaks of, a retried review step is a no-op, the config
 * is the truth for scene and description, and the console outbox holds the checklist.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentPromptInfo } from '../src/catalog.js';
import { ok, Project, show } from './helpers/ledger-project.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let root: string;
let count = 0;

beforeAll(async () => {
  root = await makeTempDir('promptprep-one-truth-');
});
afterAll(async () => {
  await removeTempDir(root);
});

const project = (config: Record<string, unknown> = {}) => Project.create(path.join(root, `p${++count}`), config);

describe('one platform for every command (flag, then config, then huawei-console)', () => {
  it('review follows "upload.platform" in the config as status and bindings do, and names it', async () => {
    const p = await project({ upload: { platform: 'huawei-cec' }, prompts: { 'welcome.wav': { scene: 'callerHintTone' } } });
    await p.source('welcome.wav');
    ok(await p.convert());
    // What an upload through the CEC API leaves: the version in review there.
    p.sql(
      "INSERT INTO reviews (version_id, platform, state, since, remote_id, remote_name) SELECT id, 'huawei-cec', 'in-review', '2026-01-05T10:00:00.000Z', 'f-1', 'welcome' FROM versions",
    );
    let res = ok(await p.run(['review', 'welcome.wav', 'approved']));
    expect(res.stdout).toBe('welcome.wav version 1 is now approved on huawei-cec.\n');
    const { json } = await p.status();
    expect(json).toMatchObject({ platform: 'huawei-cec' });
    expect(json.prompts[0]).toMatchObject({ name: 'welcome.wav', state: 'approved' });
    res = ok(await p.run(['status']));
    expect(res.stdout).toContain('1 prompt(s) on huawei-cec: 1 approved');
    res = ok(await p.run(['bindings', '--mode', 'AX']));
    expect(res.stdout).toBe('{"preVoice":{"callerHintTone":"welcome.wav"}}\n');

    // The flag still wins, and the console knows nothing of that approval.
    res = ok(await p.run(['review', 'welcome.wav', 'retired', '--platform', 'huawei-console']), 2);
    expect(res.stderr).toContain('welcome.wav version 1 is prepared on huawei-console;');
    res = ok(await p.run(['bindings', '--mode', 'AX', '--platform', 'huawei-console']));
    expect(res.stdout).toBe('{}\n');
    expect(res.stderr).toContain('preVoice.callerHintTone: no prompt approved on huawei-console yet (welcome.wav is prepared); left out.');
    res = ok(await p.run(['status', '--platform', 'huawei-console', '--json']));
    expect(JSON.parse(res.stdout)).toMatchObject({ platform: 'huawei-console', prompts: [{ state: 'prepared' }] });
  });

  it('an unknown platform is a usage error in every command, naming the ones there are', async () => {
    const p = await project();
    for (const args of [['status'], ['review', 'x.wav', 'approved'], ['bindings', '--mode', 'AX'], ['upload']]) {
      const res = ok(await p.run([...args, '--platform', 'huawei-cloud']), 2);
      expect(res.stderr).toContain('--platform must be one of: huawei-console, huawei-cec (got "huawei-cloud")');
    }
  });
});

describe('review: a retried step is a no-op; refusals say what to type', () => {
  it('`review X approved` twice exits 0 the second time and records nothing more', async () => {
    const p = await project();
    await p.source('a.wav');
    ok(await p.convert());
    ok(await p.run(['upload']));
    ok(await p.run(['review', 'a.wav', 'submitted']));
    let res = ok(await p.run(['review', 'a.wav', 'submitted']));
    expect(res.stdout).toBe('a.wav version 1 (a.wav) is already in-review on huawei-console; nothing to record.\n');
    ok(await p.run(['review', 'a.wav', 'approved']));
    res = ok(await p.run(['review', 'a.wav', 'approved']));
    expect(res.stdout).toBe('a.wav version 1 (a.wav) is already approved on huawei-console; nothing to record.\n');
    expect(res.stderr).toBe('');
  });

  it('a refusal names actions the user can type, not internal states', async () => {
    const p = await project();
    await p.source('b.wav');
    ok(await p.convert());
    let res = ok(await p.run(['review', 'b.wav', 'approved']), 2);
    expect(res.stderr).toBe(
      'promptprep: b.wav version 1 is prepared on huawei-console; it cannot be recorded as approved. ' +
        'Stage it first with `promptprep upload`, then record `promptprep review b.wav submitted` once you submitted it in the console (提交).\n',
    );
    ok(await p.run(['upload']));
    ok(await p.run(['review', 'b.wav', 'submitted']));
    res = ok(await p.run(['review', 'b.wav', 'retired']), 2);
    expect(res.stderr).toContain('You can record `promptprep review b.wav approved` or `promptprep review b.wav rejected --reason "<审核说明>"`.');
    expect(res.stderr).not.toMatch(/can become|superseded|awaiting-upload/);
  });
});

describe('the config is the truth for scene and description', () => {
  it('an entry added after conversion is seen at once by status, upload and bindings; no scene says how to give one', async () => {
    const p = await project();
    await p.source('welcome.wav');
    ok(await p.convert());
    let res = ok(await p.run(['status']));
    expect(res.stdout).toContain('welcome.wav has no scene, so no binding uses it: name one in promptprep.config.json, e.g. "prompts": {"welcome.wav": {"scene": "callerHintTone"}}');
    res = ok(await p.run(['bindings', '--mode', 'AXB']));
    expect(res.stdout).toBe('{}\n');
    expect(res.stderr).toContain('welcome.wav has no scene');

    // Added to the config later; no conversion.
    await p.writeConfig({ prompts: { 'welcome.wav': { scene: 'callerHintTone', description: 'Welcome ringback' } } });
    let { json } = await p.status();
    expect(json.prompts[0]).toMatchObject({ name: 'welcome.wav', scene: 'callerHintTone', description: 'Welcome ringback' });
    res = ok(await p.run(['status']));
    expect(res.stdout).not.toContain('has no scene');
    expect((await p.status('--scene', 'callerHintTone')).json.prompts.map((r) => r.name)).toEqual(['welcome.wav']);
    res = ok(await p.run(['upload']));
    expect(res.stdout).toContain('文件说明 (description): Welcome ringback');
    expect(res.stdout).toMatch(/scene: callerHintTone\s+version: 1/);
    ok(await p.run(['review', 'welcome.wav', 'submitted']));
    ok(await p.run(['review', 'welcome.wav', 'approved']));
    res = ok(await p.run(['bindings', '--mode', 'AXB']));
    expect(res.stdout).toBe('{"preVoice":{"callerHintTone":"welcome.wav"}}\n');

    // Changed again: seen at once, too.
    await p.writeConfig({ prompts: { 'welcome.wav': { scene: 'calleeHintTone', description: 'Ringback for callees' } } });
    ({ json } = await p.status());
    expect(json.prompts[0]).toMatchObject({ scene: 'calleeHintTone', description: 'Ringback for callees' });
    res = ok(await p.run(['bindings', '--mode', 'AXB']));
    expect(res.stdout).toBe('{"preVoice":{"calleeHintTone":"welcome.wav"}}\n');
  });

  it('precedence: an exact name in the config, then what was recorded (inbox folder, --scene), then a pattern', () => {
    const prompts = { 'a.wav': { scene: 'waitVoice' as const }, '*.wav': { scene: 'app' as const, description: 'any' } };
    expect(currentPromptInfo(prompts, 'a.wav', { scene: 'preVoiceX', description: null })).toMatchObject({ scene: 'waitVoice', description: 'any' });
    expect(currentPromptInfo(prompts, 'b.wav', { scene: 'preVoiceX', description: null })).toMatchObject({ scene: 'preVoiceX', sceneFrom: 'folder' });
    expect(currentPromptInfo(prompts, 'b.wav', { scene: null, description: 'old' })).toMatchObject({ scene: 'app', description: 'any' });
    expect(currentPromptInfo({}, 'b.wav', { scene: null, description: 'kept' })).toMatchObject({ scene: null, description: 'kept' });
  });
});

describe('the console outbox holds exactly the checklist', () => {
  it('a second upload leaves only what the checklist lists; a file it did not stage is left alone', async () => {
    const p = await project();
    for (const [i, n] of ['a.wav', 'b.wav', 'c.wav', 'd.wav'].entries()) await p.source(n, { frequency: 300 + 100 * i });
    ok(await p.convert());
    let res = ok(await p.run(['upload']));
    expect((await fs.readdir(p.path('outbox'))).sort()).toEqual(['a.wav', 'b.wav', 'c.wav', 'd.wav']);
    await fs.writeFile(p.path('outbox', 'notes.txt'), 'mine\n');
    for (const n of ['a.wav', 'b.wav', 'c.wav']) ok(await p.run(['review', n, 'submitted']));
    for (const n of ['a.wav', 'b.wav']) ok(await p.run(['review', n, 'approved']));
    // New recordings of a and b.
    await p.source('a.wav', { frequency: 1000 });
    await p.source('b.wav', { frequency: 1100 });
    ok(await p.convert());
    // d.wav was staged by the first upload and deleted by hand since: staged again.
    await fs.rm(p.path('outbox', 'd.wav'));

    res = ok(await p.run(['upload']));
    const listed = [...res.stdout.matchAll(/^\[ \] \d+\. (.+?)(?: {3}\(staged earlier.*\))?$/gm)].map((m) => path.basename(m[1]!));
    expect(listed.sort()).toEqual(['a-v2.wav', 'b-v2.wav', 'd.wav']);
    expect(res.stdout).toContain(`${p.path('outbox', 'd.wav')}   (staged earlier, not yet recorded as submitted)`);
    expect(res.stdout).toContain('Taken out of outbox/ (submitted or replaced since): a.wav, b.wav, c.wav');
    expect((await fs.readdir(p.path('outbox'))).sort()).toEqual(['a-v2.wav', 'b-v2.wav', 'd.wav', 'notes.txt']);
    expect(await fs.readFile(p.path('outbox', 'd.wav'))).toEqual(await fs.readFile(p.path('prompts', 'd.wav')));

    // Once everything is submitted, the outbox is empty of prompts.
    for (const n of ['a-v2.wav', 'b-v2.wav', 'd.wav']) ok(await p.run(['review', n, 'submitted']));
    res = ok(await p.run(['upload']));
    expect(res.stdout).toContain('Nothing to upload');
    expect(await fs.readdir(p.path('outbox'))).toEqual(['notes.txt']);
  });
});

describe('review overdue in Chinese working days', () => {
  it('the Huawei profile counts the official calendar by default; "review.calendar": "weekends" counts weekends only', async () => {
    const p = await project();
    await p.source('n.wav');
    ok(await p.convert());
    ok(await p.run(['upload']));
    ok(await p.run(['review', 'n.wav', 'submitted']));
    // Submitted on Wednesday 30 Sep 2026, 10:00 in Beijing, the day before the National Day break.
    p.sql("UPDATE reviews SET since = '2026-09-30T02:00:00.000Z' WHERE state = 'in-review'");
    let { json } = await p.status();
    expect(json.prompts[0]).toMatchObject({ state: 'in-review', reviewDue: '2026-10-08T02:00:00.000Z' });
    await p.writeConfig({ review: { calendar: 'weekends' } });
    ({ json } = await p.status());
    expect(json.prompts[0]).toMatchObject({ state: 'in-review', reviewDue: '2026-10-01T02:00:00.000Z' });
    await p.writeConfig({ review: { calendar: 'lunar' } });
    const res = ok(await p.run(['status']), 2);
    expect(res.stderr).toContain('review.calendar');
  });
});
