/**
 * The README's offline CEC demo, run as written from the repository root (only its config
 * line is given free ports, so it cannot collide with another run): it must show the
 * review results and leave the checkout exactly as it was. It once wrote
 * promptprep.config.json into the repository, after which a plain `upload` asked for CEC
 * credentials.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CEC_ENV, freePort } from './helpers/cec-harness.js';
import { diffSnapshots, snapshotTree } from './helpers/checkout-snapshot.js';
import { REPO_ROOT } from './helpers/cli.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const DEMO_CONFIG = `'{ "upload": { "platform": "huawei-cec" } }'`;

let tmp: string;
beforeAll(async () => {
  tmp = await makeTempDir('promptprep-readme-demo-');
});
afterAll(async () => {
  await removeTempDir(tmp);
});

async function demoScript(): Promise<string> {
  const readme = await fs.readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('The whole loop, offline');
  expect(at, 'the README has the offline CEC demo').toBeGreaterThan(0);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block).not.toBeNull();
  return block![1]!;
}

function runBash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Its own process group, so whatever the script leaves running is stopped below.
    const child = spawn('bash', ['-c', script], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 50_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* the group is gone: nothing left running */
      }
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README: the offline CEC demo', () => {
  it('shows welcome.wav approved and last-minute.wav rejected, and leaves the checkout as it was', async () => {
    const script = await demoScript();
    expect(script).toContain(DEMO_CONFIG);
    const config = { upload: { platform: 'huawei-cec' }, cec: { baseUrl: `http://127.0.0.1:${await freePort()}`, callback: { port: await freePort() } } };
    const before = snapshotTree(REPO_ROOT);
    const env: NodeJS.ProcessEnv = { ...process.env, ...CEC_ENV, TMPDIR: tmp };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    const res = await runBash(script.replace(DEMO_CONFIG, `'${JSON.stringify(config)}'`), env);
    expect(res.stdout, res.stderr).toMatch(/welcome\.wav\s+-\s+1\s+approved/);
    expect(res.stdout).toMatch(/last-minute\.wav\s+-\s+1\s+rejected .*Background noise too loud/);
    expect(diffSnapshots(before, snapshotTree(REPO_ROOT))).toEqual([]);
  });
});
