import { promises as fs } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { LoadedConfig } from '../config.js';
import { defaultConfig } from '../config-defaults.js';
import { CONFIG_FILE_NAME, ConfigError } from '../config-file.js';
import { resolvePlatform, UnknownPlatformError, type PlatformId } from '../platforms.js';
import { getProfile } from '../profile.js';
import { exists } from '../fs-util.js';
import { isScene, SCENES, type Scene } from '../scenes.js';
import { parseShard, type Shard } from '../shard.js';

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

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
    return { config, source: null, profile: getProfile(config.profile) };
  }
  try {
    const { loadConfig } = await import('../config.js');
    return await loadConfig(explicitPath ? { explicitPath } : {});
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
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
