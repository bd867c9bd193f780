/**
 * Versions: a source dropped again under the same name with new content is a new version
 * (the previous prompt archived with its version, never silently replaced); identical
 * content is a duplicate. And the journal: a placement interrupted after the old prompt
 * was archived is finished with the version its intent recorded.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../src/check.js';
import { readStatsRecord } from '../src/convert/index.js';
import { readIntents, writeIntent, type PlacementIntent } from '../src/watch/journal.js';
import { layoutFor } from '../src/watch/layout.js';
import { runWatch } from '../src/watch/watcher.js';
import type { WatchEvent } from '../src/watch/processor.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { ev, killAllWatchers, runOnce, startWatch } from './helpers/watch-harness.js';
import { exists, filesUnder, makeMp3, pcmWav, put, sha256, sha256Of, strayInReady } from './helpers/watch-files.js';

let tmp: string;
let n = 0;
const newRoot = (): string => path.join(tmp, `root${++n}`);
beforeAll(async () => {
  tmp = await makeTempDir('promptprep-watch-versions-');
});
afterEach(async () => {
  await killAllWatchers();
});
afterAll(async () => {
  await removeTempDir(tmp);
});

const A = pcmWav({ seconds: 0.6, seed: 1, frequency: 400 });
const B = pcmWav({ seconds: 0.8, seed: 2, frequency: 600 });

async function archiveHashes(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of await filesUnder(path.join(root, 'archive'))) out[rel] = await sha256Of(path.join(root, 'archive', rel));
  return out;
}

describe('re-dropped names', () => {
  it('archives the previous prompt with its version, logs it, and treats identical content as a duplicate', async () => {
    const root = newRoot();
    const inbox = path.join(root, 'inbox');
    const ready = path.join(root, 'ready', 'x.wav');
    const proc = startWatch([root, '--stable-ms', '500']);
    await proc.waitFor(ev('watching'), 'watching');

    await put(path.join(inbox, 'x.wav'), A);
    await proc.waitFor(ev('archived', 'x.wav'), 'version 1 archived');
    const p1 = await fs.readFile(ready);

    // New content under the same name: version 2.
    await put(path.join(inbox, 'x.wav'), B);
    await proc.waitFor(ev('archived', 'x.wav'), 'version 2 archived', { n: 2 });
    const converted = proc.events(ev('converted', 'x.wav'));
    expect(converted.map((c) => c.version)).toEqual([1, 2]);
    expect(converted[1]!.msg).toMatch(/version 2/);
    expect(converted[1]!.msg).toMatch(/previous prompt was archived as archive\/x\.v1\.prompt\.wav/);
    expect(await archiveHashes(root)).toEqual({
      'x.v1.wav': sha256(A),
      'x.v1.prompt.wav': sha256(p1),
      'x.v2.wav': sha256(B),
    });
    const p2 = await fs.readFile(ready);
    expect(sha256(p2)).not.toBe(sha256(p1));
    expect((await readStatsRecord(ready))).toMatchObject({ sourceSha256: sha256(B), outputSha256: sha256(p2) });

    // The same content again: a duplicate, nothing new archived, the inbox copy gone.
    await put(path.join(inbox, 'x.wav'), B);
    const dup = await proc.waitFor(ev('duplicate', 'x.wav'), 'duplicate');
    expect(dup.version).toBe(2);
    expect(proc.count(ev('converted', 'x.wav'))).toBe(2);
    expect(Object.keys(await archiveHashes(root)).sort()).toEqual(['x.v1.prompt.wav', 'x.v1.wav', 'x.v2.wav']);
    expect(sha256(await fs.readFile(ready))).toBe(sha256(p2));
    expect(await filesUnder(inbox)).toEqual([]);

    // Going back to the first content is a new version too (3), not a duplicate of 1.
    await put(path.join(inbox, 'x.wav'), A);
    await proc.waitFor(ev('archived', 'x.wav'), 'version 3 archived', { n: 3 });
    const third = proc.events(ev('converted', 'x.wav'))[2]!;
    expect(third.version).toBe(3);
    expect(third.msg).toMatch(/previous prompt was archived as archive\/x\.v2\.prompt\.wav/);
    expect(await archiveHashes(root)).toEqual({
      'x.v1.wav': sha256(A),
      'x.v1.prompt.wav': sha256(p1),
      'x.v2.wav': sha256(B),
      'x.v2.prompt.wav': sha256(p2),
      'x.v3.wav': sha256(A),
    });
    // Conversion is reproducible: the same source gives the same prompt bytes.
    expect(sha256(await fs.readFile(ready))).toBe(sha256(p1));

    const exit = await proc.stop();
    expect(exit.code, proc.tail()).toBe(0);
    expect(proc.nonJson).toEqual([]);
    expect(proc.count(ev('error'))).toBe(0);
    expect(await strayInReady(path.join(root, 'ready'))).toEqual([]);
  });

  it('replaces the prompt in ready/ atomically: a reader never finds it missing while a new version goes in', async () => {
    const root = newRoot();
    const inbox = path.join(root, 'inbox');
    const ready = path.join(root, 'ready', 'x.wav');
    const proc = startWatch([root, '--stable-ms', '300']);
    await proc.waitFor(ev('watching'), 'watching');
    await put(path.join(inbox, 'x.wav'), A);
    await proc.waitFor(ev('archived', 'x.wav'), 'version 1 archived');
    // Look for ready/x.wav as often as possible until version 2 is in, as an upload script might.
    let checks = 0;
    let missing = 0;
    let polling = true;
    const poll = (): void => {
      if (!polling) return;
      for (let i = 0; i < 500; i++) {
        checks++;
        if (!existsSync(ready)) missing++;
      }
      setImmediate(poll);
    };
    poll();
    await put(path.join(inbox, 'x.wav'), B);
    try {
      await proc.waitFor(ev('archived', 'x.wav'), 'version 2 archived', { n: 2 });
    } finally {
      polling = false;
    }
    expect(checks).toBeGreaterThan(1000);
    expect(missing, `ready/x.wav was missing in ${missing} of ${checks} looks`).toBe(0);
    expect((await readStatsRecord(ready))?.sourceSha256).toBe(sha256(B));
    expect(Object.keys(await archiveHashes(root)).sort()).toEqual(['x.v1.prompt.wav', 'x.v1.wav', 'x.v2.wav']);
    expect((await proc.stop()).code).toBe(0);
  });

  it('versions a subfolder prompt in its own archive subfolder (--once runs)', async () => {
    const root = newRoot();
    const src = path.join(root, 'inbox', 'callerHintTone', 'a.wav');
    await put(src, A);
    expect((await runOnce([root, '--stable-ms', '100'])).exit.code).toBe(0);
    await put(src, B);
    const { exit, proc } = await runOnce([root, '--stable-ms', '100']);
    expect(exit.code, proc.tail()).toBe(0);
    expect(proc.events(ev('converted', 'callerHintTone/a.wav'))[0]).toMatchObject({ output: 'callerHintTone/a.wav', version: 2 });
    expect(await filesUnder(path.join(root, 'archive'))).toEqual([
      'callerHintTone/a.v1.prompt.wav',
      'callerHintTone/a.v1.wav',
      'callerHintTone/a.v2.wav',
    ]);
    expect((await readStatsRecord(path.join(root, 'ready', 'callerHintTone', 'a.wav')))?.sourceSha256).toBe(sha256(B));
  });
});

describe('two sources for one prompt name in one batch', () => {
  it('makes them consecutive versions, one round after the other, never one replacing the other unseen', async () => {
    const root = newRoot();
    await put(path.join(root, 'inbox', 'y.wav'), A);
    await fs.mkdir(path.join(root, 'inbox'), { recursive: true });
    await makeMp3(path.join(root, 'inbox', 'y.mp3'), 0.5);
    const events: WatchEvent[] = [];
    const summary = await runWatch({ root, once: true, stableMs: 50, scanIntervalMs: 20, onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ converted: 2, rejected: 0, pending: 0 });
    const converted = events.filter((e) => e.type === 'converted');
    expect(converted.map((e) => e.version)).toEqual([1, 2]);
    expect(converted[1]!.message).toMatch(/previous prompt was archived as archive\/y\.v1\.prompt\.wav/);
    const archive = await filesUnder(path.join(root, 'archive'));
    expect(archive).toHaveLength(3);
    expect(archive).toContain('y.v1.prompt.wav');
    expect(archive.filter((f) => /^y\.v[12]\.(wav|mp3)$/.test(f))).toHaveLength(2);
  });
});

describe('journal: crash recovery', () => {
  /** Version 1 of x.wav prepared from A; returns the v1 prompt's bytes. */
  async function prepareV1(root: string): Promise<Buffer> {
    await put(path.join(root, 'inbox', 'x.wav'), A);
    const summary = await runWatch({ root, once: true, stableMs: 50, scanIntervalMs: 20 });
    expect(summary).toMatchObject({ converted: 1, rejected: 0 });
    return fs.readFile(path.join(root, 'ready', 'x.wav'));
  }

  /**
   * A crash after the old prompt was archived but before the new one was placed: the
   * intent is on disk, ready/x.wav is already in archive/ as the intent says, the new
   * source is still in the inbox.
   */
  async function crashAfterArchivingOldPrompt(root: string, version: number): Promise<{ p1: Buffer; intent: PlacementIntent }> {
    const p1 = await prepareV1(root);
    const layout = layoutFor(root);
    await put(path.join(layout.inbox, 'x.wav'), B);
    const intent: PlacementIntent = {
      source: 'x.wav',
      sourceSha256: sha256(B),
      output: 'x.wav',
      version,
      archiveSourceAs: `x.v${version}.wav`,
      previous: { sha256: sha256(p1), archiveAs: `x.v${version - 1}.prompt.wav` },
      createdAt: new Date().toISOString(),
    };
    await writeIntent(layout.journal, intent);
    await fs.rename(path.join(layout.ready, 'x.wav'), path.join(layout.archive, `x.v${version - 1}.prompt.wav`));
    return { p1, intent };
  }

  it('--once finishes the placement with the intent\'s version and duplicates nothing', async () => {
    const root = newRoot();
    const { p1 } = await crashAfterArchivingOldPrompt(root, 2);
    const { exit, proc } = await runOnce([root, '--stable-ms', '100']);
    expect(exit.code, proc.tail()).toBe(0);
    expect(proc.events(ev('recovering', 'x.wav'))[0]).toMatchObject({ version: 2 });
    expect(proc.events(ev('converted', 'x.wav')).map((c) => c.version)).toEqual([2]);
    expect(proc.events(ev('archived', 'x.wav'))[0]).toMatchObject({ version: 2, placedAt: 'archive/x.v2.wav' });
    expect(await archiveHashes(root)).toEqual({
      'x.v1.wav': sha256(A),
      'x.v1.prompt.wav': sha256(p1),
      'x.v2.wav': sha256(B),
    });
    const ready = path.join(root, 'ready', 'x.wav');
    expect((await readStatsRecord(ready))?.sourceSha256).toBe(sha256(B));
    expect((await checkFiles([ready])).summary.passed).toBe(1);
    expect(await readIntents(layoutFor(root).journal)).toEqual([]);
    expect(await filesUnder(path.join(root, 'inbox'))).toEqual([]);
    expect(await strayInReady(path.join(root, 'ready'))).toEqual([]);
  });

  it('uses the version number the intent recorded, not a recomputed one', async () => {
    const root = newRoot();
    // As if versions 2-4 had been archived and pruned by hand since the intent was written.
    const { p1 } = await crashAfterArchivingOldPrompt(root, 5);
    const events: WatchEvent[] = [];
    const summary = await runWatch({ root, once: true, stableMs: 50, scanIntervalMs: 20, onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ converted: 1, rejected: 0, pending: 0 });
    expect(events.filter((e) => e.type === 'converted').map((e) => e.version)).toEqual([5]);
    expect(await archiveHashes(root)).toEqual({
      'x.v1.wav': sha256(A),
      'x.v4.prompt.wav': sha256(p1),
      'x.v5.wav': sha256(B),
    });
  });

  it('ignores an intent whose source was replaced since, and gives the new content the next version', async () => {
    const root = newRoot();
    const { p1 } = await crashAfterArchivingOldPrompt(root, 2);
    const C = pcmWav({ seconds: 0.5, seed: 3, frequency: 800 });
    await put(path.join(root, 'inbox', 'x.wav'), C);
    const summary = await runWatch({ root, once: true, stableMs: 50, scanIntervalMs: 20 });
    expect(summary).toMatchObject({ converted: 1, rejected: 0, pending: 0 });
    expect(await archiveHashes(root)).toEqual({
      'x.v1.wav': sha256(A),
      'x.v1.prompt.wav': sha256(p1),
      'x.v2.wav': sha256(C),
    });
    expect(await readIntents(layoutFor(root).journal)).toEqual([]);
  });

  it('removes the temporary file of an intent whose write was cut short by the crash', async () => {
    const root = newRoot();
    const layout = layoutFor(root);
    await put(path.join(root, 'inbox', 'z.wav'), A);
    // What writeFileAtomic leaves when killed between open and rename.
    await put(path.join(layout.journal, '.0123456789abcdef0123456789abcdef.json.a1b2c3d4e5f6.partial'), '{"source":"z.w');
    const summary = await runWatch({ root, once: true, stableMs: 50, scanIntervalMs: 20 });
    expect(summary).toMatchObject({ converted: 1, rejected: 0, pending: 0 });
    expect(await filesUnder(layout.journal)).toEqual([]);
    expect(await filesUnder(layout.staging)).toEqual([]);
  });

  it('drops an intent whose source is no longer in the inbox (it was placed before the crash)', async () => {
    const root = newRoot();
    await prepareV1(root);
    const layout = layoutFor(root);
    const before = await archiveHashes(root);
    await writeIntent(layout.journal, {
      source: 'x.wav',
      sourceSha256: sha256(A),
      output: 'x.wav',
      version: 1,
      archiveSourceAs: 'x.v1.wav',
      previous: null,
      createdAt: new Date().toISOString(),
    });
    const summary = await runWatch({ root, once: true, stableMs: 50, scanIntervalMs: 20 });
    expect(summary).toEqual({ converted: 0, rejected: 0, failed: 0, pending: 0 });
    expect(await archiveHashes(root)).toEqual(before);
    expect(await readIntents(layout.journal)).toEqual([]);
    expect(await exists(path.join(root, 'ready', 'x.wav'))).toBe(true);
  });
});
