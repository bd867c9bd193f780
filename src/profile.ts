/**
 * A platform's rules for a voice prompt, as data. A second platform is a new profile
 * object, not a new code path: every check and every conversion reads these fields.
 * (The zod schema for profiles is in profile-schema.ts: zod takes longer to load than a
 * prompt takes to check, so nothing on the check and convert paths imports it.)
 */
export interface Profile {
  id: string;
  title: string;
  /** WAVE format tag the data must carry: 6 = G.711 A-law, 7 = G.711 µ-law. */
  formatTag: 6 | 7;
  codecName: string;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Largest accepted file, header included, in bytes. */
  maxBytes: number;
  /** Body of a regular-expression character class listing every allowed name character. */
  nameCharset: string;
  /** Human wording of the charset for messages. */
  nameCharsetText: string;
  maxNameLength: number;
  extension: string;
  /** Scenes played before a call connects are cut off after this many seconds. */
  preCallMaxSeconds: number;
}

/**
 * Huawei Cloud Privacy Protection Call. The size limit "不大于2M" never defines its unit,
 * so the strict reading (2,000,000 bytes) is the default; see shared PLATFORM.md.
 */
export const huaweiPrivateNumber: Profile = {
  id: 'huawei-privatenumber',
  title: 'Huawei Cloud Privacy Protection Call (PrivateNumber)',
  formatTag: 6,
  codecName: 'G.711 A-law',
  sampleRate: 8000,
  channels: 1,
  bitsPerSample: 8,
  maxBytes: 2_000_000,
  nameCharset: '0-9A-Za-z\\-_.@',
  nameCharsetText: 'digits, ASCII letters and - _ . @',
  maxNameLength: 128,
  extension: '.wav',
  preCallMaxSeconds: 5,
};

const profiles = new Map<string, Profile>([[huaweiPrivateNumber.id, huaweiPrivateNumber]]);

export function listProfiles(): Profile[] {
  return [...profiles.values()];
}

export function getProfile(id: string): Profile {
  const profile = profiles.get(id);
  if (!profile) {
    throw new Error(`Unknown profile "${id}". Known profiles: ${[...profiles.keys()].join(', ')}.`);
  }
  return profile;
}

/** Bytes of audio one second takes in this profile. */
export function bytesPerSecond(profile: Profile): number {
  return (profile.sampleRate * profile.channels * profile.bitsPerSample) / 8;
}
