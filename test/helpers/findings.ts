import type { Finding } from '../../src/findings.js';

/** The codes of findings, sorted: tests compare exact sets. */
export function codes(findings: readonly Finding[]): string[] {
  return [...new Set(findings.map((f) => f.code))].sort();
}

export interface Verdict {
  ok: boolean;
  errors: string[];
  warnings: string[];
}

/** A file check reduced to what a test pins down: ok plus sorted error and warning codes. */
export function verdict(check: { ok: boolean; errors: readonly Finding[]; warnings: readonly Finding[] }): Verdict {
  return { ok: check.ok, errors: codes(check.errors), warnings: codes(check.warnings) };
}
