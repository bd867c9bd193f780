import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveProfile, getProfile, huaweiPrivateNumber, specOf, type Profile } from '../src/profile.js';
import { capacity, headerBytes } from '../src/targets/capacity.js';
import { planNames } from '../src/targets/names.js';
import { parseProfileList, resolveTargets } from '../src/targets/target.js';

/** Planning a run of several targets: folders, the audio each can hold, names per target. */

// A profile with a stricter name rule than Huawei's, as Genesys has (letters, digits, `_`).
// (Built with deriveProfile: file-name.ts reads the name rule, and the derived fields follow it.)
const strict: Profile = deriveProfile({ ...specOf(huaweiPrivateNumber), id: 'strict-names', name: { charset: '0-9A-Za-z_', charsetText: 'letters, digits and _' } });
const upper: Profile = deriveProfile({ ...specOf(huaweiPrivateNumber), id: 'upper-ext', extension: '.WAV' });

describe('targets: folders', () => {
  it('one profile writes into --out itself, as a single-profile run always has', () => {
    expect(resolveTargets([huaweiPrivateNumber], 'dist')).toEqual([{ profile: huaweiPrivateNumber, outDir: 'dist' }]);
  });

  it('several write each into --out/<profile id>', () => {
    expect(resolveTargets([huaweiPrivateNumber, strict], 'dist').map((t) => t.outDir)).toEqual([
      path.join('dist', 'huawei-privatenumber'),
      path.join('dist', 'strict-names'),
    ]);
  });

  it('a profile named twice, or none, is an error that says so', () => {
    expect(() => resolveTargets([huaweiPrivateNumber, huaweiPrivateNumber], 'dist')).toThrow(/"huawei-privatenumber" is named twice/);
    expect(() => resolveTargets([], 'dist')).toThrow(/No profile given/);
  });

  it('reads a comma-separated --profile value, spaces and empty entries ignored', () => {
    expect(parseProfileList('huawei-privatenumber, asterisk,,amazon-connect ')).toEqual(['huawei-privatenumber', 'asterisk', 'amazon-connect']);
  });
});

describe('targets: the audio each can hold, known up front', () => {
  it('A-law 8 kHz: 2,000,000 bytes hold 250 s (249.99 after the 58-byte header)', () => {
    const c = capacity({ codec: 'alaw', container: 'wav', maxBytes: 2_000_000 }, 8000);
    expect(headerBytes({ codec: 'alaw', container: 'wav' })).toBe(58);
    expect(c.maxSamples).toBe(1_999_942);
    expect(c.maxSeconds).toBeCloseTo(249.99, 2);
    expect(c.limitedBy).toBe('size');
  });

  it('µ-law 8 kHz: 50 MB hold 6,250 s; a 5-minute limit counts first', () => {
    expect(capacity({ codec: 'mulaw', container: 'wav', maxBytes: 50_000_000 }, 8000).maxSeconds).toBeCloseTo(6250, 0);
    const amazon = capacity({ codec: 'mulaw', container: 'wav', maxBytes: 50_000_000, maxSeconds: 300 }, 8000);
    expect(amazon).toEqual({ maxSamples: 2_400_000, maxSeconds: 300, limitedBy: 'duration' });
  });

  it('an odd byte count is one sample less (the WAV data chunk is padded to even)', () => {
    expect(capacity({ codec: 'alaw', container: 'wav', maxBytes: 1059 }, 8000).maxSamples).toBe(1000);
    // Headerless: no header, no padding.
    expect(capacity({ codec: 'alaw', container: 'raw', maxBytes: 1001 }, 8000).maxSamples).toBe(1001);
  });

  it('16-bit PCM, GSM 6.10 and MP3 by their own rates', () => {
    expect(capacity({ codec: 'pcm16', container: 'wav', maxBytes: 8_000_044 }, 16000).maxSeconds).toBe(250);
    // GSM: 1625 bytes/s at 8 kHz, in whole 65-byte blocks.
    expect(capacity({ codec: 'gsm', container: 'wav', maxBytes: 60 + 65 * 50 + 1 }, 8000).maxSamples).toBe(50 * 320);
    expect(capacity({ codec: 'gsm', container: 'wav', maxBytes: 60 + 65 * 51 }, 8000).maxSamples).toBe(50 * 320);
    const mp3 = capacity({ codec: 'mp3', container: 'mp3', maxBytes: 2_000_000, mp3Bitrate: 32_000 }, 8000);
    expect(mp3.maxSeconds).toBeGreaterThan(499);
    expect(mp3.maxSeconds).toBeLessThan(500);
  });

  it('no size and no duration limit (Asterisk, FreeSWITCH): no limit', () => {
    expect(capacity({ codec: 'pcm16', container: 'wav' }, 8000)).toEqual({ maxSamples: Infinity, maxSeconds: Infinity, limitedBy: 'none' });
  });
});

describe('targets: names per target', () => {
  const sources = ['rec/welcome.mp3', 'rec/wait-voice.flac', 'rec/Welcome.ogg', 'rec/1st.mp3'];

  it('maps a clean name to a stricter rule by itself, and says the name is not the natural one', () => {
    expect(planNames(['rec/wait-voice.flac'], huaweiPrivateNumber, false).named).toEqual([{ source: 'rec/wait-voice.flac', name: 'wait-voice.wav', renamed: false }]);
    expect(planNames(['rec/wait-voice.flac'], strict, false).named).toEqual([{ source: 'rec/wait-voice.flac', name: 'wait_voice.wav', renamed: true }]);
  });

  it('a name one target refuses and another takes fails in the first only, with the suggestion', () => {
    const huawei = planNames(['rec/wait voice.flac'], huaweiPrivateNumber, false);
    expect(huawei.named).toEqual([]);
    expect(huawei.failed[0]?.errors.map((e) => e.code)).toEqual(['name-charset']);
    expect(huawei.failed[0]?.errors[0]?.message).toMatch(/wait_voice\.wav.*--rename/);
    expect(planNames(['rec/wait voice.flac'], getProfile('asterisk'), false).named).toEqual([{ source: 'rec/wait voice.flac', name: 'wait voice.wav', renamed: false }]);
  });

  it('--rename gives each target the name its own rule accepts', () => {
    expect(planNames(['rec/wait voice.flac'], strict, true).named).toEqual([{ source: 'rec/wait voice.flac', name: 'wait_voice.wav', renamed: true }]);
    expect(planNames(['rec/wait-voice.flac'], upper, true).named).toEqual([{ source: 'rec/wait-voice.flac', name: 'wait-voice.WAV', renamed: false }]);
  });

  it('collisions are caught per target: two sources, one name, both fail there, case-insensitively', () => {
    const plan = planNames(sources, huaweiPrivateNumber, false);
    expect(plan.named.map((n) => n.name)).toEqual(['wait-voice.wav', '1st.wav']);
    expect(plan.failed.map((f) => [f.source, f.errors[0]?.code])).toEqual([
      ['rec/welcome.mp3', 'name-collision'],
      ['rec/Welcome.ogg', 'name-collision'],
    ]);
    expect(plan.failed[0]?.errors[0]?.message).toContain('"rec/Welcome.ogg"');
    // A stricter rule can make a collision in one target that another does not have.
    const renamed = planNames(['a/wait-voice.mp3', 'a/wait_voice.mp3'], strict, false);
    expect(renamed.failed.map((f) => f.errors[0]?.code)).toEqual(['name-collision', 'name-collision']);
    expect(planNames(['a/wait-voice.mp3', 'a/wait_voice.mp3'], huaweiPrivateNumber, true).failed).toEqual([]);
  });
});
