/**
 * Issue #12.2: `check` and `convert` judge a WAV source alike. A file that is not a whole
 * prompt (an empty data chunk) fails both with the same code; an A-law file that is whole
 * but laid out oddly fails `check` with a named finding and `convert` rewrites it into the
 * canonical layout, carrying the same audio bytes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile } from '../src/check.js';
import { convertFiles, type ConvertReport } from '../src/convert/index.js';
import { parseJsonReport, runCli } from './helpers/cli.js';
import { expectCanonicalPrompt } from './helpers/convert-audio.js';
import { makeTone } from './helpers/ffmpeg.js';
import { verdict } from './helpers/findings.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { audioOf, dataBeforeFmt, duplicateData, duplicateFmt, emptyData, extensibleAlaw, factMismatch } from './helpers/wav-odd.js';

let dir: string;
let valid: Buffer;
let report: ConvertReport;
const src = (name: string): string => path.join(dir, 'src', name);

const ODD = [
  ['two-data.wav', duplicateData, { errors: ['duplicate-chunk'], warnings: [] }],
  ['two-fmt.wav', duplicateFmt, { errors: ['duplicate-chunk'], warnings: [] }],
  ['data-first.wav', dataBeforeFmt, { errors: ['chunk-order'], warnings: [] }],
  ['fact-count.wav', (b: Buffer) => factMismatch(b), { errors: ['fact-mismatch'], warnings: [] }],
  ['extensible-alaw.wav', extensibleAlaw, { errors: [], warnings: ['extensible-format'] }],
] as const;

beforeAll(async () => {
  dir = await makeTempDir('promptprep-agree-');
  await fs.mkdir(path.join(dir, 'src'));
  const seed = path.join(dir, 'seed.wav');
  await makeTone(seed, { seconds: 1 });
  valid = await fs.readFile(seed);
  await fs.writeFile(src('empty-data.wav'), emptyData(valid));
  for (const [name, make] of ODD) await fs.writeFile(src(name), make(valid));
  report = await convertFiles([path.join(dir, 'src')], { outDir: path.join(dir, 'out'), jobs: 1 });
});

afterAll(async () => {
  await removeTempDir(dir);
});

const resultOf = (name: string) => {
  const r = report.files.find((f) => path.basename(f.source) === name);
  if (!r) throw new Error(`convert reported nothing for ${name}`);
  return r;
};

describe('a WAV with an empty data chunk (58 bytes, fact says 25,508 samples)', () => {
  it('is 58 bytes, as in the issue', () => {
    expect(emptyData(valid).length).toBe(58);
  });

  it('fails check, even without --strict, with empty-data', async () => {
    expect(verdict(await checkFile(src('empty-data.wav')))).toEqual({ ok: false, errors: ['empty-data'], warnings: [] });
  });

  it('fails convert with the same code, and nothing is written', async () => {
    const r = resultOf('empty-data.wav');
    expect(r.status).toBe('failed');
    expect(r.output).toBeNull();
    expect(r.errors.map((e) => e.code)).toEqual(['empty-data']);
    expect(r.errors[0]!.message).toContain('empty-data.wav');
    await expect(fs.stat(path.join(dir, 'out', 'empty-data.wav'))).rejects.toThrow();
  });

  it('fails `check --strict --format json` in the CLI with exit 1', async () => {
    const res = await runCli(['check', '--strict', '--format', 'json', src('empty-data.wav')], { cwd: dir });
    expect(res.code).toBe(1);
    const json = parseJsonReport(res.stdout);
    expect(json.files[0]!.errors.map((e) => e.code)).toEqual(['empty-data']);
  });
});

describe.each(ODD.map(([name, , expected]) => [name, expected] as const))('%s', (name, expected) => {
  it('gets its own finding from check', async () => {
    const v = verdict(await checkFile(src(name)));
    expect(v).toEqual({ ok: expected.errors.length === 0, ...expected });
  });

  it('is rewritten canonically by convert, the audio bytes unchanged, and then passes check clean', async () => {
    const r = resultOf(name);
    expect(r.errors).toEqual([]);
    expect(r.status).toBe('converted');
    const bytes = await fs.readFile(r.output!);
    const data = expectCanonicalPrompt(bytes, name);
    expect(data.equals(audioOf(valid))).toBe(true);
    expect(verdict(await checkFile(r.output!))).toEqual({ ok: true, errors: [], warnings: [] });
  });
});
