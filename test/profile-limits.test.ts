/**
 * Each profile's size and duration rules as data, one passing and one failing case per
 * rule: a file at the limit passes, one byte over fails `too-large` naming the limit; a
 * profile whose vendor publishes no limit holds a file to its container's (a RIFF size is
 * 32 bits), never to an invented one. (Codec, rate and duration findings per profile are
 * in test/codecs-check.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { checkWavBytes } from '../src/check.js';
import { encodeInProcess } from '../src/codecs/index.js';
import { bytesPerSecond, getProfile, listProfiles, sizeLimit, WAV_MAX_BYTES, type Profile } from '../src/profile.js';

/** One second of a quiet 440 Hz tone in the profile's own codec and container. */
function oneSecond(p: Profile): Buffer {
  const samples = Int16Array.from({ length: p.sampleRate }, (_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / p.sampleRate)));
  const bytes = encodeInProcess(samples, p.sampleRate, p);
  if (!bytes) throw new Error(`${p.id}: no in-process encoder`);
  return bytes;
}

/** The published size limits, as the vendors state them (MB = 10^6 bytes; Huawei's "2M" read strictly). */
const SIZE_LIMITS: Record<string, number | undefined> = {
  'huawei-privatenumber': 2_000_000,
  'huawei-voicecall': 2_000_000,
  'huawei-cec': 6_000_000,
  'amazon-connect': 50_000_000,
  'genesys-cloud': 25_000_000,
  twilio: 25_000_000,
  'alibaba-vms': 2_000_000,
  'tencent-ccc': 5_000_000,
  asterisk: undefined,
  'asterisk-16k': undefined,
  freeswitch: undefined,
  yeastar: 8_000_000,
};

const codesOf = (r: { errors: { code: string }[] }): string[] => r.errors.map((e) => e.code);

describe('size limits per profile', () => {
  it('the data carries exactly the published limits', () => {
    expect(Object.fromEntries(listProfiles().map((p) => [p.id, p.maxBytes]))).toEqual(SIZE_LIMITS);
  });

  const limited = listProfiles().filter((p) => p.maxBytes !== undefined);
  it.each(limited.map((p) => [p.id, p] as const))('%s: a file of exactly the limit passes, one byte more fails too-large', (_id, p) => {
    const bytes = oneSecond(p);
    const limit = p.maxBytes as number;
    expect(codesOf(checkWavBytes(bytes, limit, { profile: p }))).not.toContain('too-large');
    const over = checkWavBytes(bytes, limit + 1, { profile: p });
    expect(codesOf(over)).toContain('too-large');
    const message = over.errors.find((e) => e.code === 'too-large')?.message ?? '';
    expect(message).toContain(`${(limit + 1).toLocaleString('en-US')} bytes`);
    expect(message).toContain(`${limit.toLocaleString('en-US')} bytes`);
    expect(message).toContain(p.codecName);
  });

  const unlimited = listProfiles().filter((p) => p.maxBytes === undefined);
  it.each(unlimited.map((p) => [p.id, p] as const))('%s: no published limit, so only the WAV container’s own (4 GiB)', (_id, p) => {
    expect(sizeLimit(p)).toBe(WAV_MAX_BYTES);
    const bytes = oneSecond(p);
    expect(codesOf(checkWavBytes(bytes, 3_000_000_000, { profile: p }))).not.toContain('too-large');
    expect(codesOf(checkWavBytes(bytes, WAV_MAX_BYTES + 1, { profile: p }))).toContain('too-large');
  });
});

describe('duration rules per profile', () => {
  it('only Amazon Connect publishes one (under 5 minutes); no profile invents a minimum', () => {
    expect(listProfiles().filter((p) => p.maxSeconds !== undefined).map((p) => [p.id, p.maxSeconds])).toEqual([['amazon-connect', 300]]);
    expect(listProfiles().filter((p) => p.minSeconds !== undefined)).toEqual([]);
    expect(listProfiles().filter((p) => p.preCallMaxSeconds !== undefined).map((p) => p.id)).toEqual(['huawei-privatenumber']);
  });

  it('what a size limit holds, per codec: µ-law 50 MB about 6,250 s, A-law 2,000,000 bytes about 250 s, 16-bit PCM 2 MB about 125 s', () => {
    const seconds = (id: string): number => (getProfile(id).maxBytes as number) / bytesPerSecond(getProfile(id));
    expect(seconds('amazon-connect')).toBe(6250);
    expect(seconds('huawei-privatenumber')).toBe(250);
    expect(seconds('alibaba-vms')).toBe(125);
  });
});
