import { summarize, type CheckReport, type CheckSummary, type FileCheck } from '../check.js';
import type { Finding } from '../findings.js';
import { escapeControlChars as shown, escapeControlCharsInJson } from '../text-safe.js';
import { colorsFor } from './colors.js';

type Colors = ReturnType<typeof colorsFor>;

/** The output formats of `promptprep check`. */
export const CHECK_FORMATS = ['text', 'json', 'junit', 'github'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

/** A report format as pieces: what comes before the files, each file, and what follows. */
interface Printer {
  head(): string;
  file(file: FileCheck, index: number): string;
  tail(summary: CheckSummary): string;
  /** JUnit puts the totals before the files: its file pieces are held until the end. */
  totalsFirst?: boolean;
}

function printer(format: CheckFormat, stream: { isTTY?: boolean }): Printer {
  switch (format) {
    case 'json':
      return jsonPrinter;
    case 'junit':
      return junitPrinter;
    case 'github':
      return githubPrinter;
    default:
      return textPrinter(colorsFor(stream));
  }
}

export function renderCheckReport(report: CheckReport, format: CheckFormat, stream: { isTTY?: boolean } = {}): string {
  const p = printer(format, stream);
  const files = report.files.map((f, i) => p.file(f, i)).join('');
  return p.totalsFirst ? `${p.tail(report.summary)}${files}${junitClose}` : `${p.head()}${files}${p.tail(report.summary)}`;
}

/** "N file(s) checked: ..." */
export function checkSummaryLine(s: CheckSummary): string {
  return `${s.total} file(s) checked: ${s.passed} passed, ${s.failed} failed, ${s.warnings} warning(s).`;
}

/** Where writeCheckReport writes: process.stdout, or any stream.Writable. */
export interface ReportSink {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
}

/**
 * Write a report as the checks arrive, piece by piece (never the whole report as one
 * string), waiting for the sink to drain; returns the summary.
 */
export async function writeCheckReport(
  files: AsyncIterable<FileCheck> | Iterable<FileCheck>,
  format: CheckFormat,
  out: ReportSink,
): Promise<CheckSummary> {
  const p = printer(format, out);
  const summary: CheckSummary = { total: 0, passed: 0, failed: 0, warnings: 0 };
  const write = async (text: string): Promise<void> => {
    if (text && !out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  // JUnit's totals come first: its per-file pieces (small, one per file) wait until the end.
  const held: string[] = [];
  if (!p.totalsFirst) await write(p.head());
  let index = 0;
  for await (const file of files) {
    summarize([file], summary);
    const piece = p.file(file, index++);
    if (p.totalsFirst) held.push(piece);
    else await write(piece);
  }
  await write(p.tail(summary));
  if (p.totalsFirst) {
    for (const piece of held) await write(piece);
    await write(junitClose);
  }
  return summary;
}

/** JSON has no -Infinity; a silent file's level is reported as null. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** The layout of JSON.stringify(report, jsonReplacer, 2), written a file at a time. */
const jsonPrinter: Printer = {
  head: () => '{\n  "files": [',
  file: (file, index) =>
    `${index === 0 ? '' : ','}\n    ${escapeControlCharsInJson(JSON.stringify(file, jsonReplacer, 2)).replace(/\n/g, '\n    ')}`,
  tail: (summary) => `${summary.total === 0 ? '' : '\n  '}],\n  "summary": ${JSON.stringify(summary, null, 2).replace(/\n/g, '\n  ')}\n}\n`,
};

function textPrinter(c: Colors): Printer {
  return {
    head: () => '',
    file: (file) => {
      const lines: string[] = [];
      const mark = file.ok ? (file.warnings.length > 0 ? c.yellow('WARN') : c.green('PASS')) : c.red('FAIL');
      lines.push(`${mark} ${shown(file.path)}`);
      for (const e of file.errors) lines.push(`  ${c.red('error')}   ${c.bold(e.code)}: ${shown(e.message)}`);
      for (const w of file.warnings) lines.push(`  ${c.yellow('warning')} ${c.bold(w.code)}: ${shown(w.message)}`);
      return `${lines.join('\n')}\n`;
    },
    tail: (s) => {
      const tail = checkSummaryLine(s);
      return `${s.failed > 0 ? c.red(tail) : c.green(tail)}\n`;
    },
  };
}

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

const junitClose = '  </testsuite>\n</testsuites>\n';

const junitPrinter: Printer = {
  totalsFirst: true,
  head: () => '',
  // With totalsFirst, tail() is the opening: the totals are known only after every file.
  tail: (s) =>
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="promptprep check" tests="${s.total}" failures="${s.failed}">`,
      `  <testsuite name="promptprep check" tests="${s.total}" failures="${s.failed}" errors="0" skipped="0">`,
      '',
    ].join('\n'),
  file: (file) => {
    const out: string[] = [];
    out.push(`    <testcase classname="promptprep.check" name="${xml(file.path)}">`);
    if (!file.ok) {
      const failing: Finding[] = file.errors.length > 0 ? file.errors : file.warnings;
      const first = failing[0];
      const body = [...file.errors.map((e) => `error ${e.code}: ${e.message}`), ...file.warnings.map((w) => `warning ${w.code}: ${w.message}`)];
      out.push(
        `      <failure type="${xml(first?.code ?? 'failed')}" message="${xml(first?.message ?? 'failed')}">${xml(body.join('\n'))}</failure>`,
      );
    } else if (file.warnings.length > 0) {
      out.push(`      <system-out>${xml(file.warnings.map((w) => `warning ${w.code}: ${w.message}`).join('\n'))}</system-out>`);
    }
    out.push('    </testcase>');
    return `${out.join('\n')}\n`;
  },
};

/**
 * GitHub workflow commands: data escapes %, CR, LF; properties also : and ,. The other
 * control characters are shown escaped: the log viewer acts on ESC sequences too.
 */
function ghData(text: string): string {
  return shown(text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'));
}
function ghProp(text: string): string {
  return ghData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const githubPrinter: Printer = {
  head: () => '',
  file: (file) => {
    const lines: string[] = [];
    for (const e of file.errors) lines.push(`::error file=${ghProp(file.path)},title=${ghProp(`promptprep ${e.code}`)}::${ghData(e.message)}`);
    for (const w of file.warnings) {
      const level = !file.ok && file.errors.length === 0 ? 'error' : 'warning';
      lines.push(`::${level} file=${ghProp(file.path)},title=${ghProp(`promptprep ${w.code}`)}::${ghData(w.message)}`);
    }
    return lines.map((l) => `${l}\n`).join('');
  },
  // Only workflow commands on stdout: the caller prints the summary elsewhere (stderr).
  tail: () => '',
};
