/** promptprep.config.json: defaults, loading, and readable errors that name the key. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAnalysisOptions } from '../src/audio-analysis.js';
import { AnalysisOptionsSchema, CONFIG_FILE_NAME, ConfigError, ConfigSchema, loadConfig, parseConfig } from '../src/config.js';
import { defaultConfig } from '../src/config-defaults.js';
import { huaweiPrivateNumber } from '../src/profile.js';
import { ProfileSchema } from '../src/profile-schema.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTempDir('promptprep-config-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

const errorOf = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('defaults without zod', () => {
  // The CLI uses defaultConfig() when there is no config file, so the two must never drift.
  it('defaultConfig() is exactly what the schema makes of an empty config', () => {
    expect(defaultConfig()).toStrictEqual(ConfigSchema.parse({}));
  });
  it('the analysis defaults are the schema defaults', () => {
    expect(defaultAnalysisOptions).toStrictEqual(AnalysisOptionsSchema.parse({}));
  });
  it('each call gives a fresh object, so a caller cannot change the next one', () => {
    const a = defaultConfig();
    a.convert.rename = true;
    expect(defaultConfig().convert.rename).toBe(false);
  });
  it('the built-in profile passes the profile schema', () => {
    expect(ProfileSchema.parse(huaweiPrivateNumber)).toStrictEqual(huaweiPrivateNumber);
  });
});

describe('parseConfig', () => {
  it('fills in defaults', () => {
    const c = parseConfig({});
    expect(c.profile).toBe('huawei-privatenumber');
    expect(c.strict).toBe(false);
    expect(c.maxBytes).toBeUndefined();
    expect(c.analysis).toEqual(AnalysisOptionsSchema.parse({}));
    expect(c.convert).toMatchObject({ rename: false, onOversize: 'fail', normalize: false, trimSilence: false, bandLimit: false });
  });

  it('keeps given values, and defaults the rest of a nested object', () => {
    const c = parseConfig({ maxBytes: 2_097_152, strict: true, analysis: { maxLeadingSilence: 3 }, convert: { rename: true } });
    expect(c.maxBytes).toBe(2_097_152);
    expect(c.strict).toBe(true);
    expect(c.analysis.maxLeadingSilence).toBe(3);
    expect(c.analysis.maxTrailingSilence).toBe(AnalysisOptionsSchema.parse({}).maxTrailingSilence);
    expect(c.convert.rename).toBe(true);
  });

  it.each([
    [{ maxByte: 1 }, /^ {2}maxByte: unknown key; did you mean "maxBytes"\?$/m],
    [{ maxBytes: '2M' }, /maxBytes: .*expected number/],
    [{ maxBytes: 1.5 }, /maxBytes: /],
    [{ maxBytes: 0 }, /maxBytes: /],
    [{ strict: 'yes' }, /strict: .*expected boolean/],
    [{ profile: 'acme' }, /profile: must be one of: huawei-privatenumber/],
    [{ analysis: { quietActiveDb: 5 } }, /analysis\.quietActiveDb: /],
    [{ analysis: { quietDb: -30 } }, /analysis\.quietDb: unknown key \(the keys here are: .*quietActiveDb/],
    [{ convert: { onOversize: 'cut' } }, /convert\.onOversize: .*"fail"\|"trim"|convert\.onOversize: .*fail.*trim/],
    [{ convert: { jobs: 0 } }, /convert\.jobs: /],
    [[], /\(top level\): .*expected object/],
    [null, /\(top level\): /],
  ])('%j is rejected, naming the key', (raw, message) => {
    const e = errorOf(() => parseConfig(raw, 'my.json'));
    expect(e.message).toMatch(/^my\.json has an error:\n {2}/);
    expect(e.message).toMatch(message);
  });

  it('lists every problem, one line each', () => {
    const e = errorOf(() => parseConfig({ maxBytes: 'x', strict: 1, extra: true }, 'c.json'));
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('c.json has errors:');
    expect(lines.slice(1)).toHaveLength(3);
    expect(e.message).toMatch(/maxBytes/);
    expect(e.message).toMatch(/strict/);
    expect(e.message).toMatch(/extra/);
  });
});

describe('loadConfig', () => {
  it('uses the defaults when the working directory has no config file', async () => {
    const empty = path.join(dir, 'empty');
    await fs.mkdir(empty);
    const loaded = await loadConfig({ cwd: empty });
    expect(loaded.source).toBeNull();
    expect(loaded.profile).toBe(huaweiPrivateNumber);
    expect(loaded.config.strict).toBe(false);
  });

  it(`reads ${CONFIG_FILE_NAME} from the working directory`, async () => {
    const here = path.join(dir, 'here');
    await fs.mkdir(here);
    await fs.writeFile(path.join(here, CONFIG_FILE_NAME), JSON.stringify({ strict: true }));
    const loaded = await loadConfig({ cwd: here });
    expect(loaded.source).toBe(path.join(here, CONFIG_FILE_NAME));
    expect(loaded.config.strict).toBe(true);
  });

  it('reads an explicit path relative to the working directory, ignoring the default file', async () => {
    const here = path.join(dir, 'explicit');
    await fs.mkdir(here);
    await fs.writeFile(path.join(here, CONFIG_FILE_NAME), JSON.stringify({ strict: true }));
    await fs.writeFile(path.join(here, 'ci.json'), JSON.stringify({ maxBytes: 1000 }));
    const loaded = await loadConfig({ cwd: here, explicitPath: 'ci.json' });
    expect(loaded.source).toBe(path.join(here, 'ci.json'));
    expect(loaded.config).toMatchObject({ maxBytes: 1000, strict: false });
  });

  it('fails readably on a missing explicit file, bad JSON, and a directory', async () => {
    await expect(loadConfig({ cwd: dir, explicitPath: 'nope.json' })).rejects.toThrow(/Cannot read config file .*nope\.json: it does not exist/);
    await fs.writeFile(path.join(dir, 'bad.json'), '{"strict": tru}');
    await expect(loadConfig({ cwd: dir, explicitPath: 'bad.json' })).rejects.toThrow(/bad\.json is not valid JSON: /);
    await fs.mkdir(path.join(dir, 'dir.json'));
    await expect(loadConfig({ cwd: dir, explicitPath: 'dir.json' })).rejects.toBeInstanceOf(ConfigError);
  });
});
