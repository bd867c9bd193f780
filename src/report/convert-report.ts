import type { ConvertFileResult, ConvertReport } from '../convert/index.js';
import type { TargetSummary } from '../targets/convert.js';
import { escapeControlCharsInJson } from '../text-safe.js';
import { jsonReplacer } from './check-report.js';

/**
 * `convert --json`, written a file at a time: the same text as
 * JSON.stringify(report, jsonReplacer, 2) of the whole report, without ever holding the
 * report (or its text) for the run. A run for several targets adds its `targets` list
 * after the files (each target's counts are known only at the end).
 */
export const convertJson = {
  head: (): string => '{\n  "files": [',
  file: (file: ConvertFileResult, index: number): string =>
    `${index === 0 ? '' : ','}\n    ${escapeControlCharsInJson(JSON.stringify(file, jsonReplacer, 2)).replace(/\n/g, '\n    ')}`,
  tail: (summary: ConvertReport['summary'], targets?: TargetSummary[]): string =>
    `${summary.total === 0 ? '' : '\n  '}],\n` +
    (targets ? `  "targets": ${escapeControlCharsInJson(JSON.stringify(targets, jsonReplacer, 2)).replace(/\n/g, '\n  ')},\n` : '') +
    `  "summary": ${JSON.stringify(summary, null, 2).replace(/\n/g, '\n  ')}\n}\n`,
};
