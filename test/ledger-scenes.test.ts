/**
 * Where a prompt's scene comes from — an exact name in the config, the inbox folder it
 * was dropped in, a pattern in the config, in that order — what every command sees, and
 * the pre-call length warning on each path that knows the scene (config entry, --scene,
 * inbox folder).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentPromptInfo, resolvePromptInfo, sceneFromFolder } from '../src/catalog.js';
import type { PromptInfo } from '../src/config.js';
import { Ledger } from '../src/ledger/ledger.js';
import { parseJsonReport, STACK_LINE } from './helpers/cli.js';
import { parseConvertJson } from './helpers/convert-cli.js';
import { PLATFORM } from './helpers/ledger-fixtures.js';
import { Project, show } from './helpers/ledger-project.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const CONFIG: { prompts: Record<string, PromptInfo> } = {
  prompts: {
    'rec-*.wav': { scene: 'recordHintTone', description: 'Recording notice' },
    'ring.wav': { scene: 'callerHintTone', description: 'Ringback' },
    'rec-special.wav': { scene: 'waitVoice' },
    'exact.wav': { scene: 'waitVoice', description: 'Exact entry' },
    'described-*.wav': { description: 'Described by pattern' },
  },
};

let root: string;
beforeAll(async () => {
  root = await makeTempDir('promptprep-ledger-scenes-');
});
afterAll(async () => {
  await removeTempDir(root);
});

/** Each prompt's scene as every command sees it: what the ledger recorded, with the config applied. */
function scenes(file: string): Record<string, string | null> {
  return Object.fromEntries(statusRows(file).map((r) => [r.name, r.scene]));
}

function statusRows(file: string) {
  const ledger = Ledger.open(file, { readonly: true });
  try {
    return ledger.status({ platform: PLATFORM, promptInfo: (name, recorded) => currentPromptInfo(CONFIG.prompts, name, recorded) });
  } finally {
    ledger.close();
  }
}

describe('resolvePromptInfo (catalog precedence)', () => {
  const p = CONFIG.prompts;
  it.each([
    // name, path in inbox, scene, from
    ['ring.wav', undefined, 'callerHintTone', 'config-name'],
    ['rec-1.wav', undefined, 'recordHintTone', 'config-pattern'],
    ['rec-special.wav', undefined, 'waitVoice', 'config-name'],
    ['other.wav', undefined, null, null],
    ['other.wav', 'waitVoice/other.mp3', 'waitVoice', 'folder'],
    ['exact.wav', 'callerHintTone/exact.mp3', 'waitVoice', 'config-name'],
    ['rec-2.wav', 'callerHintTone/rec-2.mp3', 'callerHintTone', 'folder'],
    ['rec-2.wav', 'team/sub/rec-2.mp3', 'recordHintTone', 'config-pattern'],
    ['x.wav', 'preVoiceX/drafts/x.mp3', 'preVoiceX', 'folder'],
    ['x.wav', 'preVoiceX/preVoiceY/x.mp3', 'preVoiceY', 'folder'],
  ] as const)('%s from %s → %s (%s)', (name, rel, scene, from) => {
    expect(resolvePromptInfo(p, name, rel)).toMatchObject({ scene, sceneFrom: from });
  });

  it('descriptions come from the exact entry, else the pattern, whatever gave the scene', () => {
    expect(resolvePromptInfo(p, 'exact.wav', 'callerHintTone/exact.mp3').description).toBe('Exact entry');
    expect(resolvePromptInfo(p, 'rec-2.wav', 'callerHintTone/rec-2.mp3').description).toBe('Recording notice');
    expect(resolvePromptInfo(p, 'described-1.wav', 'waitVoice/described-1.mp3')).toEqual({ scene: 'waitVoice', sceneFrom: 'folder', description: 'Described by pattern' });
    expect(resolvePromptInfo(p, 'rec-special.wav').description).toBe('Recording notice');
  });

  it('a folder that is not a scene names none; a file at the inbox top has no folder', () => {
    expect(sceneFromFolder('music/x.mp3')).toBeNull();
    expect(sceneFromFolder('x.mp3')).toBeNull();
    expect(sceneFromFolder('waitVoice')).toBeNull();
    // `?` and `*` in a key are patterns, never exact names.
    expect(resolvePromptInfo({ 'a?.wav': { scene: 'waitVoice' } }, 'ab.wav')).toMatchObject({ scene: 'waitVoice', sceneFrom: 'config-pattern' });
    expect(resolvePromptInfo({ 'a?.wav': { scene: 'waitVoice' } }, 'a.wav').scene).toBeNull();
  });
});

describe('convert and check: the scene from the config or --scene', () => {
  let p: Project;
  beforeAll(async () => {
    p = await Project.create(path.join(root, 'convert'), CONFIG);
    await p.source('ring.wav', { seconds: 6 });
    await p.source('rec-1.wav', { seconds: 6, frequency: 500 });
    await p.source('rec-special.wav', { seconds: 1, frequency: 600 });
    await p.source('other.wav', { seconds: 6, frequency: 700 });
  });

  it('convert: the config scene is seen through the ledger, and a long pre-call tone is warned about about a long pre-call tone', async () => {
    const res = await p.convert('--json');
    expect(res.code, show(res)).toBe(0);
    const report = parseConvertJson(res.stdout);
    const warnings = Object.fromEntries(report.files.map((f) => [path.basename(f.source), f.warnings.map((w) => w.code)]));
    expect(warnings['ring.wav']).toContain('too-long-for-scene');
    expect(report.files.find((f) => f.source.endsWith('ring.wav'))!.warnings.find((w) => w.code === 'too-long-for-scene')!.message).toContain(
      'in the callerHintTone scene the platform plays only about 5 s',
    );
    // recordHintTone is no pre-call scene; other.wav has no scene.
    expect(warnings['rec-1.wav']).not.toContain('too-long-for-scene');
    expect(warnings['other.wav']).not.toContain('too-long-for-scene');
    expect(scenes(p.ledgerFile)).toEqual({ 'other.wav': null, 'rec-1.wav': 'recordHintTone', 'rec-special.wav': 'waitVoice', 'ring.wav': 'callerHintTone' });
    expect(statusRows(p.ledgerFile).find((r) => r.name === 'rec-1.wav')!.description).toBe('Recording notice');
  });

  it('convert --scene warns about a prompt the config says nothing of', async () => {
    const res = await p.run(['convert', 'sources/other.wav', '--out', 'flagged', '--scene', 'preVoiceY', '--json', '--no-ledger']);
    expect(res.code, show(res)).toBe(0);
    expect(parseConvertJson(res.stdout).files[0]!.warnings.map((w) => w.code)).toContain('too-long-for-scene');
  });

  it('check warns from the config entry and from --scene, and not without a pre-call scene', async () => {
    const run = async (...args: string[]) => {
      const res = await p.run(['check', '--format', 'json', ...args]);
      expect(res.stderr).not.toMatch(STACK_LINE);
      return Object.fromEntries(parseJsonReport(res.stdout).files.map((f) => [path.basename(f.path), f.warnings.map((w) => w.code)]));
    };
    const byConfig = await run('prompts');
    expect(byConfig['ring.wav']).toContain('too-long-for-scene');
    expect(byConfig['other.wav']).not.toContain('too-long-for-scene');
    expect(byConfig['rec-1.wav']).not.toContain('too-long-for-scene');
    const byFlag = await run('--scene', 'calleeHintTone', 'prompts/other.wav', 'prompts/rec-special.wav');
    expect(byFlag['other.wav']).toContain('too-long-for-scene');
    expect(byFlag['rec-special.wav']).not.toContain('too-long-for-scene'); // 1 s
    const notPreCall = await run('--scene', 'lastMinVoice', 'prompts/other.wav');
    expect(notPreCall['other.wav']).not.toContain('too-long-for-scene');
  });
});

describe('watch: the scene from the inbox folder', () => {
  it('records folder scenes, lets an exact config name win over the folder and the folder over a pattern, and warns', async () => {
    const p = await Project.create(path.join(root, 'watch'), CONFIG);
    await p.source('w/inbox/callerHintTone/long.mp3', { seconds: 6 });
    await p.source('w/inbox/callerHintTone/exact.mp3', { seconds: 6, frequency: 500 });
    await p.source('w/inbox/callerHintTone/rec-2.mp3', { seconds: 1, frequency: 600 });
    await p.source('w/inbox/rec-3.mp3', { seconds: 6, frequency: 700 });
    await p.source('w/inbox/recordHintTone/notice.mp3', { seconds: 6, frequency: 800 });
    const res = await p.run(['watch', p.path('sources', 'w'), '--once', '--stable-ms', '0', '--log-format', 'json']);
    expect(res.code, show(res)).toBe(0);
    const lines = `${res.stdout}\n${res.stderr}`
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event?: string; source?: string; warnings?: { code: string }[]; msg?: string });
    expect(lines.filter((l) => l.event === 'error'), show(res)).toEqual([]);
    const converted = Object.fromEntries(lines.filter((l) => l.event === 'converted').map((l) => [l.source, (l.warnings ?? []).map((w) => w.code)]));
    expect(Object.keys(converted).sort()).toEqual(['callerHintTone/exact.mp3', 'callerHintTone/long.mp3', 'callerHintTone/rec-2.mp3', 'rec-3.mp3', 'recordHintTone/notice.mp3']);
    // The folder names a pre-call scene: a 6 s prompt is warned about.
    expect(converted['callerHintTone/long.mp3']).toContain('too-long-for-scene');
    // exact.wav is waitVoice by its config name, also pre-call: warned about too.
    expect(converted['callerHintTone/exact.mp3']).toContain('too-long-for-scene');
    expect(converted['rec-3.mp3']).not.toContain('too-long-for-scene');
    expect(converted['recordHintTone/notice.mp3']).not.toContain('too-long-for-scene');

    expect(scenes(p.ledgerFile)).toEqual({
      'long.wav': 'callerHintTone', // folder
      'exact.wav': 'waitVoice', // exact name beats the folder
      'rec-2.wav': 'callerHintTone', // folder beats the pattern
      'rec-3.wav': 'recordHintTone', // pattern
      'notice.wav': 'recordHintTone', // folder
    });
    const ledger = Ledger.open(p.ledgerFile, { readonly: true });
    try {
      expect(statusRows(p.ledgerFile).find((r) => r.name === 'exact.wav')!.description).toBe('Exact entry');
      expect(ledger.events('long.wav')).toMatchObject([{ from: null, to: 'prepared', actor: 'watcher' }]);
      expect(ledger.findVersion('long.wav', PLATFORM).filePath).toBe(p.path('sources', 'w', 'ready', 'callerHintTone', 'long.wav'));
    } finally {
      ledger.close();
    }
  });
});
