/**
 * Child processes that write a ledger through the built library (dist/ledger/ledger.js),
 * for the concurrency and crash tests: started with `node --input-type=module -e`, told
 * what to do through one environment variable, reporting through JSON lines on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './cli.js';

const LEDGER_JS = path.join(REPO_ROOT, 'dist', 'ledger', 'ledger.js');

const PRELUDE = `
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
const { Ledger } = await import(${JSON.stringify(pathToFileURL(LEDGER_JS).href)});
const task = JSON.parse(process.env.LEDGER_CHILD_TASK);
const P = 'huawei-console';
const sha = (s) => createHash('sha256').update(s).digest('hex');
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const prepared = (name, content, actor) => ({ name, sha256: sha(content), bytes: 8058, durationSeconds: 1, filePath: '/p/' + name, actor });
`;

/** Open the ledger (fresh file: migrations race) and record one prompt. */
const OPEN = `${PRELUDE}
try {
  const l = Ledger.open(task.file);
  l.recordPrepared(prepared(task.name, task.name, 'opener'));
  l.close();
  say({ ok: true });
} catch (err) {
  say({ ok: false, error: String(err && err.code) + ': ' + String(err && err.message) });
}
`;

/**
 * Until the stop file exists (and at least task.min rounds are done): a new version of
 * one of 40 prompts, its platform name, then awaiting-upload → in-review → rejected,
 * each its own transaction, with a status() read now and then. Exactly one version and
 * four events per round. Errors are counted, not fatal: none may occur.
 */
const HAMMER = `${PRELUDE}
const l = Ledger.open(task.file);
let rounds = 0;
const errors = [];
say({ started: true });
for (let i = 0; errors.length < 20 && (rounds < task.min || !existsSync(task.stop)); i++) {
  const name = task.prefix + '-' + (i % 40) + '.wav';
  try {
    const { version } = l.recordPrepared(prepared(name, task.prefix + ':' + i, 'hammer'));
    l.assignPlatformName(version.versionId, P, 128, '.wav');
    for (const to of ['awaiting-upload', 'in-review', 'rejected']) {
      l.transition({ name, version: version.number, platform: P, to, actor: 'hammer', reason: to === 'rejected' ? 'round ' + i : undefined });
    }
    if (i % 10 === 0) l.status({ platform: P });
    rounds++;
  } catch (err) {
    errors.push(String(err && err.code) + ': ' + String(err && err.message));
  }
  // Let the other writers in between rounds, as a person or a loop in a script would.
  if (i % 5 === 0) await new Promise((r) => setImmediate(r));
}
l.close();
say({ done: true, rounds, errors });
`;

/**
 * Writes forever until killed. mode "steps": a new version of one of 25 prompts, then
 * upload → review → approved (superseding older ones) or rejected, superseded ones
 * retired now and then, each step its own transaction. mode "bulk": batches of
 * task.batch new prompts, each batch one transaction. Reports progress after each.
 */
const CRASH = `${PRELUDE}
const l = Ledger.open(task.file);
say({ ready: true });
for (let i = 0; ; i++) {
  if (task.mode === 'bulk') {
    const tag = task.seed + '-' + i;
    l.db.transaction(() => {
      for (let k = 0; k < task.batch; k++) l.recordPrepared(prepared('bulk-' + tag + '-' + k + '.wav', tag + ':' + k, 'crash'));
    })();
    say({ batch: tag });
    continue;
  }
  const name = 'c-' + (i % 25) + '.wav';
  const { version } = l.recordPrepared(prepared(name, task.seed + ':' + i, 'crash'));
  l.assignPlatformName(version.versionId, P, 128, '.wav');
  for (const to of ['awaiting-upload', 'in-review', i % 3 === 0 ? 'rejected' : 'approved']) {
    l.transition({ name, version: version.number, platform: P, to, actor: 'crash' });
  }
  if (i % 4 === 0) {
    for (const v of l.versions(name, P)) if (v.state === 'superseded') l.transition({ name, version: v.number, platform: P, to: 'retired', actor: 'crash' });
  }
  if (i % 20 === 0) say({ round: i });
}
`;

export type ChildKind = 'open' | 'hammer' | 'crash';
const SCRIPTS: Record<ChildKind, string> = { open: OPEN, hammer: HAMMER, crash: CRASH };

export interface LedgerChild {
  child: ChildProcess;
  /** JSON lines received so far. */
  messages: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the first message matching `pred`, or rejects when the child exits first or after `timeoutMs`. */
  waitFor: (pred: (m: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startLedgerChild(kind: ChildKind, task: Record<string, unknown>): LedgerChild {
  if (!existsSync(LEDGER_JS)) throw new Error(`${LEDGER_JS} is missing: run \`npm run build\` (npm test does it in pretest)`);
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPTS[kind]], {
    env: { ...process.env, LEDGER_CHILD_TASK: JSON.stringify(task) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const messages: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  let err = '';
  let buf = '';
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        messages.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        err += `${line}\n`;
      }
      for (const f of [...listeners]) f();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      exitInfo = { code, signal };
      for (const f of [...listeners]) f();
      resolve(exitInfo);
    });
  });
  const waitFor = (pred: (m: Record<string, unknown>) => boolean, timeoutMs = 30_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const m = messages.find(pred);
        if (m) {
          done();
          resolve(m);
        } else if (exitInfo) {
          done();
          reject(new Error(`the ${kind} child exited (${JSON.stringify(exitInfo)}) first; stderr:\n${err}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for the ${kind} child; messages: ${JSON.stringify(messages.slice(-5))}; stderr:\n${err}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  return { child, messages, stderr: () => err, waitFor, exited };
}
