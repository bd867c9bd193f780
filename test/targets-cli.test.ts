/**
 * `convert --profile a,b,c`: one run, a folder per platform, each output judged by its own
 * platform's `check`; names, collisions, sizes and failures per target; layouts; and
 * `watch` with a `targets` list. Every run is the built CLI in its own temp folder, on real
 * audio (the committed samples, or made with ffmpeg).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, STACK_LINE, type CliResult } from './helpers/cli.js';
import { codec, decodeWithFfmpeg, listTree, makeSource, rmsDb } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const SOURCES = path.join(REPO_ROOT, 'fixtures', 'sources');

interface TargetsJson {
  targets: { profile: string; outDir: string; layout: string; maxSeconds: number | null; summary: Record<string, number> }[];
  files: { source: string; target: string; output: string | null; status: string; errors: { code: string; message: string }[] }[];
  summary: { total: number; converted: number; failed: number };
}

let dir: string;
const p = (...parts: string[]): string => path.join(dir, ...parts);

function json(res: CliResult): TargetsJson {
  expect(res.stderr).not.toMatch(STACK_LINE);
  return JSON.parse(res.stdout) as TargetsJson;
}

function riffRate(bytes: Buffer): number {
  expect(bytes.toString('latin1', 0, 4)).toBe('RIFF');
  return bytes.readUInt32LE(24);
}

beforeAll(async () => {
  dir = await makeTempDir('promptprep-targets-cli-');
  await fs.mkdir(p('names'));
  await Promise.all([
    // Huawei takes "-"; Genesys wants letters, digits and _, from a letter.
    makeSource(p('names', 'wait-voice.mp3'), { seconds: 0.6, codec: codec('mp3'), rate: 22050 }),
    makeSource(p('names', 'hello.flac'), { seconds: 0.6, codec: codec('flac') }),
  ]);
  await fs.mkdir(p('spaces'));
  await makeSource(p('spaces', 'wait voice.mp3'), { seconds: 0.5, codec: codec('mp3'), rate: 22050 });
  await fs.mkdir(p('collide'));
  await Promise.all([
    makeSource(p('collide', 'a-b.wav'), { seconds: 0.5 }),
    makeSource(p('collide', 'a_b.wav'), { seconds: 0.5 }),
  ]);
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('convert for several platforms in one run', () => {
  it('writes dist/<profile>/ for each, each folder passing `check` by its own profile, each target naming the source by its own rule', async () => {
    const out = p('three');
    const res = await runCli(['convert', SOURCES, '--out', out, '--profile', 'huawei-privatenumber,asterisk,amazon-connect', '--rename', '--json'], { cwd: dir });
    const report = json(res);
    expect(res.code).toBe(0);
    expect(report.targets.map((t) => [t.profile, path.relative(out, t.outDir), t.layout])).toEqual([
      ['huawei-privatenumber', 'huawei-privatenumber', '<name>.wav'],
      ['asterisk', 'asterisk', 'sounds/en/<name>.wav'],
      ['amazon-connect', 'amazon-connect', '<name>.wav'],
    ]);
    // The audio each holds, known up front: A-law 2,000,000 bytes hold 249.99 s.
    expect(report.targets[0]?.maxSeconds).toBeCloseTo(249.99, 2);
    expect(report.summary).toMatchObject({ total: 15, converted: 15, failed: 0 });
    expect(await listTree(path.join(out, 'asterisk', 'sounds', 'en'))).toContain('welcome.wav');
    // Each folder passes `check` by its own platform's rules: µ-law is right for Amazon Connect, an error for Huawei.
    for (const profile of ['huawei-privatenumber', 'asterisk', 'amazon-connect']) {
      const ok = await runCli(['check', path.join(out, profile), '--profile', profile], { cwd: dir });
      expect(ok.code, `${profile}: ${ok.stdout}`).toBe(0);
    }
    const wrong = await runCli(['check', path.join(out, 'amazon-connect'), '--profile', 'huawei-privatenumber'], { cwd: dir });
    expect(wrong.code).toBe(1);
    // One source, each target the name its own rule accepts: Huawei refuses the space, Amazon Connect takes it.
    expect(report.files.filter((f) => f.source.endsWith('wait voice.m4a')).map((f) => [f.target, path.basename(f.output ?? '')])).toEqual([
      ['huawei-privatenumber', 'wait_voice.wav'],
      ['asterisk', 'wait voice.wav'],
      ['amazon-connect', 'wait voice.wav'],
    ]);
  });

  it("gives each target's output the same bytes a run for that target alone gives, in its own codec", async () => {
    const together = p('together');
    const a = await runCli(['convert', p('names'), '--out', together, '--profile', 'huawei-privatenumber,amazon-connect'], { cwd: dir });
    expect(a.code, a.stdout).toBe(0);
    for (const profile of ['huawei-privatenumber', 'amazon-connect']) {
      const alone = p(`alone-${profile}`);
      const b = await runCli(['convert', p('names'), '--out', alone, '--profile', profile], { cwd: dir });
      expect(b.code, b.stdout).toBe(0);
      for (const name of ['wait-voice.wav', 'hello.wav']) {
        // A single profile keeps the flat --out.
        const single = await fs.readFile(path.join(alone, name));
        expect((await fs.readFile(path.join(together, profile, name))).equals(single), `${profile}/${name}`).toBe(true);
      }
    }
    // A-law for Huawei, µ-law for Amazon Connect (format tags 6 and 7), the same audio in both.
    const alaw = await fs.readFile(path.join(together, 'huawei-privatenumber', 'hello.wav'));
    const mulaw = await fs.readFile(path.join(together, 'amazon-connect', 'hello.wav'));
    expect([alaw.readUInt16LE(20), mulaw.readUInt16LE(20)]).toEqual([6, 7]);
    const levels = await Promise.all([alaw, mulaw].map(async (_, i) => rmsDb(await decodeWithFfmpeg(path.join(together, i === 0 ? 'huawei-privatenumber' : 'amazon-connect', 'hello.wav')))));
    expect(Math.abs((levels[0] as number) - (levels[1] as number))).toBeLessThan(0.5);
  });

  it('names each target by its own rule: a clean name mapped for Genesys, a name only some take failed in the others', async () => {
    const mapped = json(await runCli(['convert', p('names'), '--out', p('genesys'), '--profile', 'huawei-privatenumber,genesys-cloud', '--json'], { cwd: dir }));
    expect(mapped.files.filter((f) => path.basename(f.source) === 'wait-voice.mp3').map((f) => [f.target, f.status, path.basename(f.output ?? '')])).toEqual([
      ['huawei-privatenumber', 'converted', 'wait-voice.wav'],
      ['genesys-cloud', 'converted', 'wait_voice.wav'],
    ]);

    const out = p('spaces-out');
    const res = await runCli(['convert', p('spaces'), '--out', out, '--profile', 'huawei-privatenumber,amazon-connect,genesys-cloud', '--json'], { cwd: dir });
    const report = json(res);
    expect(res.code).toBe(1);
    expect(report.files.map((f) => [f.target, f.status, f.errors[0]?.code ?? path.basename(f.output ?? '')])).toEqual([
      ['huawei-privatenumber', 'failed', 'name-charset'],
      ['amazon-connect', 'converted', 'wait voice.wav'],
      ['genesys-cloud', 'failed', 'name-charset'],
    ]);
    expect(report.files[2]?.errors[0]?.message).toMatch(/wait_voice\.wav.*--rename/);
    expect(report.targets.map((t) => [t.profile, t.summary.converted, t.summary.failed])).toEqual([
      ['huawei-privatenumber', 0, 1],
      ['amazon-connect', 1, 0],
      ['genesys-cloud', 0, 1],
    ]);
    // The text report says which target each line is for.
    const text = await runCli(['convert', p('spaces'), '--out', p('spaces-text'), '--profile', 'huawei-privatenumber,amazon-connect'], { cwd: dir });
    expect(text.stdout).toMatch(/FAILED\s+\[huawei-privatenumber\] .*wait voice\.mp3/);
    expect(text.stdout).toMatch(/converted \[amazon-connect\] .*wait voice\.mp3 -> .*amazon-connect.wait voice\.wav/);
    expect(text.stdout).toMatch(/^ {2}amazon-connect: 1 output\(s\): 1 converted/m);
  });

  it('catches collisions per target: two names one rule makes the same fail there only', async () => {
    // Genesys maps both to a_b.wav.
    const res = await runCli(['convert', p('collide'), '--out', p('collisions'), '--profile', 'huawei-privatenumber,genesys-cloud', '--json'], { cwd: dir });
    const report = json(res);
    expect(res.code).toBe(1);
    expect(report.files.map((f) => [f.target, path.basename(f.source), f.status, f.errors[0]?.code ?? null])).toEqual([
      ['huawei-privatenumber', 'a-b.wav', 'converted', null],
      ['genesys-cloud', 'a-b.wav', 'failed', 'name-collision'],
      ['huawei-privatenumber', 'a_b.wav', 'converted', null],
      ['genesys-cloud', 'a_b.wav', 'failed', 'name-collision'],
    ]);
  });

  it('judges sizes per target: a source too long for Huawei (250 s) fails there only, and is cut for it alone with --on-oversize trim', async () => {
    const long = p('long');
    await fs.mkdir(long, { recursive: true });
    await makeSource(path.join(long, 'notice.wav'), { seconds: 260, rate: 8000 });
    const out = p('long-out');
    const report = json(await runCli(['convert', long, '--out', out, '--profile', 'huawei-privatenumber,amazon-connect', '--json'], { cwd: dir, timeoutMs: 120_000 }));
    expect(report.files.map((f) => [f.target, f.status, f.errors[0]?.code ?? null])).toEqual([
      ['huawei-privatenumber', 'failed', 'too-long'],
      ['amazon-connect', 'converted', null],
    ]);
    expect(report.files[0]?.errors[0]?.message).toMatch(/at most 249\.99 s/);
    expect(report.targets.map((t) => t.maxSeconds)).toEqual([249.99, 300]);

    const trimmed = json(
      await runCli(['convert', long, '--out', p('long-trim'), '--profile', 'huawei-privatenumber,amazon-connect', '--on-oversize', 'trim', '--json'], { cwd: dir, timeoutMs: 120_000 }),
    );
    const warnings = trimmed.files.map((f) => [f.target, f.status, (f as unknown as { warnings: { code: string }[] }).warnings.some((w) => w.code === 'cut-to-fit')]);
    expect(warnings).toEqual([
      ['huawei-privatenumber', 'converted', true],
      ['amazon-connect', 'converted', false],
    ]);
    expect((await fs.stat(path.join(p('long-trim'), 'huawei-privatenumber', 'notice.wav'))).size).toBeLessThanOrEqual(2_000_000);
  });

  it('lays files out per platform: Asterisk sounds/<lang>/, FreeSWITCH a folder per rate, each at its rate', async () => {
    const out = p('layouts');
    const res = await runCli(['convert', path.join(p('names'), 'hello.flac'), '--out', out, '--profile', 'asterisk,freeswitch'], { cwd: dir });
    expect(res.code, res.stdout).toBe(0);
    expect((await listTree(out)).filter((f) => !f.endsWith('/') && !f.includes('.promptprep'))).toEqual([
      'asterisk/sounds/en/hello.wav',
      'freeswitch/16000/hello.wav',
      'freeswitch/32000/hello.wav',
      'freeswitch/48000/hello.wav',
      'freeswitch/8000/hello.wav',
    ]);
    for (const rate of [8000, 16000, 32000, 48000]) {
      expect(riffRate(await fs.readFile(path.join(out, 'freeswitch', String(rate), 'hello.wav')))).toBe(rate);
    }
    for (const profile of ['asterisk', 'freeswitch']) {
      const check = await runCli(['check', path.join(out, profile), '--profile', profile], { cwd: dir });
      expect(check.code, `${profile}: ${check.stdout}`).toBe(0);
    }
  });
});

describe('watch with targets', () => {
  it('one inbox, a ready folder per target in its layout; a source one target refuses is rejected', async () => {
    const project = p('watch-project');
    const root = path.join(project, 'watch');
    await fs.mkdir(path.join(root, 'inbox'), { recursive: true });
    await fs.writeFile(path.join(project, 'cfg.json'), JSON.stringify({ watch: { targets: ['huawei-privatenumber', 'asterisk', 'amazon-connect'] } }));
    await fs.copyFile(path.join(SOURCES, 'welcome.mp3'), path.join(root, 'inbox', 'welcome.mp3'));
    // Amazon Connect and Asterisk take the space; Huawei does not.
    await fs.copyFile(path.join(SOURCES, 'wait voice.m4a'), path.join(root, 'inbox', 'wait voice.m4a'));
    const res = await runCli(['watch', root, '--once', '--stable-ms', '0', '--config', 'cfg.json', '--no-ledger'], { cwd: project, timeoutMs: 60_000 });
    expect(res.stderr).not.toMatch(STACK_LINE);
    expect(res.code, res.stderr).toBe(1);
    const files = (await listTree(root)).filter((f) => !f.endsWith('/') && !f.includes('.promptprep'));
    expect(files).toEqual([
      'archive/welcome.v1.mp3',
      'ready/amazon-connect/welcome.wav',
      'ready/asterisk/sounds/en/welcome.wav',
      'ready/huawei-privatenumber/welcome.wav',
      'rejected/wait voice.m4a',
      'rejected/wait voice.m4a.reason.json',
      'rejected/wait voice.m4a.reason.txt',
    ]);
    const reason = JSON.parse(await fs.readFile(path.join(root, 'rejected', 'wait voice.m4a.reason.json'), 'utf8')) as { errors: { code: string; message: string }[] };
    expect(reason.errors.map((e) => e.code)).toEqual(['name-charset']);
    // Each ready folder holds what its own platform's codec is (A-law, 16-bit PCM, µ-law).
    const tag = async (f: string): Promise<number> => (await fs.readFile(path.join(root, f))).readUInt16LE(20);
    expect(await Promise.all(files.filter((f) => f.startsWith('ready/')).map(tag))).toEqual([7, 1, 6]);
  });

  it('validates watch.targets: an unknown profile id is a usage error naming the key', async () => {
    const project = p('watch-bad');
    await fs.mkdir(project, { recursive: true });
    await fs.writeFile(path.join(project, 'cfg.json'), JSON.stringify({ watch: { targets: ['huawei-privatenumber', 'asterix'] } }));
    const res = await runCli(['watch', 'w', '--once', '--config', 'cfg.json'], { cwd: project });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/watch\.targets: Unknown profile "asterix"\. Did you mean "asterisk"\?/);
    await fs.writeFile(path.join(project, 'cfg.json'), JSON.stringify({ watch: { targets: ['asterisk', 'asterisk'] } }));
    const twice = await runCli(['watch', 'w', '--once', '--config', 'cfg.json'], { cwd: project });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/watch\.targets.*names a profile twice/);
  });
});
