/** A config's own profiles, each extending another, and the profile a config selects. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_FILE_NAME, ConfigError, loadConfig, parseConfig } from '../src/config.js';
import { getProfile } from '../src/profile.js';
import { ProfileSchema } from '../src/profile-schema.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('promptprep-profile-config-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

const errorOf = (raw: unknown): string => {
  try {
    parseConfig(raw, 'c.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

async function load(config: unknown): Promise<Awaited<ReturnType<typeof loadConfig>>> {
  const here = await fs.mkdtemp(path.join(dir, 'c-'));
  await fs.writeFile(path.join(here, CONFIG_FILE_NAME), JSON.stringify(config));
  return loadConfig({ cwd: here });
}

describe('a profile of the config’s own', () => {
  it('extends a shipped profile: the fields given replace the base’s, the rest is the base’s', async () => {
    const loaded = await load({ profile: 'my-ivr', profiles: { 'my-ivr': { extends: 'asterisk', language: 'fr' } } });
    const asterisk = getProfile('asterisk');
    expect(loaded.profile).toMatchObject({ id: 'my-ivr', language: 'fr', codec: 'pcm16', extension: '.wav', layout: 'asterisk', family: 'asterisk', sampleRate: 8000 });
    expect(loaded.profile.name).toEqual(asterisk.name);
    expect(loaded.profile.title).toBe(`${asterisk.title}, as my-ivr`);
    // The base's note was about the base's choices: not carried over unless restated.
    expect(loaded.profile.note).toBeUndefined();
    expect(ProfileSchema.parse(loaded.profile)).toEqual(loaded.profile);
    expect([...loaded.profiles.keys()]).toEqual(['my-ivr']);
    // The shipped one is untouched.
    expect(getProfile('asterisk').language).toBe('en');
  });

  it('merges the name rule rule by rule, and may extend another of the config’s profiles', async () => {
    const loaded = await load({
      profile: 'short-names',
      profiles: {
        'short-names': { extends: 'pn-big', name: { maxLength: 40 } },
        'pn-big': { extends: 'huawei-privatenumber', maxBytes: 2_097_152, title: 'PrivateNumber, read as 2 MiB' },
      },
    });
    expect(loaded.profile).toMatchObject({ id: 'short-names', maxBytes: 2_097_152, maxNameLength: 40, nameCharset: getProfile('huawei-privatenumber').nameCharset });
    expect(loaded.profiles.get('pn-big')?.title).toBe('PrivateNumber, read as 2 MiB');
  });

  it('is not selected unless the config or --profile names it', async () => {
    const loaded = await load({ profiles: { 'my-ivr': { extends: 'asterisk', language: 'fr' } } });
    expect(loaded.profile.id).toBe('huawei-privatenumber');
  });

  it.each([
    ['an unknown base, with the nearest id', { 'my-ivr': { extends: 'astrisk' } }, /^ {2}profiles\.my-ivr\.extends: unknown base profile "astrisk"; did you mean "asterisk"\? \(the profiles are: huawei-privatenumber, .*yeastar\)$/m],
    ['a mistyped field, with the key meant', { 'my-ivr': { extends: 'asterisk', langauge: 'fr' } }, /^ {2}profiles\.my-ivr\.langauge: unknown key; did you mean "profiles\.my-ivr\.language"\?$/m],
    ['a mistyped name-rule field', { 'my-ivr': { extends: 'asterisk', name: { maxLenght: 20 } } }, /profiles\.my-ivr\.name\.maxLenght: unknown key; did you mean "profiles\.my-ivr\.name\.maxLength"\?/],
    ['a value of the wrong type', { 'my-ivr': { extends: 'asterisk', maxBytes: '2M' } }, /profiles\.my-ivr\.maxBytes: .*expected number/],
    ['a codec promptprep does not know', { 'my-ivr': { extends: 'asterisk', codec: 'opus' } }, /profiles\.my-ivr\.codec: /],
    ['an extension the base platform reads as another format', { 'my-ivr': { extends: 'asterisk', extension: '.WAV' } }, /profiles\.my-ivr\.extension: Asterisk reads "\.WAV" as GSM 6\.10 in WAV, not pcm16 wav at 8000 Hz/],
    ['a rate the extension does not allow', { 'my-ivr': { extends: 'asterisk', sampleRates: [16000] } }, /profiles\.my-ivr\.extension: Asterisk reads "\.wav" as 16-bit PCM WAV at 8 kHz/],
    ['an MP3 codec in a WAV container', { x: { extends: 'twilio', codec: 'mp3' } }, /profiles\.x\.container: codec "mp3" goes in the "mp3" container/],
    ['a charset that is no character class', { x: { extends: 'genesys-cloud', name: { charset: 'z-a' } } }, /profiles\.x\.name\.charset: must be the body of a regular-expression character class/],
    ['a first-character rule without its words', { x: { extends: 'yeastar', name: { first: 'A-Z' } } }, /profiles\.x\.name\.firstText: "first" and "firstText" go together/],
    ['an id that cannot name a folder', { 'My IVR': { extends: 'asterisk' } }, /profiles\.My IVR: a profile id is lower-case letters, digits and -/],
    ['a shipped id taken again', { asterisk: { extends: 'asterisk', language: 'fr' } }, /profiles\.asterisk: "asterisk" is a shipped profile; give yours another id/],
    ['a cycle of extends', { a: { extends: 'b' }, b: { extends: 'a' } }, /profiles\.(a|b)\.extends: extends itself through (a -> b -> a|b -> a -> b)/],
    ['no base at all', { x: { language: 'fr' } }, /profiles\.x\.extends: /],
  ])('rejects %s, naming the key', (_what, profiles, message) => {
    expect(errorOf({ profiles })).toMatch(message);
  });

  it('a selected profile that is neither shipped nor the config’s is an error with the nearest id', () => {
    const msg = errorOf({ profile: 'my-iv', profiles: { 'my-ivr': { extends: 'asterisk' } } });
    expect(msg).toMatch(/^ {2}profile: must be one of: huawei-privatenumber, .*, my-ivr; did you mean "my-ivr"\?$/m);
    expect(errorOf({ profile: 'acme' })).toMatch(/profile: must be one of: huawei-privatenumber/);
  });
});
