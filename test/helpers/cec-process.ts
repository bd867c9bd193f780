/**
 * Long-running CLI commands for the CEC tests (`emulator`, `callbacks`, `watch --upload`,
 * an `upload` to kill mid-request): spawned with an argument array, their whole stdout and
 * stderr kept (to search for leaked secrets), waits with timeouts that show the output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI } from './cli.js';

export interface ProcExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<CliProcess>();

/** SIGKILL whatever a failed test left running (afterEach). */
export async function killAllCli(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  exit: ProcExit | null = null;
  readonly exited: Promise<ProcExit>;

  constructor(args: readonly string[], o: { cwd: string; env?: Record<string, string | undefined> }) {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\``);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['NO_COLOR', 'FORCE_COLOR', 'PROMPTPREP_DEBUG', 'PROMPTPREP_WATCH_POLL', 'PROMPTPREP_LOG_LEVEL']) delete env[k];
    for (const [k, v] of Object.entries(o.env ?? {})) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this);
    this.child.stdout!.setEncoding('utf8').on('data', (c: string) => (this.stdout += c));
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        resolve(this.exit);
      });
    });
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  /** JSON log lines (stderr) that parse. */
  jsonLines(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const line of this.stderr.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not JSON */
      }
    }
    return out;
  }

  async waitFor(re: RegExp, what: string, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.match(re);
      if (m) return m;
      if (this.exit) throw new Error(`process exited (${JSON.stringify(this.exit)}) before ${what}:\n${this.output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGTERM (or another signal) and wait for the exit; SIGKILL after the timeout. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<ProcExit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`process did not exit within ${timeoutMs} ms of ${signal}:\n${this.output.slice(-3000)}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(): Promise<ProcExit> {
    if (this.exit) return this.exit;
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

export function startCli(args: readonly string[], o: { cwd: string; env?: Record<string, string | undefined> }): CliProcess {
  return new CliProcess(args, o);
}
