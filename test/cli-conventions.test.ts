/**
 * Conventions every command shares (issue #13 items 14-17, 20): one output-format flag,
 * help that teaches (examples, exit codes, required options, the npx form), the colour
 * rules, and usage errors that name what is wrong. The built CLI runs in a temp folder.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSI, runCli, runCliOnTty, type CliResult } from './helpers/cli.js';
import { makeTone } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
const f = (...parts: string[]): string => path.join(dir, ...parts);
const run = (args: readonly string[], env?: Record<string, string | undefined>): Promise<CliResult> =>
  runCli(args, { cwd: dir, ...(env ? { env } : {}) });

const COMMANDS = ['check', 'convert', 'watch', 'upload', 'review', 'status', 'bindings', 'callbacks', 'emulator', 'doctor', 'profiles'] as const;

beforeAll(async () => {
  dir = await makeTempDir('promptprep-conventions-');
  await makeTone(f('good.wav'));
  // µ-law fails the check: its report has red in it when coloured.
  await makeTone(f('bad.wav'), { codec: 'pcm_mulaw' });
  await fs.mkdir(f('sources'));
  await makeTone(f('sources', 'hello.wav'), { codec: 'pcm_s16le', sampleRate: 16000 });
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('help', () => {
  it.concurrent.for(COMMANDS)('%s --help has examples in the npx form and its exit codes', async (cmd, { expect }) => {
    const res = await run([cmd, '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Examples:$/m);
    expect(res.stdout).toMatch(/^Exit codes:$/m);
    expect(res.stdout).toMatch(/^ {2}0 /m);
    expect(res.stdout).toMatch(/^ {2}2 +usage/m);
    expect(res.stdout).toMatch(new RegExp(`^ {2}(\\S+=\\S+ )*npx promptprep ${cmd}\\b`, 'm'));
    // After `npm ci` the bare name is not on PATH: no example may use it.
    expect(res.stdout).not.toMatch(/^\s+(\S+=\S+ )*promptprep /m);
  });

  it('marks required options as required', async () => {
    const convert = await run(['convert', '--help']);
    expect(convert.stdout).toMatch(/--out <dir> .*\(required\)/);
    const bindings = await run(['bindings', '--help']);
    expect(bindings.stdout).toMatch(/--mode <mode> .*\(required\)/);
  });

  it('the top-level help has examples, exit codes and where to read more', async () => {
    const res = await run(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^Examples:$/m);
    expect(res.stdout).toMatch(/^ {2}npx promptprep check /m);
    expect(res.stdout).toMatch(/^Exit codes:$/m);
    expect(res.stdout).toMatch(/npx promptprep <command> --help/);
    expect(res.stdout).toMatch(/README\.md/);
    expect(res.stdout).not.toMatch(/^\s+promptprep /m);
  });
});

describe('one output-format flag: --format <name>, with --json short for --format json', () => {
  const cases: [string, string[]][] = [
    ['check', ['check', 'good.wav']],
    ['convert', ['convert', 'sources', '--out', 'out', '--dry-run', '--no-progress']],
    ['upload', ['upload', '--ledger', 'formats.sqlite']],
    ['status', ['status', '--ledger', 'formats.sqlite']],
    ['doctor', ['doctor', '--ledger', 'formats.sqlite']],
  ];
  it.for(cases)('%s: --json and --format json print the same JSON; --format text is not JSON', async ([, args]) => {
    const json = await run([...args, '--json']);
    const format = await run([...args, '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    expect(format.code, format.stderr).toBe(0);
    expect(() => JSON.parse(format.stdout)).not.toThrow();
    // Times and durations differ between runs; the shape does not.
    expect(Object.keys(JSON.parse(format.stdout))).toEqual(Object.keys(JSON.parse(json.stdout)));
    const text = await run([...args, '--format', 'text']);
    expect(text.code, text.stderr).toBe(0);
    expect(() => JSON.parse(text.stdout)).toThrow();
  });

  it('--json with another --format is a usage error', async () => {
    const res = await run(['check', 'good.wav', '--json', '--format', 'junit']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--json.*cannot be used with.*--format/);
  });

  it('watch: --json gives JSON log lines, --format text readable ones', async () => {
    const json = await run(['watch', 'w1', '--once', '--json', '--no-ledger']);
    expect(json.code, json.stderr).toBe(0);
    const lines = json.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const text = await run(['watch', 'w2', '--once', '--format', 'text', '--no-ledger']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stderr).toMatch(/0 converted, 0 rejected/);
    expect(() => JSON.parse(text.stderr.trim().split('\n')[0] as string)).toThrow();
  });

  it('check --format github: stdout holds only workflow commands; the summary goes to stderr', async () => {
    const res = await run(['check', '--format', 'github', 'good.wav', 'bad.wav']);
    expect(res.code).toBe(1);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^::(error|warning|notice) /);
    expect(res.stderr).toMatch(/2 file\(s\) checked: 1 passed, 1 failed/);
  });
});

describe('colour', () => {
  it('FORCE_COLOR colours piped output (CI logs); --no-color wins over it', async () => {
    const forced = await run(['check', 'bad.wav'], { FORCE_COLOR: '1' });
    expect(forced.code).toBe(1);
    expect(forced.stdout).toMatch(ANSI);
    const both = await run(['check', 'bad.wav', '--no-color'], { FORCE_COLOR: '1' });
    expect(both.stdout).toContain('FAIL');
    expect(both.stdout).not.toMatch(ANSI);
    const off = await run(['check', 'bad.wav'], { FORCE_COLOR: '0' });
    expect(off.stdout).not.toMatch(ANSI);
  });

  it('--color colours piped output, even with NO_COLOR', async () => {
    const res = await run(['check', 'bad.wav', '--color'], { NO_COLOR: '1' });
    expect(res.stdout).toMatch(ANSI);
  });

  it('--no-color and NO_COLOR turn colour off on a terminal', async () => {
    const tty = await runCliOnTty(['check', 'bad.wav'], { cwd: dir });
    expect(tty.stdout).toMatch(ANSI);
    const flag = await runCliOnTty(['check', 'bad.wav', '--no-color'], { cwd: dir });
    expect(flag.stdout).toContain('FAIL');
    expect(flag.stdout).not.toMatch(ANSI);
  });

  it('convert and status follow the same rules', async () => {
    const convert = await run(['convert', 'sources', '--out', 'out', '--dry-run', '--no-progress'], { FORCE_COLOR: '1' });
    expect(convert.code, convert.stderr).toBe(0);
    expect(convert.stdout).toMatch(ANSI);
    const plain = await run(['convert', 'sources', '--out', 'out', '--dry-run', '--no-progress', '--no-color'], { FORCE_COLOR: '1' });
    expect(plain.stdout).not.toMatch(ANSI);
    const made = await run(['convert', 'sources', '--out', 'colour-out', '--no-progress', '--ledger', 'colour.sqlite']);
    expect(made.code, made.stderr).toBe(0);
    const status = await run(['status', '--ledger', 'colour.sqlite', '--color']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('hello.wav');
    expect(status.stdout).toMatch(ANSI);
    const statusPlain = await run(['status', '--ledger', 'colour.sqlite', '--no-color'], { FORCE_COLOR: '1' });
    expect(statusPlain.stdout).toContain('hello.wav');
    expect(statusPlain.stdout).not.toMatch(ANSI);
  });

  it('watch log lines follow them too', async () => {
    const forced = await run(['watch', 'w3', '--once', '--format', 'text', '--no-ledger'], { FORCE_COLOR: '1' });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(ANSI);
    const plain = await run(['watch', 'w4', '--once', '--format', 'text', '--no-ledger', '--no-color'], { FORCE_COLOR: '1' });
    expect(plain.stderr).toMatch(/0 converted, 0 rejected/);
    expect(plain.stderr).not.toMatch(ANSI);
  });
});

describe('usage errors name what is wrong', () => {
  it('upload of a name the ledger does not know is a usage error (exit 2) naming it; nothing is staged', async () => {
    const res = await run(['upload', 'nosuch.wav', '--ledger', 'upload.sqlite', '--outbox', 'outbox-nosuch']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/nosuch\.wav/);
    expect(res.stdout).not.toMatch(/Nothing to upload/);
    await expect(fs.stat(f('outbox-nosuch'))).rejects.toThrow();
  });

  it.for([
    [{ convrt: {} }, 'convrt', 'convert'],
    [{ convert: { renmae: true } }, 'convert.renmae', 'convert.rename'],
    [{ cec: { callback: { prot: 9000 } } }, 'cec.callback.prot', 'cec.callback.port'],
    [{ prompts: { 'a.wav': { scnee: 'callerHintTone' } } }, 'prompts.a.wav.scnee', 'prompts.a.wav.scene'],
  ] as const)('a mistyped config key suggests the closest valid one: %j', async ([config, key, suggestion]) => {
    const file = f(`typo-${suggestion}.json`);
    await fs.writeFile(file, JSON.stringify(config));
    const res = await run(['check', 'good.wav', '--config', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(key);
    expect(res.stderr).toContain(`did you mean "${suggestion}"?`);
  });

  it('a config key like no valid one gets no far-fetched suggestion', async () => {
    const file = f('typo-far.json');
    await fs.writeFile(file, JSON.stringify({ xylophone: 1 }));
    const res = await run(['check', 'good.wav', '--config', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('xylophone');
    expect(res.stderr).not.toContain('did you mean');
  });

  it('a config with several problems lists them a line each, not as one line with \\n in it', async () => {
    const file = f('two-problems.json');
    await fs.writeFile(file, JSON.stringify({ profile: 3, watch: { targets: 5 } }));
    const res = await run(['check', 'good.wav', '--config', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).not.toContain('\\n');
    const lines = res.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^promptprep: .*two-problems\.json has errors:$/);
    expect(lines[1]).toMatch(/^ +profile: /);
    expect(lines[2]).toMatch(/^ +watch\.targets: /);
  });

  it('a ledger that cannot be opened is named in the error', async () => {
    await fs.writeFile(f('not-a-folder'), 'a file where a folder should be\n');
    const res = await run(['status', '--ledger', path.join('not-a-folder', 'ledger.sqlite')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(f('not-a-folder', 'ledger.sqlite'));
    // SQLite's own message ("unable to open database file") names no file.
    await fs.mkdir(f('a-folder'));
    const folder = await run(['upload', '--ledger', 'a-folder']);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`ledger ${f('a-folder')}`);
  });
});
