/**
 * The CLI's V8 code cache (src/code-cache.ts, run by src/bin.ts): written once per command,
 * used after that, replaced when it does not fit, never in the way of a run.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRoot, REPO_ROOT, runCli } from './helpers/cli.js';

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'promptprep-code-cache-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const cacheFiles = async (dir: string): Promise<string[]> =>
  (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith('cli-code-')).sort();

describe('the CLI with its code cache', () => {
  it('writes one cache per command on the first run and uses it, unchanged, after that', async () => {
    const env = { PROMPTPREP_CACHE_DIR: tmp };
    const first = await runCli(['--version'], { env });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const files = await cacheFiles(tmp);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^cli-code-main-[0-9a-f]{16}-[0-9a-f]{16}\.v8cache$/);
    const file = path.join(tmp, files[0] as string);
    const before = await fs.readFile(file);
    const mtime = (await fs.stat(file)).mtimeMs;
    expect(before.length).toBeGreaterThan(1000);

    const second = await runCli(['--version'], { env });
    expect(second).toEqual(first);
    // A cache V8 had rejected would have been written again.
    expect((await fs.stat(file)).mtimeMs).toBe(mtime);
    expect(await fs.readFile(file)).toEqual(before);

    // A file that fails the check (exit 1) is a normal run: its cache is kept too.
    const check = await runCli(['check', path.join(REPO_ROOT, 'fixtures', 'check', 'stereo.wav')], { env });
    expect(check.code).toBe(1);
    expect(await cacheFiles(tmp)).toEqual([expect.stringMatching(/^cli-code-check-/), files[0]]);
  });

  it('replaces a cache file that is not V8 code cache, and the run does not notice', async () => {
    const env = { PROMPTPREP_CACHE_DIR: tmp };
    expect((await runCli(['--version'], { env })).code).toBe(0);
    const [name] = await cacheFiles(tmp);
    const file = path.join(tmp, name as string);
    const garbage = Buffer.alloc((await fs.stat(file)).size, 0x5a);
    await fs.writeFile(file, garbage);

    const run = await runCli(['--version'], { env });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const replaced = await fs.readFile(file);
    expect(replaced.equals(garbage)).toBe(false);
    expect(await cacheFiles(tmp)).toEqual([name]);
  });

  it('also runs from dist/cli.js, where links made before the executable became cli.cjs point', async () => {
    const env = { PROMPTPREP_CACHE_DIR: tmp };
    const viaOldPath = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), '--version'], { env: { ...process.env, ...env }, encoding: 'utf8' }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(viaOldPath).toEqual({ code: 0, stdout: (await runCli(['--version'], { env })).stdout, stderr: '' });
  });

  it('keeps no cache of a run that ended in a usage error (a mistyped command)', async () => {
    const run = await runCli(['cnovert', 'x'], { env: { PROMPTPREP_CACHE_DIR: tmp } });
    expect(run.code).toBe(2);
    expect(await cacheFiles(tmp)).toEqual([]);
  });

  it('writes nothing when PROMPTPREP_CACHE_DIR is empty, and runs when the folder cannot be made', async () => {
    const xdg = path.join(tmp, 'xdg');
    await fs.mkdir(xdg);
    const off = await runCli(['--version'], { env: { PROMPTPREP_CACHE_DIR: '', XDG_CACHE_HOME: xdg, HOME: tmp } });
    expect(off).toMatchObject({ code: 0, stderr: '' });
    expect(await fs.readdir(xdg)).toEqual([]);

    // A file where the folder should be: mkdir fails, the run does not.
    const blocked = path.join(tmp, 'not-a-folder');
    await fs.writeFile(blocked, 'x');
    const run = await runCli(['--version'], { env: { PROMPTPREP_CACHE_DIR: blocked } });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

/** Runs `runWithCodeCache` (from dist/, as the CLI does) on a small script, in a process of its own. */
function runScript(script: string, dir: string, variant = 'main'): Promise<{ state: string; out: string }> {
  const driver = `
    import { runWithCodeCache } from ${JSON.stringify(path.join(REPO_ROOT, 'dist', 'code-cache.js'))};
    const state = runWithCodeCache(${JSON.stringify(script)}, { dir: ${JSON.stringify(dir)}, variant: ${JSON.stringify(variant)} });
    process.stderr.write(state);
  `;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', driver], { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve({ state: stderr, out: stdout });
    });
  });
}

describe('runWithCodeCache', () => {
  it('goes none -> used, and starts again for a changed script', async () => {
    const script = path.join(tmp, 's.cjs');
    const dir = path.join(tmp, 'cache');
    await fs.writeFile(script, "const f = (x) => x * 2; console.log(f(21), typeof require, module.exports === exports, __filename.endsWith('s.cjs'));\n");
    expect(await runScript(script, dir)).toEqual({ state: 'none', out: '42 function true true\n' });
    expect(await runScript(script, dir)).toEqual({ state: 'used', out: '42 function true true\n' });
    const [first] = await cacheFiles(dir);
    // Same length, different code: a cache of its own (V8 alone would only compare lengths),
    // which replaces the old build's.
    await fs.writeFile(script, "const f = (x) => x * 3; console.log(f(21), typeof require, module.exports === exports, __filename.endsWith('s.cjs'));\n");
    expect(await runScript(script, dir)).toEqual({ state: 'none', out: '63 function true true\n' });
    expect(await runScript(script, dir)).toEqual({ state: 'used', out: '63 function true true\n' });
    const after = await cacheFiles(dir);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(first);
    // Same place, same command: only the build part of the name differs.
    expect(after[0]?.slice(0, -'0123456789abcdef.v8cache'.length)).toBe(first?.slice(0, -'0123456789abcdef.v8cache'.length));
  });

  // Only root can give a file away; CI runs as root.
  it.runIf(isRoot())('does not run a cache file that belongs to another user, and replaces it', async () => {
    const script = path.join(tmp, 's.cjs');
    const dir = path.join(tmp, 'cache');
    await fs.writeFile(script, 'console.log(6 * 7);\n');
    expect(await runScript(script, dir)).toEqual({ state: 'none', out: '42\n' });
    const [name] = await cacheFiles(dir);
    const file = path.join(dir, name as string);
    await fs.chown(file, 1, 1);
    expect(await runScript(script, dir)).toEqual({ state: 'none', out: '42\n' });
    expect((await fs.stat(file)).uid).toBe(0);
    expect(await runScript(script, dir)).toEqual({ state: 'used', out: '42\n' });
  });

  it('deletes cache files not written for 30 days when it writes one', async () => {
    const script = path.join(tmp, 's.cjs');
    const dir = path.join(tmp, 'cache');
    await fs.mkdir(dir);
    await fs.writeFile(script, 'module.exports = 1;\n');
    const old = path.join(dir, 'cli-code-convert-0123456789abcdef.v8cache');
    const recent = path.join(dir, 'cli-code-check-0123456789abcdef.v8cache');
    const unrelated = path.join(dir, 'ffmpeg-features.json');
    for (const f of [old, recent, unrelated]) await fs.writeFile(f, 'x');
    const longAgo = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    await fs.utimes(old, longAgo, longAgo);
    await fs.utimes(unrelated, longAgo, longAgo);
    expect((await runScript(script, dir)).state).toBe('none');
    const left = (await fs.readdir(dir)).sort();
    expect(left).toHaveLength(3);
    expect(left).toEqual(expect.arrayContaining([path.basename(recent), path.basename(unrelated), expect.stringMatching(/^cli-code-main-/)]));
  });

  it('refuses a variant that could not be part of a file name', async () => {
    const script = path.join(tmp, 's.cjs');
    await fs.writeFile(script, 'module.exports = 1;\n');
    await expect(runScript(script, tmp, '../x')).rejects.toThrow(/variant "\.\.\/x"/);
  });
});
