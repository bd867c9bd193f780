/** fixtures/check/: committed sample files and the verdict each must get (fixtures/check.expected.json). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile, checkFiles } from '../src/check.js';
import { CHECK_FIXTURES, CHECK_FIXTURES_DIR, generateCheckFixtures } from './helpers/check-fixtures.js';
import { verdict, type Verdict } from './helpers/findings.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const EXPECTED_FILE = path.join('..', 'check.expected.json');

interface Expected {
  files: Record<string, Verdict>;
}

let expected: Expected;
let regenerated: string;

beforeAll(async () => {
  expected = JSON.parse(await fs.readFile(path.join(CHECK_FIXTURES_DIR, EXPECTED_FILE), 'utf8')) as Expected;
  regenerated = await makeTempDir('promptprep-fixtures-');
  await generateCheckFixtures(regenerated);
});

afterAll(async () => {
  await removeTempDir(regenerated);
});

describe('fixtures/check', () => {
  it('checkFiles on the directory matches check.expected.json exactly', async () => {
    const report = await checkFiles([CHECK_FIXTURES_DIR]);
    const actual: Record<string, Verdict> = {};
    for (const file of report.files) {
      const name = path.relative(CHECK_FIXTURES_DIR, file.path);
      actual[name] = verdict(file);
    }
    expect(actual).toEqual(expected.files);
  });

  it('holds the required kinds of sample, each small', async () => {
    for (const name of ['valid.wav', 'list-chunk.wav', 'pcm16.wav', 'stereo.wav', 'wait voice.wav', 'truncated.wav']) {
      expect(Object.keys(expected.files)).toContain(name);
    }
    for (const name of Object.keys(expected.files)) {
      const st = await fs.stat(path.join(CHECK_FIXTURES_DIR, name));
      expect(st.size, name).toBeLessThan(20 * 1024);
    }
  });

  it('every sample has a recipe, and the recipe still yields the expected verdict', async () => {
    expect(CHECK_FIXTURES.map((f) => f.name).sort()).toEqual(Object.keys(expected.files).sort());
    for (const f of CHECK_FIXTURES) {
      expect(verdict(await checkFile(path.join(regenerated, f.name))), f.name).toEqual(expected.files[f.name]);
    }
  });
});
