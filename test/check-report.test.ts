/** The renderers of `check`, in-process: colour rules and escaping. */
import { afterEach, describe, expect, it } from 'vitest';
import type { CheckReport } from '../src/check.js';
import { colorsFor } from '../src/report/colors.js';
import { renderCheckReport } from '../src/report/check-report.js';
import { ANSI } from './helpers/cli.js';
import { findAll, parseXml } from './helpers/xml.js';

const report: CheckReport = {
  files: [
    {
      path: 'p/a&b <c>.wav',
      ok: false,
      errors: [{ code: 'name-charset', message: 'Bad "name" & <chars>\u0001 here,\nsecond: line 100%' }],
      warnings: [{ code: 'too-quiet', message: 'Quiet.' }],
    },
    { path: 'p/ok.wav', ok: true, errors: [], warnings: [], stats: { durationSeconds: 1, peakDb: -Infinity, rmsDb: -Infinity, activeDb: -Infinity, activeRatio: 0, leadingSilenceSeconds: 1, trailingSilenceSeconds: 1, clippedRuns: 0 } },
    { path: 'p/warn.wav', ok: true, errors: [], warnings: [{ code: 'clipping', message: 'Clips.' }] },
  ],
  summary: { total: 3, passed: 2, failed: 1, warnings: 2 },
};

const savedNoColor = process.env.NO_COLOR;
afterEach(() => {
  if (savedNoColor === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = savedNoColor;
});

describe('text', () => {
  it('is coloured only on a TTY and never with NO_COLOR', () => {
    delete process.env.NO_COLOR;
    expect(renderCheckReport(report, 'text', { isTTY: true })).toMatch(ANSI);
    expect(renderCheckReport(report, 'text', { isTTY: false })).not.toMatch(ANSI);
    expect(renderCheckReport(report, 'text', {})).not.toMatch(ANSI);
    process.env.NO_COLOR = '1';
    expect(renderCheckReport(report, 'text', { isTTY: true })).not.toMatch(ANSI);
  });

  it('follows no-color.org: an empty NO_COLOR does not disable colour', () => {
    expect(colorsFor({ isTTY: true }, { NO_COLOR: '' }).red('x')).toMatch(ANSI);
    expect(colorsFor({ isTTY: true }, { NO_COLOR: 'true' }).red('x')).toBe('x');
  });

  it('marks FAIL, PASS and WARN and ends with the summary', () => {
    delete process.env.NO_COLOR;
    const lines = renderCheckReport(report, 'text', {}).trimEnd().split('\n');
    expect(lines[0]).toBe('FAIL p/a&b <c>.wav');
    expect(lines[1]).toMatch(/^ {2}error {3}name-charset: Bad/);
    expect(lines).toContain('PASS p/ok.wav');
    expect(lines).toContain('WARN p/warn.wav');
    expect(lines.at(-1)).toBe('3 file(s) checked: 2 passed, 1 failed, 2 warning(s).');
  });
});

describe('json', () => {
  it('writes -Infinity levels as null and round-trips', () => {
    const parsed = JSON.parse(renderCheckReport(report, 'json')) as { files: { stats?: { peakDb: unknown } }[] };
    expect(parsed.files[1]?.stats?.peakDb).toBeNull();
  });
});

describe('junit', () => {
  it('escapes names and messages into well-formed XML, dropping control characters', () => {
    const xml = renderCheckReport(report, 'junit');
    const root = parseXml(xml);
    const cases = findAll(root, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['p/a&b <c>.wav', 'p/ok.wav', 'p/warn.wav']);
    const failure = findAll(cases[0]!, 'failure')[0]!;
    expect(failure.attrs.type).toBe('name-charset');
    expect(failure.attrs.message).toBe('Bad "name" & <chars> here,\nsecond: line 100%');
    expect(failure.text).toContain('warning too-quiet: Quiet.');
    expect(findAll(cases[2]!, 'failure')).toEqual([]);
  });
});

describe('github', () => {
  it('escapes properties and data per the workflow-command rules', () => {
    const lines = renderCheckReport(report, 'github').trimEnd().split('\n');
    expect(lines[0]).toBe(
      '::error file=p/a&b <c>.wav,title=promptprep name-charset::Bad "name" & <chars>\\x01 here,%0Asecond: line 100%25',
    );
    expect(lines[1]).toBe('::warning file=p/a&b <c>.wav,title=promptprep too-quiet::Quiet.');
    expect(lines[2]).toBe('::warning file=p/warn.wav,title=promptprep clipping::Clips.');
    // Only workflow commands: the summary line goes to stderr (the CLI prints it there).
    expect(lines).toHaveLength(3);
  });
});
