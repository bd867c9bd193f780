import type { Finding } from '../findings.js';
import { escapeControlChars as shown } from '../text-safe.js';

/**
 * The note beside a rejected source (`<name>.reason.txt`). Its reader dropped a file into a
 * shared folder and may never run promptprep: it says where the file is now, why it was
 * not taken, and what to do in the folder (or which config key makes watch do it). Names
 * are shown escaped, as on a terminal: the note is read with `cat` too.
 */

export interface RejectionNoteInput {
  /** The source's name as it was dropped. */
  name: string;
  /** Where the source is now, relative to the watch root (`rejected/...`). */
  placedAt: string;
  errors: Finding[];
  warnings: Finding[];
  /** A valid name, when the name was the problem. */
  suggestedName?: string;
}

const NAME_CODES = new Set(['name-charset', 'name-too-long', 'name-empty', 'extension']);

function advice(input: RejectionNoteInput): string[] {
  const codes = new Set(input.errors.map((e) => e.code));
  const out: string[] = [];
  if ([...codes].some((c) => NAME_CODES.has(c))) {
    out.push(
      input.suggestedName
        ? `- Rename the file, for example to "${shown(input.suggestedName)}", and drop it into inbox/ again.`
        : '- Rename the file to a name the platform accepts and drop it into inbox/ again.',
      '- Or let watch give such files a valid name itself: set "convert.rename": true in the config file (promptprep.config.json), or start watch with --rename.',
    );
  }
  if (codes.has('too-long')) {
    out.push(
      '- Shorten the recording and drop it into inbox/ again.',
      '- Or let watch cut such recordings to fit, with a fade-out: set "convert.onOversize": "trim" in the config file (promptprep.config.json), or start watch with --on-oversize trim.',
    );
  }
  if ([...codes].some((c) => !NAME_CODES.has(c) && c !== 'too-long')) {
    out.push('- Fix the recording as said above (or pick the right file) and drop it into inbox/ again.');
  }
  out.push(`- ${input.placedAt} stays where it is until you delete it; watch never takes files back from rejected/.`);
  return out;
}

export function rejectionNote(input: RejectionNoteInput): string {
  const placedAt = shown(input.placedAt);
  return [
    `${shown(input.name)} was not turned into a prompt. It is now ${placedAt}.`,
    '',
    'Why:',
    ...input.errors.map((e) => `- ${shown(e.message)} [${e.code}]`),
    ...(input.warnings.length > 0 ? ['', 'Also noted:', ...input.warnings.map((w) => `- ${shown(w.message)} [${w.code}]`)] : []),
    '',
    'What to do:',
    ...advice({ ...input, placedAt }),
    '',
  ].join('\n');
}
