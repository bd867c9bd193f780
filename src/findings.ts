/**
 * Every finding has a stable code: CI scripts, JUnit reports and the ledger key on it,
 * so codes are never renamed, only added.
 */
export const ERROR_CODES = [
  'name-charset',
  'name-too-long',
  'name-empty',
  'extension',
  'unreadable',
  'empty',
  'not-wav',
  'truncated',
  'header-size-mismatch',
  'missing-chunk',
  'codec',
  'sample-rate',
  'channels',
  'bits-per-sample',
  'too-large',
  'empty-data',
  'duplicate-chunk',
  'chunk-order',
  'fact-mismatch',
  'name-first',
  'name-forbidden',
  'container',
  'partial-frame',
  'duration-too-long',
  'duration-too-short',
] as const;

export const WARNING_CODES = [
  'extra-chunks',
  'no-fact-chunk',
  'digital-silence',
  'too-quiet',
  'clipping',
  'leading-silence',
  'trailing-silence',
  'too-long-for-scene',
  'extensible-format',
] as const;

/** Codes `convert` (and `watch`) add to those of `check`, which it applies to every output. */
export const CONVERT_ERROR_CODES = [
  'not-audio',
  'no-audio-stream',
  'too-long',
  'silent',
  'name-collision',
  'output-exists',
  'would-overwrite-source',
  'decode-failed',
  'encode-failed',
  'write-failed',
  'internal',
] as const;

export const CONVERT_WARNING_CODES = ['cut-to-fit', 'normalize-peak-limited', 'normalize-silent', 'normalize-large-gain', 'downmix-level'] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
export type WarningCode = (typeof WARNING_CODES)[number];

export interface Finding<C extends string = string> {
  code: C;
  message: string;
}

export function finding<C extends string>(code: C, message: string): Finding<C> {
  return { code, message };
}
