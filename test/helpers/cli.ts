import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and the built CLI (`npm test` builds dist/ first, in pretest). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.cjs');

export interface CliResult {
  /** Exit code; null when the process was killed (e.g. by the timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /**
   * The timeout fired and the CLI was sent SIGTERM. Set even when it then exited 0 (watch
   * finishes its round and exits 0 on SIGTERM): `code` is null then, so a test that expects
   * 0 sees the cut, not a run that looked complete.
   */
  timedOut?: boolean;
}

export interface CliOptions {
  /**
   * Working directory. Default: a fresh temp folder, removed afterwards: the CLI writes
   * its ledger (and outbox, and reads a config) relative to it, and a test must never
   * touch the checkout (test/setup/checkout-unchanged.ts fails the run if one does).
   */
  cwd?: string;
  /** Extra environment; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  /** Kill the CLI after this many ms (a hang is a failure, not a stuck suite). Default 30 s. */
  timeoutMs?: number;
}

function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The CLI's output must not depend on the developer's terminal settings.
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  delete env.PROMPTPREP_DEBUG;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function run(file: string, args: readonly string[], options: CliOptions): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it in pretest)`);
  const ownCwd = options.cwd ? null : mkdtempSync(path.join(os.tmpdir(), 'promptprep-cli-cwd-'));
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve) => {
    let timedOut = false;
    const child = execFile(
      file,
      [...args],
      {
        cwd: options.cwd ?? (ownCwd as string),
        env: cliEnv(options.env),
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        clearTimeout(timer);
        const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
        if (ownCwd) rmSync(ownCwd, { recursive: true, force: true });
        const code = timedOut ? null : e ? (typeof e.code === 'number' ? e.code : null) : 0;
        const cut = timedOut ? `[test helper: timed out after ${timeoutMs} ms and sent SIGTERM]\n` : '';
        resolve({ code, signal: e?.signal ?? null, stdout, stderr: `${stderr}${cut}`, ...(timedOut ? { timedOut } : {}) });
      },
    );
    // Not execFile's own timeout: with it, a CLI that handles SIGTERM and exits 0 looks like a complete run.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
  });
}

/** Run any program (argument array, no shell) with the CLI's environment rules and timeout. */
export function runCommand(file: string, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return run(file, args, options);
}

/** Run `node dist/cli.cjs ...args` (argument array, no shell). */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return run(process.execPath, [CLI, ...args], options);
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Run the CLI so that file permissions apply even when the tests run as root (as CI
 * does): root ignores chmod 000 unless it loses CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH,
 * which `setpriv` drops from the bounding set of the child.
 */
export function runCliWithoutDacOverride(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  if (!isRoot()) return runCli(args, options);
  return run('setpriv', ['--bounding-set=-dac_override,-dac_read_search', '--', process.execPath, CLI, ...args], options);
}

/** Parse the JSON report of `check --format json`. */
export interface JsonReport {
  files: { path: string; ok: boolean; errors: { code: string; message: string }[]; warnings: { code: string; message: string }[] }[];
  summary: { total: number; passed: number; failed: number; warnings?: number };
}

export function parseJsonReport(stdout: string): JsonReport {
  return JSON.parse(stdout) as JsonReport;
}

/** A stack trace line, as Node prints one ("    at fn (file:line:col)"). */
export const STACK_LINE = /^\s+at .+[:(]/m;

/** ANSI CSI escape sequences (colours). */
// eslint-disable-next-line no-control-regex
export const ANSI = /\u001b\[[0-9;]*m/;

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Run the CLI on a pseudo-terminal (util-linux `script`), so its stdout is a TTY as for
 * a person at a terminal. `script` needs a command line; every argument is quoted.
 */
export function runCliOnTty(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(' ');
  return run('script', ['-qec', command, '/dev/null'], options);
}
