/**
 * Writes the README's table of profiles (and the notes on what we chose where a vendor is
 * silent) from the profile data, between the `profiles-table` markers:
 *   npx tsx scripts/readme-profiles.ts
 * test/readme-profiles.test.ts fails while the README and the data disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeProfilesSection, replaceProfilesSection } from '../src/profile-describe.js';

const readme = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const before = readFileSync(readme, 'utf8');
const after = replaceProfilesSection(before, readmeProfilesSection());
if (after !== before) writeFileSync(readme, after);
process.stdout.write(after === before ? 'README.md: the profiles table is up to date\n' : 'README.md: profiles table rewritten\n');
