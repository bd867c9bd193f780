/**
 * Control characters in names and messages never reach a terminal raw: a file named with
 * ESC/BEL does not set the terminal's title, a newline in a name does not forge a line of
 * output. Text formats show them escaped (`\x1B`, `\n`); JSON formats keep the exact name
 * (the parsed value is the name) with nothing raw a terminal would act on.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeControlChars, escapeControlCharsInJson } from '../src/text-safe.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { makeTone } from './helpers/ffmpeg.js';
import { Project, show } from './helpers/ledger-project.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

/** ESC ] 0 ; ... BEL sets the terminal's title; the newline would start a forged line. */
const TITLE = 'x\u001b]0;pwned\u0007.wav';
const FORGED = 'y\nconverted fake.wav';
/** C1 CSI (U+009B) and a right-to-left override: JSON.stringify leaves both raw. */
const C1 = 'z\u009b31m\u202etxt.wav';
const NAMES = [TITLE, FORGED, C1];

/** Anything a terminal acts on, except the SGR colour sequences promptprep writes itself (none here: not a TTY). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

let tmp: string;
let dir: string;

beforeAll(async () => {
  tmp = await makeTempDir('promptprep-text-safe-');
  dir = path.join(tmp, 'prompts');
  await fs.mkdir(dir);
  await makeTone(path.join(dir, 'good.wav'), { seconds: 0.5 });
  for (const name of NAMES) await fs.copyFile(path.join(dir, 'good.wav'), path.join(dir, name));
});
afterAll(async () => {
  await removeTempDir(tmp);
});

/** Lines of output; each must start with one of `starts` (so no line was forged by a name). */
function expectLines(text: string, starts: RegExp): string[] {
  const lines = text.split('\n').filter((l) => l !== '');
  for (const l of lines) expect(l, `unexpected line in:\n${text}`).toMatch(starts);
  return lines;
}

function expectNoRawControls(res: CliResult): void {
  expect(RAW_CONTROL.test(res.stdout), `raw control character on stdout:\n${JSON.stringify(res.stdout)}`).toBe(false);
  expect(RAW_CONTROL.test(res.stderr), `raw control character on stderr:\n${JSON.stringify(res.stderr)}`).toBe(false);
}

describe('escapeControlChars', () => {
  it('writes C0, DEL, C1, line separators and bidi controls as visible escapes', () => {
    expect(escapeControlChars(TITLE)).toBe('x\\x1B]0;pwned\\x07.wav');
    expect(escapeControlChars(FORGED)).toBe('y\\nconverted fake.wav');
    expect(escapeControlChars('a\r\tb\u007f\u0000')).toBe('a\\r\\tb\\x7F\\x00');
    expect(escapeControlChars(C1)).toBe('z\\x9B31m\\u202Etxt.wav');
    expect(escapeControlChars('a\u2028b\u2066c')).toBe('a\\u2028b\\u2066c');
  });

  it('leaves every other character as it is', () => {
    const text = '欢迎致电 café – naïve 🎵 "quoted" \\ back';
    expect(escapeControlChars(text)).toBe(text);
  });

  it('JSON: the same value for a parser, and no raw DEL, C1 or bidi control', () => {
    const value = { names: NAMES, other: 'a\u007fb\u2029c' };
    const json = escapeControlCharsInJson(JSON.stringify(value, null, 2));
    expect(JSON.parse(json)).toEqual(value);
    expect(RAW_CONTROL.test(json)).toBe(false);
  });
});

describe('check', () => {
  it('text: each name on its own line, escaped; no forged line', async () => {
    const res = await runCli(['check', dir]);
    expect(res.code, show(res)).toBe(1);
    expectNoRawControls(res);
    expectLines(res.stdout, /^(PASS |WARN |FAIL |  error |  warning |\d+ file\(s\) checked)/);
    expect(res.stdout).toContain(`FAIL ${path.join(dir, 'x\\x1B]0;pwned\\x07.wav')}\n`);
    expect(res.stdout).toContain(`FAIL ${path.join(dir, 'y\\nconverted fake.wav')}\n`);
    expect(res.stdout).toContain(`FAIL ${path.join(dir, 'z\\x9B31m\\u202Etxt.wav')}\n`);
  });

  it('github: every line a workflow command or the summary, ESC and BEL escaped', async () => {
    const res = await runCli(['check', '--format', 'github', dir]);
    expect(res.code, show(res)).toBe(1);
    expectNoRawControls(res);
    expectLines(res.stdout, /^(::(error|warning) file=|\d+ file\(s\) checked)/);
    expect(res.stdout).toContain('x\\x1B]0;pwned\\x07.wav');
    // A newline is percent-encoded, as the workflow-command rules say (GitHub decodes it).
    expect(res.stdout).toContain('y%0Aconverted fake.wav');
  });

  it('json: the exact names, nothing raw', async () => {
    const res = await runCli(['check', '--format', 'json', dir]);
    expect(res.code, show(res)).toBe(1);
    expectNoRawControls(res);
    const report = JSON.parse(res.stdout) as { files: { path: string }[] };
    expect(report.files.map((f) => path.basename(f.path)).sort()).toEqual(['good.wav', ...NAMES].sort());
  });
});

describe('convert', () => {
  it('text: FAILED lines show the names escaped; only the real conversion says "converted"', async () => {
    const res = await runCli(['convert', dir, '--out', path.join(tmp, 'out1'), '--no-ledger'], { cwd: tmp });
    expect(res.code, show(res)).toBe(1);
    expectNoRawControls(res);
    const lines = expectLines(res.stdout, /^(converted |FAILED {4}|  error |  warning |\d+ file\(s\):)/);
    expect(lines.filter((l) => l.startsWith('converted '))).toEqual([`converted ${path.join(dir, 'good.wav')} -> ${path.join(tmp, 'out1', 'good.wav')}`]);
    expect(res.stdout).toContain(`FAILED    ${path.join(dir, 'y\\nconverted fake.wav')}\n`);
    expect(res.stdout).toContain(`FAILED    ${path.join(dir, 'x\\x1B]0;pwned\\x07.wav')}\n`);
  });

  it('json: the exact names, nothing raw', async () => {
    const res = await runCli(['convert', dir, '--out', path.join(tmp, 'out2'), '--no-ledger', '--json'], { cwd: tmp });
    expect(res.code, show(res)).toBe(1);
    expectNoRawControls(res);
    const report = JSON.parse(res.stdout) as { files: { source: string }[] };
    expect(report.files.map((f) => path.basename(f.source)).sort()).toEqual(['good.wav', ...NAMES].sort());
  });

  it('a usage error naming a missing path shows it escaped', async () => {
    const res = await runCli(['convert', path.join(tmp, 'no\u001b]0;such\u0007'), '--out', path.join(tmp, 'out3')], { cwd: tmp });
    expect(res.code).toBe(2);
    expectNoRawControls(res);
    expect(res.stderr).toContain('no\\x1B]0;such\\x07');
  });
});

describe('doctor', () => {
  it('shows a config path with ESC and BEL escaped in text, exactly in JSON', async () => {
    const config = 'cfg\u001b]0;pwned\u0007.json';
    let res = await runCli(['doctor', '--config', config], { cwd: tmp });
    expect(res.code, show(res)).toBe(1);
    expectNoRawControls(res);
    expect(res.stdout).toContain('cfg\\x1B]0;pwned\\x07.json');
    res = await runCli(['doctor', '--json', '--config', config], { cwd: tmp });
    expectNoRawControls(res);
    expect((JSON.parse(res.stdout) as { config: { path: string } }).config.path).toBe(path.join(tmp, config));
  });
});

describe('upload, review, status and bindings', () => {
  it('show a configured description, a reviewer\'s reason and names escaped in text, exactly in JSON', async () => {
    const description = 'Ringback\u001b]0;pwned\u0007\n[ ] 2. forged';
    const p = await Project.create(path.join(tmp, 'project'), { prompts: { 'wait_voice1.wav': { description } } });
    await p.source('wait_voice1.wav');
    expect((await p.convert()).code).toBe(0);
    let res = await p.run(['upload']);
    expect(res.code, show(res)).toBe(0);
    expectNoRawControls(res);
    expect(res.stdout).toContain('文件说明 (description): Ringback\\x1B]0;pwned\\x07\\n[ ] 2. forged\n');
    expect((await p.run(['review', 'wait_voice1.wav', 'submitted'])).code).toBe(0);
    const reason = 'noisy\u001b]0;pwned\u0007\nOVERDUE: forged';
    res = await p.run(['review', 'wait_voice1.wav', 'rejected', '--reason', reason]);
    expect(res.code, show(res)).toBe(0);
    expectNoRawControls(res);

    res = await p.run(['status']);
    expect(res.code, show(res)).toBe(0);
    expectNoRawControls(res);
    expect(res.stdout).toContain('noisy\\x1B]0;pwned\\x07\\nOVERDUE: forged');
    expect(res.stdout.split('\n').filter((l) => l.startsWith('OVERDUE'))).toEqual([]);
    const { json } = await p.status();
    expect(json.prompts[0]?.reason).toBe(reason);

    res = await p.run(['review', 'wait\u001b]0;x\u0007.wav', 'approved']);
    expect(res.code).toBe(2);
    expectNoRawControls(res);
    expect(res.stderr).toContain('wait\\x1B]0;x\\x07.wav');

    res = await p.run(['bindings', '--mode', 'AX']);
    expect(res.code, show(res)).toBe(0);
    expectNoRawControls(res);
  });
});
