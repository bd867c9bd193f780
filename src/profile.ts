/**
 * A platform's rules for a voice prompt, as data. A new platform is a new profile object
 * (src/profiles/), not a new code path: every check and every conversion reads these fields.
 * (The zod schema for profiles is in profile-schema.ts: zod takes longer to load than a
 * prompt takes to check, so nothing on the check and convert paths imports it.)
 */
import { distance } from 'fastest-levenshtein';
import { CODECS } from './codec-info.js';
import type { ProfileSpec } from './profile-spec.js';
import { SHIPPED_PROFILES } from './profiles/index.js';

export type { CodecId, CodecInfo } from './codec-info.js';
export type { ContainerId, LayoutId, NameRule, ProfileSpec, WorkingDaysId } from './profile-spec.js';

/** Longest file name common file systems take (NAME_MAX), where the platform sets no limit of its own. */
export const FILE_SYSTEM_MAX_NAME_LENGTH = 255;

/** A RIFF chunk size is 32 bits: no WAV file is larger, whatever the platform allows. */
export const WAV_MAX_BYTES = 0xffff_ffff;

/**
 * A profile as every reader sees it: its spec, plus fields derived from it so readers
 * written for the first (A-law) profile go on working. derive() computes them; nothing
 * else sets them.
 */
export interface Profile extends ProfileSpec {
  /** sampleRates[0]. */
  sampleRate: number;
  /** WAVE format tag of the codec; null where the codec is not written in WAV (MP3). */
  formatTag: number | null;
  /** Bits a sample in the `fmt ` chunk; 0 for GSM and MP3. */
  bitsPerSample: number;
  codecName: string;
  /** name.charset and name.charsetText. */
  nameCharset: string;
  nameCharsetText: string;
  /** The longest file name, extension included (the file system's where the platform sets none). */
  maxNameLength: number;
}

/** The derived fields of a profile, in a fixed order (profile-schema.ts lists the same). */
export const DERIVED_KEYS = ['sampleRate', 'formatTag', 'bitsPerSample', 'codecName', 'nameCharset', 'nameCharsetText', 'maxNameLength'] as const;

/** The profile a spec describes: the spec itself, plus the derived fields. */
export function deriveProfile(spec: ProfileSpec): Profile {
  const codec = CODECS[spec.codec];
  const rule = spec.name;
  const maxNameLength =
    rule.maxLength === undefined ? FILE_SYSTEM_MAX_NAME_LENGTH : rule.lengthWithExtension ? rule.maxLength : rule.maxLength + spec.extension.length;
  return {
    ...spec,
    sampleRate: spec.sampleRates[0] as number,
    formatTag: codec.formatTag,
    bitsPerSample: codec.bitsPerSample,
    codecName: codec.name,
    nameCharset: rule.charset,
    nameCharsetText: rule.charsetText,
    maxNameLength,
  };
}

/** The spec a profile was derived from (what a user profile extends). */
export function specOf(profile: Profile): ProfileSpec {
  const spec: Record<string, unknown> = { ...profile };
  for (const key of DERIVED_KEYS) delete spec[key];
  return spec as unknown as ProfileSpec;
}

/** Frozen to the leaves: a shipped profile is shared by every run in the process. */
function freezeProfile(profile: Profile): Profile {
  Object.freeze(profile.sampleRates);
  Object.freeze(profile.name);
  return Object.freeze(profile);
}

const shipped = new Map<string, Profile>(
  SHIPPED_PROFILES.map((spec) => [spec.id, freezeProfile(deriveProfile({ ...spec, sampleRates: [...spec.sampleRates], name: { ...spec.name } }))]),
);

/**
 * Huawei Cloud Privacy Protection Call. The size limit "不大于2M" never defines its unit,
 * so the strict reading (2,000,000 bytes) is the default; see shared PLATFORM.md.
 */
export const huaweiPrivateNumber: Profile = shipped.get('huawei-privatenumber') as Profile;

/** The profiles promptprep ships, in the order `promptprep profiles` lists them. */
export function listProfiles(): Profile[] {
  return [...shipped.values()];
}

export class UnknownProfileError extends Error {
  override name = 'UnknownProfileError';
}

/** A shipped profile, or one of `extra` (a config's own profiles, already resolved). */
export function getProfile(id: string, extra: ReadonlyMap<string, Profile> = new Map()): Profile {
  const profile = extra.get(id) ?? shipped.get(id);
  if (!profile) {
    const known = [...shipped.keys(), ...extra.keys()];
    const near = closestId(id, known);
    throw new UnknownProfileError(
      `Unknown profile "${id}".${near ? ` Did you mean "${near}"?` : ''} Known profiles: ${known.join(', ')} (\`promptprep profiles\` lists them with their rules).`,
    );
  }
  return profile;
}

/** The known id a typo most likely meant: one starting the same, or within two edits. */
export function closestId(id: string, known: readonly string[]): string | null {
  const lower = id.toLowerCase();
  const prefixed = known.filter((k) => k.startsWith(lower));
  if (prefixed.length === 1) return prefixed[0] as string;
  let best: string | null = null;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(lower, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** Bytes of audio one second takes in this profile (at its primary rate). */
export function bytesPerSecond(profile: Profile, sampleRate: number = profile.sampleRate): number {
  return CODECS[profile.codec].bytesPerSecond(sampleRate, profile.mp3Bitrate) * profile.channels;
}

/** The size limit to hold a file to: the platform's, else its container's own. */
export function sizeLimit(profile: Profile): number {
  return profile.maxBytes ?? (profile.container === 'wav' ? WAV_MAX_BYTES : Number.MAX_SAFE_INTEGER);
}

/** The WAVE format tag a WAV of this profile carries; an error for a codec WAV does not carry here (MP3). */
export function wavFormatTag(profile: Profile): number {
  if (profile.formatTag === null) throw new Error(`Profile "${profile.id}" writes ${profile.codecName}, which has no WAVE format tag.`);
  return profile.formatTag;
}
