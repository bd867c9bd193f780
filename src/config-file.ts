/**
 * What the config file is called and the error for a bad one: shared by the schema
 * (config.ts) and the zod-free defaults (config-defaults.ts) without either importing
 * the other's runtime code.
 */

export const CONFIG_FILE_NAME = 'promptprep.config.json';

export class ConfigError extends Error {
  override name = 'ConfigError';
}
