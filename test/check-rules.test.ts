/**
 * Every rule of `promptprep check`, each on a real file that breaks exactly that rule.
 * Audio comes from real ffmpeg (made in a temp dir in beforeAll); where no ffmpeg
 * invocation breaks one rule alone, an ffmpeg file gets one field changed by hand.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile, checkFiles, type CheckOptions } from '../src/check.js';
import { ERROR_CODES, WARNING_CODES } from '../src/findings.js';
import { deriveProfile, getProfile, huaweiPrivateNumber, specOf, type Profile } from '../src/profile.js';
import { BITEXACT, makeSilence, makeTone, runFfmpeg } from './helpers/ffmpeg.js';
import { canonicalPrompt, sineSamples } from './helpers/audio.js';
import { encodePcm16 } from '../src/codecs/pcm16.js';
import { parseJsonReport, runCli } from './helpers/cli.js';
import { verdict, type Verdict } from './helpers/findings.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { appendChunk, chunkIds, noiseBytes, patchFmt, removeChunk } from './helpers/wav-edit.js';
import { dataBeforeFmt, duplicateData, duplicateFmt, emptyData, extensibleAlaw, factMismatch } from './helpers/wav-odd.js';

let dir: string;
const file = (name: string): string => path.join(dir, name);

interface RuleCase {
  /** The rule (finding code) the file breaks, or "valid". */
  rule: string;
  /** File name inside the temp dir. */
  name: string;
  make: (p: string) => Promise<unknown>;
  options?: CheckOptions;
  expected: Verdict;
  /** Text the first finding's message must contain. */
  mentions?: string[];
}

const clean: Verdict = { ok: true, errors: [], warnings: [] };
const err = (...errors: string[]): Verdict => ({ ok: false, errors: errors.sort(), warnings: [] });
const warn = (...warnings: string[]): Verdict => ({ ok: true, errors: [], warnings: warnings.sort() });

/** The bytes of a valid 1 s prompt from ffmpeg (bitexact: no LIST chunk), made once. */
let validBytes: Buffer;
const writeValid = (p: string): Promise<void> => fs.writeFile(p, validBytes);
const writeEdited = (edit: (b: Buffer) => Buffer) => (p: string): Promise<void> => fs.writeFile(p, edit(validBytes));

/** PrivateNumber's A-law file rules with another profile's name rule. */
const alawWithNamesOf = (id: string): Profile =>
  deriveProfile({ ...specOf(huaweiPrivateNumber), id: `alaw-names-of-${id}`, name: getProfile(id).name });
/** Profiles a config could define: headerless 16-bit PCM (Asterisk's .sln), and duration limits on Huawei's. */
const slnProfile = deriveProfile({ ...specOf(getProfile('asterisk')), id: 'asterisk-sln', container: 'raw', extension: '.sln' });
const halfSecondMax = deriveProfile({ ...specOf(huaweiPrivateNumber), id: 'huawei-max-half-second', maxSeconds: 0.5 });
const twoSecondMin = deriveProfile({ ...specOf(huaweiPrivateNumber), id: 'huawei-min-two-seconds', minSeconds: 2 });
const slnBytes = (): Buffer => Buffer.from(encodePcm16(sineSamples(1)));

const cases: RuleCase[] = [
  // ---- valid
  { rule: 'valid', name: 'valid-ffmpeg.wav', make: (p) => makeTone(p), expected: clean },
  { rule: 'valid', name: 'valid-canonical.wav', make: (p) => fs.writeFile(p, canonicalPrompt(1)), expected: clean },
  { rule: 'valid', name: `${'a'.repeat(124)}.wav`, make: writeValid, expected: clean },
  { rule: 'valid', name: 'Wait-voice_1.v2@corp.wav', make: writeValid, expected: clean },

  // ---- errors
  {
    rule: 'name-charset',
    name: 'wait voice.wav',
    make: writeValid,
    expected: err('name-charset'),
    mentions: ['space', 'wait_voice.wav'],
  },
  {
    rule: 'name-charset',
    name: '提示音.wav',
    make: writeValid,
    expected: err('name-charset'),
    mentions: ['"提"', '"示"', '"音"'],
  },
  { rule: 'name-charset', name: 'a&b+c.wav', make: writeValid, expected: err('name-charset'), mentions: ['"&"', '"+"'] },
  { rule: 'name-too-long', name: `${'a'.repeat(125)}.wav`, make: writeValid, expected: err('name-too-long'), mentions: ['129', '128'] },
  { rule: 'name-empty', name: '.wav', make: writeValid, expected: err('name-empty') },
  // Rules of other profiles' names, on A-law so only the name rule differs.
  { rule: 'name-first', name: '1st_prompt.wav', make: writeValid, options: { profile: alawWithNamesOf('genesys-cloud') }, expected: err('name-first'), mentions: ['an ASCII letter', 'p_1st_prompt.wav'] },
  { rule: 'valid', name: 'first_prompt.wav', make: writeValid, options: { profile: alawWithNamesOf('genesys-cloud') }, expected: clean },
  { rule: 'name-forbidden', name: 'hello&bye.wav', make: writeValid, options: { profile: alawWithNamesOf('asterisk') }, expected: err('name-forbidden'), mentions: ['"&"', 'separator'] },
  { rule: 'valid', name: 'hello+bye 2.wav', make: writeValid, options: { profile: alawWithNamesOf('asterisk') }, expected: clean },
  { rule: 'extension', name: 'prompt.WAV', make: writeValid, expected: err('extension'), mentions: ['".WAV"', 'prompt.wav'] },
  { rule: 'extension', name: 'prompt.mp3', make: writeValid, expected: err('extension'), mentions: ['".mp3"'] },
  { rule: 'extension', name: 'prompt', make: writeValid, expected: err('extension'), mentions: ['no extension'] },
  {
    rule: 'not-wav',
    name: 'noise.wav',
    make: (p) => fs.writeFile(p, noiseBytes(4000)),
    expected: err('not-wav'),
    mentions: ['not a WAV file'],
  },
  {
    rule: 'not-wav',
    name: 'flac-inside.wav',
    make: (p) => makeTone(p, { codec: 'flac', format: 'flac' }),
    expected: err('not-wav'),
    mentions: ['"fLaC"'],
  },
  { rule: 'not-wav', name: 'tiny.wav', make: (p) => fs.writeFile(p, 'hello'), expected: err('not-wav') },
  { rule: 'empty', name: 'empty.wav', make: (p) => fs.writeFile(p, Buffer.alloc(0)), expected: err('empty'), mentions: ['0 bytes'] },
  {
    rule: 'truncated',
    name: 'truncated-data.wav',
    make: writeEdited((b) => b.subarray(0, 58 + 3000)),
    expected: err('truncated'),
    mentions: ['8000 bytes', '3000'],
  },
  {
    rule: 'truncated',
    name: 'truncated-header.wav',
    make: writeEdited((b) => b.subarray(0, 30)),
    expected: err('truncated'),
    mentions: ['fmt'],
  },
  { rule: 'truncated', name: 'truncated-riff.wav', make: writeEdited((b) => b.subarray(0, 8)), expected: err('truncated') },
  {
    rule: 'header-size-mismatch',
    name: 'riff-size.wav',
    make: writeEdited((b) => {
      const out = Buffer.from(b);
      out.writeUInt32LE(b.length - 8 + 1000, 4);
      return out;
    }),
    expected: err('header-size-mismatch'),
    mentions: [`declares ${8058 + 1000} bytes`],
  },
  {
    rule: 'header-size-mismatch',
    name: 'byte-rate.wav',
    make: writeEdited((b) => patchFmt(b, { byteRate: 16000 })),
    expected: err('header-size-mismatch'),
    mentions: ['byte rate 16000'],
  },
  {
    rule: 'header-size-mismatch',
    name: 'stray-bytes.wav',
    make: writeEdited((b) => Buffer.concat([b, Buffer.from([1, 2, 3])])),
    expected: err('header-size-mismatch'),
  },
  {
    rule: 'header-size-mismatch',
    name: 'cb-size.wav',
    // cbSize promises 22 more fmt bytes than the 18-byte chunk holds.
    make: writeEdited((b) => {
      const out = Buffer.from(b);
      out.writeUInt16LE(22, 36);
      return out;
    }),
    expected: err('header-size-mismatch'),
    mentions: ['cbSize 22'],
  },
  // ---- not whole prompts, or ambiguous to a reader (#12.2)
  {
    rule: 'empty-data',
    name: 'empty-data.wav',
    make: writeEdited((b) => emptyData(b)),
    expected: err('empty-data'),
    mentions: ['no audio', '25,508 samples'],
  },
  { rule: 'duplicate-chunk', name: 'two-data.wav', make: writeEdited(duplicateData), expected: err('duplicate-chunk'), mentions: ['2 "data" chunks'] },
  { rule: 'duplicate-chunk', name: 'two-fmt.wav', make: writeEdited(duplicateFmt), expected: err('duplicate-chunk'), mentions: ['2 "fmt " chunks'] },
  { rule: 'chunk-order', name: 'data-first.wav', make: writeEdited(dataBeforeFmt), expected: err('chunk-order'), mentions: ['before'] },
  {
    rule: 'fact-mismatch',
    name: 'fact-count.wav',
    make: writeEdited((b) => factMismatch(b)),
    expected: err('fact-mismatch'),
    mentions: ['25,508', '8,000'],
  },
  {
    rule: 'container',
    name: 'header.sln',
    make: writeValid,
    options: { profile: slnProfile },
    expected: err('container'),
    mentions: ['a WAV (RIFF) file', 'asterisk-sln', 'headerless 16-bit PCM'],
  },
  {
    rule: 'partial-frame',
    name: 'odd.sln',
    make: (p) => fs.writeFile(p, slnBytes().subarray(1)),
    options: { profile: slnProfile },
    expected: err('partial-frame'),
    mentions: ['15,999 bytes'],
  },
  { rule: 'valid', name: 'even.sln', make: (p) => fs.writeFile(p, slnBytes()), options: { profile: slnProfile }, expected: clean },
  {
    rule: 'duration-too-long',
    name: 'one-second.wav',
    make: writeValid,
    options: { profile: halfSecondMax },
    expected: err('duration-too-long'),
    mentions: ['1.0 s', 'at most 0.5 s', 'huawei-max-half-second'],
  },
  {
    rule: 'duration-too-short',
    name: 'one-second-short.wav',
    make: writeValid,
    options: { profile: twoSecondMin },
    expected: err('duration-too-short'),
    mentions: ['1.00 s', 'at least 2 s'],
  },
  { rule: 'missing-chunk', name: 'no-data.wav', make: writeEdited((b) => removeChunk(b, 'data')), expected: err('missing-chunk'), mentions: ['data'] },
  { rule: 'missing-chunk', name: 'no-fmt.wav', make: writeEdited((b) => removeChunk(b, 'fmt ')), expected: err('missing-chunk'), mentions: ['fmt'] },
  { rule: 'codec', name: 'mulaw.wav', make: (p) => makeTone(p, { codec: 'pcm_mulaw' }), expected: err('codec'), mentions: ['µ-law', 'tag 7'] },
  {
    rule: 'codec',
    name: 'pcm16.wav',
    make: (p) => makeTone(p, { codec: 'pcm_s16le' }),
    // 16-bit PCM breaks two rules at once: the codec and the sample width.
    expected: err('codec', 'bits-per-sample'),
    mentions: ['linear PCM 16-bit'],
  },
  { rule: 'codec', name: 'pcm-u8.wav', make: (p) => makeTone(p, { codec: 'pcm_u8' }), expected: err('codec'), mentions: ['linear PCM 8-bit'] },
  {
    rule: 'sample-rate',
    name: 'alaw-16k.wav',
    make: (p) => makeTone(p, { sampleRate: 16000 }),
    expected: err('sample-rate'),
    mentions: ['16000 Hz', '8000 Hz'],
  },
  { rule: 'channels', name: 'stereo.wav', make: (p) => makeTone(p, { channels: 2 }), expected: err('channels'), mentions: ['2 channels'] },
  {
    rule: 'bits-per-sample',
    name: 'alaw-16bit-header.wav',
    // A-law data whose header claims 16-bit samples (consistent block align and byte rate).
    make: writeEdited((b) => patchFmt(b, { bitsPerSample: 16, blockAlign: 2, byteRate: 16000 })),
    expected: err('bits-per-sample'),
    mentions: ['16-bit'],
  },
  {
    rule: 'too-large',
    name: 'long-250s.wav',
    // 250 s of A-law is 2,000,000 bytes of audio plus the 58-byte header.
    make: (p) => makeTone(p, { seconds: 250 }),
    expected: err('too-large'),
    mentions: ['2,000,058 bytes', '2,000,000 bytes'],
  },
  {
    rule: 'too-large',
    name: 'max-bytes.wav',
    make: writeValid,
    options: { maxBytes: 8000 },
    expected: err('too-large'),
    mentions: ['8,058 bytes', 'limit is 8,000 bytes'],
  },
  { rule: 'valid', name: 'max-bytes-exact.wav', make: writeValid, options: { maxBytes: 8058 }, expected: clean },

  // ---- warnings
  {
    rule: 'extra-chunks',
    name: 'list-chunk.wav',
    make: (p) => makeTone(p, { bitexact: false }),
    expected: warn('extra-chunks'),
    mentions: ['"LIST"'],
  },
  { rule: 'extra-chunks', name: 'junk-chunk.wav', make: writeEdited((b) => appendChunk(b, 'JUNK', Buffer.alloc(5))), expected: warn('extra-chunks'), mentions: ['"JUNK"'] },
  {
    rule: 'extensible-format',
    name: 'extensible-alaw.wav',
    make: writeEdited(extensibleAlaw),
    expected: warn('extensible-format'),
    mentions: ['WAVE_FORMAT_EXTENSIBLE', 'format tag 6'],
  },
  { rule: 'no-fact-chunk', name: 'no-fact.wav', make: writeEdited((b) => removeChunk(b, 'fact')), expected: warn('no-fact-chunk') },
  { rule: 'digital-silence', name: 'silence.wav', make: (p) => makeSilence(p, 2), expected: warn('digital-silence'), mentions: ['silent'] },
  { rule: 'too-quiet', name: 'quiet.wav', make: (p) => makeTone(p, { gainDb: -20 }), expected: warn('too-quiet'), mentions: ['dBFS'] },
  { rule: 'clipping', name: 'clipped.wav', make: (p) => makeTone(p, { gainDb: 24 }), expected: warn('clipping'), mentions: ['clips'] },
  {
    rule: 'leading-silence',
    name: 'lead.wav',
    make: (p) => makeTone(p, { leadSeconds: 2 }),
    expected: warn('leading-silence'),
    mentions: ['starts with 2.00 s'],
  },
  {
    rule: 'trailing-silence',
    name: 'tail.wav',
    make: (p) => makeTone(p, { tailSeconds: 2.5 }),
    expected: warn('trailing-silence'),
    mentions: ['ends with 2.50 s'],
  },
  {
    rule: 'too-long-for-scene',
    name: 'six-seconds.wav',
    make: (p) => makeTone(p, { seconds: 6 }),
    options: { scene: 'callerHintTone' },
    expected: warn('too-long-for-scene'),
    mentions: ['6.0 s', 'callerHintTone'],
  },
  // The same 6 s file is fine where the scene has no length limit, or with no scene.
  { rule: 'valid', name: 'six-seconds-record.wav', make: (p) => makeTone(p, { seconds: 6 }), options: { scene: 'recordHintTone' }, expected: clean },
  { rule: 'valid', name: 'six-seconds-noscene.wav', make: (p) => makeTone(p, { seconds: 6 }), expected: clean },
];

beforeAll(async () => {
  dir = await makeTempDir('promptprep-rules-');
  const v = path.join(dir, 'seed.raw.wav');
  await makeTone(v, { seconds: 1 });
  validBytes = await fs.readFile(v);
  await fs.rm(v);
  // Run ffmpeg a few at a time: quick on two cores, without a burst of 40 processes.
  const queue = [...cases];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) await c.make(file(c.name));
    }),
  );
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('the seed file', () => {
  it('is ffmpeg canonical A-law: RIFF/WAVE fmt(18)/fact/data, 8058 bytes', () => {
    expect(validBytes.length).toBe(8058);
    expect(chunkIds(validBytes)).toEqual(['fmt ', 'fact', 'data']);
  });
});

describe('every rule has a file that breaks exactly that rule', () => {
  it.each(cases.map((c) => [c.rule, c.name, c] as const))('%s: %s', async (_rule, _name, c) => {
    const result = await checkFile(file(c.name), c.options ?? {});
    expect(verdict(result)).toEqual(c.expected);
    const all = [...result.errors, ...result.warnings];
    for (const text of c.mentions ?? []) expect(all[0]?.message).toContain(text);
    // Messages are sentences for people: no raw objects, no empty text.
    for (const f of all) {
      expect(f.message.length).toBeGreaterThan(20);
      expect(f.message).not.toMatch(/\[object |undefined|NaN/);
    }
  });

  it('covers every error and warning code but "unreadable" (tested with the garbage inputs)', () => {
    const seen = new Set(cases.flatMap((c) => [...c.expected.errors, ...c.expected.warnings]));
    expect([...ERROR_CODES].filter((code) => code !== 'unreadable' && !seen.has(code))).toEqual([]);
    expect([...WARNING_CODES].filter((code) => !seen.has(code))).toEqual([]);
  });

  it('a clean file carries level statistics; a file that cannot be decoded carries none', async () => {
    const ok = await checkFile(file('valid-ffmpeg.wav'));
    expect(ok.stats?.durationSeconds).toBe(1);
    expect(ok.stats?.peakDb).toBeGreaterThan(-19);
    expect(ok.stats?.peakDb).toBeLessThan(-17);
    expect((await checkFile(file('pcm16.wav'))).stats).toBeUndefined();
    expect((await checkFile(file('noise.wav'))).stats).toBeUndefined();
  });

  it('checkFiles applies each file its own scene (sceneFor), the run scene to the others', async () => {
    const inputs = [file('six-seconds.wav'), file('six-seconds-noscene.wav'), file('six-seconds-record.wav')];
    const report = await checkFiles(inputs, {
      scene: 'callerHintTone',
      sceneFor: (p) => (p.endsWith('-record.wav') ? 'recordHintTone' : p.endsWith('-noscene.wav') ? undefined : 'callerHintTone'),
    });
    expect(report.files.map((f) => [path.basename(f.path), f.warnings.map((w) => w.code)])).toEqual([
      ['six-seconds-noscene.wav', ['too-long-for-scene']],
      ['six-seconds-record.wav', []],
      ['six-seconds.wav', ['too-long-for-scene']],
    ]);
  });
});

describe('--strict', () => {
  const warningCases = cases.filter((c) => c.expected.ok && c.expected.warnings.length > 0);

  it.each(warningCases.map((c) => [c.name, c] as const))('turns the warning of %s into a failure', async (_name, c) => {
    const result = await checkFile(file(c.name), { ...c.options, strict: true });
    expect(verdict(result)).toEqual({ ...c.expected, ok: false });
  });

  it('leaves clean files passing', async () => {
    expect(verdict(await checkFile(file('valid-ffmpeg.wav'), { strict: true }))).toEqual(clean);
  });

  it('counts strict failures in the summary', async () => {
    const inputs = [file('valid-ffmpeg.wav'), file('list-chunk.wav')];
    expect((await checkFiles(inputs)).summary).toEqual({ total: 2, passed: 2, failed: 0, warnings: 1 });
    expect((await checkFiles(inputs, { strict: true })).summary).toEqual({ total: 2, passed: 1, failed: 1, warnings: 1 });
  });
});

describe('the CLI agrees with the library on every default-option case', () => {
  it('reports the same verdict per file in --format json', async () => {
    const defaults = cases.filter((c) => !c.options);
    const res = await runCli(['check', '--format', 'json', ...defaults.map((c) => file(c.name))]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    const report = parseJsonReport(res.stdout);
    const byPath = new Map(report.files.map((f) => [f.path, f]));
    for (const c of defaults) {
      const f = byPath.get(file(c.name));
      expect(f, c.name).toBeDefined();
      expect(verdict(f!), c.name).toEqual(c.expected);
    }
    expect(report.summary.total).toBe(defaults.length);
  });

  it('--max-bytes changes the size limit', async () => {
    const p = file('valid-ffmpeg.wav');
    const small = await runCli(['check', '--format', 'json', '--max-bytes', '8000', p]);
    expect(small.code).toBe(1);
    expect(verdict(parseJsonReport(small.stdout).files[0]!)).toEqual(err('too-large'));
    const exact = await runCli(['check', '--format', 'json', '--max-bytes', '8058', p]);
    expect(exact.code).toBe(0);
    const big = await runCli(['check', '--format', 'json', '--max-bytes', '3000000', file('long-250s.wav')]);
    expect(big.code).toBe(0);
    expect(verdict(parseJsonReport(big.stdout).files[0]!)).toEqual(clean);
  });

  it('--strict fails a file with only warnings', async () => {
    const p = file('list-chunk.wav');
    expect((await runCli(['check', p])).code).toBe(0);
    const strict = await runCli(['check', '--strict', '--format', 'json', p]);
    expect(strict.code).toBe(1);
    expect(verdict(parseJsonReport(strict.stdout).files[0]!)).toEqual({ ok: false, errors: [], warnings: ['extra-chunks'] });
  });
});

describe('ffmpeg itself', () => {
  it('writes a LIST chunk unless told to be bitexact (why the canonical tests use the flags)', async () => {
    const withList = await fs.readFile(file('list-chunk.wav'));
    expect(chunkIds(withList)).toEqual(['fmt ', 'fact', 'LIST', 'data']);
    const p = file('bitexact-check.wav');
    await runFfmpeg(['-f', 'lavfi', '-i', 'sine=duration=0.1:sample_rate=8000', '-c:a', 'pcm_alaw', ...BITEXACT, p]);
    expect(chunkIds(await fs.readFile(p))).toEqual(['fmt ', 'fact', 'data']);
  });
});
