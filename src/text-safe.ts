/**
 * What promptprep prints comes partly from outside: file names, config values, reasons a
 * reviewer typed, messages of a remote platform. Any of them can hold control characters.
 * Printed raw, ESC and BEL drive the terminal (`ESC ] 0 ; ... BEL` sets its title, other
 * sequences hide or rewrite text) and a newline forges a line of output. Every text
 * printer shows such text through `escapeControlChars`, so a name is always one visible
 * line; JSON printers pass their JSON text through `escapeControlCharsInJson`.
 */

/**
 * C0 controls (newline, ESC, BEL...), DEL, C1 controls (U+009B is a one-character CSI),
 * the Unicode line and paragraph separators, and the bidirectional overrides and isolates
 * that make a terminal show text in another order than it is.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The same set less C0, which JSON.stringify already writes as escapes. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function hex(ch: string, digits: number): string {
  return (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(digits, '0');
}

/**
 * `text` with every control character written as a visible escape: `\n`, `\r`, `\t`, and
 * `\xHH` or `\uHHHH` for the others (ESC is `\x1B`, BEL `\x07`). Everything else, Chinese
 * and accented letters included, is left as it is.
 */
export function escapeControlChars(text: string): string {
  return text.replace(UNSAFE, (ch) => SHORT[ch] ?? (ch.charCodeAt(0) <= 0xff ? `\\x${hex(ch, 2)}` : `\\u${hex(ch, 4)}`));
}

/**
 * JSON text (from JSON.stringify) with DEL, C1 and the bidirectional controls written as
 * `\uHHHH` escapes too: the same JSON value for any parser, but nothing left that a
 * terminal would act on. (They can only occur inside JSON strings, where `\u` is valid.)
 */
export function escapeControlCharsInJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (ch) => `\\u${hex(ch, 4)}`);
}
