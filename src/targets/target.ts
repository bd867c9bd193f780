import path from 'node:path';
import type { Profile } from '../profile.js';

/**
 * A target is one platform a run prepares prompts for: a profile and the folder its
 * prompts go to. One target writes into `--out` itself, exactly as a single-profile run
 * always has; several write each into `--out/<profile id>/`, so no two platforms' files
 * ever share a folder (Asterisk's `x.wav` and Huawei's `x.wav` are different bytes).
 */
export interface Target {
  profile: Profile;
  /** The target's folder: `--out`, or `--out/<profile id>` when there are several. */
  outDir: string;
}

/** Profile ids from a `--profile a,b,c` value: trimmed, empty entries dropped. */
export function parseProfileList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * The targets of a run. A profile named twice is an error (its folder would be written
 * twice over), as is none at all.
 */
export function resolveTargets(profiles: readonly Profile[], outDir: string): Target[] {
  if (profiles.length === 0) throw new Error('No profile given: name at least one, e.g. --profile huawei-privatenumber.');
  const seen = new Set<string>();
  for (const p of profiles) {
    if (seen.has(p.id)) throw new Error(`The profile "${p.id}" is named twice; name each target once.`);
    seen.add(p.id);
  }
  if (profiles.length === 1) return [{ profile: profiles[0] as Profile, outDir }];
  return profiles.map((profile) => ({ profile, outDir: path.join(outDir, profile.id) }));
}
