/**
 * The long-running servers as a user starts them (`node dist/cli.cjs`): `callbacks` and
 * `emulator` take the same --host/--port/--config, and a port that is taken, or an address
 * not on this machine, is a clear message with exit 2, not a stack trace.
 */
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CEC_ENV, freePort } from './helpers/cec-harness.js';
import { killAllCli, startCli } from './helpers/cec-process.js';
import { runCli, STACK_LINE } from './helpers/cli.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir('promptprep-servers-');
});

afterEach(async () => {
  await killAllCli();
  await removeTempDir(dir);
});

const cli = (args: string[]) => runCli(args, { cwd: dir, env: CEC_ENV });

describe('a port already in use', () => {
  let holder: Server;
  let port: number;

  beforeEach(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as { port: number }).port;
  });

  afterEach(async () => {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  });

  for (const command of ['emulator', 'callbacks']) {
    it(`${command}: exit 2, names the port and what holds it, and how to pick another`, async () => {
      const res = await cli([command, '--port', String(port)]);
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(res.stderr).toContain('pick another port with --port <n>');
      // The holder is this test's process; the system tells its id where it can.
      if (process.platform === 'linux') expect(res.stderr).toContain(`(by pid ${process.pid}`);
      expect(res.stderr).not.toMatch(STACK_LINE);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
    });
  }
});

describe('the same --host, --port and --config on both servers', () => {
  it('both list the three options in --help', async () => {
    for (const command of ['emulator', 'callbacks']) {
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/--host <host>\s+listen address/);
      expect(help.stdout).toMatch(/--port <port>\s+listen port, 0 for any free one/);
      expect(help.stdout).toMatch(/-c, --config <file>\s+config file/);
      expect(help.stdout).toMatch(/Exit codes:\n {2}0 +stopped by SIGINT\/SIGTERM\n {2}2 +usage .*the port is taken/);
    }
  });

  it('--host is used: an address not on this machine is exit 2 with what to use instead', async () => {
    for (const command of ['emulator', 'callbacks']) {
      const res = await cli([command, '--host', '203.0.113.7', '--port', '0']);
      expect(res.code, `${command}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toContain('cannot listen on 203.0.113.7: no such address on this machine');
      expect(res.stderr).not.toMatch(STACK_LINE);
    }
  });

  it('a bad --port is refused alike by both', async () => {
    for (const command of ['emulator', 'callbacks']) {
      for (const bad of ['abc', '-1', '70000', '1.5']) {
        const res = await cli([command, '--port', bad]);
        expect(res.code, `${command} --port ${bad}`).toBe(2);
        expect(res.stderr).toContain(`--port must be a whole number 0-65535 (got "${bad}")`);
      }
    }
  });

  it('--config gives both their address: the emulator the port of cec.baseUrl, the receiver cec.callback.port', async () => {
    const apiPort = await freePort();
    const cbPort = await freePort();
    const config = path.join(dir, 'conf', 'servers.json');
    await fs.mkdir(path.dirname(config), { recursive: true });
    await fs.writeFile(config, JSON.stringify({ cec: { baseUrl: `http://127.0.0.1:${apiPort}`, callback: { port: cbPort } } }));
    const emulator = startCli(['emulator', '--config', config], { cwd: dir, env: CEC_ENV });
    const callbacks = startCli(['callbacks', '-c', config], { cwd: dir, env: CEC_ENV });
    await emulator.waitFor(new RegExp(`listening on http://127\\.0\\.0\\.1:${apiPort}`), 'the emulator on the port of cec.baseUrl');
    await callbacks.waitFor(new RegExp(`on 127\\.0\\.0\\.1 port ${cbPort} at`), 'the receiver on cec.callback.port');
    // The flag wins over the config.
    const other = await freePort();
    const emulator2 = startCli(['emulator', '--config', config, '--port', String(other)], { cwd: dir, env: CEC_ENV });
    await emulator2.waitFor(new RegExp(`listening on http://127\\.0\\.0\\.1:${other}`), 'the emulator on --port');
    for (const p of [emulator, callbacks, emulator2]) expect(await p.stop()).toEqual({ code: 0, signal: null });
  });
});
