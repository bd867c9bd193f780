/**
 * Issue #12.1: a valid prompt may carry hundreds of thousands of tiny chunks. The finding
 * summarises them (a count and the first few ids), the report is written as it goes, and
 * a file is walked chunk by chunk: memory stays small whatever the file count or size.
 * The CLI runs here with a capped V8 heap, so building everything in memory fails loudly.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile, checkFiles } from '../src/check.js';
import { writeCheckReport } from '../src/report/check-report.js';
import { canonicalPrompt } from './helpers/audio.js';
import { parseJsonReport, runCli } from './helpers/cli.js';
import { verdict } from './helpers/findings.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { fixRiffSize } from './helpers/wav-edit.js';

let dir: string;
const f = (...parts: string[]): string => path.join(dir, ...parts);

/** A valid 1 s prompt followed by empty chunks (8 bytes each) up to `totalBytes`. */
function manyChunks(totalBytes: number, ids = ['JUNK', 'LIST', 'bext', 'id3 ']): Buffer {
  const prompt = canonicalPrompt(1);
  const count = Math.floor((totalBytes - prompt.length) / 8);
  const out = Buffer.alloc(prompt.length + count * 8);
  prompt.copy(out);
  for (let i = 0, pos = prompt.length; i < count; i++, pos += 8) out.write(ids[i % ids.length]!, pos, 'latin1');
  return fixRiffSize(out);
}

/** The 1,999,998-byte file of the issue: ~250,000 empty chunks, under the 2,000,000-byte limit. */
const ISSUE_BYTES = 1_999_998;
const ISSUE_EXTRA = Math.floor((ISSUE_BYTES - canonicalPrompt(1).length) / 8);
const HEAP = { NODE_OPTIONS: '--max-old-space-size=96' };

beforeAll(async () => {
  dir = await makeTempDir('promptprep-chunks-');
  await fs.mkdir(f('many'));
  await fs.writeFile(f('one.wav'), manyChunks(ISSUE_BYTES));
  // 62 names for the same bytes: the issue's crash, without 124 MB of disk.
  for (let i = 0; i < 62; i++) await fs.link(f('one.wav'), f('many', `p${String(i).padStart(2, '0')}.wav`));
  // 16 MB of 8-byte chunks (about 2,000,000 of them): over the limit, walked from disk.
  await fs.writeFile(f('big.wav'), manyChunks(16 * 1024 * 1024));
  // 1 GB, sparse: a canonical header whose data chunk fills the file.
  const header = Buffer.from(canonicalPrompt(0).subarray(0, 58));
  const size = 1024 ** 3;
  header.writeUInt32LE(size - 8, 4);
  header.writeUInt32LE(size - 58, 46);
  header.writeUInt32LE(size - 58, 54);
  await fs.writeFile(f('sparse.wav'), header);
  await fs.truncate(f('sparse.wav'), size);
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('a prompt with ~250,000 empty chunks', () => {
  it('is a valid prompt with one extra-chunks warning that gives a count and the first few ids, not all', async () => {
    const r = await checkFile(f('one.wav'));
    expect(verdict(r)).toEqual({ ok: true, errors: [], warnings: ['extra-chunks'] });
    const message = r.warnings[0]!.message;
    expect(message).toContain(`(${ISSUE_EXTRA.toLocaleString('en-US')} in all, the first "JUNK"`);
    expect(message).toContain('"JUNK"');
    expect(message).toContain('"LIST"');
    expect(message.length).toBeLessThan(400);
    expect(JSON.stringify(r).length).toBeLessThan(1000);
  });

  it('fails --strict, as any extra chunk does', async () => {
    expect((await checkFile(f('one.wav'), { strict: true })).ok).toBe(false);
  });
});

describe('check --format json over 62 of them (the issue crashed with "Invalid string length")', () => {
  it('exits 0 with a small, valid JSON report, within a 96 MB heap', async () => {
    const res = await runCli(['check', '--format', 'json', f('many')], { cwd: dir, env: HEAP, timeoutMs: 120_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout.length).toBeLessThan(62 * 1000);
    const report = parseJsonReport(res.stdout);
    expect(report.files).toHaveLength(62);
    expect(report.summary).toEqual({ total: 62, passed: 62, failed: 0, warnings: 62 });
    for (const file of report.files) expect(file.warnings.map((w) => w.code)).toEqual(['extra-chunks']);
  });

  it('prints the text report too', async () => {
    const res = await runCli(['check', f('many')], { cwd: dir, env: HEAP, timeoutMs: 120_000 });
    expect(res.code).toBe(0);
    expect(res.stdout.trimEnd().split('\n').at(-1)).toBe('62 file(s) checked: 62 passed, 0 failed, 62 warning(s).');
  });
});

describe('large files are walked from disk, never read whole', () => {
  it('judges 16 MB of tiny chunks (too large, extra chunks) within a 96 MB heap', async () => {
    const res = await runCli(['check', '--format', 'json', f('big.wav'), f('sparse.wav')], { cwd: dir, env: HEAP, timeoutMs: 120_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    const [big, sparse] = parseJsonReport(res.stdout).files;
    expect(verdict(big!)).toEqual({ ok: false, errors: ['too-large'], warnings: ['extra-chunks'] });
    expect(verdict(sparse!)).toEqual({ ok: false, errors: ['too-large'], warnings: [] });
  });

  it('gives the same verdict from disk as from the bytes in memory', async () => {
    const fromDisk = await checkFile(f('big.wav'));
    expect(fromDisk.warnings[0]!.message).toMatch(/^The file carries extra chunks beyond fmt\/fact\/data \(2,09\d,\d{3} in all, the first "JUNK", "LIST", "bext", "id3 "/);
  });
});

describe('writeCheckReport', () => {
  it('writes a report file by file, never as one giant string', async () => {
    const report = await checkFiles([f('many')]);
    for (const format of ['json', 'text', 'junit', 'github'] as const) {
      const writes: number[] = [];
      let text = '';
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          writes.push(chunk.length);
          text += chunk.toString();
          cb();
        },
      });
      await writeCheckReport(report.files, format, sink);
      expect(writes.length, format).toBeGreaterThanOrEqual(62);
      expect(Math.max(...writes), format).toBeLessThan(4096);
      if (format === 'json') expect(JSON.parse(text).summary.total).toBe(62);
    }
  });
});
