/** Where prompts go. The ids name a platform in the ledger, the config and on the command line. */
export const CONSOLE_PLATFORM = 'huawei-console';
export const CEC_PLATFORM = 'huawei-cec';

export const PLATFORMS = [CONSOLE_PLATFORM, CEC_PLATFORM] as const;
export type PlatformId = (typeof PLATFORMS)[number];

export class UnknownPlatformError extends Error {
  override name = 'UnknownPlatformError';
}

/**
 * The platform a command speaks of: `--platform`, else `upload.platform` in the config,
 * else the console. Every command resolves it here, so `status`, `review`, `bindings` and
 * `upload` never disagree about where a prompt stands.
 */
export function resolvePlatform(flag: string | undefined, config: { upload: { platform?: string } }): PlatformId {
  const id = flag ?? config.upload.platform ?? CONSOLE_PLATFORM;
  if (!(PLATFORMS as readonly string[]).includes(id)) {
    throw new UnknownPlatformError(`--platform must be one of: ${PLATFORMS.join(', ')} (got "${id}")`);
  }
  return id as PlatformId;
}
