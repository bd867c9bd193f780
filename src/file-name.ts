import { createHash } from 'node:crypto';
import path from 'node:path';
import type { NameRule, Profile } from './profile.js';
import { finding, type Finding } from './findings.js';
import { transliterateHan } from './transliterate.js';

/** Where platform file names are validated, and where a valid one is suggested. */

interface RuleRegexes {
  /** One character the charset does not allow (global). */
  disallowed: RegExp;
  /** One character the rule forbids for a reason of its own (global), if any. */
  forbidden: RegExp | null;
  first: RegExp | null;
}

const compiled = new WeakMap<NameRule, RuleRegexes>();

/** The rule's classes as regular expressions, compiled once per rule (a profile's rule is frozen). */
function regexes(rule: NameRule): RuleRegexes {
  let r = compiled.get(rule);
  if (!r) {
    r = {
      disallowed: new RegExp(`[^${rule.charset}]`, 'gu'),
      forbidden: rule.forbidden ? new RegExp(`[${rule.forbidden}]`, 'gu') : null,
      first: rule.first ? new RegExp(`^[${rule.first}]`, 'u') : null,
    };
    compiled.set(rule, r);
  }
  return r;
}

function allows(rule: NameRule, ch: string): boolean {
  const r = regexes(rule);
  r.disallowed.lastIndex = 0;
  if (r.disallowed.test(ch)) return false;
  if (!r.forbidden) return true;
  r.forbidden.lastIndex = 0;
  return !r.forbidden.test(ch);
}

/** Characters of `name` the profile's charset does not allow, each once, in order of appearance. */
export function disallowedCharacters(name: string, profile: Profile): string[] {
  return [...new Set(name.match(regexes(profile.name).disallowed) ?? [])];
}

/** Characters of `name` the profile forbids for a reason of its own (Asterisk's `&`), each once. */
export function forbiddenCharacters(name: string, profile: Profile): string[] {
  const forbidden = regexes(profile.name).forbidden;
  return forbidden ? [...new Set(name.match(forbidden) ?? [])] : [];
}

function describeChar(ch: string): string {
  if (ch === ' ') return 'space';
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) return `control character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return JSON.stringify(ch);
}

/**
 * What fixes a bad name: a new name (the file is a prompt already), or a conversion (the
 * file is some other audio or no audio at all, and a new extension would only hide that).
 */
export type NameAdvice = 'rename' | 'convert';

/**
 * The part of a file name the character rules judge: the name without the profile's own
 * extension where it ends in it, else the whole name (a wrong extension is judged as the
 * extension, and its characters as any other).
 */
function ruledPart(fileName: string, profile: Profile): string {
  return fileName.endsWith(profile.extension) ? fileName.slice(0, -profile.extension.length) : fileName;
}

/**
 * Findings about the platform file name of a prompt (the base name, extension included),
 * one per rule the name breaks: empty, charset, first character, forbidden characters,
 * length, extension (exact case). The message carries a suggested valid name so a person
 * can fix it in one step.
 */
export function validateFileName(fileName: string, profile: Profile, advice: NameAdvice = 'rename'): Finding[] {
  const out: Finding[] = [];
  const rule = profile.name;
  const platform = profile.title;
  // Node's extname(".wav") is "": a name that is only the extension has that extension, and nothing before it.
  const onlyExtension = fileName.toLowerCase() === profile.extension.toLowerCase();
  const ext = onlyExtension ? fileName : fileName.endsWith(profile.extension) ? profile.extension : path.extname(fileName);
  // The suggestion (transliteration, a hash) is made only for a name that breaks a rule:
  // most names checked are valid, and for them it was most of the cost of this function.
  let hintText: string | undefined;
  const hint = (): string => (hintText ??= nameHint(fileName, profile, advice));
  const part = onlyExtension ? '' : ruledPart(fileName, profile);
  if (fileName.length === 0 || onlyExtension) {
    out.push(finding('name-empty', `The file name "${fileName}" has nothing before the extension.${hint()}`));
  }
  const bad = disallowedCharacters(part, profile);
  if (bad.length > 0) {
    out.push(
      finding('name-charset', `The file name "${fileName}" contains ${bad.map(describeChar).join(', ')}; ${platform} allows only ${rule.charsetText}.${hint()}`),
    );
  }
  const first = regexes(rule).first;
  if (first && part.length > 0 && !first.test(part)) {
    out.push(
      finding('name-first', `The file name "${fileName}" starts with ${describeChar([...part][0] as string)}; ${platform} wants it to start with ${rule.firstText ?? rule.first}.${hint()}`),
    );
  }
  const forbidden = forbiddenCharacters(part, profile);
  if (forbidden.length > 0) {
    out.push(
      finding(
        'name-forbidden',
        `The file name "${fileName}" contains ${forbidden.map(describeChar).join(', ')}; ${platform} refuses ${rule.forbiddenText ?? rule.forbidden}.${hint()}`,
      ),
    );
  }
  if (rule.maxLength !== undefined) {
    const counted = rule.lengthWithExtension ? fileName : part;
    const length = [...counted].length;
    if (length > rule.maxLength) {
      out.push(
        finding(
          'name-too-long',
          rule.lengthWithExtension
            ? `The file name is ${length} characters long; ${platform} allows at most ${rule.maxLength}, extension included.${hint()}`
            : `The file name is ${length} characters long before "${profile.extension}"; ${platform} allows at most ${rule.maxLength}.${hint()}`,
        ),
      );
    }
  } else if (Buffer.byteLength(fileName) > profile.maxNameLength) {
    // No rule of the platform's: the file system's, which counts UTF-8 bytes.
    out.push(
      finding(
        'name-too-long',
        `The file name is ${Buffer.byteLength(fileName)} bytes long in UTF-8; file systems take at most ${profile.maxNameLength}, extension included.${hint()}`,
      ),
    );
  }
  if (ext !== profile.extension) {
    out.push(
      finding(
        'extension',
        ext === ''
          ? `The file name "${fileName}" has no extension; ${platform} expects "${profile.extension}".${hint()}`
          : ext.toLowerCase() === profile.extension.toLowerCase()
            ? `The extension is "${ext}"; ${platform} expects "${profile.extension}", in exactly that case${
                profile.family === 'asterisk' ? ' (Asterisk picks the format by the extension: ".WAV" is GSM, ".wav" 16-bit PCM)' : ''
              }.${hint()}`
            : `The extension is "${ext}"; ${platform} expects "${profile.extension}".${hint()}`,
      ),
    );
  }
  return out;
}

/** The sentence after a name finding: the suggested name, and whether renaming is enough. */
function nameHint(fileName: string, profile: Profile, advice: NameAdvice): string {
  const suggestion = suggestFileName(fileName, profile);
  if (advice === 'convert') {
    return ` It is not a ${profile.extension.slice(1).toUpperCase()} file, so a new name is not enough: convert it with \`promptprep convert${
      suggestion === naturalOutputName(fileName, profile) ? '' : ' --rename'
    }\`, which writes "${suggestion}".`;
  }
  return suggestion !== fileName ? ` Rename it, e.g. to "${suggestion}".` : '';
}

/**
 * validateFileName, plus what a file promptprep writes needs: a name that does not start
 * with ".". The platform would take it, but the file would be hidden: `check <folder>`,
 * watch and file browsers pass over it.
 */
export function validateOutputName(fileName: string, profile: Profile): Finding[] {
  const out = validateFileName(fileName, profile);
  if (fileName.startsWith('.') && !out.some((f) => f.code === 'name-empty')) {
    out.push(
      finding(
        'name-hidden',
        `The file name "${fileName}" starts with "." and would be a hidden file, which \`check\` and watch pass over. Rename it, e.g. to "${suggestFileName(fileName, profile)}".`,
      ),
    );
  }
  return out;
}

export function isValidFileName(fileName: string, profile: Profile): boolean {
  return validateFileName(fileName, profile).length === 0;
}

/**
 * The character that stands in for one a rule refuses: `_` where the rule allows it, else
 * `-`, else none (the character is dropped).
 */
function fillerFor(rule: NameRule): string {
  return ['_', '-'].find((c) => allows(rule, c)) ?? '';
}

/** A letter the rule's first character may be, to put before a name that must start with one. */
function leadFor(rule: NameRule): string {
  const first = regexes(rule).first;
  return [...'pPabcdefghijklmnoqrstuvwxyz'].find((c) => (!first || first.test(c)) && allows(rule, c)) ?? 'p';
}

/** `stem` behind a letter the rule's first character may be: `1st` -> `p_1st`, `_x` -> `p_x`. */
function prefixLead(stem: string, rule: NameRule, filler: string): string {
  return `${leadFor(rule)}${filler !== '' && stem.startsWith(filler) ? '' : filler}${stem}`;
}

/** Replace each character the rule refuses (by charset or as forbidden) with `filler`. */
function replaceRefused(stem: string, rule: NameRule, filler: string): string {
  const r = regexes(rule);
  let out = stem.replace(r.disallowed, filler);
  if (r.forbidden) out = out.replace(r.forbidden, filler);
  return out;
}

/** Whether `stem` + `extension` is within the profile's length: characters where it sets one, else UTF-8 bytes (NAME_MAX). */
function fitsLength(stem: string, profile: Profile): boolean {
  const rule = profile.name;
  if (rule.maxLength === undefined) return Buffer.byteLength(`${stem}${profile.extension}`) <= profile.maxNameLength;
  return [...(rule.lengthWithExtension ? `${stem}${profile.extension}` : stem)].length <= rule.maxLength;
}

/** `stem` cut (whole characters) so that it, `sep` and `hash` fit the profile's length. */
function shortenWithHash(stem: string, sep: string, hash: string, profile: Profile): string {
  const chars = [...stem];
  let keep = chars.length;
  while (keep > 0 && !fitsLength(`${chars.slice(0, keep).join('')}${sep}${hash}`, profile)) keep--;
  return `${chars.slice(0, keep).join('')}${sep}${hash}`;
}

/**
 * A deterministic, readable valid name for `source` (a file name or path; only its base
 * name counts) under the profile's name rule: Chinese as pinyin words (`欢迎语音` ->
 * `huanying_yuyin`) and accents folded to ASCII where the rule does not take them, every
 * other refused character to `_` (or `-`, or nothing, as the rule allows), a letter put
 * first where the rule wants one, the profile's extension, never empty, never over the
 * length limit. A short hash of the original name is added only where information was
 * lost (an empty or shortened name), so distinct sources stay distinct.
 */
export function suggestFileName(source: string, profile: Profile): string {
  const rule = profile.name;
  const base = path.basename(source);
  const ext = path.extname(base);
  let stem = ext.length > 0 && ext.length < base.length ? base.slice(0, -ext.length) : base;
  if (base.toLowerCase() === profile.extension.toLowerCase()) stem = ''; // ".wav": not a hidden ".wav.wav"
  if (!allows(rule, '语')) stem = transliterateHan(stem);
  if (!allows(rule, 'é')) stem = stem.normalize('NFKD').replace(/\p{M}+/gu, '');
  const filler = fillerFor(rule);
  stem = replaceRefused(stem, rule, filler);
  if (filler !== '') stem = stem.replace(new RegExp(`${filler === '-' ? '\\-' : filler}{2,}`, 'g'), filler);
  // Never a hidden file (see validateOutputName).
  stem = stem.replace(/^\.+/, '');
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  const sep = allows(rule, '-') ? '-' : filler;
  const meaningful = stem.replace(/[_.\-]/g, '');
  if (meaningful.length === 0) {
    stem = `prompt${sep}${hash}`;
  } else if (regexes(rule).first && !regexes(rule).first?.test(stem)) {
    stem = prefixLead(stem, rule, filler);
  }
  if (!fitsLength(stem, profile)) stem = shortenWithHash(stem, sep, hash, profile);
  return `${stem}${profile.extension}`;
}

/**
 * The name a clean source name (ASCII letters, digits and - _ . @, what every profile's
 * rule can be reached from without loss) takes under a stricter rule: each refused
 * character becomes `_` (or `-`, as the rule allows), and a letter goes first where the
 * rule wants one (Genesys: `welcome-1.v2` -> `welcome_1_v2`, `1st` -> `p_1st`). null for a
 * name that is not clean: turning spaces or Chinese into something else is a rename, which
 * a person asks for with --rename.
 */
export function mapFileName(natural: string, profile: Profile): string | null {
  const rule = profile.name;
  const ext = profile.extension;
  if (!natural.endsWith(ext)) return null;
  let stem = natural.slice(0, -ext.length);
  if (!/^[0-9A-Za-z\-_.@]+$/.test(stem)) return null;
  const filler = fillerFor(rule);
  stem = replaceRefused(stem, rule, filler);
  const first = regexes(rule).first;
  if (first && stem.length > 0 && !first.test(stem)) stem = prefixLead(stem, rule, filler);
  return `${stem}${ext}`;
}

/** What one source is called in one target: its name, and how it came by it; or why it has none. */
export type NameForProfile =
  | {
      name: string;
      /** natural: the source's own name with the extension; mapped: mapFileName; renamed: suggestFileName (--rename). */
      how: 'natural' | 'mapped' | 'renamed';
    }
  | { errors: Finding[] };

/**
 * The output name of `source` (a base name or path) under `profile`'s rule: the natural
 * name where the rule takes it; else the mechanical mapping of a clean name (see
 * mapFileName); else, with `rename`, the suggested name; else the findings that say which
 * rule the name breaks, each with the suggestion. Pure: one call per source and target.
 */
export function nameForProfile(source: string, profile: Profile, options: { rename?: boolean } = {}): NameForProfile {
  const natural = naturalOutputName(source, profile);
  const problems = validateOutputName(natural, profile);
  if (problems.length === 0) return { name: natural, how: 'natural' };
  const mapped = mapFileName(natural, profile);
  if (mapped !== null && validateOutputName(mapped, profile).length === 0) return { name: mapped, how: 'mapped' };
  if (options.rename) return { name: suggestFileName(natural, profile), how: 'renamed' };
  return {
    errors: problems.map((f) => finding(f.code, `${f.message} (profile ${profile.id}; convert with --rename to apply the suggestion)`)),
  };
}

/** The output name a source gets before any renaming: its base name with the profile's extension. */
export function naturalOutputName(source: string, profile: Profile): string {
  const base = path.basename(source);
  const ext = path.extname(base);
  return `${ext.length > 0 && ext.length < base.length ? base.slice(0, -ext.length) : base}${profile.extension}`;
}
