/**
 * A running `promptprep desk` for the desk's end-to-end tests: the built CLI started in a
 * project folder on a free port, stopped with SIGTERM (as a service manager does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CLI } from './cli.js';

export interface RunningDesk {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

export async function startDesk(cwd: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<RunningDesk> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const child = spawn(process.execPath, [CLI, 'desk', '--port', '0', ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the desk did not start within 20 s:\n${out}`)), 20_000);
    const look = () => {
      const m = /promptprep desk: (http:\/\/\S+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the desk exited (${code}) before it served:\n${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

/** A state-changing request as the desk's own page sends it. */
export async function deskPost(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: { error?: string; lines?: string[] } & Record<string, unknown> }> {
  const res = await fetch(new URL(path, base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Promptprep-Desk': '1', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: string } };
}
