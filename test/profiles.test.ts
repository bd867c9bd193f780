/** The shipped profiles: data the schema accepts, and the fields derived from it. */
import { describe, expect, it } from 'vitest';
import { CODECS } from '../src/codec-info.js';
import { bytesPerSecond, deriveProfile, getProfile, huaweiPrivateNumber, listProfiles, sizeLimit, specOf, UnknownProfileError, WAV_MAX_BYTES } from '../src/profile.js';
import { ProfileSchema, ProfileSpecSchema } from '../src/profile-schema.js';
import { SHIPPED_PROFILES } from '../src/profiles/index.js';

const ISSUE_16_IDS = [
  'huawei-privatenumber',
  'huawei-voicecall',
  'huawei-cec',
  'amazon-connect',
  'genesys-cloud',
  'asterisk',
  'asterisk-16k',
  'freeswitch',
  'alibaba-vms',
  'tencent-ccc',
  'yeastar',
  'twilio',
];

describe('shipped profiles', () => {
  it('ship every platform of issue 16, each id once', () => {
    const ids = listProfiles().map((p) => p.id);
    expect([...ids].sort()).toEqual([...ISSUE_16_IDS].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(SHIPPED_PROFILES.map((spec) => [spec.id, spec] as const))('%s: its data passes the spec schema', (_id, spec) => {
    expect(ProfileSpecSchema.parse(spec)).toStrictEqual(spec);
  });

  it.each(listProfiles().map((p) => [p.id, p] as const))('%s: the derived profile passes the profile schema', (_id, profile) => {
    expect(ProfileSchema.parse(profile)).toStrictEqual({ ...profile });
    expect(specOf(profile)).toStrictEqual(SHIPPED_PROFILES.find((s) => s.id === profile.id));
  });

  it('PrivateNumber keeps the fields its first readers use', () => {
    expect(huaweiPrivateNumber).toMatchObject({
      formatTag: 6,
      codecName: 'G.711 A-law',
      sampleRate: 8000,
      channels: 1,
      bitsPerSample: 8,
      maxBytes: 2_000_000,
      nameCharset: '0-9A-Za-z\\-_.@',
      maxNameLength: 128,
      extension: '.wav',
      preCallMaxSeconds: 5,
    });
    expect(getProfile('huawei-privatenumber')).toBe(huaweiPrivateNumber);
  });

  it('is frozen to the leaves, so no run can change another run’s profile', () => {
    const p = getProfile('freeswitch');
    expect(() => (p.sampleRates as number[]).push(1)).toThrow();
    expect(() => {
      (p.name as { maxLength?: number }).maxLength = 3;
    }).toThrow();
  });
});

describe('derived fields', () => {
  it('a derived field that disagrees with the spec fails the profile schema', () => {
    const wrong = { ...getProfile('amazon-connect'), formatTag: 6 };
    const result = ProfileSchema.safeParse(wrong);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['formatTag']);
  });

  it('maxNameLength counts the extension only where the rule does not already', () => {
    expect(getProfile('huawei-privatenumber').maxNameLength).toBe(128);
    expect(getProfile('genesys-cloud').maxNameLength).toBe(200 + '.wav'.length);
    expect(getProfile('asterisk').maxNameLength).toBe(255);
  });

  it('bytes a second follow the codec (µ-law 8 kHz: 50 MB hold 6,250 s; A-law: 2,000,000 bytes hold 250 s)', () => {
    expect(50_000_000 / bytesPerSecond(getProfile('amazon-connect'))).toBe(6250);
    expect(2_000_000 / bytesPerSecond(huaweiPrivateNumber)).toBe(250);
    expect(bytesPerSecond(getProfile('asterisk-16k'))).toBe(32_000);
    expect(CODECS.gsm.bytesPerSecond(8000)).toBe(1625);
    expect(CODECS.mp3.bytesPerSecond(8000, 32_000)).toBe(4000);
  });

  it('a profile without a published size limit is held to its container’s', () => {
    expect(sizeLimit(getProfile('asterisk'))).toBe(WAV_MAX_BYTES);
    expect(sizeLimit(huaweiPrivateNumber)).toBe(2_000_000);
    expect(deriveProfile({ ...specOf(getProfile('asterisk')), container: 'raw', extension: '.sln' }).maxBytes).toBeUndefined();
  });
});

describe('getProfile', () => {
  it('names the unknown id, the nearest known one, and every known one', () => {
    expect(() => getProfile('astrisk')).toThrow(UnknownProfileError);
    expect(() => getProfile('astrisk')).toThrow(/Unknown profile "astrisk"\. Did you mean "asterisk"\? Known profiles: huawei-privatenumber, .*yeastar/);
    expect(() => getProfile('zzzzzzzz')).toThrow(/^Unknown profile "zzzzzzzz"\. Known profiles:/);
  });
});
