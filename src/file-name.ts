import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Profile } from './profile.js';
import { finding, type Finding } from './findings.js';
import { transliterateHan } from './transliterate.js';

/** Where platform file names are validated, and where a valid one is suggested. */

function charsetRegex(profile: Profile, anchored: boolean): RegExp {
  return anchored ? new RegExp(`^[${profile.nameCharset}]+$`, 'u') : new RegExp(`[^${profile.nameCharset}]`, 'gu');
}

/** Characters of `name` the profile does not allow, each once, in order of appearance. */
export function disallowedCharacters(name: string, profile: Profile): string[] {
  const bad = name.match(charsetRegex(profile, false)) ?? [];
  return [...new Set(bad)];
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
 * Findings about the platform file name of a prompt (the base name, extension included).
 * The message carries a suggested valid name so a person can fix it in one step.
 */
export function validateFileName(fileName: string, profile: Profile, advice: NameAdvice = 'rename'): Finding[] {
  const out: Finding[] = [];
  // Node's extname(".wav") is "": a name that is only the extension has that extension, and nothing before it.
  const onlyExtension = fileName.toLowerCase() === profile.extension.toLowerCase();
  const ext = onlyExtension ? fileName : path.extname(fileName);
  const suggestion = suggestFileName(fileName, profile);
  const hint =
    advice === 'convert'
      ? ` It is not a ${profile.extension.slice(1).toUpperCase()} file, so a new name is not enough: convert it with \`promptprep convert${
          suggestion === naturalOutputName(fileName, profile) ? '' : ' --rename'
        }\`, which writes "${suggestion}".`
      : suggestion !== fileName
        ? ` Rename it, e.g. to "${suggestion}".`
        : '';
  if (fileName.length === 0 || onlyExtension) {
    out.push(finding('name-empty', `The file name "${fileName}" has nothing before the extension.${hint}`));
  }
  const bad = disallowedCharacters(fileName, profile);
  if (bad.length > 0) {
    out.push(
      finding(
        'name-charset',
        `The file name "${fileName}" contains ${bad.map(describeChar).join(', ')}; the platform allows only ${profile.nameCharsetText}.${hint}`,
      ),
    );
  }
  if ([...fileName].length > profile.maxNameLength) {
    out.push(
      finding(
        'name-too-long',
        `The file name is ${[...fileName].length} characters long; the platform allows at most ${profile.maxNameLength}, extension included.${hint}`,
      ),
    );
  }
  if (ext !== profile.extension) {
    out.push(
      finding(
        'extension',
        ext === ''
          ? `The file name "${fileName}" has no extension; the platform expects "${profile.extension}".${hint}`
          : `The extension is "${ext}"; the platform expects "${profile.extension}" (lower case).${hint}`,
      ),
    );
  }
  return out;
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
 * A deterministic, readable valid name for `source` (a file name or path; only its base
 * name counts): Chinese as pinyin words (`欢迎语音` -> `huanying_yuyin`), accents folded
 * to ASCII, every other unsupported character to `_`, the
 * profile's extension, never empty, never over the length limit. A short hash of the
 * original name is added only where information was lost (an empty or shortened name),
 * so distinct sources stay distinct.
 */
export function suggestFileName(source: string, profile: Profile): string {
  const base = path.basename(source);
  const ext = path.extname(base);
  let stem = ext.length > 0 && ext.length < base.length ? base.slice(0, -ext.length) : base;
  if (base.toLowerCase() === profile.extension.toLowerCase()) stem = ''; // ".wav": not a hidden ".wav.wav"
  stem = transliterateHan(stem);
  stem = stem.normalize('NFKD').replace(/\p{M}+/gu, '');
  stem = stem.replace(charsetRegex(profile, false), '_');
  stem = stem.replace(/_{2,}/g, '_');
  // Never a hidden file (see validateOutputName).
  stem = stem.replace(/^\.+/, '');
  const hash = createHash('sha256').update(base).digest('hex').slice(0, 8);
  const meaningful = stem.replace(/[_.]/g, '');
  if (meaningful.length === 0) {
    stem = `prompt-${hash}`;
  }
  const room = profile.maxNameLength - profile.extension.length;
  if (stem.length > room) {
    stem = `${stem.slice(0, room - hash.length - 1)}-${hash}`;
  }
  return `${stem}${profile.extension}`;
}

/** The output name a source gets before any renaming: its base name with the profile's extension. */
export function naturalOutputName(source: string, profile: Profile): string {
  const base = path.basename(source);
  const ext = path.extname(base);
  return `${ext.length > 0 && ext.length < base.length ? base.slice(0, -ext.length) : base}${profile.extension}`;
}
