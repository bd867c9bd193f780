/**
 * `promptprep check` end to end: the built CLI (node dist/cli.cjs) spawned with an
 * argument array, its exit codes, its four output formats, --shard and the config file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, expect as globalExpect, it, type ExpectStatic } from 'vitest';
import { inShard, parseShard } from '../src/shard.js';
import { ANSI, parseJsonReport, runCli, runCliOnTty, STACK_LINE, type CliResult } from './helpers/cli.js';
import { makeTone } from './helpers/ffmpeg.js';
import { verdict } from './helpers/findings.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';
import { findAll, parseXml } from './helpers/xml.js';

let dir: string;
const f = (...parts: string[]): string => path.join(dir, ...parts);

const SHARD_FILES = Array.from({ length: 20 }, (_, i) => `p${String(i + 1).padStart(2, '0')}.wav`);
/** A name with every character XML and GitHub annotations must escape. */
const NASTY = 'a&b <c> "q",d:e%.wav';

beforeAll(async () => {
  dir = await makeTempDir('promptprep-cli-');
  await fs.mkdir(f('good'));
  await makeTone(f('good', 'one.wav'));
  await makeTone(f('good', 'two.wav'), { frequency: 600 });
  await fs.mkdir(f('warn'));
  await makeTone(f('warn', 'list.wav'), { bitexact: false });
  await fs.mkdir(f('mixed'));
  await fs.copyFile(f('good', 'one.wav'), f('mixed', 'good.wav'));
  await fs.copyFile(f('warn', 'list.wav'), f('mixed', 'list.wav'));
  await makeTone(f('mixed', 'mulaw.wav'), { codec: 'pcm_mulaw' });
  await fs.copyFile(f('good', 'one.wav'), f('mixed', NASTY));
  await fs.mkdir(f('shard'));
  for (const name of SHARD_FILES) await fs.copyFile(f('good', 'one.wav'), f('shard', name));
  await fs.mkdir(f('conf'));
});

afterAll(async () => {
  await removeTempDir(dir);
});

function expectNoStack(res: CliResult, expect: ExpectStatic = globalExpect): void {
  expect(res.stderr).not.toMatch(STACK_LINE);
  expect(res.stdout).not.toMatch(STACK_LINE);
  expect(res.stderr).not.toMatch(/\b(TypeError|ReferenceError|Error:|node:internal)/);
}

describe('exit codes', () => {
  it('0 when every file passes (warnings alone do not fail)', async () => {
    const res = await runCli(['check', f('good'), f('warn')]);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/3 file\(s\) checked: 3 passed, 0 failed, 1 warning\(s\)\./);
  });

  it('1 when any file fails', async () => {
    const res = await runCli(['check', f('good'), f('mixed', 'mulaw.wav')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^FAIL .*mulaw\.wav$/m);
    expect(res.stdout).toMatch(/^PASS .*one\.wav$/m);
  });

  it.concurrent.for([
    ['an unknown flag', ['check', '--bogus', 'x.wav'], /unknown option '--bogus'/],
    ['a missing path', ['check', 'no-such-dir/nope.wav'], /No such file or directory: no-such-dir\/nope\.wav/],
    ['no path at all', ['check'], /missing required argument/],
    ['an unknown format', ['check', '--format', 'xml', '.'], /--format.*xml|xml.*--format|Allowed choices/],
    ['a bad --shard', ['check', '--shard', '4/3', '.'], /--shard 4\/3: i must be between 1 and n/],
    ['a malformed --shard', ['check', '--shard', 'half', '.'], /--shard must look like i\/n/],
    ['a bad --max-bytes', ['check', '--max-bytes', '2M', '.'], /positive whole number, got "2M"/],
    ['a zero --max-bytes', ['check', '--max-bytes', '0', '.'], /positive whole number/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
  ] as const)('2 for %s, with a readable message and no stack', async ([, args, message], { expect }) => {
    const res = await runCli(args, { cwd: dir });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(message);
    expectNoStack(res, expect);
  });

  it('0 for --help and --version', async () => {
    const help = await runCli(['check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:\n {2}0 +every file passed.*\n {2}1 +some file failed\n {2}2 +usage/);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(await fs.readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});

describe('--format json', () => {
  it('has the documented shape', async () => {
    const res = await runCli(['check', '--format', 'json', f('mixed')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('');
    const report = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(['files', 'summary']);
    const files = report.files as Record<string, unknown>[];
    expect(files).toHaveLength(4);
    for (const file of files) {
      expect(typeof file.path).toBe('string');
      expect(typeof file.ok).toBe('boolean');
      expect(Array.isArray(file.errors)).toBe(true);
      expect(Array.isArray(file.warnings)).toBe(true);
      // Only "stats" (level measurements, when the audio decodes) may come on top.
      expect(Object.keys(file).filter((k) => !['path', 'ok', 'errors', 'warnings', 'stats'].includes(k))).toEqual([]);
      for (const finding of [...(file.errors as unknown[]), ...(file.warnings as unknown[])]) {
        expect(Object.keys(finding as object).sort()).toEqual(['code', 'message']);
        expect(typeof (finding as { code: unknown }).code).toBe('string');
        expect(typeof (finding as { message: unknown }).message).toBe('string');
      }
    }
    const summary = report.summary as Record<string, number>;
    expect(summary).toMatchObject({ total: 4, passed: 2, failed: 2 });
    const parsed = parseJsonReport(res.stdout);
    expect(parsed.files.map((x) => [path.basename(x.path), verdict(x)])).toEqual([
      [NASTY, { ok: false, errors: ['name-charset'], warnings: [] }],
      ['good.wav', { ok: true, errors: [], warnings: [] }],
      ['list.wav', { ok: true, errors: [], warnings: ['extra-chunks'] }],
      ['mulaw.wav', { ok: false, errors: ['codec'], warnings: [] }],
    ]);
  });

  it('writes a silent file\'s -inf level as null, so the output stays valid JSON', async () => {
    const silent = f('conf', 'silent-for-json.wav');
    const { makeSilence } = await import('./helpers/ffmpeg.js');
    await makeSilence(silent, 0.5);
    const res = await runCli(['check', '--format', 'json', silent]);
    const file = (JSON.parse(res.stdout) as { files: { stats: { activeDb: unknown } }[] }).files[0]!;
    expect(file.stats.activeDb).toBeNull();
    await fs.rm(silent);
  });
});

describe('--format junit', () => {
  it('is well-formed XML with one testcase per file and a failure per failed file', async () => {
    const res = await runCli(['check', '--format', 'junit', f('mixed')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('');
    expect(res.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    const root = parseXml(res.stdout);
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toMatchObject({ tests: '4', failures: '2' });
    const suites = findAll(root, 'testsuite');
    expect(suites).toHaveLength(1);
    expect(suites[0]!.attrs).toMatchObject({ tests: '4', failures: '2', errors: '0', skipped: '0' });
    const cases = findAll(root, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['mixed/' + NASTY, 'mixed/good.wav', 'mixed/list.wav', 'mixed/mulaw.wav'].map((n) => f(n)));
    const failures = new Map(cases.map((c) => [path.basename(c.attrs.name!), findAll(c, 'failure')]));
    expect(failures.get(NASTY)!.map((x) => x.attrs.type)).toEqual(['name-charset']);
    expect(failures.get(NASTY)![0]!.attrs.message).toContain(`"${NASTY}"`);
    expect(failures.get('mulaw.wav')!.map((x) => x.attrs.type)).toEqual(['codec']);
    expect(failures.get('mulaw.wav')![0]!.text).toMatch(/^error codec: The audio is G\.711 µ-law/);
    expect(failures.get('good.wav')).toEqual([]);
    expect(failures.get('list.wav')).toEqual([]);
    // A passing file's warnings travel as system-out.
    const listCase = cases.find((c) => c.attrs.name!.endsWith('list.wav'))!;
    expect(findAll(listCase, 'system-out')[0]!.text).toMatch(/^warning extra-chunks:/);
  });

  it('with --strict, a warning-only file gets a failure element typed by the warning', async () => {
    const res = await runCli(['check', '--strict', '--format', 'junit', f('warn')]);
    expect(res.code).toBe(1);
    const cases = findAll(parseXml(res.stdout), 'testcase');
    expect(cases).toHaveLength(1);
    expect(findAll(cases[0]!, 'failure').map((x) => x.attrs.type)).toEqual(['extra-chunks']);
  });
});

describe('--format github', () => {
  it('emits one workflow command per finding, escaped', async () => {
    const res = await runCli(['check', '--format', 'github', f('mixed')]);
    expect(res.code).toBe(1);
    const lines = res.stdout.trimEnd().split('\n');
    const escapedNasty = f('mixed', NASTY).replace(/%/g, '%25').replace(/:/g, '%3A').replace(/,/g, '%2C');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^::error file=${escapeRe(escapedNasty)},title=promptprep name-charset::The file name `));
    expect(lines[1]).toMatch(/^::warning file=[^,]*list\.wav,title=promptprep extra-chunks::The file carries extra chunks/);
    expect(lines[2]).toMatch(/^::error file=[^,]*mulaw\.wav,title=promptprep codec::The audio is G\.711 µ-law/);
    // The summary is not a workflow command: it goes to stderr, stdout stays annotations only.
    expect(res.stderr).toBe('4 file(s) checked: 2 passed, 2 failed, 1 warning(s).\n');
    for (const line of lines.slice(0, 3)) expect(line).toMatch(/^::(error|warning) file=[^:,]+,title=[^:,]+::[^\n]+$/);
  });

  it('with --strict, a warning that fails the file is an error annotation', async () => {
    const res = await runCli(['check', '--strict', '--format', 'github', f('warn')]);
    expect(res.stdout).toMatch(/^::error file=[^,]*list\.wav,title=promptprep extra-chunks::/m);
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('--format text colour', () => {
  it('has no ANSI escapes when stdout is not a TTY', async () => {
    const res = await runCli(['check', f('mixed')]);
    expect(res.stdout).toMatch(/^FAIL /m);
    expect(res.stdout).not.toMatch(ANSI);
    expect(res.stdout).toContain('  error   codec: The audio is G.711 µ-law');
  });

  it('is coloured on a TTY, and never with NO_COLOR', async () => {
    const tty = await runCliOnTty(['check', f('mixed')]);
    expect(tty.code).toBe(1);
    expect(tty.stdout).toMatch(ANSI);
    expect(tty.stdout).toContain('FAIL');
    const noColor = await runCliOnTty(['check', f('mixed')], { env: { NO_COLOR: '1' } });
    expect(noColor.code).toBe(1);
    expect(noColor.stdout).toContain('FAIL');
    expect(noColor.stdout).not.toMatch(ANSI);
    const piped = await runCli(['check', f('mixed')], { env: { NO_COLOR: '1' } });
    expect(piped.stdout).not.toMatch(ANSI);
  });
});

describe('--shard i/n', () => {
  const shardOf = async (spec: string): Promise<string[]> => {
    const res = await runCli(['check', '--format', 'json', '--shard', spec, 'shard'], { cwd: dir });
    expect(res.code).toBe(0);
    return parseJsonReport(res.stdout).files.map((x) => x.path);
  };

  it('partitions the files: disjoint, union is all, stable across runs', async () => {
    const all = SHARD_FILES.map((n) => path.join('shard', n));
    const parts = [await shardOf('1/3'), await shardOf('2/3'), await shardOf('3/3')];
    const union = parts.flat();
    expect([...union].sort()).toEqual(all);
    expect(new Set(union).size).toBe(union.length);
    for (const part of parts) expect(part.length).toBeGreaterThan(0);
    // Stable: the same again, and the same as the library's own partition.
    expect([await shardOf('1/3'), await shardOf('2/3'), await shardOf('3/3')]).toEqual(parts);
    for (const [i, part] of parts.entries()) {
      expect(part).toEqual(all.filter((p) => inShard(p, parseShard(`${i + 1}/3`))));
    }
    expect(await shardOf('1/1')).toEqual(all);
  });

  it('reports only the shard in the summary', async () => {
    const res = await runCli(['check', '--format', 'json', '--shard', '2/3', 'shard'], { cwd: dir });
    const report = parseJsonReport(res.stdout);
    expect(report.summary.total).toBe(report.files.length);
    expect(report.summary.total).toBeLessThan(SHARD_FILES.length);
  });
});

describe('promptprep.config.json', () => {
  const confDir = (): string => f('conf');
  const write = (name: string, body: unknown): Promise<void> =>
    fs.writeFile(path.join(confDir(), name), typeof body === 'string' ? body : JSON.stringify(body));

  it('is read from the working directory', async () => {
    await fs.copyFile(f('good', 'one.wav'), path.join(confDir(), 'one.wav'));
    await write('promptprep.config.json', { maxBytes: 8000 });
    try {
      const res = await runCli(['check', '--format', 'json', 'one.wav'], { cwd: confDir() });
      expect(res.code).toBe(1);
      expect(verdict(parseJsonReport(res.stdout).files[0]!)).toEqual({ ok: false, errors: ['too-large'], warnings: [] });
      // A flag beats the file.
      const flagged = await runCli(['check', '--max-bytes', '9000', 'one.wav'], { cwd: confDir() });
      expect(flagged.code).toBe(0);
    } finally {
      await fs.rm(path.join(confDir(), 'promptprep.config.json'));
    }
    // And without the file, the defaults apply again.
    expect((await runCli(['check', 'one.wav'], { cwd: confDir() })).code).toBe(0);
  });

  it('is read from --config, relative to the working directory', async () => {
    await write('team.json', { strict: true, $schema: 'https://example.invalid/schema.json' });
    const warnFile = f('warn', 'list.wav');
    expect((await runCli(['check', warnFile], { cwd: confDir() })).code).toBe(0);
    const res = await runCli(['check', '--config', 'team.json', '--format', 'json', warnFile], { cwd: confDir() });
    expect(res.code).toBe(1);
    expect(verdict(parseJsonReport(res.stdout).files[0]!)).toEqual({ ok: false, errors: [], warnings: ['extra-chunks'] });
  });

  it('applies analysis thresholds from the file', async () => {
    await write('loose.json', { analysis: { maxLeadingSilence: 5 } });
    await makeTone(path.join(confDir(), 'lead.wav'), { leadSeconds: 2 });
    const strictDefault = await runCli(['check', '--strict', 'lead.wav'], { cwd: confDir() });
    expect(strictDefault.code).toBe(1);
    expect(strictDefault.stdout).toContain('leading-silence');
    const loose = await runCli(['check', '--strict', '--config', 'loose.json', 'lead.wav'], { cwd: confDir() });
    expect(loose.code).toBe(0);
  });

  it.concurrent.for([
    ['an unknown key', { maxByte: 8000 }, /maxByte/],
    ['a wrong type', { maxBytes: '2M' }, /maxBytes: .*number/],
    ['a negative limit', { maxBytes: -1 }, /maxBytes/],
    ['a nested wrong type', { analysis: { quietActiveDb: 'loud' } }, /analysis\.quietActiveDb/],
    ['a nested unknown key', { convert: { renam: true } }, /convert.*renam|renam.*convert/],
    ['an unknown profile', { profile: 'acme' }, /profile: must be one of: huawei-privatenumber/],
    ['bad JSON', '{ "strict": true, }', /is not valid JSON/],
  ] as const)('a config with %s exits 2 with a readable message', async ([what, body, message], { expect }) => {
    const own = f(`conf-${what.replace(/\W+/g, '-')}`);
    await fs.mkdir(own);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    await fs.writeFile(path.join(own, 'bad.json'), text);
    await fs.mkdir(path.join(own, 'cwd'));
    await fs.writeFile(path.join(own, 'cwd', 'promptprep.config.json'), text);
    for (const [cwd, args, named] of [
      [own, ['--config', 'bad.json'], 'bad.json'],
      [path.join(own, 'cwd'), [], 'promptprep.config.json'],
    ] as const) {
      const res = await runCli(['check', ...args, f('good', 'one.wav')], { cwd });
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/^promptprep: /);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).toContain(named);
      expectNoStack(res, expect);
    }
  });

  it('a missing --config file exits 2', async () => {
    const res = await runCli(['check', '--config', 'nope.json', f('good', 'one.wav')], { cwd: confDir() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/Cannot read config file .*nope\.json: it does not exist/);
    expectNoStack(res);
  });
});
