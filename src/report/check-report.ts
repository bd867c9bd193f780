import type { CheckReport } from '../check.js';
import type { Finding } from '../findings.js';
import { escapeControlChars as shown, escapeControlCharsInJson } from '../text-safe.js';
import { colorsFor } from './colors.js';

/** The output formats of `promptprep check`. */
export const CHECK_FORMATS = ['text', 'json', 'junit', 'github'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

export function renderCheckReport(report: CheckReport, format: CheckFormat, stream: { isTTY?: boolean } = {}): string {
  switch (format) {
    case 'json':
      return `${escapeControlCharsInJson(JSON.stringify(report, jsonReplacer, 2))}\n`;
    case 'junit':
      return renderJunit(report);
    case 'github':
      return renderGithub(report);
    default:
      return renderText(report, stream);
  }
}

/** JSON has no -Infinity; a silent file's level is reported as null. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

function renderText(report: CheckReport, stream: { isTTY?: boolean }): string {
  const c = colorsFor(stream);
  const lines: string[] = [];
  for (const file of report.files) {
    const mark = file.ok ? (file.warnings.length > 0 ? c.yellow('WARN') : c.green('PASS')) : c.red('FAIL');
    lines.push(`${mark} ${shown(file.path)}`);
    for (const e of file.errors) lines.push(`  ${c.red('error')}   ${c.bold(e.code)}: ${shown(e.message)}`);
    for (const w of file.warnings) lines.push(`  ${c.yellow('warning')} ${c.bold(w.code)}: ${shown(w.message)}`);
  }
  const s = report.summary;
  const tail = `${s.total} file(s) checked: ${s.passed} passed, ${s.failed} failed, ${s.warnings} warning(s).`;
  lines.push(s.failed > 0 ? c.red(tail) : c.green(tail));
  return `${lines.join('\n')}\n`;
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

function renderJunit(report: CheckReport): string {
  const s = report.summary;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="promptprep check" tests="${s.total}" failures="${s.failed}">`,
    `  <testsuite name="promptprep check" tests="${s.total}" failures="${s.failed}" errors="0" skipped="0">`,
  ];
  for (const file of report.files) {
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
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}

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

function renderGithub(report: CheckReport): string {
  const lines: string[] = [];
  for (const file of report.files) {
    for (const e of file.errors) lines.push(`::error file=${ghProp(file.path)},title=${ghProp(`promptprep ${e.code}`)}::${ghData(e.message)}`);
    for (const w of file.warnings) {
      const level = !file.ok && file.errors.length === 0 ? 'error' : 'warning';
      lines.push(`::${level} file=${ghProp(file.path)},title=${ghProp(`promptprep ${w.code}`)}::${ghData(w.message)}`);
    }
  }
  const s = report.summary;
  lines.push(`${s.total} file(s) checked: ${s.passed} passed, ${s.failed} failed, ${s.warnings} warning(s).`);
  return `${lines.join('\n')}\n`;
}
