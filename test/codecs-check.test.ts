/**
 * `check` judges a file by any profile: the codec, rate and container its platform reads,
 * a headerless file by its extension's codec and its size, MP3 by its frames, and every
 * finding names the profile whose rule it is. Files are made by real ffmpeg (and by
 * encodeForProfile, whose every output must pass its own profile).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile } from '../src/check.js';
import { encodeForProfile } from '../src/codecs/index.js';
import { decodePcm16 } from '../src/codecs/pcm16.js';
import { deriveProfile, getProfile, listProfiles, specOf, type Profile } from '../src/profile.js';
import type { ProfileSpec } from '../src/profile-spec.js';
import { BITEXACT, runFfmpeg } from './helpers/ffmpeg.js';
import { inParallel, makeSource, speechExpr } from './helpers/convert-audio.js';
import { verdict, type Verdict } from './helpers/findings.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
const at = (name: string): string => path.join(dir, name);

/** Profiles a user's config could define, extending the shipped Asterisk one (the shipped set writes neither GSM nor raw). */
const derived = (over: Partial<ProfileSpec>): Profile => deriveProfile({ ...specOf(getProfile('asterisk')), ...over });
const asteriskGsm = derived({ id: 'asterisk-gsm', title: 'Asterisk (.WAV: GSM 6.10 in WAV)', codec: 'gsm', extension: '.WAV' });
const asteriskSln = derived({ id: 'asterisk-sln', title: 'Asterisk (.sln: headerless 16-bit PCM, 8 kHz)', container: 'raw', extension: '.sln' });
const asteriskSln16 = derived({ id: 'asterisk-sln16', title: 'Asterisk (.sln16)', container: 'raw', extension: '.sln16', sampleRates: [16000] });
const asteriskUlaw = derived({ id: 'asterisk-ulaw', title: 'Asterisk (.ulaw)', codec: 'mulaw', container: 'raw', extension: '.ulaw' });
const asteriskAlaw = derived({ id: 'asterisk-alaw', title: 'Asterisk (.alaw)', codec: 'alaw', container: 'raw', extension: '.alaw' });
const asteriskGsmRaw = derived({ id: 'asterisk-gsm-raw', title: 'Asterisk (.gsm)', codec: 'gsm', container: 'raw', extension: '.gsm' });
const mp3Profile = deriveProfile({
  ...specOf(getProfile('tencent-ccc')),
  id: 'tencent-ccc-mp3',
  title: 'Tencent Cloud CCC, MP3',
  codec: 'mp3',
  container: 'mp3',
  extension: '.mp3',
  sampleRates: [16000],
  mp3Bitrate: 32_000,
});
const minTwoSeconds = deriveProfile({ ...specOf(getProfile('amazon-connect')), id: 'amazon-connect-min2', minSeconds: 2 });

const profile = (id: string): Profile => getProfile(id);

/** An ffmpeg-made file of speech at -20 dBFS: `args` are the output options after -i. */
const ff = (seconds: number, args: string[]) => (p: string) =>
  runFfmpeg(['-f', 'lavfi', '-i', `aevalsrc=exprs=${speechExpr(-20)}:s=48000:d=${seconds}`, ...args, ...BITEXACT, p]);

const MADE: Record<string, (p: string) => Promise<unknown>> = {
  'mulaw-8k.wav': ff(1, ['-ar', '8000', '-c:a', 'pcm_mulaw']),
  'alaw-8k.wav': ff(1, ['-ar', '8000', '-c:a', 'pcm_alaw']),
  'pcm16-8k.wav': ff(1, ['-ar', '8000', '-c:a', 'pcm_s16le']),
  'pcm16-16k.wav': ff(1, ['-ar', '16000', '-c:a', 'pcm_s16le']),
  'pcm16-32k.wav': ff(1, ['-ar', '32000', '-c:a', 'pcm_s16le']),
  'pcm16-22k.wav': ff(1, ['-ar', '22050', '-c:a', 'pcm_s16le']),
  'pcm16-11k.wav': ff(1, ['-ar', '11025', '-c:a', 'pcm_s16le']),
  'alaw-11k.wav': ff(1, ['-ar', '11025', '-c:a', 'pcm_alaw']),
  'mulaw-11k.wav': ff(1, ['-ar', '11025', '-c:a', 'pcm_mulaw']),
  'pcm16-stereo.wav': ff(1, ['-ar', '8000', '-ac', '2', '-c:a', 'pcm_s16le']),
  'gsm.WAV': ff(1, ['-ar', '8000', '-c:a', 'libgsm_ms', '-f', 'wav']),
  'gsm-list.WAV': (p) => runFfmpeg(['-f', 'lavfi', '-i', `aevalsrc=exprs=${speechExpr(-20)}:s=8000:d=1`, '-c:a', 'libgsm_ms', '-f', 'wav', p]),
  'pcm16.WAV': ff(1, ['-ar', '8000', '-c:a', 'pcm_s16le', '-f', 'wav']),
  'speech.sln': ff(1, ['-ar', '8000', '-c:a', 'pcm_s16le', '-f', 's16le']),
  'speech.sln16': ff(1, ['-ar', '16000', '-c:a', 'pcm_s16le', '-f', 's16le']),
  'speech.ulaw': ff(1, ['-ar', '8000', '-c:a', 'pcm_mulaw', '-f', 'mulaw']),
  'quiet.ulaw': (p) => runFfmpeg(['-f', 'lavfi', '-i', `aevalsrc=exprs=${speechExpr(-50)}:s=8000:d=1`, '-c:a', 'pcm_mulaw', '-f', 'mulaw', p]),
  'speech.alaw': ff(1, ['-ar', '8000', '-c:a', 'pcm_alaw', '-f', 'alaw']),
  'speech.gsm': ff(1, ['-ar', '8000', '-c:a', 'libgsm', '-f', 'gsm']),
  'mono-16k.mp3': ff(1, ['-ar', '16000', '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '32k']),
  'stereo-44k.mp3': ff(1, ['-ar', '44100', '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '64k']),
  'mp2-16k.mp3': ff(1, ['-ar', '16000', '-ac', '1', '-c:a', 'mp2', '-b:a', '64k', '-f', 'mp2']),
  'short-1s.wav': ff(1, ['-ar', '8000', '-c:a', 'pcm_mulaw']),
};

beforeAll(async () => {
  dir = await makeTempDir('promptprep-codecs-check-');
  await inParallel(Object.entries(MADE).map(([name, make]) => () => make(at(name))));
  const sln = await fs.readFile(at('speech.sln'));
  await fs.writeFile(at('odd.sln'), sln.subarray(0, sln.length - 1));
  await fs.copyFile(at('pcm16-8k.wav'), at('wav-inside.sln'));
  await fs.copyFile(at('pcm16-16k.wav'), at('pcm16-16k.wav16'));
  await fs.copyFile(at('pcm16-8k.wav'), at('wav-inside.mp3'));
  const gsm = await fs.readFile(at('speech.gsm'));
  await fs.writeFile(at('cut.gsm'), gsm.subarray(0, gsm.length - 5));
  await fs.writeFile(at('not.gsm'), Buffer.alloc(33 * 10, 0x11));
  // GSM in WAV with its last block cut short, and the header's sizes told so.
  const gw = await fs.readFile(at('gsm.WAV'));
  const cut = Buffer.from(gw.subarray(0, gw.length - 10));
  cut.writeUInt32LE(cut.length - 8, 4);
  cut.writeUInt32LE(cut.length - 60, 56);
  await fs.writeFile(at('cut.WAV'), cut);
  // 301 s of µ-law: one second over Amazon Connect's 5 minutes.
  const long = Buffer.alloc(58 + 301 * 8000, 0xff);
  long.set((await fs.readFile(at('mulaw-8k.wav'))).subarray(0, 58));
  long.writeUInt32LE(long.length - 8, 4);
  long.writeUInt32LE(301 * 8000, 46);
  long.writeUInt32LE(301 * 8000, 54);
  await fs.writeFile(at('long-301s.wav'), long);
});

afterAll(async () => {
  await removeTempDir(dir);
});

const ok: Verdict = { ok: true, errors: [], warnings: [] };
const err = (...errors: string[]): Verdict => ({ ok: false, errors: errors.sort(), warnings: [] });

interface Case {
  file: string;
  profile: Profile;
  expected: Verdict;
  /** Text every error message must contain (besides the profile id, which all must name). */
  mentions?: string[];
}

const CASES: Case[] = [
  // µ-law: Amazon Connect's codec, wrong for Huawei.
  { file: 'mulaw-8k.wav', profile: profile('amazon-connect'), expected: ok },
  { file: 'mulaw-8k.wav', profile: profile('huawei-privatenumber'), expected: err('codec'), mentions: ['G.711 µ-law', 'needs G.711 A-law (format tag 6)'] },
  { file: 'alaw-8k.wav', profile: profile('amazon-connect'), expected: err('codec'), mentions: ['needs G.711 µ-law (format tag 7)'] },
  { file: 'mulaw-8k.wav', profile: profile('twilio'), expected: ok },
  // Asterisk: .wav is 16-bit PCM at 8 kHz only; .wav16 at 16 kHz.
  { file: 'pcm16-8k.wav', profile: profile('asterisk'), expected: ok },
  { file: 'pcm16-16k.wav', profile: profile('asterisk'), expected: err('sample-rate'), mentions: ['16000 Hz', 'needs 8000 Hz'] },
  { file: 'pcm16-16k.wav16', profile: profile('asterisk-16k'), expected: ok },
  { file: 'alaw-8k.wav', profile: profile('asterisk'), expected: err('codec', 'bits-per-sample'), mentions: ['16-bit PCM'] },
  { file: 'pcm16-stereo.wav', profile: profile('asterisk'), expected: err('channels') },
  // FreeSWITCH: any of its rates.
  { file: 'pcm16-32k.wav', profile: profile('freeswitch'), expected: ok },
  { file: 'pcm16-22k.wav', profile: profile('freeswitch'), expected: err('sample-rate'), mentions: ['8000, 16000, 32000 or 48000 Hz'] },
  // The contact centres that take 16-bit PCM WAV.
  { file: 'pcm16-8k.wav', profile: profile('yeastar'), expected: ok },
  { file: 'pcm16-8k.wav', profile: profile('alibaba-vms'), expected: ok },
  // GSM 6.10 in WAV (Asterisk's .WAV): ffmpeg's bitexact file is the canonical one.
  { file: 'gsm.WAV', profile: asteriskGsm, expected: ok },
  { file: 'gsm-list.WAV', profile: asteriskGsm, expected: { ok: false, errors: ['chunk-order'], warnings: ['extra-chunks'] }, mentions: ['"fmt ", "fact", "data"'] },
  { file: 'cut.WAV', profile: asteriskGsm, expected: err('partial-frame', 'fact-mismatch') },
  { file: 'pcm16.WAV', profile: asteriskGsm, expected: { ok: false, errors: ['codec'], warnings: [] }, mentions: ['needs GSM 6.10 (format tag 49)'] },
  { file: 'gsm.WAV', profile: profile('asterisk'), expected: err('codec', 'extension') },
  // Headerless: judged by extension and size.
  { file: 'speech.sln', profile: asteriskSln, expected: ok },
  { file: 'speech.sln16', profile: asteriskSln16, expected: ok },
  { file: 'odd.sln', profile: asteriskSln, expected: err('partial-frame'), mentions: ['15,999 bytes', '2-byte 16-bit samples'] },
  { file: 'wav-inside.sln', profile: asteriskSln, expected: err('container'), mentions: ['a WAV (RIFF) file', 'headerless 16-bit PCM at 8000 Hz'] },
  { file: 'speech.ulaw', profile: asteriskUlaw, expected: ok },
  { file: 'speech.alaw', profile: asteriskAlaw, expected: ok },
  { file: 'speech.gsm', profile: asteriskGsmRaw, expected: ok },
  { file: 'cut.gsm', profile: asteriskGsmRaw, expected: err('partial-frame'), mentions: ['33-byte GSM 6.10 frames'] },
  { file: 'not.gsm', profile: asteriskGsmRaw, expected: err('codec'), mentions: ['signature nibble 0xD'] },
  // MP3.
  { file: 'mono-16k.mp3', profile: mp3Profile, expected: ok },
  { file: 'stereo-44k.mp3', profile: mp3Profile, expected: err('sample-rate', 'channels'), mentions: [] },
  { file: 'mp2-16k.mp3', profile: mp3Profile, expected: err('codec'), mentions: ['MPEG layer II'] },
  { file: 'wav-inside.mp3', profile: mp3Profile, expected: err('container'), mentions: ['a WAV (RIFF) file', 'needs an MP3 file'] },
  { file: 'mono-16k.mp3', profile: profile('huawei-privatenumber'), expected: err('not-wav', 'extension') },
  // Durations, where a profile has limits.
  { file: 'long-301s.wav', profile: profile('amazon-connect'), expected: { ok: false, errors: ['duration-too-long'], warnings: ['digital-silence'] }, mentions: ['301.0 s', 'at most 300 s'] },
  { file: 'short-1s.wav', profile: minTwoSeconds, expected: err('duration-too-short'), mentions: ['1.00 s', 'at least 2 s'] },
];

/** Finding codes that are a profile's rule (the rest are the file's own damage, or the name rules). */
const PROFILE_RULES = new Set(['codec', 'sample-rate', 'channels', 'bits-per-sample', 'too-large', 'container', 'partial-frame', 'duration-too-long', 'duration-too-short', 'chunk-order']);

describe('check by profile', () => {
  it.each(CASES.map((c) => [c.file, c.profile.id, c] as const))('%s for %s', async (_f, _p, c) => {
    const result = await checkFile(at(c.file), { profile: c.profile });
    expect(verdict(result), JSON.stringify(result.errors)).toEqual(c.expected);
    for (const e of result.errors) {
      // Every codec and container rule names the profile whose rule it is.
      if (PROFILE_RULES.has(e.code)) expect(e.message, e.code).toContain(c.profile.id);
      expect(e.message).not.toMatch(/undefined|NaN|\[object /);
    }
    for (const text of c.mentions ?? []) expect(result.errors.map((e) => e.message).join(' | ')).toContain(text);
  });

  it('a clean file of a profile\'s codec carries level statistics (µ-law, 16-bit PCM, headerless µ-law), GSM carries none', async () => {
    expect((await checkFile(at('mulaw-8k.wav'), { profile: profile('amazon-connect') })).stats?.durationSeconds).toBe(1);
    expect((await checkFile(at('pcm16-16k.wav16'), { profile: profile('asterisk-16k') })).stats?.durationSeconds).toBe(1);
    const raw = await checkFile(at('speech.ulaw'), { profile: asteriskUlaw });
    expect(raw.stats?.durationSeconds).toBe(1);
    expect(Math.abs(raw.stats!.activeDb - -20)).toBeLessThan(1.5);
    expect((await checkFile(at('gsm.WAV'), { profile: asteriskGsm })).stats).toBeUndefined();
  });

  it('level warnings apply to headerless audio too, naming its codec', async () => {
    const quiet = await checkFile(at('quiet.ulaw'), { profile: asteriskUlaw });
    expect(verdict(quiet)).toEqual({ ok: true, errors: [], warnings: ['too-quiet'] });
    expect(quiet.warnings[0]!.message).toContain('G.711 µ-law makes quiet audio noisy');
  });

  it('a size limit is the profile\'s, and says how much of its codec fits', async () => {
    const r = await checkFile(at('pcm16-8k.wav'), { profile: profile('alibaba-vms'), maxBytes: 10_000 });
    expect(verdict(r)).toEqual(err('too-large'));
    // 16-bit PCM at 8 kHz: (10,000 - 44) / 16,000 = 0.6 s.
    expect(r.errors[0]!.message).toContain('the limit is 10,000 bytes for the alibaba-vms profile');
    expect(r.errors[0]!.message).toContain('about 0.6 s of 16-bit PCM audio at 8000 Hz');
  });
});

describe('a headerless file over 8 MiB (judged from its size and first bytes, not read whole)', () => {
  it('an odd-sized .sln is cut short; a WAV named .sln is a container error; a whole one passes', async () => {
    const big = 9 * 1024 * 1024;
    const sln = Buffer.alloc(big, 0);
    // A quiet ramp: not silent, not a container signature.
    for (let i = 0; i < big; i += 2) sln.writeInt16LE(((i >> 1) % 200) - 100, i);
    await fs.writeFile(at('big.sln'), sln);
    await fs.writeFile(at('big-odd.sln'), sln.subarray(0, big - 1));
    const wavHead = await fs.readFile(at('pcm16-8k.wav'));
    await fs.writeFile(at('big-wav.sln'), Buffer.concat([wavHead, sln.subarray(wavHead.length)]));
    expect(verdict(await checkFile(at('big.sln'), { profile: asteriskSln }))).toEqual(ok);
    expect(verdict(await checkFile(at('big-odd.sln'), { profile: asteriskSln }))).toEqual(err('partial-frame'));
    expect(verdict(await checkFile(at('big-wav.sln'), { profile: asteriskSln }))).toEqual(err('container'));
  });
});

describe('every file encodeForProfile writes passes check with its profile', () => {
  const ALL: Profile[] = [...listProfiles(), asteriskGsm, asteriskSln, asteriskSln16, asteriskUlaw, asteriskAlaw, asteriskGsmRaw, mp3Profile];

  it.each(ALL.map((p) => [p.id, p] as const))('%s', async (_id, p) => {
    for (const rate of p.sampleRates) {
      await makeSource(at(`src-${p.id}-${rate}.wav`), { rate: 48000, seconds: 1.2, expr: speechExpr(-22) });
      await runFfmpeg(['-i', at(`src-${p.id}-${rate}.wav`), '-ar', String(rate), '-ac', '1', '-f', 's16le', at(`src-${p.id}-${rate}.s16`)]);
      const samples = decodePcm16(await fs.readFile(at(`src-${p.id}-${rate}.s16`)));
      const out = at(`out-${p.id}-${rate}${p.extension}`);
      await fs.writeFile(out, await encodeForProfile(samples, rate, p));
      const result = await checkFile(out, { profile: p });
      // The names here are the test's; name rules per profile are tested with the names (test/file-name.test.ts).
      const findings = [...result.errors, ...result.warnings].filter((f) => !f.code.startsWith('name-'));
      expect(findings, `${p.id} at ${rate} Hz`).toEqual([]);
    }
  });
});

describe('every shipped profile refuses another codec and a rate it does not list, naming itself', () => {
  /** A file of some other codec than the profile's, and one of its codec at 11,025 Hz (no profile lists it). */
  const otherCodec = (p: Profile): string => (p.codec === 'pcm16' ? 'alaw-8k.wav' : 'pcm16-8k.wav');
  const oddRate = (p: Profile): string => ({ alaw: 'alaw-11k.wav', mulaw: 'mulaw-11k.wav' })[p.codec as 'alaw' | 'mulaw'] ?? 'pcm16-11k.wav';

  it.each(listProfiles().map((p) => [p.id, p] as const))('%s', async (_id, p) => {
    const codec = await checkFile(at(otherCodec(p)), { profile: p });
    expect(codec.errors.map((e) => e.code)).toContain('codec');
    expect(codec.errors.find((e) => e.code === 'codec')!.message).toContain(`the ${p.id} profile`);
    const rate = await checkFile(at(oddRate(p)), { profile: p });
    // The files are named .wav: Asterisk's .wav16 profile also says so, which is its extension rule, not this one.
    expect(rate.errors.filter((e) => !e.code.startsWith('name-') && e.code !== 'extension').map((e) => e.code)).toEqual(['sample-rate']);
    expect(rate.errors.find((e) => e.code === 'sample-rate')!.message).toContain(`11025 Hz; the ${p.id} profile`);
  });
});
