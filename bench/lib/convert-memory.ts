import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fixed, int, mib } from './format.js';
import { mapLimit } from './timing.js';
import { watchProcessTree, type TreeRssSample } from './memory.js';

/**
 * Peak memory of `promptprep convert` against the number of sources: the CLI run on
 * 200, 2,000 and 10,000 short sources (hard links to a few distinct files under distinct
 * names, so the ladder costs no encoding), with `--json` (the report is the part that
 * grows with the file count) and the ledger on. What should stay flat is node's own peak
 * (VmHWM); ffmpeg children do not depend on the count. Growth per file is the difference
 * to the smallest run, divided by the extra files.
 */

export const MEMORY_TARGET_BYTES_PER_FILE = 1024;

export interface MemoryRun {
  files: number;
  ms: number;
  out: string;
  mem: TreeRssSample;
  /** Sources that the run reported converted (from the --json summary). */
  converted: number;
  /** Node's peak in each repeat at this count (the run above is the median one). */
  nodePeaks: number[];
}

/**
 * Runs at each count (BENCH_CONVERT_MEMORY_REPEATS, default 1): a peak depends on how
 * the in-flight sources and garbage collections happen to line up, several MiB from run
 * to run on a busy machine, so the median of 3 steadies the growth a file.
 */
export function memoryRepeats(): number {
  const n = Number(process.env.BENCH_CONVERT_MEMORY_REPEATS || 1);
  if (!Number.isInteger(n) || n < 1) throw new Error('BENCH_CONVERT_MEMORY_REPEATS must be a whole number >= 1.');
  return n;
}

export interface MemoryLadder {
  runs: MemoryRun[];
  /** (node VmHWM at the largest count - at the smallest) / extra files: what the target judges. */
  nodeBytesPerFile: number;
  treeBytesPerFile: number;
  /** The same growth between each count and the next (200 -> 2,000, 2,000 -> 10,000). */
  steps: { from: number; to: number; nodeBytesPerFile: number }[];
}

/** `count` sources in `dir`, named `<stem of sources[j % n]>_m<j>.<ext>`: hard links, so nothing is copied. */
export async function linkSources(sources: string[], dir: string, count: number): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const names: string[] = [];
  await mapLimit(
    Array.from({ length: count }, (_, j) => j),
    32,
    async (j) => {
      const src = sources[j % sources.length] as string;
      const ext = path.extname(src);
      const name = `${path.basename(src, ext)}_m${String(j).padStart(5, '0')}${ext}`;
      names[j] = name;
      await fs.link(src, path.join(dir, name));
    },
  );
  return names;
}

function runCli(cli: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ ms: number; code: number | null; stdout: string; stderr: string; mem: TreeRssSample }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const watcher = watchProcessTree(child.pid as number, 10);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      watcher.stop();
      reject(err);
    });
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      resolve({ ms, code, stdout: Buffer.concat(out).toString('utf8'), stderr, mem: watcher.stop() });
    });
  });
}

export async function memoryLadder(opts: {
  cli: string;
  env: NodeJS.ProcessEnv;
  workDir: string;
  /** Distinct sources, linked cyclically up to each count. */
  sources: string[];
  counts: number[];
  extraArgs?: string[];
  /** Runs at each count; default memoryRepeats(). */
  repeats?: number;
}): Promise<MemoryLadder> {
  const runs: MemoryRun[] = [];
  const repeats = opts.repeats ?? memoryRepeats();
  for (const count of [...opts.counts].sort((a, b) => a - b)) {
    const base = path.join(opts.workDir, `memory-${count}`);
    const src = path.join(base, 'src');
    await linkSources(opts.sources, src, count);
    const tries: MemoryRun[] = [];
    for (let k = 0; k < repeats; k++) {
      // Its own working folder each time: the ledger (.promptprep/ledger.sqlite) starts empty.
      const cwd = k === 0 ? base : path.join(base, `repeat-${k}`);
      await fs.mkdir(cwd, { recursive: true });
      const out = path.join(cwd, 'out');
      const r = await runCli(opts.cli, ['convert', src, '--out', out, '--no-progress', '--json', ...(opts.extraArgs ?? [])], opts.env, cwd);
      let converted = -1;
      try {
        converted = (JSON.parse(r.stdout) as { summary: { converted: number } }).summary.converted;
      } catch {
        // reported below
      }
      if (r.code !== 0 || converted !== count) {
        throw new Error(`memory run on ${count} sources: exit ${r.code}, ${converted} converted\n${r.stdout.slice(-2000)}\n${r.stderr.slice(0, 2000)}`);
      }
      tries.push({ files: count, ms: r.ms, out, mem: r.mem, converted, nodePeaks: [] });
    }
    // The run with the median node peak stands for the count (its outputs are the ones kept).
    const sorted = [...tries].sort((a, b) => a.mem.rootHwmBytes - b.mem.rootHwmBytes);
    const median = sorted[(sorted.length - 1) >> 1] as MemoryRun;
    for (const t of tries) if (t !== median) await fs.rm(t.out, { recursive: true, force: true });
    runs.push({ ...median, nodePeaks: tries.map((t) => t.mem.rootHwmBytes) });
  }
  const first = runs[0] as MemoryRun;
  const last = runs[runs.length - 1] as MemoryRun;
  const extra = last.files - first.files;
  return {
    runs,
    steps: runs.slice(1).map((r, i) => {
      const prev = runs[i] as MemoryRun;
      return { from: prev.files, to: r.files, nodeBytesPerFile: (r.mem.rootHwmBytes - prev.mem.rootHwmBytes) / (r.files - prev.files) };
    }),
    nodeBytesPerFile: extra > 0 ? (last.mem.rootHwmBytes - first.mem.rootHwmBytes) / extra : NaN,
    treeBytesPerFile: extra > 0 ? (last.mem.peakTreeBytes - first.mem.peakTreeBytes) / extra : NaN,
  };
}

export function logMemoryLadder(ladder: MemoryLadder, log: (line: string) => void): void {
  log(`memory:      CLI convert --json with the ledger on, short sources (hard links); node VmHWM and the process tree's summed VmRSS (sampled every 10 ms)`);
  for (const r of ladder.runs) {
    log(
      `  ${int(r.files).padStart(6)} files  node peak ${mib(r.mem.rootHwmBytes).padStart(10)}   tree peak ${mib(r.mem.peakTreeBytes).padStart(10)}   ` +
        `${fixed(r.ms / 1000, 1)} s (${fixed(r.ms / r.files, 2)} ms/file)` +
        (r.nodePeaks.length > 1 ? `   node peaks ${r.nodePeaks.map((b) => fixed(b / 1048576, 1)).join(', ')} MiB (median taken)` : ''),
    );
  }
  const first = ladder.runs[0] as MemoryRun;
  const last = ladder.runs[ladder.runs.length - 1] as MemoryRun;
  // Each step apart: a run smaller than the engine's window of sources (a few groups a
  // job, some 400 sources) never fills it, so the first step carries that fixed cost.
  for (const st of ladder.steps) {
    log(`  step       ${int(st.from)} -> ${int(st.to)} files: node ${fixed(st.nodeBytesPerFile / 1024, 2)} KB/file`);
  }
  const ok = ladder.nodeBytesPerFile <= MEMORY_TARGET_BYTES_PER_FILE;
  log(
    `  growth     ${int(first.files)} -> ${int(last.files)} files: node ${fixed(ladder.nodeBytesPerFile / 1024, 2)} KB/file, ` +
      `tree ${fixed(ladder.treeBytesPerFile / 1024, 2)} KB/file (target: node <= ${fixed(MEMORY_TARGET_BYTES_PER_FILE / 1024, 1)} KB/file: ${ok ? 'met' : 'NOT met'})`,
  );
}
