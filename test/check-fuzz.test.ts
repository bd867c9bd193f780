/**
 * Fuzzing `check --format json` (issue #12): thousands of mutations of valid prompts,
 * made deterministically from a seed in a temp folder: truncations at every header offset,
 * every bit of the header flipped, random header bytes, absurd chunk sizes, and many tiny
 * chunks. The CLI runs over them in a few invocations with a capped heap and a time limit:
 * it must exit 0 or 1, print valid JSON with one entry per file, and find something wrong
 * with every file (each mutation breaks the header of a clean prompt).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAlaw } from '../src/alaw.js';
import { checkWavBytes } from '../src/check.js';
import { buildCanonicalWav } from '../src/wav.js';
import { canonicalPrompt, sineSamples } from './helpers/audio.js';
import { parseJsonReport, runCli, type JsonReport } from './helpers/cli.js';
import { makeTone } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { listChunks } from './helpers/wav-edit.js';

const SEED = 0x12c0ffee;
const KINDS = ['truncate', 'bitflip', 'garble', 'sizes', 'chunks'] as const;
type Kind = (typeof KINDS)[number];

let dir: string;
let seeds: Buffer[] = [];
const made = new Map<Kind, string[]>();

/** xorshift32: the same mutations on every run. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Offset just past the data chunk header: everything before it is header. */
function headerEnd(bytes: Buffer): number {
  const data = listChunks(bytes).find((c) => c.id === 'data');
  if (!data) throw new Error('seed without a data chunk');
  return data.offset + 8;
}

function withSize(bytes: Buffer, offset: number, size: number): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt32LE(size >>> 0, offset + 4);
  return out;
}

function tinyChunks(count: number, rand: () => number, odd: boolean): Buffer {
  const size = odd ? 1 : 0;
  const unit = 8 + size + (size & 1);
  const out = Buffer.alloc(count * unit);
  for (let i = 0; i < count; i++) {
    const r = rand();
    // Printable ids mostly, raw bytes now and then: ids are data, not text.
    if (r % 4 === 0) out.writeUInt32LE(rand(), i * unit);
    else out.write(['JUNK', 'LIST', 'PAD ', 'bext', 'iXML', 'id3 '][r % 6]!, i * unit, 'latin1');
    out.writeUInt32LE(size, i * unit + 4);
  }
  return out;
}

function mutations(seed: Buffer, seedIndex: number): Record<Kind, Buffer[]> {
  const rand = prng(SEED + seedIndex);
  const end = headerEnd(seed);
  const chunks = listChunks(seed);
  const out: Record<Kind, Buffer[]> = { truncate: [], bitflip: [], garble: [], sizes: [], chunks: [] };

  // Every prefix through the header, and a few into the audio.
  for (let k = 0; k <= end; k++) out.truncate.push(seed.subarray(0, k));
  for (const k of [end + 1, end + 100, seed.length - 1]) out.truncate.push(seed.subarray(0, k));

  // Every bit of the header.
  for (let i = 0; i < end; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const b = Buffer.from(seed);
      b[i]! ^= 1 << bit;
      out.bitflip.push(b);
    }
  }

  // 1-4 random header bytes replaced by other values.
  for (let n = 0; n < 300; n++) {
    const b = Buffer.from(seed);
    const count = 1 + (rand() % 4);
    for (let j = 0; j < count; j++) {
      const i = rand() % end;
      b[i]! ^= 1 + (rand() % 255);
    }
    if (!b.equals(seed)) out.garble.push(b);
  }

  // Absurd sizes for the RIFF header and every chunk.
  const absurd = (size: number): number[] => [0, 1, size + 1, size - 1, seed.length, 0x7fffffff, 0xfffffffe, 0xffffffff];
  for (const size of [0, 4, 0x7fffffff, 0xffffffff, seed.length]) out.sizes.push(withSize(seed, 0, size));
  for (const c of chunks) for (const size of absurd(c.size)) if (size !== c.size) out.sizes.push(withSize(seed, c.offset, size));

  // Many tiny chunks before and after the data, odd and even, with and without a RIFF size to match.
  const dataChunk = chunks.find((c) => c.id === 'data')!;
  for (const count of [1, 7, 100, 1000, 20_000]) {
    for (const odd of [false, true]) {
      for (const where of ['before', 'after'] as const) {
        const junk = tinyChunks(count, rand, odd);
        const joined =
          where === 'before'
            ? Buffer.concat([seed.subarray(0, dataChunk.offset), junk, seed.subarray(dataChunk.offset)])
            : Buffer.concat([seed, junk]);
        const fixed = Buffer.from(joined);
        fixed.writeUInt32LE(fixed.length - 8, 4);
        out.chunks.push(fixed, joined);
      }
    }
  }
  return out;
}

beforeAll(async () => {
  dir = await makeTempDir('promptprep-fuzz-');
  const ffmpegSeed = path.join(dir, 'seed-ffmpeg.wav');
  await makeTone(ffmpegSeed, { seconds: 0.25 });
  seeds = [
    canonicalPrompt(0.25),
    // Odd data length: the data chunk ends with a pad byte.
    buildCanonicalWav(encodeAlaw(sineSamples(1001 / 8000)), { formatTag: 6, sampleRate: 8000, channels: 1, bitsPerSample: 8 }),
    await fs.readFile(ffmpegSeed),
  ];
  await fs.rm(ffmpegSeed);
  for (const kind of KINDS) {
    await fs.mkdir(path.join(dir, kind));
    made.set(kind, []);
  }
  for (const [s, seed] of seeds.entries()) {
    const m = mutations(seed, s);
    for (const kind of KINDS) {
      const names = made.get(kind)!;
      for (const bytes of m[kind]) {
        const file = path.join(dir, kind, `s${s}_${String(names.length).padStart(5, '0')}.wav`);
        await fs.writeFile(file, bytes);
        names.push(file);
      }
    }
  }
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('the seeds', () => {
  it('are clean prompts, and the corpus has at least 2,000 mutations', async () => {
    for (const seed of seeds) expect(checkWavBytes(seed, seed.length)).toMatchObject({ errors: [], warnings: [] });
    const total = [...made.values()].reduce((n, names) => n + names.length, 0);
    expect(total).toBeGreaterThanOrEqual(2000);
  });
});

describe.each(KINDS)('check --format json over the %s mutations', (kind) => {
  let res: Awaited<ReturnType<typeof runCli>>;
  let report: JsonReport;

  beforeAll(async () => {
    res = await runCli(['check', '--format', 'json', path.join(dir, kind)], {
      cwd: dir,
      // A report or a file held whole in memory would not fit.
      env: { NODE_OPTIONS: '--max-old-space-size=96' },
      timeoutMs: 60_000,
    });
  });

  it('exits 1 (every file fails or warns; none crashes it) with nothing on stderr', () => {
    expect(res.signal).toBeNull();
    expect(res.stderr).toBe('');
    expect([0, 1]).toContain(res.code);
    report = parseJsonReport(res.stdout);
  });

  it('reports every file exactly once', () => {
    const files = made.get(kind)!;
    expect(report.files.map((f) => f.path).sort()).toEqual([...files].sort());
    expect(report.summary.total).toBe(files.length);
  });

  it('finds something wrong with every file, in short messages with stable codes', () => {
    const clean = report.files.filter((f) => f.errors.length + f.warnings.length === 0).map((f) => path.basename(f.path));
    expect(clean).toEqual([]);
    for (const f of report.files) {
      for (const x of [...f.errors, ...f.warnings]) {
        expect(x.code).toMatch(/^[a-z]+(-[a-z]+)*$/);
        expect(x.message.length).toBeLessThan(600);
      }
    }
  });
});
