import { readdirSync, readFileSync } from 'node:fs';

/**
 * What a process is doing, from /proc (Linux): how often its threads have been switched
 * in and out so far, which of them are runnable or in disk sleep, and its child processes.
 */
interface Activity {
  switches: number;
  busy: boolean;
  children: number;
}

function activity(pid: number): Activity | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let switches = 0;
  let busy = false;
  let children = 0;
  let childrenListed = true;
  for (const tid of tids) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      continue; // a thread that just ended
    }
    const count = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    switches += count('voluntary_ctxt_switches') + count('nonvoluntary_ctxt_switches');
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    if (state === 'Z' || state === 'X') return null; // ended, not yet reaped
    // S is a sleep that waits for an event; R (runnable, maybe starved of CPU) and D (disk) are work.
    if (state !== 'S') busy = true;
    try {
      children += readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter((s) => s.trim() !== '').length;
    } catch {
      childrenListed = false;
    }
  }
  if (!childrenListed) children = childrenByParent(pid);
  return { switches, busy, children };
}

/** Child processes of `pid`, for kernels without /proc/<pid>/task/<tid>/children. */
function childrenByParent(pid: number): number {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The fields after the command name (which may hold spaces): state, then the parent's id.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/**
 * Waits until process `pid` is at rest: no child process, every thread asleep waiting for
 * an event, and none of them run at all for `quietMs`. True once it is; false when the
 * process is gone or `limitMs` passed first.
 *
 * Unlike a count (of files, of rows) that stopped changing for a while, this is not fooled
 * by a loaded machine: a process that is starved of CPU has a runnable thread, one that
 * waits for its disk a thread in disk sleep, one that waits for ffmpeg a child, and one
 * that waits for a timer wakes when it fires (so a quiet period longer than its timers
 * means none is pending). Linux only (reads /proc).
 */
export async function waitUntilIdle(pid: number, quietMs: number, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  let last = activity(pid);
  if (!last) return false;
  let since = Date.now();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    const now = activity(pid);
    if (!now) return false;
    if (now.busy || now.children > 0 || now.switches !== last.switches) since = Date.now();
    else if (Date.now() - since >= quietMs) return true;
    last = now;
  }
  return false;
}

/** The handles, requests and timers this process has open, counted by kind. */
export function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Requests (a file read, a write, a close) last one operation; handles (a pipe, a child, a timer) stay open. */
const REQUEST = /Req|(Write|Shutdown|Connect)Wrap$/;

/**
 * Waits until the work this process started after `baseline` was counted (activeResources())
 * has nothing left open: no request of any kind (the baseline's were passing ones, and one
 * of the work's could hide behind them) and no handle (child process, pipe, timer,
 * immediate) beyond the baseline's. What is still waiting then waits on a promise nobody
 * settles but the caller (a held report sink, say): nothing else can wake it. True once
 * so; false when `limitMs` passed first. (Unref'd timers are not counted: for work that
 * does not use them.)
 */
export async function waitUntilSettled(baseline: Map<string, number>, limitMs: number): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    // Polled from a timer: when it fires no other JavaScript is running and the microtask
    // queue is empty, so a run between two steps always has the next one's resource open.
    await new Promise((r) => setTimeout(r, 50));
    if ([...activeResources()].every(([kind, n]) => !REQUEST.test(kind) && n <= (baseline.get(kind) ?? 0))) return true;
  }
  return false;
}
