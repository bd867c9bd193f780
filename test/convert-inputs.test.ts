/**
 * `convert` on every kind of input the issue names, each made with real ffmpeg: every
 * output is the canonical 58-byte-header A-law prompt, passes `check`, and lasts as long
 * as its source. A conforming A-law source keeps its exact data bytes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFiles } from '../src/check.js';
import { convertFiles, type ConvertReport } from '../src/convert/index.js';
import { runCli } from './helpers/cli.js';
import { codec, inParallel, listTree, makeSource, readPrompt, toneExpr, type SourceSpec } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { listChunks } from './helpers/wav-edit.js';

const SECONDS = 1.5;
/** Level of every source's tone, dBFS RMS. */
const LEVEL_DB = -18;

interface InputCase {
  name: string;
  spec: SourceSpec;
  /** Output level may differ from the source's (a 5.1 downmix). */
  levelChanges?: boolean;
}

const tone = toneExpr(440, LEVEL_DB);
const cases: InputCase[] = [
  { name: 'pcm16-44k-stereo.wav', spec: { rate: 44100, channels: 2, codec: codec('s16') } },
  { name: 'pcm24-48k.wav', spec: { rate: 48000, codec: codec('s24') } },
  { name: 'float32-32k.wav', spec: { rate: 32000, codec: codec('f32') } },
  { name: 'mulaw-8k.wav', spec: { rate: 8000, codec: codec('mulaw') } },
  { name: 'alaw-canonical.wav', spec: { rate: 8000, codec: codec('alaw') } },
  { name: 'alaw-list-chunk.wav', spec: { rate: 8000, codec: codec('alaw'), bitexact: false } },
  // 12001 samples: the data chunk has an odd length and a pad byte.
  { name: 'alaw-odd-length.wav', spec: { rate: 8000, codec: codec('alaw'), seconds: SECONDS + 1 / 8000 } },
  { name: 'speech.mp3', spec: { rate: 44100, codec: codec('mp3') } },
  { name: 'lossless.flac', spec: { rate: 22050, channels: 2, codec: codec('flac') } },
  { name: 'opus-voice.opus', spec: { rate: 48000, codec: codec('opus'), format: 'ogg' } },
  { name: 'vorbis-voice.ogg', spec: { rate: 44100, codec: codec('vorbis') } },
  { name: 'aac-voice.m4a', spec: { rate: 44100, codec: codec('aac') } },
  { name: 'clip.mp4', spec: { rate: 44100, codec: codec('aac'), video: true } },
  // The same tone in all six channels: the dialogue-keeping downmix (downmix.ts) keeps its level.
  { name: 'surround-5.1.wav', spec: { rate: 48000, layout: '5.1', codec: codec('s16') } },
];

let dir: string;
let src: string;
let out: string;
let report: ConvertReport;
const outputOf = (name: string): string => path.join(out, `${path.basename(name, path.extname(name))}.wav`);

beforeAll(async () => {
  dir = await makeTempDir('promptprep-convert-inputs-');
  src = path.join(dir, 'src');
  out = path.join(dir, 'out');
  await fs.mkdir(src);
  await inParallel(cases.map((c) => () => makeSource(path.join(src, c.name), { seconds: SECONDS, expr: tone, ...c.spec })));
  report = await convertFiles([src], { outDir: out, jobs: 2 });
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('convert: every input kind', () => {
  it('converts every source, and nothing else is written', async () => {
    expect(report.files.map((f) => [path.basename(f.source), f.status, f.errors])).toEqual(
      [...cases].map((c) => c.name).sort().map((n) => [n, 'converted', []]),
    );
    expect(report.summary).toMatchObject({ total: cases.length, converted: cases.length, skipped: 0, failed: 0 });
    const tree = await listTree(out);
    const outputs = tree.filter((p) => !p.startsWith('.promptprep/') && p !== '.promptprep/');
    expect(outputs).toEqual(cases.map((c) => path.basename(outputOf(c.name))).sort());
    expect(tree.filter((p) => p.endsWith('.partial'))).toEqual([]);
  });

  it.each(cases)('$name: canonical header, same duration and level as the source', async (c) => {
    const prompt = await readPrompt(outputOf(c.name));
    expect(Math.abs(prompt.seconds - SECONDS), `duration ${prompt.seconds} s`).toBeLessThanOrEqual(0.05);
    if (!c.levelChanges) {
      expect(Math.abs(prompt.stats.rmsDb - LEVEL_DB), `level ${prompt.stats.rmsDb} dBFS`).toBeLessThan(1);
    } else {
      expect(prompt.stats.peakDb).toBeGreaterThan(-40);
    }
    const result = report.files.find((f) => path.basename(f.source) === c.name);
    expect(result?.output).toBe(outputOf(c.name));
    expect(result?.stats?.bytes).toBe(prompt.bytes.length);
  });

  it('every output passes checkFiles with no errors', async () => {
    const check = await checkFiles([out]);
    expect(check.files.length).toBe(cases.length);
    for (const f of check.files) expect(f.errors, f.path).toEqual([]);
    expect(check.summary.failed).toBe(0);
  });

  it('every output passes `promptprep check` (CLI, exit 0)', async () => {
    const res = await runCli(['check', out]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });
});

describe('convert: a conforming A-law source is kept byte for byte', () => {
  async function sourceData(name: string): Promise<{ bytes: Buffer; data: Buffer; ids: string[] }> {
    const bytes = await fs.readFile(path.join(src, name));
    const chunks = listChunks(bytes);
    const d = chunks.find((c) => c.id === 'data')!;
    return { bytes, data: bytes.subarray(d.offset + 8, d.offset + 8 + d.size), ids: chunks.map((c) => c.id) };
  }

  it('canonical source: identical data, and the whole file is identical', async () => {
    const s = await sourceData('alaw-canonical.wav');
    expect(s.ids).toEqual(['fmt ', 'fact', 'data']);
    const prompt = await readPrompt(outputOf('alaw-canonical.wav'));
    expect(prompt.data.equals(s.data)).toBe(true);
    expect(prompt.bytes.equals(s.bytes)).toBe(true);
  });

  it('source with a LIST chunk: identical data, header canonicalised (LIST removed)', async () => {
    const s = await sourceData('alaw-list-chunk.wav');
    expect(s.ids).toContain('LIST');
    const prompt = await readPrompt(outputOf('alaw-list-chunk.wav'));
    expect(prompt.data.equals(s.data)).toBe(true);
    expect(listChunks(prompt.bytes).map((c) => c.id)).toEqual(['fmt ', 'fact', 'data']);
    expect(prompt.bytes.includes(Buffer.from('LIST'))).toBe(false);
  });

  it('source with an odd number of samples: identical data, padded to an even chunk', async () => {
    const s = await sourceData('alaw-odd-length.wav');
    expect(s.data.length).toBe(12001);
    const prompt = await readPrompt(outputOf('alaw-odd-length.wav'));
    expect(prompt.data.equals(s.data)).toBe(true);
    expect(prompt.bytes.length).toBe(58 + 12001 + 1);
  });
});
