/**
 * A project directory for driving the ledger commands end to end: a config, a place for
 * sources, and the built CLI run with the project as its working directory.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { StatusRow } from '../../src/ledger/ledger.js';
import { runCli, STACK_LINE, type CliResult } from './cli.js';
import { makeTone } from './ffmpeg.js';

export interface StatusJson {
  prompts: StatusRow[];
  summary: Record<string, number>;
  failing: string[];
  /** CEC callbacks naming a file the ledger does not know. */
  unmatchedCallbacks?: { remoteId: string | null; receivedAt: string }[];
}

export class Project {
  constructor(readonly dir: string) {}

  static async create(dir: string, config: Record<string, unknown> = {}): Promise<Project> {
    await fs.mkdir(path.join(dir, 'sources'), { recursive: true });
    const p = new Project(dir);
    await p.writeConfig(config);
    return p;
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** The default ledger of a command run here. */
  get ledgerFile(): string {
    return this.path('.promptprep', 'ledger.sqlite');
  }

  async writeConfig(config: Record<string, unknown>): Promise<void> {
    await fs.writeFile(this.path('promptprep.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  }

  /** A source recording (WAV, or MP3 by its extension): a tone whose frequency makes its bytes differ. */
  async source(rel: string, o: { seconds?: number; frequency?: number } = {}): Promise<string> {
    const out = this.path('sources', rel);
    await fs.mkdir(path.dirname(out), { recursive: true });
    const mp3 = out.endsWith('.mp3');
    await makeTone(out, { seconds: o.seconds ?? 1, frequency: o.frequency ?? 440, codec: mp3 ? 'libmp3lame' : 'pcm_s16le', format: mp3 ? 'mp3' : 'wav' });
    return out;
  }

  run(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
    return runCli(args, { cwd: this.dir, ...options });
  }

  async convert(...extra: string[]): Promise<CliResult> {
    return this.run(['convert', 'sources', '--out', 'prompts', '--no-progress', ...extra]);
  }

  async status(...extra: string[]): Promise<{ res: CliResult; json: StatusJson }> {
    const res = await this.run(['status', '--json', ...extra]);
    let json: StatusJson;
    try {
      json = JSON.parse(res.stdout) as StatusJson;
    } catch {
      throw new Error(`status --json printed no JSON (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
    }
    return { res, json };
  }

  /** Run SQL on the ledger file directly (what a test does instead of a clock flag). */
  sql(statement: string, ...params: unknown[]): Database.RunResult {
    const db = new Database(this.ledgerFile);
    try {
      return db.prepare(statement).run(...params);
    } finally {
      db.close();
    }
  }
}

/** Describe a CLI result for a failed expectation. */
export function show(res: CliResult): string {
  return `exit ${res.code}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`;
}

/** The run ended with `code` (0 unless said) and no stack trace: what a user may see. */
export function ok(res: CliResult, code = 0): CliResult {
  expect(res.code, show(res)).toBe(code);
  expect(res.stderr).not.toMatch(STACK_LINE);
  return res;
}
