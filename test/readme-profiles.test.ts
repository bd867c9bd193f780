/** The README's table of profiles is the profile data's: regenerate it with `npx tsx scripts/readme-profiles.ts`. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveProfile, getProfile, listProfiles, specOf } from '../src/profile.js';
import { readmeProfilesSection, replaceProfilesSection } from '../src/profile-describe.js';
import { REPO_ROOT } from './helpers/cli.js';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');

describe('README profiles table', () => {
  it('is what the data makes (run `npx tsx scripts/readme-profiles.ts` after changing a profile)', () => {
    expect(readme).toContain(readmeProfilesSection());
  });

  it('has a row for every shipped profile', () => {
    for (const p of listProfiles()) expect(readme).toMatch(new RegExp(`^\\| \`${p.id}\` \\|`, 'm'));
  });

  it('would notice a changed rule (the comparison can fail)', () => {
    const changed = listProfiles().map((p) => (p.id === 'asterisk' ? deriveProfile({ ...specOf(getProfile('asterisk')), language: 'de' }) : p));
    expect(readme).not.toContain(readmeProfilesSection(changed));
    expect(replaceProfilesSection(readme, readmeProfilesSection(changed))).toContain('sounds/de/&lt;name&gt;.wav');
  });

  it('the README tells how to add a profile in the config', () => {
    expect(readme).toMatch(/"my-ivr": \{ "extends": "asterisk", "language": "fr" \}/);
  });
});
