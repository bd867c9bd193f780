/**
 * Driving the real `promptprep watch` CLI: spawn it (argument array, no shell), read its
 * log lines (JSON lines, since the pipes are not a TTY), and wait for events instead of
 * sleeping fixed times. Every wait has a timeout; a timeout error shows the recent log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from './cli.js';

export interface LogLine {
  level?: number;
  event?: string;
  source?: string;
  output?: string;
  version?: number;
  placedAt?: string;
  msg?: string;
  poll?: boolean;
  errors?: { code: string; message: string }[];
  warnings?: { code: string; message: string }[];
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WatchSpawnOptions {
  /**
   * Working directory. Default: a fresh temporary one, removed after the exit, so that
   * what the CLI keeps in its working directory (the ledger) never lands in the repository.
   */
  cwd?: string;
  /** Extra environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
}

export type LinePredicate = (line: LogLine) => boolean;

/** `event` (and optionally `source`) match. */
export const ev =
  (event: string, source?: string): LinePredicate =>
  (l) =>
    l.event === event && (source === undefined || l.source === source);

function watchEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The run must not depend on the developer's shell.
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'PROMPTPREP_DEBUG', 'PROMPTPREP_WATCH_POLL', 'PROMPTPREP_LOG_LEVEL']) delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

const live = new Set<WatchProcess>();

/** SIGKILL every watcher still running (afterEach): a failed test must not leave one behind. */
export async function killAllWatchers(): Promise<void> {
  await Promise.all([...live].map((w) => w.kill('SIGKILL')));
}

export class WatchProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[] = [];
  /** Output lines that are not JSON (warnings, stack traces): there should be none. */
  readonly nonJson: string[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(args: readonly string[], options: WatchSpawnOptions = {}) {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it in pretest)`);
    const ownCwd = options.cwd ? null : mkdtempSync(path.join(os.tmpdir(), 'promptprep-watch-cwd-'));
    this.child = spawn(process.execPath, [CLI, 'watch', ...args], {
      cwd: options.cwd ?? (ownCwd as string),
      env: watchEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    this.read(this.child.stdout!);
    this.read(this.child.stderr!);
    this.exited = new Promise<Exit>((resolve) => {
      this.child.on('close', (code, signal) => {
        if (ownCwd) rmSync(ownCwd, { recursive: true, force: true });
        this.exit = { code, signal };
        live.delete(this);
        this.notify();
        resolve(this.exit);
      });
    });
  }

  private read(stream: NodeJS.ReadableStream): void {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.addLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      if (buf.length > 0) this.addLine(buf);
      buf = '';
    });
  }

  private addLine(raw: string): void {
    if (raw.trim() === '') return;
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) this.lines.push(parsed as LogLine);
      else this.nonJson.push(raw);
    } catch {
      this.nonJson.push(raw);
    }
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  get running(): boolean {
    return this.exit === null;
  }

  events(pred: LinePredicate): LogLine[] {
    return this.lines.filter(pred);
  }

  count(pred: LinePredicate): number {
    return this.lines.filter(pred).length;
  }

  /** The recent log, for failure messages. */
  tail(n = 30): string {
    const lines = this.lines.slice(-n).map((l) => JSON.stringify(l));
    return [...lines, ...this.nonJson.slice(-5).map((l) => `(non-JSON) ${l}`)].join('\n');
  }

  /**
   * Resolve once `n` lines match `pred` (default 1), with the n-th one. Rejects on
   * timeout, or when the process exits first.
   */
  waitFor(pred: LinePredicate, what: string, options: { n?: number; timeoutMs?: number } = {}): Promise<LogLine> {
    const n = options.n ?? 1;
    const timeoutMs = options.timeoutMs ?? 20_000;
    return new Promise<LogLine>((resolve, reject) => {
      const check = (): boolean => {
        const hits = this.events(pred);
        if (hits.length >= n) {
          done();
          resolve(hits[n - 1] as LogLine);
          return true;
        }
        if (this.exit) {
          done();
          reject(new Error(`watch exited (${JSON.stringify(this.exit)}) before ${what}; log:\n${this.tail()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; log:\n${this.tail()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = () => void check();
      this.listeners.add(listener);
      check();
    });
  }

  /** Wait for the process to exit (rejects on timeout; the process is then SIGKILLed). */
  async waitExit(timeoutMs = 20_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`watch did not exit within ${timeoutMs} ms; log:\n${this.tail()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Send a signal; resolves with the exit for SIGKILL, immediately otherwise. */
  async kill(signal: NodeJS.Signals): Promise<Exit | null> {
    if (!this.running) return this.exit;
    this.child.kill(signal);
    return signal === 'SIGKILL' ? this.waitExit(10_000) : null;
  }

  /** SIGTERM and wait for the exit. */
  async stop(timeoutMs = 20_000): Promise<Exit> {
    if (!this.running) return this.exit as Exit;
    this.child.kill('SIGTERM');
    return this.waitExit(timeoutMs);
  }
}

/** Start `promptprep watch ...args`. */
export function startWatch(args: readonly string[], options: WatchSpawnOptions = {}): WatchProcess {
  return new WatchProcess(args, options);
}

/** `promptprep watch ...args --once`, to its exit. */
export async function runOnce(args: readonly string[], options: WatchSpawnOptions & { timeoutMs?: number } = {}): Promise<{ exit: Exit; proc: WatchProcess }> {
  const proc = startWatch([...args, '--once'], options);
  const exit = await proc.waitExit(options.timeoutMs ?? 30_000);
  return { exit, proc };
}
