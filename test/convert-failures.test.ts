/**
 * Every way a `convert` source can fail, each with its exact error code, on real files;
 * names the platform rejects, collisions, names that look like ffmpeg options, outputs
 * promptprep did not write, --rename and --on-oversize trim. A failure never stops the
 * rest of the batch and leaves nothing behind in the output directory.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../src/check.js';
import { convertFiles, type ConvertFileResult, type ConvertReport } from '../src/convert/index.js';
import { runCli } from './helpers/cli.js';
import {
  codec,
  exists,
  inParallel,
  listTree,
  makeSource,
  makeVideoOnly,
  readPrompt,
  rmsDb,
  speechExpr,
  toneExpr,
} from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
const p = (...parts: string[]): string => path.join(dir, ...parts);

function byName(report: ConvertReport, name: string): ConvertFileResult {
  const r = report.files.find((f) => path.basename(f.source) === name);
  if (!r) throw new Error(`no result for ${name}: ${report.files.map((f) => f.source).join(', ')}`);
  return r;
}
const errorCodes = (r: ConvertFileResult): string[] => r.errors.map((e) => e.code);

/** Only prompts (and the hidden stats folder) in an output directory: no partials, no strays. */
async function expectOnlyOutputs(outDir: string, outputs: string[]): Promise<void> {
  const tree = await listTree(outDir);
  expect(tree.filter((f) => f.endsWith('.partial'))).toEqual([]);
  expect(tree.filter((f) => f === '.promptprep/' || !f.startsWith('.promptprep/'))).toEqual(['.promptprep/', ...outputs].sort());
  expect(tree.filter((f) => f.startsWith('.promptprep/') && f !== '.promptprep/').sort()).toEqual(outputs.map((o) => `.promptprep/${o}.json`).sort());
}

beforeAll(async () => {
  dir = await makeTempDir('promptprep-convert-failures-');
  for (const d of ['bad', 'big', 'names', 'exists', 'same', 'batch']) await fs.mkdir(p(d));
  const tone = { seconds: 1, expr: toneExpr(440, -18) };
  await inParallel([
    // -- bad: one of each failure, beside good sources
    () => fs.writeFile(p('bad', 'notes.mp3'), 'These are my notes, not a recording.\n'.repeat(20)),
    () => makeVideoOnly(p('bad', 'video-only.mp4')),
    () => fs.writeFile(p('bad', 'empty.wav'), Buffer.alloc(0)),
    async () => {
      const full = await makeSource(p('half-source.mp3'), { seconds: 2, expr: tone.expr, rate: 44100, codec: codec('mp3') });
      const b = await fs.readFile(full);
      await fs.writeFile(p('bad', 'half.mp3'), b.subarray(0, b.length >> 1));
    },
    async () => {
      const full = await makeSource(p('cut-source.wav'), { seconds: 2, expr: tone.expr, rate: 16000 });
      const b = await fs.readFile(full);
      await fs.writeFile(p('bad', 'cut-data.wav'), b.subarray(0, 44 + 16000));
    },
    () => makeSource(p('bad', 'wait voice.mp3'), { ...tone, codec: codec('mp3') }),
    () => makeSource(p('bad', 'a.mp3'), { ...tone, codec: codec('mp3') }),
    () => makeSource(p('bad', 'a.flac'), { ...tone, codec: codec('flac') }),
    () => makeSource(p('bad', 'good.flac'), { ...tone, codec: codec('flac') }),
    () => makeSource(p('bad', 'good-pcm.wav'), { ...tone, rate: 44100 }),
    // -- big: over the size limit (run with maxBytes 12000: at most 1.49 s)
    () => makeSource(p('big', 'long.mp3'), { seconds: 2, expr: toneExpr(440, -12), rate: 44100, codec: codec('mp3') }),
    () => makeSource(p('big', 'long-alaw.wav'), { seconds: 2, expr: toneExpr(440, -12), rate: 8000, codec: codec('alaw') }),
    // -- names that start with "-": never ffmpeg options
    () => makeSource(p('names', '-y.mp3'), { ...tone, rate: 44100, codec: codec('mp3') }),
    () => makeSource(p('names', '-i.wav'), { ...tone, rate: 44100, channels: 2 }),
    // -- exists: an output promptprep did not write
    () => makeSource(p('exists', 'hello.flac'), { ...tone, codec: codec('flac') }),
    // -- same: output would be the source itself
    () => makeSource(p('same', 'prompt.wav'), { ...tone, rate: 8000, codec: codec('alaw') }),
    () => makeSource(p('same', 'other.wav'), { ...tone, rate: 16000 }),
    // -- batch: 10 good + 1 that music-metadata accepts (a WAV) but ffmpeg cannot decode
    ...Array.from({ length: 10 }, (_, i) => () =>
      makeSource(p('batch', `ok-${i}.${i % 2 ? 'mp3' : 'wav'}`), {
        seconds: 0.5,
        expr: toneExpr(300 + 50 * i, -20),
        rate: 22050,
        ...(i % 2 ? { codec: codec('mp3') } : {}),
      }),
    ),
    async () => {
      const f = await makeSource(p('codec-source.wav'), { seconds: 0.5, rate: 22050 });
      const b = Buffer.from(await fs.readFile(f));
      b.writeUInt16LE(0x4242, 20); // a format tag no decoder knows
      await fs.writeFile(p('batch', 'ok-5-corrupt.wav'), b);
    },
  ]);
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('convert: each failure has its code, and the others still convert', () => {
  let report: ConvertReport;
  const out = (): string => p('bad-out');
  beforeAll(async () => {
    report = await convertFiles([p('bad')], { outDir: out(), jobs: 2 });
  });

  it.each([
    ['notes.mp3', 'not-audio'],
    ['video-only.mp4', 'no-audio-stream'],
    ['empty.wav', 'empty'],
    ['half.mp3', 'truncated'],
    ['cut-data.wav', 'truncated'],
    ['wait voice.mp3', 'name-charset'],
    ['a.mp3', 'name-collision'],
    ['a.flac', 'name-collision'],
  ])('%s fails with %s', (name, code) => {
    const r = byName(report, name);
    expect(r.status).toBe('failed');
    expect(r.output).toBeNull();
    expect(errorCodes(r)).toEqual([code]);
    expect(r.errors[0]!.message.length).toBeGreaterThan(10);
  });

  it('a bad name suggests the valid one', () => {
    expect(byName(report, 'wait voice.mp3').errors[0]!.message).toContain('"wait_voice.wav"');
  });

  it('a collision names both sources and writes neither', async () => {
    expect(byName(report, 'a.mp3').errors[0]!.message).toContain('a.flac');
    expect(byName(report, 'a.flac').errors[0]!.message).toContain('a.mp3');
    expect(await exists(path.join(out(), 'a.wav'))).toBe(false);
  });

  it('the good sources convert', () => {
    expect(byName(report, 'good.flac').status).toBe('converted');
    expect(byName(report, 'good-pcm.wav').status).toBe('converted');
    expect(report.summary).toMatchObject({ total: 10, converted: 2, failed: 8, skipped: 0 });
  });

  it('leaves only the successful outputs and the stats folder: no partials, nothing from failures', async () => {
    await expectOnlyOutputs(out(), ['good.wav', 'good-pcm.wav']);
  });
});

describe('convert: oversize sources', () => {
  const maxBytes = 12_000;
  const maxSeconds = ((maxBytes - 58) / 8000).toFixed(2); // "1.49"

  it('fail up front with too-long, naming the maximum duration; nothing written', async () => {
    const out = p('big-fail');
    const report = await convertFiles([p('big')], { outDir: out, maxBytes, jobs: 2 });
    for (const name of ['long.mp3', 'long-alaw.wav']) {
      const r = byName(report, name);
      expect(r.status).toBe('failed');
      expect(errorCodes(r)).toEqual(['too-long']);
      expect(r.errors[0]!.message).toContain(`at most ${maxSeconds} s`);
      expect(r.errors[0]!.message).toContain('--on-oversize trim');
    }
    expect((await listTree(out)).filter((f) => f.endsWith('.wav') || f.endsWith('.partial'))).toEqual([]);
  });

  it('--on-oversize trim cuts to fit with a fade-out and warns cut-to-fit', async () => {
    const out = p('big-trim');
    const report = await convertFiles([p('big')], { outDir: out, maxBytes, onOversize: 'trim', jobs: 2 });
    for (const name of ['long.wav', 'long-alaw.wav']) {
      const r = report.files.find((f) => f.output === path.join(out, name));
      expect(r?.status, name).toBe('converted');
      expect(r!.warnings.map((w) => w.code)).toContain('cut-to-fit');
      expect(r!.stats?.cutToFit).toBe(true);
      const prompt = await readPrompt(path.join(out, name));
      expect(prompt.bytes.length).toBeLessThanOrEqual(maxBytes);
      expect(prompt.bytes.length).toBeGreaterThan(maxBytes - 4);
      const n = prompt.samples.length;
      // The fade ends at (A-law's) zero: the last sample is silent, the last 40 ms far under the body.
      expect(Math.abs(prompt.samples[n - 1]!)).toBeLessThanOrEqual(8);
      expect(rmsDb(prompt.samples, n - 320, n)).toBeLessThan(rmsDb(prompt.samples, 0, 8000) - 20);
      // ...and it is a fade, not a cut to silence: the level falls over the last half second.
      expect(rmsDb(prompt.samples, n - 4000, n - 3000)).toBeGreaterThan(rmsDb(prompt.samples, n - 1000, n));
    }
    const check = await checkFiles([out], { maxBytes });
    expect(check.files.map((f) => f.errors)).toEqual([[], []]);
  });
});

describe('convert: names', () => {
  it('--rename applies the suggested name', async () => {
    const out = p('renamed');
    const report = await convertFiles([p('bad', 'wait voice.mp3')], { outDir: out, rename: true });
    expect(report.files[0]).toMatchObject({ status: 'converted', output: path.join(out, 'wait_voice.wav'), errors: [] });
    await readPrompt(path.join(out, 'wait_voice.wav'));
  });

  it('names starting with "-" convert correctly (library)', async () => {
    const out = p('dash-lib');
    const report = await convertFiles([p('names')], { outDir: out, jobs: 1 });
    expect(report.files.map((f) => [path.basename(f.source), f.status, f.output])).toEqual([
      ['-i.wav', 'converted', path.join(out, '-i.wav')],
      ['-y.mp3', 'converted', path.join(out, '-y.wav')],
    ]);
    for (const name of ['-i.wav', '-y.wav']) {
      const prompt = await readPrompt(path.join(out, name));
      expect(Math.abs(prompt.seconds - 1)).toBeLessThanOrEqual(0.05);
      expect(Math.abs(prompt.stats.rmsDb + 18)).toBeLessThan(1);
    }
  });

  it('names starting with "-" convert correctly (CLI, after --)', async () => {
    const out = p('dash-cli');
    const res = await runCli(['convert', '--out', out, '--json', '--', '-y.mp3', '-i.wav'], { cwd: p('names') });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as ConvertReport;
    expect(report.files.map((f) => [f.source, f.status])).toEqual([
      ['-i.wav', 'converted'],
      ['-y.mp3', 'converted'],
    ]);
    expect((await listTree(out)).filter((f) => !f.startsWith('.promptprep'))).toEqual(['-i.wav', '-y.wav']);
  });
});

describe('convert: outputs promptprep did not write', () => {
  it('an existing file fails output-exists and is left untouched; --force replaces it', async () => {
    const out = p('exists-out');
    await fs.mkdir(out);
    const target = path.join(out, 'hello.wav');
    await fs.writeFile(target, 'somebody else made this');
    const before = await fs.stat(target);
    const report = await convertFiles([p('exists')], { outDir: out });
    expect(report.files[0]!.status).toBe('failed');
    expect(errorCodes(report.files[0]!)).toEqual(['output-exists']);
    expect(report.files[0]!.errors[0]!.message).toContain('--force');
    expect(await fs.readFile(target, 'utf8')).toBe('somebody else made this');
    expect((await fs.stat(target)).mtimeMs).toBe(before.mtimeMs);
    expect((await listTree(out)).filter((f) => f !== 'hello.wav')).toEqual([]);

    const forced = await convertFiles([p('exists')], { outDir: out, force: true });
    expect(forced.files[0]!.status).toBe('converted');
    await readPrompt(target);
  });

  it('an output that is the source itself fails would-overwrite-source, even with --force', async () => {
    const original = await fs.readFile(p('same', 'prompt.wav'));
    const other = await fs.readFile(p('same', 'other.wav'));
    for (const force of [false, true]) {
      const report = await convertFiles([p('same')], { outDir: p('same'), force });
      for (const r of report.files) {
        expect(r.status).toBe('failed');
        expect(errorCodes(r)).toEqual(['would-overwrite-source']);
      }
    }
    expect((await fs.readFile(p('same', 'prompt.wav'))).equals(original)).toBe(true);
    expect((await fs.readFile(p('same', 'other.wav'))).equals(other)).toBe(true);
    expect(await listTree(p('same'))).toEqual(['other.wav', 'prompt.wav']);
  });
});

describe('convert: one bad file does not fail the batch', () => {
  it('10 good sources and one ffmpeg cannot decode (music-metadata accepts it): only that one fails', async () => {
    const out = p('batch-out');
    const report = await convertFiles([p('batch')], { outDir: out, jobs: 2 });
    const corrupt = byName(report, 'ok-5-corrupt.wav');
    expect(corrupt.status).toBe('failed');
    expect(errorCodes(corrupt)).toEqual(['decode-failed']);
    const good = report.files.filter((f) => f !== corrupt);
    expect(good.length).toBe(10);
    for (const r of good) expect([path.basename(r.source), r.status]).toEqual([path.basename(r.source), 'converted']);
    await expectOnlyOutputs(
      out,
      good.map((r) => path.basename(r.output!)),
    );
    // The same bytes as each converted on its own: the failed shared process changed nothing.
    const alone = await convertFiles([p('batch', 'ok-4.wav')], { outDir: p('batch-alone') });
    expect((await fs.readFile(alone.files[0]!.output!)).equals(await fs.readFile(path.join(out, 'ok-4.wav')))).toBe(true);
  });
});

describe('convert: speech-like sources', () => {
  it('a speech-like source converts (sanity check of the test signal)', async () => {
    const f = await makeSource(p('speech.wav'), { seconds: 1.8, expr: speechExpr(-20) });
    const report = await convertFiles([f], { outDir: p('speech-out') });
    expect(report.files[0]!.status).toBe('converted');
    const prompt = await readPrompt(path.join(p('speech-out'), 'speech.wav'));
    expect(Math.abs(prompt.stats.activeDb + 20)).toBeLessThan(1.5);
  });
});
