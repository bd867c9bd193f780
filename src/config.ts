import { promises as fs } from 'node:fs';
import path from 'node:path';
import { distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { defaultAnalysisOptions, type AnalysisOptions } from './audio-analysis.js';
import { closestId, getProfile, listProfiles, type Profile } from './profile.js';
import { ProfileExtendError, resolveUserProfiles, resolveUserSpecs, type UserProfileEntry } from './profile-extend.js';
import { ProfileSpecSchema, UserProfileEntrySchema } from './profile-schema.js';
import type { ProfileSpec } from './profile-spec.js';
import { SCENES } from './scenes.js';
import { CONFIG_FILE_NAME, ConfigError } from './config-file.js';

/**
 * `promptprep.config.json`: the settings a team commits beside its prompts. Flags on the
 * command line override it. Unknown keys are errors, so a typo never silently does nothing.
 */

export { CONFIG_FILE_NAME };

/** `analysis`: the level-analysis thresholds (audio-analysis.ts holds their defaults). */
export const AnalysisOptionsSchema = z
  .object({
    activityGateDb: z.number().positive().default(defaultAnalysisOptions.activityGateDb),
    activityFloorDb: z.number().max(0).default(defaultAnalysisOptions.activityFloorDb),
    silencePeakDb: z.number().max(0).default(defaultAnalysisOptions.silencePeakDb),
    quietActiveDb: z.number().max(0).default(defaultAnalysisOptions.quietActiveDb),
    clipRunSamples: z.number().int().positive().default(defaultAnalysisOptions.clipRunSamples),
    maxLeadingSilence: z.number().nonnegative().default(defaultAnalysisOptions.maxLeadingSilence),
    maxTrailingSilence: z.number().nonnegative().default(defaultAnalysisOptions.maxTrailingSilence),
  }) satisfies z.ZodType<AnalysisOptions>;

export const ConvertConfigSchema = z
  .object({
    /** Apply suggested valid names instead of failing on names the platform rejects. */
    rename: z.boolean().default(false),
    /** What to do with a source longer than the size limit allows: fail, or trim with a fade-out. */
    onOversize: z.enum(['fail', 'trim']).default('fail'),
    /** Bring active speech to about -22 dBFS, peaks at least 1 dB under full scale. */
    normalize: z.boolean().default(false),
    /** Trim leading and trailing silence, keeping a short margin. */
    trimSilence: z.boolean().default(false),
    /** Apply the 300-3400 Hz telephone band. */
    bandLimit: z.boolean().default(false),
    /** At most this many ffmpeg processes (a strict cap); default one per CPU, see ConvertOptions.jobs. */
    jobs: z.number().int().positive().optional(),
  })
  .strict();
export type ConvertConfig = z.infer<typeof ConvertConfigSchema>;

export const WatchConfigSchema = z
  .object({
    /** Default watch root when none is given on the command line. */
    root: z.string().default('watch'),
    /** A file counts as completely written once its size and mtime are unchanged this long (ms). */
    stableMs: z.number().int().nonnegative().default(2000),
    /** How often candidate files are re-examined (ms). */
    scanIntervalMs: z.number().int().positive().default(250),
    /** Use polling instead of file-system events (network shares). */
    poll: z.boolean().default(false),
    /** Polling interval when polling (ms). */
    pollIntervalMs: z.number().int().positive().default(1000),
    /** Sources converted together in one round (several share each ffmpeg process). */
    batchSize: z.number().int().positive().default(64),
    /**
     * Several platforms from one inbox: profile ids, each with its own ready/<id>/ folder.
     * The first one's versions are archived and recorded in the ledger.
     */
    targets: z
      .array(z.string().min(1))
      .min(1)
      .refine((ids) => new Set(ids).size === ids.length, { message: 'names a profile twice; name each target once' })
      .optional(),
  })
  .strict();
export type WatchConfig = z.infer<typeof WatchConfigSchema>;

/** Scene and console description (文件说明) for a prompt name, or for names matching a pattern. */
export const PromptInfoSchema = z
  .object({
    scene: z.enum(SCENES).optional(),
    description: z.string().min(1).max(500).optional(),
  })
  .strict();
export type PromptInfo = z.infer<typeof PromptInfoSchema>;

export const CecConfigSchema = z
  .object({
    /** API base URL (scheme, host, port). Default: the local emulator. */
    baseUrl: z.string().url().default('http://127.0.0.1:8790'),
    locale: z.enum(['zh_CN', 'en_US', 'pt_BR', 'th_TH']).default('zh_CN'),
    /** voiceType when no scene entry applies: 0 IVR, 1 prompt tone, 2 fault tone, 3 voice notification. */
    defaultVoiceType: z.enum(['0', '1', '2', '3']).default('1'),
    /** voiceType per scene. */
    voiceTypes: z.partialRecord(z.enum(SCENES), z.enum(['0', '1', '2', '3'])).default({}),
    /** Seconds each token should live (X-Token-Expire, at most 3600). */
    tokenExpireSeconds: z.number().int().min(60).max(3600).default(600),
    callback: z
      .object({
        /** Where the receiver listens. */
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8791),
        path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/).default('/promptprep/cec-callback'),
        /** The URL the platform calls, without the secret segment; default http://host:port/path. */
        publicUrl: z.string().url().optional(),
        maxBodyBytes: z.number().int().positive().default(16 * 1024),
        timeoutMs: z.number().int().positive().default(10_000),
        /** Connections held at once, in all and from one address (raise the latter behind a reverse proxy). */
        maxConnections: z.number().int().positive().default(256),
        maxConnectionsPerAddress: z.number().int().positive().default(32),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8791, path: '/promptprep/cec-callback', maxBodyBytes: 16 * 1024, timeoutMs: 10_000, maxConnections: 256, maxConnectionsPerAddress: 32 }),
  })
  .strict();
export type CecConfig = z.infer<typeof CecConfigSchema>;

export const ConfigSchema = z
  .object({
    $schema: z.string().optional(),
    /** The profile: a shipped one (`promptprep profiles`) or one of `profiles`. */
    profile: z.string().min(1).default('huawei-privatenumber'),
    /** The config's own profiles, each extending another: {"my-ivr": {"extends": "asterisk", "language": "fr"}}. */
    profiles: z.record(z.string(), UserProfileEntrySchema).default({}),
    /** Overrides the profile's size limit, in bytes (the platform's "2M" is read as 2,000,000). */
    maxBytes: z.number().int().positive().optional(),
    /** Warnings fail `check`. */
    strict: z.boolean().default(false),
    analysis: AnalysisOptionsSchema.strict().default(AnalysisOptionsSchema.parse({})),
    convert: ConvertConfigSchema.default(ConvertConfigSchema.parse({})),
    watch: WatchConfigSchema.default(WatchConfigSchema.parse({})),
    /**
     * Keys are prompt file names ("wait_voice1.wav") or patterns with * and ?
     * ("record-*.wav"). An exact name wins over an inbox scene folder, which wins over a pattern.
     */
    prompts: z.record(z.string().min(1), PromptInfoSchema).default({}),
    ledger: z
      .object({
        /** The ledger file; default .promptprep/ledger.sqlite in the working directory. */
        path: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    review: z
      .object({
        /** Reviews waiting longer than this many working days are flagged overdue. */
        overdueWorkingDays: z.number().positive().default(1),
        /** Working days: "china" (official holidays and 调休 make-up days) or "weekends"; default china for the Huawei profiles. */
        calendar: z.enum(['china', 'weekends']).optional(),
      })
      .strict()
      .default({ overdueWorkingDays: 1 }),
    cec: CecConfigSchema.default(CecConfigSchema.parse({})),
    upload: z
      .object({
        /** Where prompts are uploaded: huawei-console (staged for a person) or huawei-cec (API). */
        platform: z.enum(['huawei-console', 'huawei-cec']).default('huawei-console'),
        /** Folder the console workflow stages files in. */
        outbox: z.string().min(1).default('outbox'),
      })
      .strict()
      .default({ platform: 'huawei-console', outbox: 'outbox' }),
  })
  .strict()
  .superRefine(checkProfiles);
export type Config = z.infer<typeof ConfigSchema>;

/**
 * The profiles a config defines, each as the whole profile it makes (so a field that
 * breaks a rule of the profile it extends is reported at that field), and the profile it
 * selects.
 */
function checkProfiles(config: { profile: string; profiles: Record<string, UserProfileEntry> }, ctx: z.RefinementCtx): void {
  const ids = Object.keys(config.profiles);
  let specs = new Map<string, ProfileSpec>();
  const bad = new Set<string>();
  for (const id of ids) {
    if (!PROFILE_ID.test(id)) {
      ctx.addIssue({ code: 'custom', path: ['profiles', id], message: 'a profile id is lower-case letters, digits and -, starting with a letter or digit (it names a folder)' });
      bad.add(id);
    }
  }
  try {
    specs = resolveUserSpecs(config.profiles);
  } catch (err) {
    if (!(err instanceof ProfileExtendError)) throw err;
    ctx.addIssue({ code: 'custom', path: ['profiles', err.id, ...(err.key ? [err.key] : [])], message: err.message });
    return;
  }
  for (const [id, spec] of specs) {
    if (bad.has(id)) continue;
    const result = ProfileSpecSchema.safeParse(spec);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: ['profiles', id, ...issue.path], message: issue.message });
    }
  }
  const known = [...listProfiles().map((p) => p.id), ...ids];
  if (!known.includes(config.profile)) {
    const near = closestId(config.profile, known);
    ctx.addIssue({ code: 'custom', path: ['profile'], message: `must be one of: ${known.join(', ')}${near ? `; did you mean "${near}"?` : ''}` });
  }
}

const PROFILE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export { ConfigError };

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or null for built-in defaults. */
  source: string | null;
  /** The selected profile ("profile"). */
  profile: Profile;
  /** The config's own profiles ("profiles"), by id, for --profile to find. */
  profiles: ReadonlyMap<string, Profile>;
}

/**
 * Load `explicitPath`, or `promptprep.config.json` in `cwd` when present, or the defaults.
 * Throws ConfigError with one line per problem, each naming the key.
 */
export async function loadConfig(options: { cwd?: string; explicitPath?: string } = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const file = options.explicitPath ? path.resolve(cwd, options.explicitPath) : path.join(cwd, CONFIG_FILE_NAME);
  let text: string | null = null;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || options.explicitPath) {
      throw new ConfigError(`Cannot read config file ${file}: ${code === 'ENOENT' ? 'it does not exist' : (err as Error).message}`);
    }
  }
  let raw: unknown = {};
  if (text !== null) {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const config = parseConfig(raw, text === null ? '(defaults)' : file);
  const profiles = resolveUserProfiles(config.profiles);
  return { config, source: text === null ? null : file, profile: getProfile(config.profile, profiles), profiles };
}

export function parseConfig(raw: unknown, label = 'config'): Config {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.flatMap((issue) => {
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `  ${unknownKeyMessage(issue.path, key)}`);
      const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      return [`  ${where}: ${issue.message}`];
    });
    throw new ConfigError(`${label} has ${lines.length === 1 ? 'an error' : 'errors'}:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** "convert.renmae: unknown key; did you mean "convert.rename"?" (or the keys allowed there). */
function unknownKeyMessage(where: readonly PropertyKey[], key: string): string {
  const prefix = where.map(String).join('.');
  const full = prefix ? `${prefix}.${key}` : key;
  const valid = keysAt(where).filter((k) => k !== '$schema');
  const closest = closestKey(key, valid);
  if (closest !== null) return `${full}: unknown key; did you mean "${prefix ? `${prefix}.${closest}` : closest}"?`;
  return `${full}: unknown key${valid.length > 0 ? ` (the keys here are: ${valid.join(', ')})` : ''}`;
}

/** The valid key nearest a typo, if near enough to be what was meant. */
function closestKey(key: string, valid: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of valid) {
    // Case slips count as one edit, whatever their number.
    const d = candidate.toLowerCase() === key.toLowerCase() ? 1 : distance(key, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // Two edits always (a swapped pair of letters is two), more only in long keys.
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

/** The keys the config schema allows in the object at `where` (record entries included). */
function keysAt(where: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = ConfigSchema;
  for (const segment of where) {
    const s = unwrap(schema);
    if (s instanceof z.ZodObject) schema = s.shape[String(segment)] as z.core.$ZodType | undefined;
    else if (s instanceof z.ZodRecord) schema = s._zod.def.valueType;
    else return [];
  }
  const s = unwrap(schema);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** Through .default() and .optional() to the schema they wrap. */
function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let s = schema;
  while (s && 'innerType' in s._zod.def) s = (s._zod.def as { innerType: z.core.$ZodType }).innerType;
  return s;
}
