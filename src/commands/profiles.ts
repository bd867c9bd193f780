import { Command } from 'commander';
import { describeProfile, type ProfileRules } from '../profile-describe.js';
import { listProfiles, type Profile } from '../profile.js';
import { colorsFor } from '../report/colors.js';
import { escapeControlChars as shown, escapeControlCharsInJson } from '../text-safe.js';
import { configOption, EXIT_OK, formatOption, helpSections, jsonOption, loadCliConfig, selectProfile } from './common.js';

interface ProfilesFlags {
  format: 'text' | 'json';
  config?: string;
}

export function profilesCommand(): Command {
  return new Command('profiles')
    .description('List the platform profiles (shipped, and the config\'s own) with their rules: codec, rate, container, size, duration, names, layout.')
    .argument('[ids...]', 'show these profiles in full (default: a table of all)')
    .addOption(formatOption(['text', 'json'], 'text (a table, or the named profiles in full) or json (every field)', 'text'))
    .addOption(jsonOption())
    .addOption(configOption())
    .addHelpText(
      'after',
      helpSections({
        notes: `
Select a profile with --profile on check, convert and watch, or "profile" in the config.
A config can define its own profile by extending another:
  "profiles": { "my-ivr": { "extends": "asterisk", "language": "fr" } }
A rule a vendor does not publish reads "none published"; where promptprep had to choose
(a codec the vendor leaves open), the profile's note says so.`,
        exitCodes: [[0, 'listed']],
        usage: 'an unknown profile id, a bad config',
        examples: ['npx promptprep profiles', 'npx promptprep profiles asterisk amazon-connect', 'npx promptprep profiles --json'],
      }),
    )
    .action(async (ids: string[], flags: ProfilesFlags) => {
      const loaded = await loadCliConfig(flags.config);
      const all: Profile[] = [...listProfiles(), ...loaded.profiles.values()];
      const chosen = ids.length === 0 ? all : ids.map((id) => selectProfile(loaded, id, 'profiles').profile);
      const extendsOf = (p: Profile): string | null => loaded.config.profiles[p.id]?.extends ?? null;
      if (flags.format === 'json') {
        const out = chosen.map((p) => ({ ...p, source: loaded.profiles.has(p.id) ? 'config' : 'shipped', extends: extendsOf(p), rules: describeProfile(p) }));
        process.stdout.write(`${escapeControlCharsInJson(JSON.stringify({ selected: loaded.profile.id, profiles: out }, null, 2))}\n`);
      } else {
        const c = colorsFor(process.stdout);
        const text = ids.length === 0 ? table(chosen.map(describeProfile), loaded.profile.id) : chosen.map((p) => detail(describeProfile(p), extendsOf(p), c.bold)).join('\n\n');
        process.stdout.write(`${text.split('\n').map(shown).join('\n')}\n`);
      }
      process.exitCode = EXIT_OK;
    });
}

/** One line a profile: id, audio, file, size, duration; the names and notes are in the full view. */
function table(rows: ProfileRules[], selected: string): string {
  const head = ['', 'profile', 'audio', 'file', 'size', 'duration'];
  const cells = rows.map((r) => [r.id === selected ? '*' : '', r.id, r.audio, r.file, r.size, r.duration]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (row: string[]): string =>
    row
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line), '', `* selected (--profile, else the config's "profile"). Names, layout and notes: promptprep profiles <id>.`].join('\n');
}

function detail(r: ProfileRules, base: string | null, bold: (s: string) => string): string {
  const rows: [string, string][] = [
    ['audio', r.audio],
    ['file', r.file],
    ['size', r.size],
    ['duration', r.duration],
    ['names', r.names],
    ['layout', r.layout],
    ['scenes', r.scenes],
    ...(base ? ([['extends', base]] as [string, string][]) : []),
    ...(r.note ? ([['note', r.note]] as [string, string][]) : []),
  ];
  return [`${bold(r.id)}  ${r.title}`, ...rows.map(([k, v]) => `  ${k.padEnd(10)}${v}`)].join('\n');
}

