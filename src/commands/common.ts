import { promises as fs } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { LoadedConfig } from '../config.js';
import { defaultConfig } from '../config-defaults.js';
import { CONFIG_FILE_NAME, ConfigError } from '../config-file.js';
import { resolvePlatform, UnknownPlatformError, type PlatformId } from '../platforms.js';
import { getProfile, UnknownProfileError } from '../profile.js';
import { exists } from '../fs-util.js';
import { isScene, SCENES, type Scene } from '../scenes.js';
import { parseShard, type Shard } from '../shard.js';

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** An internal fault, not a verdict on the files: distinct from 1 so CI can tell. */
export const EXIT_INTERNAL = 3;

/** A usage or configuration problem: reported on stderr without a stack, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseShardOption(value: string): Shard {
  try {
    return parseShard(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return Number(value);
}

export async function loadCliConfig(explicitPath: string | undefined): Promise<LoadedConfig> {
  if (!explicitPath && !(await exists(CONFIG_FILE_NAME))) {
    const config = defaultConfig();
    return { config, source: null, profile: getProfile(config.profile), profiles: new Map() };
  }
  try {
    const { loadConfig } = await import('../config.js');
    return await loadConfig(explicitPath ? { explicitPath } : {});
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** --profile, worded the same on every command that takes it. */
export function profileOption(): Option {
  return new Option('--profile <id>', 'the platform whose rules apply (`promptprep profiles` lists them; default: the config\'s "profile", else huawei-privatenumber)');
}

/** The config with the profile --profile names (a shipped one or one of the config's "profiles") selected. */
export function selectProfile(loaded: LoadedConfig, flag: string | undefined, what = '--profile'): LoadedConfig {
  if (flag === undefined) return loaded;
  try {
    return { ...loaded, profile: getProfile(flag, loaded.profiles) };
  } catch (err) {
    if (err instanceof UnknownProfileError) throw new UsageError(`${what}: ${err.message}`);
    throw err;
  }
}

/** The platform a command speaks of (--platform, then the config, then the console): see resolvePlatform. */
export function cliPlatform(flag: string | undefined, config: LoadedConfig['config']): PlatformId {
  try {
    return resolvePlatform(flag, config);
  } catch (err) {
    if (err instanceof UnknownPlatformError) throw new UsageError(err.message);
    throw err;
  }
}

/** Paths named on the command line must exist: a typo is a usage error, not a finding. */
export async function requireExistingPaths(paths: string[]): Promise<void> {
  for (const p of paths) {
    try {
      await fs.lstat(p);
    } catch {
      throw new UsageError(`No such file or directory: ${p}`);
    }
  }
}

/** commander parser for --scene: one of the PrivateNumber scene names. */
export function parseSceneOption(value: string): Scene {
  if (!isScene(value)) throw new InvalidArgumentError(`must be one of: ${SCENES.join(', ')} (got "${value}")`);
  return value;
}

/**
 * The output-format convention of every command with more than one output: `-f, --format
 * <name>` picks it, and `--json` (jsonOption) is short for `--format json`. The action
 * reads only `format`: applyJsonShorthand, run before every action, sets it.
 */
export function formatOption(formats: readonly string[], description: string, defaultValue?: string): Option {
  const option = new Option('-f, --format <format>', description).choices(formats);
  return defaultValue === undefined ? option : option.default(defaultValue);
}

/** Every command that reads the config takes it from the same flag, worded the same. */
export function configOption(): Option {
  return new Option('-c, --config <file>', `config file (default: ./${CONFIG_FILE_NAME} when present)`);
}

/** The platform a ledger command speaks of, worded alike wherever the default is the same. */
export function platformOption(): Option {
  return new Option('--platform <id>', 'platform (default: "upload.platform" in the config, else huawei-console)');
}

export function jsonOption(): Option {
  return new Option('--json', 'short for --format json');
}

/** `--json` means `--format json`; with an explicit other --format it is a usage error. */
export function applyJsonShorthand(cmd: Command): void {
  const opts = cmd.opts();
  if (opts.json !== true || !cmd.options.some((o) => o.long === '--format')) return;
  if (cmd.getOptionValueSource('format') === 'cli' && opts.format !== 'json') {
    throw new UsageError(`--json is short for --format json; it cannot be used with --format ${String(opts.format)}`);
  }
  cmd.setOptionValue('format', 'json');
}

/** Every command takes --color / --no-color (see report/colors.ts for the whole rule). */
export function addColorOptions(cmd: Command): Command {
  return cmd
    .option('--color', 'colour the output even when it is not a terminal (as FORCE_COLOR=1)')
    .option('--no-color', 'no colour, even on a terminal (as NO_COLOR=1)');
}

export interface HelpSections {
  /** Paragraphs shown first. */
  notes?: string;
  /** What 0 and 1 (and any other code) mean for this command; 2 and 3 are added. */
  exitCodes: [number, string][];
  /** What exit 2 means here, when more than the usual (a mistyped option, a missing file, a bad config). */
  usage?: string;
  /** Command lines in the form that works right after `npm ci`: `npx promptprep ...`. */
  examples: string[];
}

/** The text after a command's options: notes, exit codes, examples, in the same layout everywhere. */
export function helpSections(h: HelpSections): string {
  const codes: [number, string][] = [
    ...h.exitCodes,
    [EXIT_USAGE, `usage or configuration error (${h.usage ?? 'a mistyped option, a missing file, a bad config'})`],
    [EXIT_INTERNAL, 'unexpected internal error (set PROMPTPREP_DEBUG=1 for the stack trace)'],
  ].sort((a, b) => (a[0] as number) - (b[0] as number)) as [number, string][];
  const width = Math.max(...codes.map(([code]) => String(code).length));
  const parts = [
    ...(h.notes ? [h.notes.trim()] : []),
    ['Exit codes:', ...codes.map(([code, meaning]) => `  ${String(code).padEnd(width)}  ${meaning}`)].join('\n'),
    ['Examples:', ...h.examples.map((e) => `  ${e}`)].join('\n'),
  ];
  return `\n${parts.join('\n\n')}`;
}
