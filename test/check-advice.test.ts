/**
 * `check` on a file that is not a WAV at all (an AAC recording, a text file): the advice
 * is to convert it, never to give it a new extension, which would only hide what it is.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { codec, makeSource } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;

beforeAll(async () => {
  dir = await makeTempDir('promptprep-check-advice-');
  await makeSource(path.join(dir, 'aac.m4a'), { seconds: 0.5, codec: codec('aac'), rate: 22050 });
  await makeSource(path.join(dir, 'wait voice.m4a'), { seconds: 0.5, codec: codec('aac'), rate: 22050 });
  await fs.writeFile(path.join(dir, 'notes.txt'), 'call the studio on Monday\n');
});

afterAll(async () => {
  await removeTempDir(dir);
});

interface CheckJson {
  files: { path: string; errors: { code: string; message: string }[] }[];
}

async function checkJson(name: string): Promise<CheckJson['files'][number]> {
  const res = await runCli(['check', name, '--format', 'json'], { cwd: dir });
  expect(res.code).toBe(1);
  return (JSON.parse(res.stdout) as CheckJson).files[0]!;
}

describe('check: advice for a file that is not a WAV', () => {
  it.each(['aac.m4a', 'notes.txt'])('%s: says to convert it, not to rename it', async (name) => {
    const file = await checkJson(name);
    expect(file.errors.map((e) => e.code)).toEqual(['extension', 'not-wav']);
    const text = file.errors.map((e) => e.message).join('\n');
    expect(text).not.toMatch(/Rename it/);
    const stem = path.basename(name, path.extname(name));
    expect(file.errors[0]!.message).toContain('not a WAV file');
    expect(file.errors[0]!.message).toContain(`promptprep convert`);
    expect(file.errors[0]!.message).toContain(`"${stem}.wav"`);
  });

  it('a non-WAV file with a name the platform rejects: convert with --rename', async () => {
    const file = await checkJson('wait voice.m4a');
    expect(file.errors.map((e) => e.code)).toEqual(['name-charset', 'extension', 'not-wav']);
    for (const e of file.errors.slice(0, 2)) {
      expect(e.message).not.toMatch(/Rename it/);
      expect(e.message).toContain('--rename');
      expect(e.message).toContain('"wait_voice.wav"');
    }
  });

  it('text output carries the same advice', async () => {
    const res = await runCli(['check', 'aac.m4a'], { cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stdout).not.toMatch(/Rename it/);
    expect(res.stdout).toMatch(/promptprep convert/);
  });

  it('a WAV with a wrong extension case is still told to rename (the content is fine)', async () => {
    await makeSource(path.join(dir, 'upper.WAV'), { seconds: 0.5, codec: codec('alaw'), rate: 8000 });
    const file = await checkJson('upper.WAV');
    const ext = file.errors.find((e) => e.code === 'extension');
    expect(ext?.message).toContain('Rename it, e.g. to "upper.wav"');
  });
});
