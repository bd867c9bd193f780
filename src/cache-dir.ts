import os from 'node:os';
import path from 'node:path';

/**
 * The user's cache folder for promptprep: what ffmpeg can do (ffmpeg.ts) and the CLI's
 * compiled code (code-cache.ts). Everything in it can be deleted at any time.
 *
 * `PROMPTPREP_CACHE_DIR`, else `$XDG_CACHE_HOME/promptprep`, else `~/.cache/promptprep`;
 * null (no caching at all) when PROMPTPREP_CACHE_DIR is set to an empty string.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.PROMPTPREP_CACHE_DIR !== undefined) return env.PROMPTPREP_CACHE_DIR === '' ? null : path.resolve(env.PROMPTPREP_CACHE_DIR);
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'promptprep');
}
