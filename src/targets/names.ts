import { nameForProfile } from '../file-name.js';
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
  /** Not the natural name: the target's rule made it map the name (Genesys: `-` to `_`) or, with `--rename`, apply the suggestion. */
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
 * Names for `sources` (in order) under `profile` (nameForProfile: the natural name, or the
 * clean name mapped to a stricter rule, or with `rename` the suggestion; else a failure
 * with the suggestion); two sources that end up with one name (compared case-insensitively:
 * macOS and Windows folders, and people, take A.wav and a.wav for one file) both fail
 * `name-collision`, in this target only.
 */
export function planNames(sources: readonly string[], profile: Profile, rename: boolean): NamePlan {
  const failed: NameFailure[] = [];
  const candidates: NamedSource[] = [];
  for (const source of sources) {
    const named = nameForProfile(source, profile, { rename });
    if ('errors' in named) failed.push({ source, errors: named.errors });
    else candidates.push({ source, name: named.name, renamed: named.how !== 'natural' });
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


/**
 * planNames for runs of any size: the same names, failures and messages, but nothing is
 * kept per source beyond a byte (named, refused, or colliding). A source's name (or its
 * failure) is worked out again when it is asked for (nameForProfile is a pure function of
 * the path), so the run does not hold a name and an object for every source.
 */
export class SourceNames {
  private readonly state: Uint8Array;
  /** Names (lower-cased) that two or more sources share, with those sources' indexes. */
  private readonly collisions = new Map<string, number[]>();

  constructor(
    private readonly sources: readonly string[],
    private readonly profile: Profile,
    private readonly rename: boolean,
  ) {
    this.state = new Uint8Array(sources.length);
    // Each name's first source, and -1 once a second one has it: only colliding names get a list.
    const first = new Map<string, number>();
    sources.forEach((source, i) => {
      const named = nameForProfile(source, profile, { rename });
      if ('errors' in named) {
        this.state[i] = REFUSED;
        return;
      }
      const k = named.name.toLowerCase();
      const at = first.get(k);
      if (at === undefined) first.set(k, i);
      else {
        this.state[i] = COLLIDES;
        const same = this.collisions.get(k);
        if (same) same.push(i);
        else {
          this.state[at] = COLLIDES;
          this.collisions.set(k, [at, i]);
        }
      }
    });
  }

  /** The output name of source `i` in this target, or its failure. */
  get(i: number): { name: string } | NameFailure {
    const source = this.sources[i] as string;
    const named = nameForProfile(source, this.profile, { rename: this.rename });
    if ('errors' in named) return { source, errors: named.errors };
    if (this.state[i] !== COLLIDES) return { name: named.name };
    const others = (this.collisions.get(named.name.toLowerCase()) ?? []).filter((j) => j !== i).map((j) => `"${this.sources[j]}"`);
    return {
      source,
      errors: [
        finding('name-collision', `"${source}" and ${others.join(', ')} would both become "${named.name}"; none of them was converted. Rename one of the sources.`),
      ],
    };
  }

  /** Whether source `i` gets a name (no failure). */
  named(i: number): boolean {
    return this.state[i] === NAMED;
  }
}

const NAMED = 0;
const REFUSED = 1;
const COLLIDES = 2;
