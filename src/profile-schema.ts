import { z } from 'zod';
import { CODEC_IDS, type CodecId } from './codec-info.js';
import { deriveProfile, type Profile } from './profile.js';
import type { NameRule, ProfileSpec } from './profile-spec.js';

/**
 * Validates profiles: the shipped data (at test time), a profile built by a library user,
 * and the profiles a config defines. Only what loads zod anyway imports this.
 */

/** A regular-expression character-class body, as the name rules use them (u flag). */
const charClass = z
  .string()
  .min(1)
  .refine(
    (body) => {
      try {
        new RegExp(`[${body}]`, 'u');
        return !body.startsWith('^');
      } catch {
        return false;
      }
    },
    { message: 'must be the body of a regular-expression character class listing the allowed characters, e.g. "0-9A-Za-z_"' },
  );

const nameRuleFields = z
  .object({
    charset: charClass,
    charsetText: z.string().min(1),
    first: charClass.optional(),
    firstText: z.string().min(1).optional(),
    maxLength: z.number().int().positive().optional(),
    lengthWithExtension: z.boolean().optional(),
    forbidden: charClass.optional(),
    forbiddenText: z.string().min(1).optional(),
  })
  .strict();

export const NameRuleSchema = nameRuleFields.superRefine((rule, ctx) => {
    // A rule in words goes with each rule in characters: messages show the words.
    for (const [chars, text] of [
      ['first', 'firstText'],
      ['forbidden', 'forbiddenText'],
    ] as const) {
      if ((rule[chars] === undefined) !== (rule[text] === undefined)) {
        ctx.addIssue({ code: 'custom', path: [rule[chars] === undefined ? chars : text], message: `"${chars}" and "${text}" go together: give both or neither` });
      }
    }
  }) satisfies z.ZodType<NameRule>;

const positiveSeconds = z.number().positive();

const specShape = {
  /** Names a folder (out/<id>/) and a ledger column: lower case, digits and -. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be lower-case letters, digits and -, starting with a letter or digit (at most 64)'),
  title: z.string().min(1),
  family: z.string().regex(/^[a-z0-9-]+$/, 'must be lower-case letters, digits and -'),
  codec: z.enum(CODEC_IDS as [CodecId, ...CodecId[]]),
  container: z.enum(['wav', 'raw', 'mp3']),
  extension: z.string().regex(/^\.[A-Za-z0-9]+$/, 'must be a dot and letters or digits, in the exact case the platform wants (".wav")'),
  sampleRates: z
    .array(z.number().int().min(8000).max(192_000))
    .min(1)
    .refine((rates) => new Set(rates).size === rates.length, { message: 'lists a rate twice' }),
  channels: z.literal(1),
  maxBytes: z.number().int().positive().optional(),
  minSeconds: positiveSeconds.optional(),
  maxSeconds: positiveSeconds.optional(),
  mp3Bitrate: z.number().int().min(8000).max(320_000).optional(),
  name: NameRuleSchema,
  layout: z.enum(['flat', 'asterisk', 'freeswitch']),
  language: z.string().regex(/^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/, 'must be a language folder name such as "en", "fr" or "en_GB"').optional(),
  preCallMaxSeconds: positiveSeconds.optional(),
  scenes: z.boolean(),
  workingDays: z.enum(['china', 'weekends']).optional(),
  note: z.string().min(1).optional(),
};

/** The rules between fields: what makes a spec one a platform could actually play. */
function specRules(spec: ProfileSpec, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string): void => ctx.addIssue({ code: 'custom', path: [path], message });
  if ((spec.codec === 'mp3') !== (spec.container === 'mp3')) {
    issue('container', `codec "${spec.codec}" goes in ${spec.codec === 'mp3' ? 'the "mp3" container' : 'a "wav" or "raw" container'}, not "${spec.container}"`);
  }
  if (spec.codec === 'mp3' && spec.mp3Bitrate === undefined) issue('mp3Bitrate', 'an MP3 profile needs its bitrate (bits a second, e.g. 32000)');
  if (spec.codec !== 'mp3' && spec.mp3Bitrate !== undefined) issue('mp3Bitrate', `only an MP3 profile has a bitrate; this one writes "${spec.codec}"`);
  if (spec.minSeconds !== undefined && spec.maxSeconds !== undefined && spec.minSeconds >= spec.maxSeconds) issue('minSeconds', 'must be less than maxSeconds');
  if (spec.layout === 'asterisk' && spec.language === undefined) issue('language', 'the asterisk layout writes sounds/<language>/: give the language, e.g. "en"');
  if (spec.layout !== 'freeswitch' && spec.sampleRates.length > 1) issue('sampleRates', `only the freeswitch layout has a folder per rate; the "${spec.layout}" layout takes one rate`);
  if (spec.preCallMaxSeconds !== undefined && !spec.scenes) issue('preCallMaxSeconds', 'is a scene rule: set "scenes": true, or leave it out');
  if (spec.name.maxLength !== undefined && spec.name.lengthWithExtension && spec.name.maxLength <= spec.extension.length) {
    issue('name', `maxLength ${spec.name.maxLength} leaves no room for a name before "${spec.extension}"`);
  }
  if (spec.layout === 'asterisk' || spec.family === 'asterisk') {
    const meaning = ASTERISK_EXTENSIONS[spec.extension];
    if (!meaning) {
      issue('extension', `Asterisk does not read "${spec.extension}" (it knows ${Object.keys(ASTERISK_EXTENSIONS).join(' ')}; the case matters)`);
    } else if (meaning.codec !== spec.codec || meaning.container !== spec.container || (meaning.rate !== undefined && spec.sampleRates.some((r) => r !== meaning.rate))) {
      issue(
        'extension',
        `Asterisk reads "${spec.extension}" as ${meaning.text}, not ${spec.codec} ${spec.container} at ${spec.sampleRates.join('/')} Hz: the extension and the codec must agree`,
      );
    }
  }
}

/**
 * What Asterisk makes of a file by its extension (case included): it picks the format by
 * the extension alone, so a file whose extension says another format plays as noise.
 */
export const ASTERISK_EXTENSIONS: Readonly<Record<string, { codec: CodecId; container: 'wav' | 'raw'; rate?: number; text: string }>> = {
  '.wav': { codec: 'pcm16', container: 'wav', rate: 8000, text: '16-bit PCM WAV at 8 kHz' },
  '.wav16': { codec: 'pcm16', container: 'wav', rate: 16000, text: '16-bit PCM WAV at 16 kHz' },
  '.WAV': { codec: 'gsm', container: 'wav', rate: 8000, text: 'GSM 6.10 in WAV' },
  '.wav49': { codec: 'gsm', container: 'wav', rate: 8000, text: 'GSM 6.10 in WAV' },
  '.gsm': { codec: 'gsm', container: 'raw', rate: 8000, text: 'headerless GSM 6.10' },
  '.alaw': { codec: 'alaw', container: 'raw', rate: 8000, text: 'headerless A-law' },
  '.al': { codec: 'alaw', container: 'raw', rate: 8000, text: 'headerless A-law' },
  '.ulaw': { codec: 'mulaw', container: 'raw', rate: 8000, text: 'headerless µ-law' },
  '.ul': { codec: 'mulaw', container: 'raw', rate: 8000, text: 'headerless µ-law' },
  '.pcm': { codec: 'mulaw', container: 'raw', rate: 8000, text: 'headerless µ-law' },
  '.sln': { codec: 'pcm16', container: 'raw', rate: 8000, text: 'headerless 16-bit PCM at 8 kHz' },
  '.raw': { codec: 'pcm16', container: 'raw', rate: 8000, text: 'headerless 16-bit PCM at 8 kHz' },
  '.sln16': { codec: 'pcm16', container: 'raw', rate: 16000, text: 'headerless 16-bit PCM at 16 kHz' },
};

/**
 * A profile a config defines: `extends` names the base (shipped, or another of the
 * config's), every other field is optional and replaces the base's (`name` rule by rule).
 * Only the types are checked here; the config checks the profile it makes (checkUserProfiles).
 */
export const UserProfileEntrySchema = z
  .object(specShape)
  .omit({ id: true, name: true })
  .partial()
  .extend({
    extends: z.string().min(1),
    name: nameRuleFields.partial().optional(),
  })
  .strict();

/** A profile's own fields, as its data or a config gives them. */
export const ProfileSpecSchema = z.object(specShape).strict().superRefine(specRules) satisfies z.ZodType<ProfileSpec>;

/** A whole profile: its spec, and derived fields that must be what its spec derives. */
export const ProfileSchema = z
  .object({
    ...specShape,
    sampleRate: z.number().int().positive(),
    formatTag: z.number().int().nonnegative().nullable(),
    bitsPerSample: z.number().int().nonnegative(),
    codecName: z.string().min(1),
    nameCharset: z.string().min(1),
    nameCharsetText: z.string().min(1),
    maxNameLength: z.number().int().positive(),
  })
  .strict()
  .superRefine((profile, ctx) => {
    specRules(profile, ctx);
    const derived = deriveProfile(profile) as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(derived)) {
      if (key in specShape) continue;
      if ((profile as unknown as Record<string, unknown>)[key] !== value) {
        ctx.addIssue({ code: 'custom', path: [key], message: `must be ${JSON.stringify(value)}, what the profile's own fields derive` });
      }
    }
  }) satisfies z.ZodType<Profile>;

// The schemas and the interfaces must describe the same objects: a compile error here means they drifted.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameSpec: Same<z.infer<typeof ProfileSpecSchema>, ProfileSpec> = true;
const sameShape: Same<z.infer<typeof ProfileSchema>, Profile> = true;
const sameRule: Same<z.infer<typeof NameRuleSchema>, NameRule> = true;
void sameSpec;
void sameShape;
void sameRule;
