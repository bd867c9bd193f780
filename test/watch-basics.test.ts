/**
 * `promptprep watch` on real folders: the layout, pre-existing and newly dropped files,
 * ignored files, bad names (rejected, or renamed), non-audio and too-long sources,
 * subfolders, --once exit codes, and the JSON-lines log. The built CLI is spawned.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../src/check.js';
import { runWatch } from '../src/watch/watcher.js';
import type { WatchEvent } from '../src/watch/processor.js';
import { ANSI, runCliOnTty } from './helpers/cli.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { ev, killAllWatchers, runOnce, startWatch, type LogLine, type WatchProcess } from './helpers/watch-harness.js';
import {
  alawWav,
  exists,
  filesUnder,
  makeMp3,
  notAudio,
  pcmWav,
  promptSeconds,
  put,
  sha256Of,
  strayInReady,
} from './helpers/watch-files.js';

let tmp: string;
let n = 0;
/** A fresh watch root (not created: the watcher must make it). */
const newRoot = (): string => path.join(tmp, `root${++n}`);

beforeAll(async () => {
  tmp = await makeTempDir('promptprep-watch-');
});
afterEach(async () => {
  await killAllWatchers();
});
afterAll(async () => {
  await removeTempDir(tmp);
});

const IGNORED = ['.DS_Store', 'x.part', 'y.crdownload', 'z.tmp', '~$doc.wav', 'Thumbs.db', '.hidden.mp3'];

/** Put each ignored name into `dir` with audio-like content; returns name → [sha, mtimeMs]. */
async function dropIgnored(dir: string): Promise<Map<string, [string, number]>> {
  const out = new Map<string, [string, number]>();
  for (const [i, name] of IGNORED.entries()) {
    const file = path.join(dir, name);
    // Real audio, so only the name can be why it is left alone.
    await put(file, i % 2 === 0 ? pcmWav({ seconds: 0.3, seed: 100 + i }) : alawWav({ seconds: 0.3, seed: 100 + i }));
    out.set(name, [await sha256Of(file), (await fs.stat(file)).mtimeMs]);
  }
  return out;
}

async function expectIgnoredUntouched(dir: string, before: Map<string, [string, number]>, log: LogLine[]): Promise<void> {
  for (const [name, [sha, mtime]] of before) {
    const file = path.join(dir, name);
    expect(await exists(file), `${name} must stay in the inbox`).toBe(true);
    expect(await sha256Of(file), `${name} content`).toBe(sha);
    expect((await fs.stat(file)).mtimeMs, `${name} mtime`).toBe(mtime);
    expect(log.filter((l) => typeof l.source === 'string' && path.basename(l.source) === name), `no event for ${name}`).toEqual([]);
  }
}

function expectJsonLog(proc: WatchProcess): void {
  expect(proc.nonJson, 'every log line must be JSON when not on a TTY').toEqual([]);
  for (const l of proc.lines) {
    expect(typeof l.event, `line without an event: ${JSON.stringify(l)}`).toBe('string');
    expect(typeof l.msg).toBe('string');
  }
}

describe('layout', () => {
  it('creates root, inbox/, ready/, rejected/ and archive/ when missing (CLI --once)', async () => {
    const root = path.join(newRoot(), 'deeper', 'still');
    const { exit, proc } = await runOnce([root, '--stable-ms', '100']);
    expect(exit, proc.tail()).toEqual({ code: 0, signal: null });
    for (const d of ['inbox', 'ready', 'rejected', 'archive']) {
      expect((await fs.stat(path.join(root, d))).isDirectory(), d).toBe(true);
    }
    expect(proc.events(ev('summary'))).toHaveLength(1);
    expectJsonLog(proc);
  });

  it('adds the missing subfolders beside an existing inbox/ and keeps what is there', async () => {
    const root = newRoot();
    await put(path.join(root, 'inbox', 'keep.part'), 'partial');
    await put(path.join(root, 'archive', 'old.v1.wav'), pcmWav({ seed: 1 }));
    const summary = await runWatch({ root, once: true, stableMs: 50, scanIntervalMs: 20 });
    expect(summary).toEqual({ converted: 0, rejected: 0, failed: 0, pending: 0 });
    for (const d of ['inbox', 'ready', 'rejected', 'archive']) {
      expect((await fs.stat(path.join(root, d))).isDirectory(), d).toBe(true);
    }
    expect(await filesUnder(path.join(root, 'archive'))).toEqual(['old.v1.wav']);
    expect(await filesUnder(path.join(root, 'inbox'))).toEqual(['keep.part']);
  });

  it('defaults to ./watch in the working directory', async () => {
    const cwd = newRoot();
    await fs.mkdir(cwd, { recursive: true });
    const { exit, proc } = await runOnce(['--stable-ms', '100'], { cwd });
    expect(exit, proc.tail()).toEqual({ code: 0, signal: null });
    for (const d of ['inbox', 'ready', 'rejected', 'archive']) {
      expect((await fs.stat(path.join(cwd, 'watch', d))).isDirectory(), d).toBe(true);
    }
  });
});

describe('--once on a mixed inbox', () => {
  let root: string;
  let proc: WatchProcess;
  let exitCode: number | null;
  const sha = new Map<string, string>();
  let ignoredBefore: Map<string, [string, number]>;
  let subIgnored: Map<string, [string, number]>;

  const inbox = () => path.join(root, 'inbox');
  beforeAll(async () => {
    root = newRoot();
    const i = (rel: string) => path.join(root, 'inbox', rel);
    await put(i('good1.wav'), pcmWav({ seconds: 1, seed: 1 }));
    await makeMp3(i('good2.mp3'), 1, 500);
    await put(i('good3.wav'), alawWav({ seconds: 1, seed: 3 }));
    await fs.mkdir(i('callerHintTone/deeper'), { recursive: true });
    await makeMp3(i('callerHintTone/a.mp3'), 1, 660);
    await put(i('callerHintTone/deeper/b.wav'), pcmWav({ seconds: 0.5, seed: 4 }));
    await put(i('bad name.wav'), pcmWav({ seconds: 0.5, seed: 5 }));
    await put(i('café.wav'), pcmWav({ seconds: 0.5, seed: 6 }));
    await put(i('callerHintTone/also bad.wav'), pcmWav({ seconds: 0.5, seed: 7 }));
    await put(i('notes.wav'), notAudio(1));
    await put(i('long.wav'), pcmWav({ seconds: 6, seed: 8 }));
    for (const rel of await filesUnder(inbox())) sha.set(rel, await sha256Of(i(rel)));
    ignoredBefore = await dropIgnored(inbox());
    subIgnored = await dropIgnored(i('callerHintTone'));
    const run = await runOnce([root, '--stable-ms', '500', '--max-bytes', '40000']);
    proc = run.proc;
    exitCode = run.exit.code;
  });

  it('exits 1 because sources were rejected, after logging a summary', () => {
    expect(exitCode, proc.tail()).toBe(1);
    const summary = proc.events(ev('summary'));
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ converted: 5, rejected: 5, pending: 0 });
  });

  it('logs one JSON line per event: queued, then converted and archived (or rejected) for each source', () => {
    expectJsonLog(proc);
    for (const rel of sha.keys()) {
      expect(proc.count(ev('queued', rel)), `queued ${rel}`).toBe(1);
      const placed = proc.count(ev('archived', rel)) + proc.count(ev('rejected', rel));
      expect(placed, `placed ${rel}`).toBe(1);
    }
    expect(proc.count(ev('error'))).toBe(0);
  });

  it('converts the pre-existing good files and archives their sources as <name>.v1.<ext>', async () => {
    const expected: [string, string, string][] = [
      ['good1.wav', 'good1.wav', 'good1.v1.wav'],
      ['good2.mp3', 'good2.wav', 'good2.v1.mp3'],
      ['good3.wav', 'good3.wav', 'good3.v1.wav'],
      ['callerHintTone/a.mp3', 'callerHintTone/a.wav', 'callerHintTone/a.v1.mp3'],
      ['callerHintTone/deeper/b.wav', 'callerHintTone/deeper/b.wav', 'callerHintTone/deeper/b.v1.wav'],
    ];
    for (const [src, ready, archived] of expected) {
      expect(proc.events(ev('converted', src))[0], src).toMatchObject({ output: ready, version: 1 });
      expect(await sha256Of(path.join(root, 'archive', archived)), archived).toBe(sha.get(src));
    }
    expect(await filesUnder(path.join(root, 'archive'))).toEqual(expected.map((e) => e[2]).sort());
    const prompts = (await filesUnder(path.join(root, 'ready'))).filter((f) => !f.includes('.promptprep/'));
    expect(prompts).toEqual(expected.map((e) => e[1]).sort());
    const report = await checkFiles(prompts.map((p) => path.join(root, 'ready', p)));
    expect(report.files.filter((f) => !f.ok), JSON.stringify(report.files)).toEqual([]);
    expect(await strayInReady(path.join(root, 'ready'))).toEqual([]);
  });

  it('keeps subfolders of inbox/ in ready/, archive/ and rejected/', async () => {
    expect(await exists(path.join(root, 'ready', 'callerHintTone', 'a.wav'))).toBe(true);
    expect(await exists(path.join(root, 'ready', 'callerHintTone', 'deeper', 'b.wav'))).toBe(true);
    expect(await exists(path.join(root, 'archive', 'callerHintTone', 'a.v1.mp3'))).toBe(true);
    expect(await exists(path.join(root, 'rejected', 'callerHintTone', 'also bad.wav'))).toBe(true);
    expect(await exists(path.join(root, 'rejected', 'callerHintTone', 'also bad.wav.reason.json'))).toBe(true);
  });

  it('rejects bad names with the suggested name in .reason.txt and .reason.json', async () => {
    for (const [src, suggested] of [
      ['bad name.wav', 'bad_name.wav'],
      ['café.wav', 'cafe.wav'],
      ['callerHintTone/also bad.wav', 'also_bad.wav'],
    ] as const) {
      const moved = path.join(root, 'rejected', src);
      expect(await sha256Of(moved), src).toBe(sha.get(src));
      const json = JSON.parse(await fs.readFile(`${moved}.reason.json`, 'utf8')) as { source: string; suggestedName: string; errors: { code: string }[] };
      expect(json.source).toBe(src);
      expect(json.suggestedName).toBe(suggested);
      expect(json.errors.map((e) => e.code)).toContain('name-charset');
      expect(await fs.readFile(`${moved}.reason.txt`, 'utf8')).toContain(suggested);
      const rejected = proc.events(ev('rejected', src));
      expect(rejected).toHaveLength(1);
      expect(rejected[0]!.placedAt).toBe(path.join('rejected', src));
    }
  });

  it('rejects a file that is not audio with reason not-audio', async () => {
    const moved = path.join(root, 'rejected', 'notes.wav');
    expect(await sha256Of(moved)).toBe(sha.get('notes.wav'));
    const json = JSON.parse(await fs.readFile(`${moved}.reason.json`, 'utf8')) as { errors: { code: string }[] };
    expect(json.errors.map((e) => e.code)).toEqual(['not-audio']);
    expect(await fs.readFile(`${moved}.reason.txt`, 'utf8')).toMatch(/\[not-audio\]/);
    expect(proc.events(ev('rejected', 'notes.wav'))[0]!.errors!.map((e) => e.code)).toEqual(['not-audio']);
  });

  it('rejects a source too long for --max-bytes with reason too-long', async () => {
    const moved = path.join(root, 'rejected', 'long.wav');
    expect(await sha256Of(moved)).toBe(sha.get('long.wav'));
    const json = JSON.parse(await fs.readFile(`${moved}.reason.json`, 'utf8')) as { errors: { code: string }[] };
    expect(json.errors.map((e) => e.code)).toEqual(['too-long']);
    expect(await fs.readFile(`${moved}.reason.txt`, 'utf8')).toMatch(/\[too-long\]/);
  });

  it('leaves temporary and system files untouched in the inbox (and its subfolders)', async () => {
    await expectIgnoredUntouched(inbox(), ignoredBefore, proc.lines);
    await expectIgnoredUntouched(path.join(inbox(), 'callerHintTone'), subIgnored, proc.lines);
    const left = (await filesUnder(inbox())).map((f) => path.basename(f));
    expect(left.sort()).toEqual([...IGNORED, ...IGNORED].sort());
    expect(await filesUnder(path.join(root, '.promptprep', 'journal'))).toEqual([]);
    expect(await filesUnder(path.join(root, '.promptprep', 'staging'))).toEqual([]);
  });
});

describe('--rename and --on-oversize trim', () => {
  async function renameRun(extra: string[], cwd?: string): Promise<{ root: string; proc: WatchProcess; code: number | null }> {
    const root = newRoot();
    await put(path.join(root, 'inbox', 'bad name.wav'), pcmWav({ seconds: 0.5, seed: 11 }));
    await put(path.join(root, 'inbox', 'café.mp3'), await fs.readFile(await makeMp3(path.join(tmp, `c${n}.mp3`), 0.5)));
    await put(path.join(root, 'inbox', 'long.wav'), pcmWav({ seconds: 6, seed: 12 }));
    const { exit, proc } = await runOnce([root, '--stable-ms', '300', '--max-bytes', '40000', ...extra], cwd ? { cwd } : {});
    return { root, proc, code: exit.code };
  }

  async function expectRenamedAndTrimmed(root: string, proc: WatchProcess, code: number | null): Promise<void> {
    expect(code, proc.tail()).toBe(0);
    expect(await filesUnder(path.join(root, 'rejected'))).toEqual([]);
    expect(await filesUnder(path.join(root, 'inbox'))).toEqual([]);
    expect(proc.events(ev('converted', 'bad name.wav'))[0]).toMatchObject({ output: 'bad_name.wav', version: 1 });
    expect(proc.events(ev('converted', 'café.mp3'))[0]).toMatchObject({ output: 'cafe.wav', version: 1 });
    expect(await filesUnder(path.join(root, 'archive'))).toEqual(['bad_name.v1.wav', 'cafe.v1.mp3', 'long.v1.wav']);
    const long = await fs.readFile(path.join(root, 'ready', 'long.wav'));
    expect(long.length).toBeLessThanOrEqual(40000);
    expect(promptSeconds(long)).toBeGreaterThan(4.9);
    const conv = proc.events(ev('converted', 'long.wav'))[0]!;
    expect(conv.warnings!.map((w) => w.code)).toContain('cut-to-fit');
    const prompts = ['bad_name.wav', 'cafe.wav', 'long.wav'].map((p) => path.join(root, 'ready', p));
    const report = await checkFiles(prompts, { maxBytes: 40000 });
    expect(report.files.filter((f) => !f.ok), JSON.stringify(report.files)).toEqual([]);
    expect(await strayInReady(path.join(root, 'ready'))).toEqual([]);
  }

  it('with flags: converts bad names under the suggested name, and cuts an over-long source to fit', async () => {
    const { root, proc, code } = await renameRun(['--rename', '--on-oversize', 'trim']);
    await expectRenamedAndTrimmed(root, proc, code);
  });

  it('with the config file ("convert": {"rename": true, "onOversize": "trim"})', async () => {
    const cfg = path.join(tmp, `cfg${++n}.json`);
    await fs.writeFile(cfg, JSON.stringify({ convert: { rename: true, onOversize: 'trim' } }));
    const { root, proc, code } = await renameRun(['-c', cfg]);
    await expectRenamedAndTrimmed(root, proc, code);
  });
});

describe('log format', () => {
  it('on a terminal: one readable line per event, not JSON', async () => {
    const root = newRoot();
    await put(path.join(root, 'inbox', 'tty.wav'), pcmWav({ seconds: 0.3, seed: 41 }));
    await put(path.join(root, 'inbox', 'bad name.wav'), pcmWav({ seconds: 0.3, seed: 42 }));
    // Run where the ledger (kept in the working directory) cannot reach the repository.
    const res = await runCliOnTty(['watch', root, '--once', '--stable-ms', '100'], { cwd: tmp });
    expect(res.code, res.stdout).toBe(1);
    // eslint-disable-next-line no-control-regex
    const lines = res.stdout.replace(new RegExp(ANSI.source, 'g'), '').split(/\r?\n/).filter((l) => l.trim() !== '');
    expect(lines.some((l) => l.trimStart().startsWith('{')), res.stdout).toBe(false);
    // One event a line, said once: "tty.wav queued", not "queued tty.wav queued".
    for (const l of lines) expect(l).toMatch(/^\[[\d:]+\] (INFO|WARN): \S/);
    const msgs = lines.map((l) => l.replace(/^\[[\d:]+\] \w+: /, ''));
    for (const m of msgs) expect(m).not.toMatch(/^(queued|converted|archived|rejected|summary) /);
    expect(msgs.filter((m) => m.startsWith('tty.wav converted to ready/tty.wav'))).toHaveLength(1);
    expect(msgs.filter((m) => m.startsWith('tty.wav archived as'))).toHaveLength(1);
    expect(msgs.filter((m) => m.startsWith('bad name.wav rejected: name-charset'))).toHaveLength(1);
    expect(msgs.filter((m) => /^1 converted, 1 rejected, 0 left in the inbox$/.test(m))).toHaveLength(1);
    expect(lines.length).toBe(6); // 2 queued, converted, archived, rejected, summary
  });
});

describe('running watcher', () => {
  it('processes pre-existing files, then files dropped while it runs; ignores temporary files; exits 0 on SIGTERM', async () => {
    const root = newRoot();
    const inbox = path.join(root, 'inbox');
    await put(path.join(inbox, 'pre.wav'), pcmWav({ seconds: 0.5, seed: 21 }));
    const proc = startWatch([root, '--stable-ms', '500']);
    await proc.waitFor(ev('watching'), 'watching');
    const started = Date.now();
    await proc.waitFor(ev('archived', 'pre.wav'), 'pre.wav archived');
    const ignored = await dropIgnored(inbox);
    await put(path.join(inbox, 'new.wav'), alawWav({ seconds: 0.5, seed: 22 }));
    await fs.mkdir(path.join(inbox, 'callerHintTone'));
    await makeMp3(path.join(inbox, 'callerHintTone', 'new2.mp3'), 0.5);
    await proc.waitFor(ev('archived', 'new.wav'), 'new.wav archived');
    await proc.waitFor(ev('archived', 'callerHintTone/new2.mp3'), 'new2.mp3 archived');
    // Idle a while (20+ scans): a long-running watcher must keep its log clean (JSON lines only).
    const idle = 5000 - (Date.now() - started);
    if (idle > 0) await new Promise((r) => setTimeout(r, idle));
    const exit = await proc.stop();
    expect(exit, proc.tail()).toEqual({ code: 0, signal: null });
    expectJsonLog(proc);
    expect(await filesUnder(path.join(root, 'archive'))).toEqual(['callerHintTone/new2.v1.mp3', 'new.v1.wav', 'pre.v1.wav']);
    expect((await filesUnder(path.join(root, 'ready'))).filter((f) => !f.includes('.promptprep/'))).toEqual([
      'callerHintTone/new2.wav',
      'new.wav',
      'pre.wav',
    ]);
    await expectIgnoredUntouched(inbox, ignored, proc.lines);
    expect(proc.events(ev('summary'))[0]).toMatchObject({ converted: 3, rejected: 0, pending: 0 });
  });

  it('library runWatch: converts a dropped file, reports events, and stops on abort, without leaking listeners', async () => {
    const root = newRoot();
    const controller = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const events: WatchEvent[] = [];
    let resolveArchived: () => void = () => undefined;
    const archived = new Promise<void>((r) => (resolveArchived = r));
    const running = runWatch({
      root,
      stableMs: 300,
      scanIntervalMs: 50,
      signal: controller.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'archived') resolveArchived();
      },
    });
    // The layout exists once the watcher is up; drop into it.
    const inbox = path.join(root, 'inbox');
    const deadline = Date.now() + 10_000;
    while (!(await exists(inbox))) {
      if (Date.now() > deadline) throw new Error('inbox was never created');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300)); // chokidar is ready well before this
    await put(path.join(inbox, 'lib.wav'), pcmWav({ seconds: 0.5, seed: 31 }));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      archived,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no archived event: ${JSON.stringify(events)}`)), 15_000))),
    ]);
    clearTimeout(timer);
    // Idle scans: each one must not leave a listener on the signal behind.
    await new Promise((r) => setTimeout(r, 1000));
    controller.abort();
    const summary = await running;
    process.off('warning', onWarning);
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
    expect(summary).toEqual({ converted: 1, rejected: 0, failed: 0, pending: 0 });
    expect(events.map((e) => e.type)).toEqual(['converted', 'archived']);
    expect(events[0]).toMatchObject({ source: 'lib.wav', output: 'lib.wav', version: 1 });
    expect(await exists(path.join(root, 'ready', 'lib.wav'))).toBe(true);
  });
});
