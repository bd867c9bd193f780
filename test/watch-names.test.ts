/**
 * No single file stops the watcher: a source name long enough that a derived name
 * (`<name>.reason.txt`, its temporary file, `<stem>.v1.<ext>`) would pass the file system's
 * 255-byte limit, or a source whose rejection cannot be written, is dealt with on its own
 * while the rest of the inbox is processed. And what watch says to people: rejection
 * notes for whoever dropped the file, log lines with names escaped and no word twice.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { statsPathFor } from '../src/convert/index.js';
import { fitFileName, NAME_MAX_BYTES, truncateUtf8 } from '../src/fs-util.js';
import { ANSI, runCli, runCliOnTty } from './helpers/cli.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { ev, killAllWatchers, runOnce } from './helpers/watch-harness.js';
import { exists, filesUnder, notAudio, pcmWav, put, sha256Of } from './helpers/watch-files.js';

let tmp: string;
let n = 0;
const newRoot = (): string => path.join(tmp, `root${++n}`);

beforeAll(async () => {
  tmp = await makeTempDir('promptprep-watch-names-');
});
afterEach(async () => {
  await killAllWatchers();
});
afterAll(async () => {
  await removeTempDir(tmp);
});

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** 74 Chinese characters: 222 bytes, the shortest name whose partial reason file was too long. */
const LONG74 = `${'录音文件'.repeat(18)}欢迎.wav`;
/** 255 bytes, the most a name can have: `<name>.reason.txt` itself is too long. */
const LONG255 = '音'.repeat(85);
/** A valid prompt name (ok.wav) with an extension of 240 bytes, which the archive name carries. */
const LONG_EXT = `ok.${'长'.repeat(80)}`;

describe('fitFileName', () => {
  it('keeps names that fit, and cuts longer ones at a character boundary with a hash, suffix kept', () => {
    expect(fitFileName('a.wav', '.reason.txt')).toBe('a.wav.reason.txt');
    const fitted = fitFileName(LONG255, '.reason.json');
    expect(bytes(fitted)).toBeLessThanOrEqual(NAME_MAX_BYTES);
    expect(fitted).toMatch(/^音+~[0-9a-f]{8}\.reason\.json$/);
    expect(fitFileName(LONG255, '.reason.json')).toBe(fitted);
    // Same start, different name: different results.
    expect(fitFileName(`${LONG255.slice(1)}x`, '.reason.json')).not.toBe(fitted);
    // A suffix that leaves no room is cut too.
    const huge = fitFileName('a', `.${'长'.repeat(100)}`);
    expect(bytes(huge)).toBeLessThanOrEqual(NAME_MAX_BYTES);
  });

  it('fits the stats record of an output whose name is at the limit', () => {
    const output = path.join('ready', `${'p'.repeat(NAME_MAX_BYTES - 4)}.wav`);
    expect(bytes(path.basename(statsPathFor(output)))).toBeLessThanOrEqual(NAME_MAX_BYTES);
    expect(statsPathFor(path.join('ready', 'a.wav'))).toBe(path.join('ready', '.promptprep', 'a.wav.json'));
  });

  it('never splits a character', () => {
    expect(truncateUtf8('录音a', 4)).toBe('录');
    expect(truncateUtf8('👩‍👩‍👧x', 10)).toBe('');
    expect(truncateUtf8('e\u0301e\u0301', 4)).toBe('e\u0301');
  });
});

describe('over-long source names', () => {
  it('a 74-character Chinese name does not stop the inbox: the long ones are rejected or converted, every name fits', async () => {
    const root = newRoot();
    const inbox = path.join(root, 'inbox');
    const sources: Record<string, Buffer> = {
      [LONG74]: pcmWav({ seconds: 0.4, seed: 1 }),
      [LONG255]: pcmWav({ seconds: 0.4, seed: 2 }),
      [LONG_EXT]: pcmWav({ seconds: 0.4, seed: 3 }),
      'a_good.wav': pcmWav({ seconds: 0.4, seed: 4 }),
      'z_good.wav': pcmWav({ seconds: 0.4, seed: 5 }),
    };
    const sha = new Map<string, string>();
    for (const [name, data] of Object.entries(sources)) sha.set(name, await sha256Of(await put(path.join(inbox, name), data)));

    const { exit, proc } = await runOnce([root, '--stable-ms', '100', '--no-ledger']);
    expect(exit, proc.tail()).toEqual({ code: 1, signal: null });
    expect(proc.nonJson, proc.tail()).toEqual([]);
    expect(proc.events(ev('summary'))[0]).toMatchObject({ converted: 3, rejected: 2, pending: 0 });
    expect(await filesUnder(inbox)).toEqual([]);

    // The good ones, and the one whose prompt name is valid, are prompts.
    for (const name of ['a_good.wav', 'z_good.wav', 'ok.wav']) expect(await exists(path.join(root, 'ready', name)), name).toBe(true);
    const archived = proc.events(ev('archived', LONG_EXT))[0]!;
    expect(bytes(path.basename(archived.placedAt!))).toBeLessThanOrEqual(NAME_MAX_BYTES);
    expect(await sha256Of(path.join(root, archived.placedAt!))).toBe(sha.get(LONG_EXT));

    // The long invalid names are in rejected/, unchanged, each with its two notes.
    for (const name of [LONG74, LONG255]) {
      const rejected = proc.events(ev('rejected', name))[0]!;
      expect(rejected.placedAt).toBe(path.join('rejected', name));
      expect(await sha256Of(path.join(root, 'rejected', name))).toBe(sha.get(name));
      const jsonFile = (await filesUnder(path.join(root, 'rejected'))).find((f) => f.endsWith('.reason.json') && f.startsWith(name.slice(0, 20)))!;
      const json = JSON.parse(await fs.readFile(path.join(root, 'rejected', jsonFile), 'utf8')) as { source: string; note: string; errors: { code: string }[] };
      expect(json.source).toBe(name);
      expect(json.errors.map((e) => e.code)).toContain('name-charset');
      expect(await fs.readFile(path.join(root, json.note), 'utf8')).toContain(`It is now rejected/${name}.`);
    }

    // Every name under the root fits, hidden state included; no temporary file is left.
    const all = await filesUnder(root);
    for (const rel of all) for (const part of rel.split('/')) expect(bytes(part), part).toBeLessThanOrEqual(NAME_MAX_BYTES);
    expect(all.filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});

describe('a source that cannot be placed', () => {
  it('is retried with growing waits and left in the inbox, while the others are processed', async () => {
    const root = newRoot();
    const inbox = path.join(root, 'inbox');
    await put(path.join(inbox, 'bad name.wav'), pcmWav({ seconds: 0.4, seed: 6 }));
    await put(path.join(inbox, 'good.wav'), pcmWav({ seconds: 0.4, seed: 7 }));
    // A folder where its rejection note would go: writing the note fails every time.
    await fs.mkdir(path.join(root, 'rejected', 'bad name.wav.reason.txt'), { recursive: true });
    const before = await sha256Of(path.join(inbox, 'bad name.wav'));

    const { exit, proc } = await runOnce([root, '--stable-ms', '100', '--no-ledger'], { timeoutMs: 60_000 });
    expect(proc.nonJson, proc.tail()).toEqual([]);
    expect(exit, proc.tail()).toEqual({ code: 1, signal: null });
    expect(await exists(path.join(root, 'ready', 'good.wav'))).toBe(true);
    expect(await sha256Of(path.join(inbox, 'bad name.wav'))).toBe(before);
    expect(proc.events(ev('summary'))[0]).toMatchObject({ converted: 1, rejected: 0, failed: 1, pending: 1 });

    const tries = proc.events(ev('error', 'bad name.wav'));
    expect(tries.length, proc.tail()).toBeGreaterThanOrEqual(5);
    const times = tries.slice(0, 5).map((l) => Date.parse(l.time as string));
    // Waits of at least 250, 500, 1000, 2000 ms (the scan interval, doubled each time).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `wait before try ${i + 1}`).toBeGreaterThanOrEqual(250 * 2 ** (i - 1) - 5);
  }, 90_000);
});

describe('rejection notes', () => {
  let root: string;
  const note = (name: string) => fs.readFile(path.join(root, 'rejected', `${name}.reason.txt`), 'utf8');

  beforeAll(async () => {
    root = newRoot();
    const inbox = path.join(root, 'inbox');
    await put(path.join(inbox, 'bad name.wav'), pcmWav({ seconds: 0.4, seed: 8 }));
    await put(path.join(inbox, 'notes.wav'), notAudio(2));
    await put(path.join(inbox, 'long.wav'), pcmWav({ seconds: 6, seed: 9 }));
    const { exit, proc } = await runOnce([root, '--stable-ms', '100', '--no-ledger', '--max-bytes', '40000']);
    expect(exit.code, proc.tail()).toBe(1);
  });

  it('say where the file is now, not where it was dropped', async () => {
    for (const name of ['bad name.wav', 'notes.wav', 'long.wav']) {
      const text = await note(name);
      expect(text, name).toContain(`It is now rejected/${name}.`);
      expect(text, name).not.toContain(path.join(root, 'inbox'));
      expect(text, name).not.toContain(`inbox/${name}`);
    }
    const json = JSON.parse(await fs.readFile(path.join(root, 'rejected', 'notes.wav.reason.json'), 'utf8')) as { errors: { message: string }[] };
    expect(json.errors[0]!.message).toContain('"rejected/notes.wav" is not an audio or video file');
  });

  it('say what to do in the folder, with the exact config key', async () => {
    const bad = await note('bad name.wav');
    expect(bad).toContain('Rename the file, for example to "bad_name.wav", and drop it into inbox/ again.');
    expect(bad).toContain('"convert.rename": true');
    expect(bad).not.toMatch(/"rename": true/);
    const long = await note('long.wav');
    expect(long).toContain('Shorten the recording and drop it into inbox/ again.');
    expect(long).toContain('"convert.onOversize": "trim"');
    expect(await note('notes.wav')).toContain('drop it into inbox/ again');
  });
});

describe('log lines', () => {
  const TITLE = 'x\u001b]0;pwned\u0007.wav';
  const FORGED = 'y\nconverted fake.wav';
  const C1 = 'z\u009b31m.wav';

  async function rootWithControlNames(): Promise<string> {
    const root = newRoot();
    const inbox = path.join(root, 'inbox');
    await put(path.join(inbox, 'tty.wav'), pcmWav({ seconds: 0.3, seed: 10 }));
    for (const [i, name] of [TITLE, FORGED, C1].entries()) await put(path.join(inbox, name), pcmWav({ seconds: 0.3, seed: 11 + i }));
    return root;
  }

  it('pretty (on a terminal): names escaped, one event a line, the event word once', async () => {
    const root = await rootWithControlNames();
    const res = await runCliOnTty(['watch', root, '--once', '--stable-ms', '100', '--no-ledger'], { cwd: tmp });
    expect(res.code, res.stdout).toBe(1);
    const text = res.stdout.replace(new RegExp(ANSI.source, 'g'), '');
    // The terminal ends lines with CR LF; nothing else raw.
    // eslint-disable-next-line no-control-regex
    expect(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(text), JSON.stringify(text)).toBe(false);
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    for (const l of lines) expect(l, text).toMatch(/^\[\d\d:\d\d:\d\d\] (INFO|WARN|ERROR): /);
    const msgs = lines.map((l) => l.replace(/^\[[^\]]*\] \w+: /, ''));
    expect(msgs).toContain('tty.wav queued');
    expect(msgs).toContain('tty.wav converted to ready/tty.wav (version 1)');
    expect(msgs).toContain('tty.wav archived as archive/tty.v1.wav');
    expect(msgs).toContain('x\\x1B]0;pwned\\x07.wav queued');
    expect(msgs).toContain('y\\nconverted fake.wav queued');
    expect(msgs).toContain('z\\x9B31m.wav queued');
    expect(msgs.filter((m) => m.startsWith('converted '))).toEqual([]);
    for (const m of msgs) expect(m).not.toMatch(/^(queued|converted|archived|rejected|summary) /);
    expect(msgs).toContain('1 converted, 3 rejected, 0 left in the inbox');
  });

  it('JSON: the exact names, and nothing a terminal would act on', async () => {
    const root = await rootWithControlNames();
    const res = await runCli(['watch', root, '--once', '--stable-ms', '100', '--no-ledger', '--log-format', 'json'], { cwd: tmp });
    expect(res.code, res.stderr).toBe(1);
    const out = res.stdout + res.stderr;
    // eslint-disable-next-line no-control-regex
    expect(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(out), JSON.stringify(out)).toBe(false);
    const sources = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event?: string; source?: string })
      .filter((l) => l.event === 'rejected')
      .map((l) => l.source);
    expect(sources.sort()).toEqual([TITLE, FORGED, C1].sort());
  });
});
