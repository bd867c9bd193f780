import { closestId, deriveProfile, getProfile, listProfiles, specOf, UnknownProfileError, type Profile } from './profile.js';
import type { NameRule, ProfileSpec } from './profile-spec.js';

/**
 * Profiles a config defines by extending another one:
 *   "profiles": { "my-ivr": { "extends": "asterisk", "language": "fr" } }
 * The fields given replace the base's; `name` is merged rule by rule. No zod here: the
 * config's schema validates the result (profile-schema.ts), this only builds it.
 */

export type ProfileOverrides = Partial<Omit<ProfileSpec, 'id' | 'name'>> & { name?: Partial<NameRule> };

export interface UserProfileEntry extends ProfileOverrides {
  /** A shipped profile's id, or another profile of the same config. */
  extends: string;
}

export class ProfileExtendError extends Error {
  override name = 'ProfileExtendError';
  constructor(
    message: string,
    /** The entry at fault, and the key in it. */
    readonly id: string,
    readonly key: string,
  ) {
    super(message);
  }
}

/** The spec of `id` made from `base` and the entry's fields. */
export function extendSpec(id: string, base: ProfileSpec, entry: UserProfileEntry): ProfileSpec {
  const { extends: baseId, name, ...fields } = entry;
  const spec: ProfileSpec = {
    ...base,
    title: `${base.title}, as ${id}`,
    ...(fields as Partial<ProfileSpec>),
    id,
    name: { ...base.name, ...name },
  };
  // A note is about the base's choices; one the entry does not restate may no longer hold.
  if (fields.note === undefined && baseId !== id) delete spec.note;
  return spec;
}

/**
 * The specs of a config's profiles, each resolved through its `extends` chain (to a shipped
 * profile, or another entry). Throws ProfileExtendError for an unknown base, a shipped id
 * taken again, or a cycle; the result is not yet validated.
 */
export function resolveUserSpecs(entries: Readonly<Record<string, UserProfileEntry>>): Map<string, ProfileSpec> {
  const shippedIds = new Set(listProfiles().map((p) => p.id));
  const done = new Map<string, ProfileSpec>();
  const resolve = (id: string, trail: string[]): ProfileSpec => {
    const ready = done.get(id);
    if (ready) return ready;
    const entry = entries[id] as UserProfileEntry;
    if (shippedIds.has(id)) {
      throw new ProfileExtendError(`"${id}" is a shipped profile; give yours another id (and "extends": "${id}")`, id, '');
    }
    if (trail.includes(id)) throw new ProfileExtendError(`extends itself through ${[...trail, id].join(' -> ')}`, id, 'extends');
    let base: ProfileSpec;
    if (Object.hasOwn(entries, entry.extends)) {
      base = resolve(entry.extends, [...trail, id]);
    } else {
      try {
        base = specOf(getProfile(entry.extends));
      } catch (err) {
        if (!(err instanceof UnknownProfileError)) throw err;
        const known = [...shippedIds, ...Object.keys(entries).filter((k) => k !== id)];
        const near = closestId(entry.extends, known);
        throw new ProfileExtendError(
          `unknown base profile "${entry.extends}"${near ? `; did you mean "${near}"?` : ''} (the profiles are: ${known.join(', ')})`,
          id,
          'extends',
        );
      }
    }
    const spec = extendSpec(id, base, entry);
    done.set(id, spec);
    return spec;
  };
  for (const id of Object.keys(entries)) resolve(id, []);
  return done;
}

/** A config's profiles, ready to use (validated already by the config schema). */
export function resolveUserProfiles(entries: Readonly<Record<string, UserProfileEntry>>): Map<string, Profile> {
  return new Map([...resolveUserSpecs(entries)].map(([id, spec]) => [id, deriveProfile(spec)]));
}
