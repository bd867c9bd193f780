/**
 * Stopping and polling: SIGINT/SIGTERM stop taking new files, finish (or cleanly
 * abandon) the ones in flight and exit 0, leaving every source placed or still in the
 * inbox; --poll and PROMPTPREP_WATCH_POLL make the watcher poll.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { ev, killAllWatchers, runOnce, startWatch } from './helpers/watch-harness.js';
import { alawWav, exists, filesUnder, hashesUnder, pcmWav, put, sha256, sha256Of, strayInReady } from './helpers/watch-files.js';

let tmp: string;
let n = 0;
const newRoot = (): string => path.join(tmp, `root${++n}`);
beforeAll(async () => {
  tmp = await makeTempDir('promptprep-watch-signals-');
});
afterEach(async () => {
  await killAllWatchers();
});
afterAll(async () => {
  await removeTempDir(tmp);
});

describe('signals', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} while idle: exits 0 after logging stopping and a summary`, async () => {
      const proc = startWatch([newRoot(), '--stable-ms', '500']);
      await proc.waitFor(ev('watching'), 'watching');
      await proc.kill(signal);
      const exit = await proc.waitExit(10_000);
      expect(exit, proc.tail()).toEqual({ code: 0, signal: null });
      expect(proc.count(ev('stopping'))).toBe(1);
      expect(proc.events(ev('summary'))[0]).toMatchObject({ converted: 0, rejected: 0, pending: 0 });
      expect(proc.nonJson).toEqual([]);
    });
  }

  it('SIGTERM while a batch is in flight: exits 0, every source placed or still in the inbox, ready/ clean', async () => {
    const root = newRoot();
    const inbox = path.join(root, 'inbox');
    const sources = new Map<string, Buffer>();
    for (let k = 0; k < 24; k++) {
      const data = k % 2 === 0 ? pcmWav({ seconds: 0.4, seed: 700 + k }) : alawWav({ seconds: 0.4, seed: 700 + k });
      const rel = `${k % 5 === 4 ? 'callerHintTone/' : ''}s${String(k).padStart(2, '0')}.wav`;
      sources.set(rel, data);
      await put(path.join(inbox, rel), data);
    }
    expect(new Set([...sources.values()].map(sha256)).size, 'every source distinct').toBe(sources.size);
    const proc = startWatch([root, '--stable-ms', '200']);
    await proc.waitFor(ev('queued'), 'the first queued event');
    // A second wave, seen but not yet settled when the signal comes: abandoned in the inbox.
    for (let k = 24; k < 30; k++) {
      const data = pcmWav({ seconds: 0.4, seed: 700 + k });
      sources.set(`w${k}.wav`, data);
      await put(path.join(inbox, `w${k}.wav`), data);
    }
    await proc.kill('SIGTERM');
    // Dropped after the signal: must not be taken.
    const late = pcmWav({ seconds: 0.4, seed: 799 });
    await put(path.join(inbox, 'late.wav'), late);
    const exit = await proc.waitExit(30_000);
    expect(exit, proc.tail()).toEqual({ code: 0, signal: null });
    expect(proc.nonJson).toEqual([]);
    expect(proc.count(ev('error'))).toBe(0);

    expect(await sha256Of(path.join(inbox, 'late.wav'))).toBe(sha256(late));
    expect(proc.count(ev('queued', 'late.wav'))).toBe(0);

    const archived = await hashesUnder(path.join(root, 'archive'));
    let placed = 0;
    let abandoned = 0;
    for (const [rel, data] of sources) {
      const h = sha256(data);
      const inInbox = (await exists(path.join(inbox, rel))) && (await sha256Of(path.join(inbox, rel))) === h;
      const inArchive = archived.get(h) ?? [];
      // Exactly one place: abandoned (untouched in the inbox) or placed (archived, prompt ready).
      expect(Number(inInbox) + inArchive.length, `${rel}: in the inbox ${inInbox}, archived as ${inArchive.join(', ')}`).toBe(1);
      if (inArchive.length === 1) {
        placed++;
        expect(await exists(path.join(root, 'ready', rel)), `ready/${rel}`).toBe(true);
      } else {
        abandoned++;
        expect(await exists(path.join(root, 'ready', rel)), `ready/${rel} without its source archived`).toBe(false);
      }
    }
    const summary = proc.events(ev('summary'))[0];
    expect(summary).toMatchObject({ converted: placed, rejected: 0, pending: abandoned + 1 });
    expect(await filesUnder(path.join(root, 'rejected'))).toEqual([]);
    expect(await strayInReady(path.join(root, 'ready'))).toEqual([]);
    expect(await filesUnder(path.join(root, '.promptprep', 'journal'))).toEqual([]);

    // A restart finishes the rest, duplicating nothing.
    const again = await runOnce([root, '--stable-ms', '100']);
    expect(again.exit.code, again.proc.tail()).toBe(0);
    expect(await filesUnder(inbox)).toEqual([]);
    const all = await hashesUnder(path.join(root, 'archive'));
    for (const [rel, data] of [...sources, ['late.wav', late] as const]) {
      expect(all.get(sha256(data))?.length, rel).toBe(1);
    }
  });
});

describe('polling', () => {
  async function pollRun(args: string[], env: Record<string, string | undefined>): Promise<void> {
    const root = newRoot();
    await put(path.join(root, 'inbox', 'before.wav'), pcmWav({ seconds: 0.4, seed: 901 }));
    const proc = startWatch([root, '--stable-ms', '300', ...args], { env });
    const watching = await proc.waitFor(ev('watching'), 'watching');
    expect(watching.poll).toBe(true);
    await proc.waitFor(ev('archived', 'before.wav'), 'before.wav archived');
    await put(path.join(root, 'inbox', 'callerHintTone', 'after.wav'), alawWav({ seconds: 0.4, seed: 902 }));
    await proc.waitFor(ev('archived', 'callerHintTone/after.wav'), 'after.wav archived (found by polling)');
    const exit = await proc.stop();
    expect(exit.code, proc.tail()).toBe(0);
    expect((await filesUnder(path.join(root, 'ready'))).filter((f) => f.endsWith('.wav') && !f.includes('.promptprep/'))).toEqual([
      'before.wav',
      'callerHintTone/after.wav',
    ]);
  }

  it('--poll picks up pre-existing and new files by polling', async () => {
    await pollRun(['--poll'], {});
  });

  it('PROMPTPREP_WATCH_POLL=1 turns polling on', async () => {
    await pollRun([], { PROMPTPREP_WATCH_POLL: '1' });
  });

  it('PROMPTPREP_WATCH_POLL=0 leaves file-system events on', async () => {
    const proc = startWatch([newRoot(), '--stable-ms', '300'], { env: { PROMPTPREP_WATCH_POLL: '0' } });
    const watching = await proc.waitFor(ev('watching'), 'watching');
    expect(watching.poll).toBe(false);
    expect((await proc.stop()).code).toBe(0);
  });
});
