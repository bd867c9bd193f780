/** `promptprep profiles`, and --profile / "profile" selecting a profile for check, convert and watch. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listProfiles } from '../src/profile.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { makeTone } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
const f = (...parts: string[]): string => path.join(dir, ...parts);

/** The CLI in a folder of its own, with this config (or none). */
async function inProject(config: unknown, args: readonly string[]): Promise<CliResult> {
  const cwd = await fs.mkdtemp(f('project-'));
  if (config !== null) await fs.writeFile(path.join(cwd, 'promptprep.config.json'), JSON.stringify(config));
  return runCli(args, { cwd });
}

const MY_IVR = { profiles: { 'my-ivr': { extends: 'asterisk', language: 'fr' } } };

beforeAll(async () => {
  dir = await makeTempDir('promptprep-profiles-cli-');
  await makeTone(f('alaw.wav'));
  await makeTone(f('mulaw.wav'), { codec: 'pcm_mulaw' });
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe('promptprep profiles', () => {
  it('lists every shipped profile, one line each, the selected one marked', async () => {
    const res = await inProject(null, ['profiles']);
    expect(res.code).toBe(0);
    for (const p of listProfiles()) expect(res.stdout).toMatch(new RegExp(`^[ *] +${p.id} +${p.codecName}`, 'm'));
    expect(res.stdout).toMatch(/^\* +huawei-privatenumber +G\.711 A-law, 8000 Hz, mono +WAV "\.wav" +at most 2,000,000 bytes/m);
    expect(res.stdout).toMatch(/^ +freeswitch +16-bit PCM, 8000 \/ 16000 \/ 32000 \/ 48000 Hz/m);
    expect(res.stdout).toMatch(/^ +amazon-connect .* at most 300 s$/m);
  });

  it('shows named profiles in full: names, layout, note', async () => {
    const res = await inProject(null, ['profiles', 'asterisk', 'genesys-cloud']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^asterisk {2}Asterisk/m);
    expect(res.stdout).toMatch(/^ {2}names +.*no & \(Asterisk reads it as the separator between files to play\)/m);
    expect(res.stdout).toMatch(/^ {2}layout +sounds\/en\/<name>\.wav$/m);
    expect(res.stdout).toMatch(/^ {2}names +ASCII letters, digits and _; starting with an ASCII letter; at most 200 characters before the extension$/m);
    expect(res.stdout).toMatch(/^ {2}note +Genesys transcodes any WAV/m);
  });

  it('--json and --format json give every field of every profile, and which is selected', async () => {
    for (const flag of [['--json'], ['--format', 'json']]) {
      const res = await inProject(null, ['profiles', ...flag]);
      expect(res.code).toBe(0);
      const out = JSON.parse(res.stdout) as { selected: string; profiles: Record<string, unknown>[] };
      expect(out.selected).toBe('huawei-privatenumber');
      expect(out.profiles.map((p) => p.id)).toEqual(listProfiles().map((p) => p.id));
      const amazon = out.profiles.find((p) => p.id === 'amazon-connect');
      expect(amazon).toMatchObject({ codec: 'mulaw', formatTag: 7, maxBytes: 50_000_000, maxSeconds: 300, source: 'shipped', extends: null });
    }
  });

  it('lists the config’s own profiles with what they extend, and marks the selected one', async () => {
    const res = await inProject({ ...MY_IVR, profile: 'my-ivr' }, ['profiles']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^\* +my-ivr +16-bit PCM/m);
    const full = await inProject(MY_IVR, ['profiles', 'my-ivr']);
    expect(full.stdout).toMatch(/^ {2}layout +sounds\/fr\/<name>\.wav$/m);
    expect(full.stdout).toMatch(/^ {2}extends +asterisk$/m);
    const json = JSON.parse((await inProject(MY_IVR, ['profiles', 'my-ivr', '--json'])).stdout) as { profiles: Record<string, unknown>[] };
    expect(json.profiles[0]).toMatchObject({ id: 'my-ivr', language: 'fr', source: 'config', extends: 'asterisk' });
  });

  it('an unknown id is a usage error (exit 2) naming the nearest', async () => {
    const res = await inProject(null, ['profiles', 'astrisk']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/Unknown profile "astrisk"\. Did you mean "asterisk"\?/);
  });

  it('a bad profile in the config is a usage error naming the key', async () => {
    const res = await inProject({ profiles: { 'my-ivr': { extends: 'asterisk', langauge: 'fr' } } }, ['profiles']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('profiles.my-ivr.langauge: unknown key; did you mean "profiles.my-ivr.language"?');
  });

  it('--help teaches: examples and exit codes', async () => {
    const res = await inProject(null, ['profiles', '--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^ {2}npx promptprep profiles asterisk amazon-connect$/m);
    expect(res.stdout).toMatch(/"profiles": \{ "my-ivr": \{ "extends": "asterisk", "language": "fr" \} \}/);
    expect(res.stdout).toMatch(/^Exit codes:\n {2}0 +listed\n {2}2 +usage/m);
  });
});

describe('selecting a profile', () => {
  it('check --profile amazon-connect judges by Amazon’s rules: µ-law passes, A-law fails', async () => {
    const mu = await inProject(null, ['check', '--profile', 'amazon-connect', f('mulaw.wav')]);
    expect(mu.code).toBe(0);
    const a = await inProject(null, ['check', '--profile', 'amazon-connect', '--json', f('alaw.wav')]);
    expect(a.code).toBe(1);
    expect(a.stdout).toMatch(/"code": "codec"/);
    expect(a.stdout).toMatch(/needs G\.711 µ-law \(format tag 7\)/);
    // Without --profile: PrivateNumber, where the µ-law file is the wrong one.
    expect((await inProject(null, ['check', f('mulaw.wav')])).code).toBe(1);
  });

  it('"profile" in the config selects one; --profile wins over it', async () => {
    expect((await inProject({ profile: 'amazon-connect' }, ['check', f('mulaw.wav')])).code).toBe(0);
    expect((await inProject({ profile: 'amazon-connect' }, ['check', '--profile', 'huawei-privatenumber', f('mulaw.wav')])).code).toBe(1);
  });

  it('--profile finds the config’s own profiles', async () => {
    const res = await inProject({ profiles: { 'pn-2mib': { extends: 'huawei-privatenumber', maxBytes: 2_097_152 } } }, ['check', '--profile', 'pn-2mib', f('alaw.wav')]);
    expect(res.code).toBe(0);
  });

  it.each([['check'], ['convert', '--out', 'out'], ['watch', '--once']])('%s --profile with an unknown id is a usage error (exit 2)', async (cmd, ...rest) => {
    const res = await inProject(null, [cmd, '--profile', 'nope-profile', ...rest, ...(cmd === 'watch' ? [] : [f('alaw.wav')])]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--profile: Unknown profile "nope-profile"\. Known profiles: huawei-privatenumber/);
  });

  it('convert --profile applies the selected profile’s limits (a config profile of 4,000 bytes holds half a second)', async () => {
    const config = { profiles: { tiny: { extends: 'huawei-voicecall', maxBytes: 4000 } } };
    const tiny = await inProject(config, ['convert', '--profile', 'tiny', '--out', 'out', '--json', '--no-ledger', f('alaw.wav')]);
    expect(tiny.code).toBe(1);
    expect(tiny.stdout).toMatch(/"code": "too-long"/);
    expect(tiny.stdout).toMatch(/4,000 bytes of G\.711 A-law/);
    const voicecall = await inProject(config, ['convert', '--profile', 'huawei-voicecall', '--out', 'out', '--json', '--no-ledger', f('alaw.wav')]);
    expect(voicecall.code).toBe(0);
  });
});
