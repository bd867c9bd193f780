import { naturalOutputName, suggestFileName, validateOutputName } from '../file-name.js';
import { finding, type Finding } from '../findings.js';
import type { Profile } from '../profile.js';

/**
 * Output names for one target: each source's base name with the target's extension,
 * judged by the target's own name rule. One source can be fine for one platform and
 * refused by another (Genesys wants letters, digits and `_`, starting with a letter), so
 * names, suggestions and collisions are worked out per target, never shared.
 */

export interface NamedSource {
  source: string;
  /** The output name in this target (extension included). */
  name: string;
  /** The name was not the natural one: the target's rule made `--rename` apply a suggestion. */
  renamed: boolean;
}

export interface NameFailure {
  source: string;
  errors: Finding[];
}

export interface NamePlan {
  named: NamedSource[];
  failed: NameFailure[];
}

/**
 * Names for `sources` (in order) under `profile`. A refused name fails with the suggested
 * one unless `rename`; two sources that end up with one name (compared case-insensitively:
 * macOS and Windows folders, and people, take A.wav and a.wav for one file) both fail
 * `name-collision`, in this target only.
 */
export function planNames(sources: readonly string[], profile: Profile, rename: boolean): NamePlan {
  const failed: NameFailure[] = [];
  const candidates: NamedSource[] = [];
  for (const source of sources) {
    const natural = naturalOutputName(source, profile);
    const problems = validateOutputName(natural, profile);
    if (problems.length === 0) {
      candidates.push({ source, name: natural, renamed: false });
    } else if (rename) {
      candidates.push({ source, name: suggestFileName(natural, profile), renamed: true });
    } else {
      failed.push({
        source,
        errors: problems.map((f) => ({ ...f, message: `${f.message} Or convert with --rename to apply the suggestion.` })),
      });
    }
  }
  const byName = new Map<string, NamedSource[]>();
  for (const c of candidates) {
    const k = c.name.toLowerCase();
    byName.set(k, [...(byName.get(k) ?? []), c]);
  }
  const named: NamedSource[] = [];
  for (const c of candidates) {
    const same = byName.get(c.name.toLowerCase()) ?? [];
    if (same.length === 1) {
      named.push(c);
      continue;
    }
    const others = same.filter((o) => o !== c).map((o) => `"${o.source}"`);
    failed.push({
      source: c.source,
      errors: [
        finding(
          'name-collision',
          `"${c.source}" and ${others.join(', ')} would both become "${c.name}"; none of them was converted. Rename one of the sources.`,
        ),
      ],
    });
  }
  return { named, failed };
}

