/** Peak resident set size: of this process while a piece of work runs, or of a child process tree. */
import { readdirSync, readFileSync } from 'node:fs';

export interface RssSample {
  /** RSS just before the work started (after a GC when --expose-gc is on), bytes. */
  baselineBytes: number;
  /** Highest RSS seen while the work ran, bytes. */
  peakBytes: number;
  samples: number;
}

/**
 * Run `fn` while sampling process.memoryUsage.rss() every `intervalMs`. Sampling is on the
 * event loop, so it sees the heap between awaits; the value at the end is sampled too.
 */
export async function withPeakRss<T>(fn: () => Promise<T>, intervalMs = 2): Promise<{ value: T; rss: RssSample }> {
  gcIfExposed();
  const baselineBytes = process.memoryUsage.rss();
  let peakBytes = baselineBytes;
  let samples = 1;
  const sample = (): void => {
    const r = process.memoryUsage.rss();
    samples++;
    if (r > peakBytes) peakBytes = r;
  };
  const timer = setInterval(sample, intervalMs);
  try {
    const value = await fn();
    sample();
    return { value, rss: { baselineBytes, peakBytes, samples } };
  } finally {
    clearInterval(timer);
  }
}

export function gcIfExposed(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return false;
  gc();
  return true;
}

/** Peak memory of a child process and everything it starts, sampled from /proc (Linux). */
export interface TreeRssSample {
  /** Highest sum of VmRSS over the process and its descendants seen in one sample, bytes. */
  peakTreeBytes: number;
  /** The root process's own high-water mark (VmHWM, exact up to the last sample), bytes. */
  rootHwmBytes: number;
  /** Highest VmHWM seen for any single descendant (e.g. one ffmpeg), bytes. */
  maxDescendantHwmBytes: number;
  /** Most processes alive in the tree at once. */
  maxProcesses: number;
  samples: number;
}

export function procAvailable(): boolean {
  try {
    readFileSync('/proc/self/status', 'latin1');
    return true;
  } catch {
    return false;
  }
}

function statusKb(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Every pid's parent, from /proc/<pid>/stat (field 4, after the parenthesised command name). */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited between readdir and read
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(name));
    else children.set(ppid, [Number(name)]);
  }
  return children;
}

/**
 * Sample the RSS of `pid` and its descendants every `intervalMs` until `stop()`. The scan
 * is synchronous and costs the sampling process a little CPU, so do not time work while
 * it runs. Short-lived children between two samples are missed; the root's VmHWM is not.
 */
export function watchProcessTree(pid: number, intervalMs = 25): { stop: () => TreeRssSample } {
  const r: TreeRssSample = { peakTreeBytes: 0, rootHwmBytes: 0, maxDescendantHwmBytes: 0, maxProcesses: 0, samples: 0 };
  const sample = (): void => {
    const children = parentMap();
    const queue = [pid];
    let sum = 0;
    let count = 0;
    while (queue.length > 0) {
      const p = queue.pop() as number;
      let status: string;
      try {
        status = readFileSync(`/proc/${p}/status`, 'latin1');
      } catch {
        continue;
      }
      if (/^State:\s+Z/m.test(status)) continue; // a zombie holds no memory
      count++;
      sum += statusKb(status, 'VmRSS');
      const hwm = statusKb(status, 'VmHWM');
      if (p === pid) r.rootHwmBytes = Math.max(r.rootHwmBytes, hwm);
      else r.maxDescendantHwmBytes = Math.max(r.maxDescendantHwmBytes, hwm);
      queue.push(...(children.get(p) ?? []));
    }
    r.samples++;
    r.peakTreeBytes = Math.max(r.peakTreeBytes, sum);
    r.maxProcesses = Math.max(r.maxProcesses, count);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return r;
    },
  };
}
