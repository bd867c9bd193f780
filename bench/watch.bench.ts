import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envInt } from './lib/env.js';
import { prng } from './lib/audio.js';
import { fixed, int, mib, ratio } from './lib/format.js';
import { procAvailable, watchProcessTree, type TreeRssSample } from './lib/memory.js';
import { mapLimit, median } from './lib/timing.js';
import { findFfmpeg, run } from './lib/tools.js';
import { buildPrivateCli } from './lib/build.js';
import { target, type Bench, type BenchTarget } from './lib/types.js';

/**
 * Issue target: a burst of 1,000 files dropped into the inbox at once is processed with
 * bounded memory and bounded concurrency. Reported: the time from the last file landing to
 * the last prompt ready, against `promptprep convert` on the same files, and the peak
 * memory of both process trees (node + ffmpeg children).
 *
 * Both sides are the real CLI (`node <private build>/cli.cjs`), with the same ffmpeg.
 */

const RSS_LIMIT_MIB_DEFAULT = 600;
const SAMPLE_MS = 25;


const pad = (i: number): string => String(i).padStart(4, '0');
const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const secs = (ms: number): string => `${fixed(ms / 1000, 2)} s`;

interface Clip {
  file: string;
  ext: 'mp3' | 'flac' | 'wav';
  seconds: number;
}

/** A speech-like aevalsrc expression (no commas, so no filtergraph escaping). */
function speechExpr(seed: number): string {
  const rand = prng(seed);
  const f0 = (100 + rand() * 160).toFixed(2);
  const syllable = (3 + rand() * 3).toFixed(2);
  const amp = (0.12 + rand() * 0.1).toFixed(3);
  const h2 = (0.3 + rand() * 0.5).toFixed(2);
  return `${amp}*(0.5+0.5*sin(2*PI*${syllable}*t)^2)*(sin(2*PI*${f0}*t)+${h2}*sin(4*PI*${f0}*t))+0.02*(random(0)*2-1)`;
}

/** Distinct clips, 2-4 s: mostly MP3 (44.1 kHz stereo), every 10th FLAC (48 kHz), every 10th WAV (16-bit 16 kHz). */
async function generateClips(ffmpeg: string, dir: string, count: number): Promise<Clip[]> {
  const clips: Clip[] = Array.from({ length: count }, (_, i) => {
    const ext = i % 10 === 8 ? 'flac' : i % 10 === 9 ? 'wav' : 'mp3';
    return { file: path.join(dir, `clip_${pad(i)}.${ext}`), ext, seconds: 2 + ((i * 7) % 21) / 10 };
  });
  const groups: Clip[][] = [];
  for (let i = 0; i < clips.length; i += 10) groups.push(clips.slice(i, i + 10));
  await mapLimit(groups, os.availableParallelism(), async (group) => {
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
    group.forEach((c, k) => args.push('-f', 'lavfi', '-i', `aevalsrc=${speechExpr(1000 + clips.indexOf(c) * 13 + k)}:s=44100:d=${c.seconds}`));
    group.forEach((c, k) => {
      const enc =
        c.ext === 'mp3'
          ? ['-ac', '2', '-ar', '44100', '-c:a', 'libmp3lame', '-b:a', '128k']
          : c.ext === 'flac'
            ? ['-ac', '1', '-ar', '48000', '-c:a', 'flac']
            : ['-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le'];
      args.push('-map', `${k}:a`, ...enc, c.file);
    });
    await run(ffmpeg, args);
  });
  return clips;
}


/** Visible files (no dotfiles) directly in `dir` whose names end with one of `exts`. */
async function countFiles(dir: string, exts: string[]): Promise<number> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => !n.startsWith('.') && exts.some((e) => n.endsWith(e))).length;
}

function vmRss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

interface LogLine {
  event?: string;
  msg?: string;
  converted?: number;
  rejected?: number;
  pending?: number;
}

/** The watcher as a child process: its JSON log lines on stderr, parsed as they arrive. */
class WatcherProcess {
  readonly child: ChildProcess;
  readonly counts = new Map<string, number>();
  /** Arrival time (bench clock, ms) of every line, by event. */
  readonly times = new Map<string, number[]>();
  readonly problems: string[] = [];
  summary: LogLine | null = null;
  stderrTail = '';
  private buffered = '';
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.child = spawn(file, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.resume();
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => this.onData(d));
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code, signal) => {
        this.check();
        resolve({ code, signal });
      });
    });
  }

  count(event: string): number {
    return this.counts.get(event) ?? 0;
  }

  private onData(d: string): void {
    const t = now();
    this.buffered += d;
    this.stderrTail = (this.stderrTail + d).slice(-4000);
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (!line.trim()) continue;
      let j: LogLine;
      try {
        j = JSON.parse(line) as LogLine;
      } catch {
        this.problems.push(line.slice(0, 300));
        continue;
      }
      const ev = j.event ?? '?';
      this.counts.set(ev, this.count(ev) + 1);
      let list = this.times.get(ev);
      if (!list) this.times.set(ev, (list = []));
      list.push(t);
      if (ev === 'summary') this.summary = j;
      if (ev === 'rejected' || ev === 'error' || ev === 'retry') this.problems.push(`${ev}: ${j.msg ?? ''}`.slice(0, 300));
    }
    this.check();
  }

  private check(): void {
    const done = this.child.exitCode !== null || this.child.signalCode !== null;
    this.waiters = this.waiters.filter((w) => {
      if (done || w.pred()) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  /** Resolves when `pred` holds (checked on every log line) or the process has exited; rejects on timeout. */
  until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${secs(timeoutMs)} waiting for ${what}; stderr tail:\n${this.stderrTail}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: () => {
          clearTimeout(timer);
          if (pred()) resolve();
          else reject(new Error(`the watcher exited (code ${this.child.exitCode}, signal ${this.child.signalCode}) before ${what}; stderr tail:\n${this.stderrTail}`));
        },
      });
    });
  }
}

/** CPU seconds from /proc/<pid>/stat: the process itself, and its exited (waited-for) children — here ffmpeg. */
interface Cpu {
  self: number;
  children: number;
}

const CLK_TCK = 100; // USER_HZ, 100 on every mainstream Linux build

function procCpu(pid: number): Cpu | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // fields 14-17 (utime, stime, cutime, cstime) are 11-14 once pid and comm are cut off
    return { self: ((f[11] ?? 0) + (f[12] ?? 0)) / CLK_TCK, children: ((f[13] ?? 0) + (f[14] ?? 0)) / CLK_TCK };
  } catch {
    return null;
  }
}

interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  mem: TreeRssSample | null;
  /** Last CPU reading before the process exited (up to SAMPLE_MS stale). */
  cpu: Cpu | null;
}

function spawnTimed(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }, watchMemory: boolean): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(file, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    const sampler = watchMemory && pid !== undefined ? watchProcessTree(pid, SAMPLE_MS) : null;
    let cpu: Cpu | null = null;
    const cpuTimer = watchMemory && pid !== undefined ? setInterval(() => (cpu = procCpu(pid) ?? cpu), SAMPLE_MS) : null;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      sampler?.stop();
      if (cpuTimer) clearInterval(cpuTimer);
      reject(err);
    });
    child.on('close', (code) => {
      const ms = now() - start;
      if (cpuTimer) clearInterval(cpuTimer);
      resolve({ ms, code, stdout, stderr, mem: sampler?.stop() ?? null, cpu });
    });
  });
}

/**
 * The watcher's rounds, from its log: it queues the settled sources in order and takes
 * them `batchSize` at a time; a round's 'converted' lines all come after its conversion
 * (probe, ffmpeg, conditioning, staged write) and interleave with its 'archived' lines
 * while it commits (rename into ready/, stats record, source to archive/, fsyncs).
 */
function roundPhases(w: WatcherProcess, batchSize: number, start: number): { convertMs: number[]; commitMs: number[] } {
  const conv = w.times.get('converted') ?? [];
  const arch = w.times.get('archived') ?? [];
  const convertMs: number[] = [];
  const commitMs: number[] = [];
  let prevEnd = start;
  for (let i = 0; i < conv.length; i += batchSize) {
    const first = conv[i] as number;
    const end = arch[Math.min(arch.length, i + batchSize) - 1] ?? first;
    convertMs.push(first - prevEnd);
    commitMs.push(end - first);
    prevEnd = end;
  }
  return { convertMs, commitMs };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

const bench: Bench = {
  name: 'watch',
  title: 'watch: a burst of 1,000 files dropped at once (promptprep watch) vs promptprep convert of the same files',
  async run({ root, workDir, log }) {
    const fileCount = envInt('BENCH_WATCH_FILES', 1000);
    const distinct = Math.min(fileCount, envInt('BENCH_WATCH_DISTINCT', 20));
    const stableMs = envInt('BENCH_WATCH_STABLE_MS', 1000, 0);
    const rssLimitMiB = envInt('BENCH_WATCH_RSS_LIMIT_MIB', RSS_LIMIT_MIB_DEFAULT);
    const timeoutMs = envInt('BENCH_WATCH_TIMEOUT_S', 180) * 1000;
    const batchSizeRaw = process.env.BENCH_WATCH_BATCH_SIZE;
    const batchSize = batchSizeRaw ? envInt('BENCH_WATCH_BATCH_SIZE', 64) : null;
    const effectiveBatch = batchSize ?? 64; // the config default (src/config.ts watch.batchSize)
    const cpus = os.availableParallelism();
    if (!procAvailable()) throw new Error('this bench samples the process trees from /proc (Linux only)');
    const loadBefore = os.loadavg()[0] ?? 0;

    const ffmpeg = findFfmpeg();
    const env: NodeJS.ProcessEnv = { ...process.env, FFMPEG_PATH: ffmpeg, NO_COLOR: '1' };
    delete env.PROMPTPREP_WATCH_POLL;
    delete env.PROMPTPREP_LOG_LEVEL;
    const build = await buildPrivateCli(root, path.join(workDir, 'build'), 'BENCH_WATCH_CLI');
    const cli = build.cli;
    // The CLI reads ./promptprep.config.json: run both commands in a directory holding only ours (if any).
    const cwd = path.join(workDir, 'cwd');
    await fs.mkdir(cwd, { recursive: true });
    if (batchSize !== null) await fs.writeFile(path.join(cwd, 'promptprep.config.json'), `${JSON.stringify({ watch: { batchSize } })}\n`);

    // --- fixture: distinct clips, then fileCount copies under distinct names
    const genStart = now();
    const clipDir = path.join(workDir, 'clips');
    const sourcesDir = path.join(workDir, 'sources'); // what `convert` reads
    const dropDir = path.join(workDir, 'drop-staging'); // same file system as the inbox: renamed in
    for (const d of [clipDir, sourcesDir, dropDir]) await fs.mkdir(d, { recursive: true });
    const clips = await generateClips(ffmpeg, clipDir, distinct);
    const names: string[] = [];
    const byExt = { mp3: 0, flac: 0, wav: 0 };
    await mapLimit(Array.from({ length: fileCount }, (_, j) => j), 32, async (j) => {
      const clip = clips[j % distinct] as Clip;
      const name = `burst_${pad(j)}.${clip.ext}`;
      names[j] = name;
      byExt[clip.ext]++;
      await fs.copyFile(clip.file, path.join(sourcesDir, name));
      await fs.copyFile(clip.file, path.join(dropDir, name));
    });
    const srcBytes = (await Promise.all(names.map((n) => fs.stat(path.join(sourcesDir, n))))).reduce((a, s) => a + s.size, 0);
    const audioSeconds = Array.from({ length: fileCount }, (_, j) => (clips[j % distinct] as Clip).seconds).reduce((a, b) => a + b, 0);
    const genMs = now() - genStart;

    // Node start-up of the CLI, to read the convert wall clock fairly (the watcher is already running when timed).
    const startupRuns: number[] = [];
    for (let i = 0; i < 3; i++) startupRuns.push((await spawnTimed(process.execPath, [cli, '--version'], { cwd, env }, false)).ms);
    const startupMs = median(startupRuns);

    // `promptprep convert` on the same files, run before and after the watch run (the mean is
    // compared), so a machine that gets busier or quieter during the bench biases neither side.
    let convSeq = 0;
    const convertRun = async (): Promise<Timed> => {
      const outDir = path.join(workDir, `convert-out-${++convSeq}`);
      const r = await spawnTimed(process.execPath, [cli, 'convert', sourcesDir, '--out', outDir, '--no-progress'], { cwd, env }, true);
      const n = await countFiles(outDir, ['.wav']);
      if (r.code !== 0 || n !== fileCount) {
        throw new Error(`promptprep convert exited ${r.code} with ${n}/${fileCount} outputs:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
      }
      await fs.rm(outDir, { recursive: true, force: true });
      return r;
    };
    const conv1 = await convertRun();

    // --- watch: start, wait for "watching", drop everything at once
    const watchRoot = path.join(workDir, 'watchroot');
    const inbox = path.join(watchRoot, 'inbox');
    const w = new WatcherProcess(process.execPath, [cli, 'watch', watchRoot, '--stable-ms', String(stableMs), '--log-format', 'json'], { cwd, env });
    if (w.child.pid === undefined) throw new Error('could not start the watcher');
    const pid = w.child.pid;
    const sampler = watchProcessTree(pid, SAMPLE_MS);
    let stopped = false;
    try {
      await w.until(() => w.count('watching') > 0, 30_000, 'the "watching" line');
      const idleRss = vmRss(pid);
      const cpuAtStart = procCpu(pid) ?? { self: 0, children: 0 };

      const dropStart = now();
      for (const n of names) renameSync(path.join(dropDir, n), path.join(inbox, n));
      const landed = now();

      const settledOf = () => w.count('converted') + w.count('rejected');
      await w.until(() => settledOf() >= fileCount, timeoutMs, `${int(fileCount)} converted/rejected lines (had ${int(settledOf())})`);
      const convertedTimes = w.times.get('converted') ?? [];
      const lastReady = Math.max(...convertedTimes, ...(w.times.get('rejected') ?? []));
      await w.until(() => w.count('archived') + w.count('rejected') >= fileCount, 30_000, 'every source archived');
      const allArchived = now();
      const treeMem = sampler.stop();
      stopped = true;
      const afterRss = vmRss(pid);
      const cpuAtEnd = procCpu(pid) ?? cpuAtStart;
      const watchCpu = { self: cpuAtEnd.self - cpuAtStart.self, children: cpuAtEnd.children - cpuAtStart.children };

      // Stop: SIGTERM finishes the round in flight (none) and exits 0.
      const termAt = now();
      w.child.kill('SIGTERM');
      const exit = await Promise.race([
        w.exited,
        new Promise<{ code: null; signal: null }>((resolve) => setTimeout(() => resolve({ code: null, signal: null }), 15_000)),
      ]);
      const exitMs = now() - termAt;
      if (exit.code === null && exit.signal === null) w.child.kill('SIGKILL');

      const ready = await countFiles(path.join(watchRoot, 'ready'), ['.wav']);
      const archived = await countFiles(path.join(watchRoot, 'archive'), ['.mp3', '.flac', '.wav']);
      const inboxLeft = (await fs.readdir(inbox)).filter((n) => !n.startsWith('.')).length;
      const rejectedFiles = await countFiles(path.join(watchRoot, 'rejected'), ['.mp3', '.flac', '.wav']);
      const accounted = Math.min(ready, archived, w.count('converted'));

      const conv2 = await convertRun();
      const loadAfter = os.loadavg()[0] ?? 0;

      // --- numbers
      const landMs = landed - dropStart;
      const watchMs = lastReady - landed;
      const watchNetMs = watchMs - stableMs;
      const convMs = (conv1.ms + conv2.ms) / 2;
      const convNetMs = convMs - startupMs;
      const maxFfmpeg = Math.max(0, treeMem.maxProcesses - 1); // the watcher starts no other processes
      const queuedTimes = w.times.get('queued') ?? [];
      const firstQueued = Math.min(...queuedTimes);
      const lastQueued = Math.max(...queuedTimes);
      const firstConverted = Math.min(...convertedTimes);
      const phases = roundPhases(w, effectiveBatch, lastQueued);
      const convertPhaseMs = sum(phases.convertMs);
      const commitPhaseMs = sum(phases.commitMs);
      const firstCommits = phases.commitMs.slice(0, 2);
      const lastCommits = phases.commitMs.slice(-2);
      const convMem = conv2.mem ?? conv1.mem;
      const convCpu = conv2.cpu ?? conv1.cpu;

      log(`ffmpeg:      ${ffmpeg} (both sides); CLI: node ${build.note}`);
      log(`machine:     ${cpus} CPU(s), 1-min load average ${fixed(loadBefore, 2)} before the bench (${fixed(loadAfter, 2)} after, this bench's own load included)` +
        (loadBefore > 0.5 * cpus ? ' — BUSY: other work shares the CPUs, times are inflated and noisy' : ''));
      log(`fixture:     ${int(fileCount)} sources, ${fixed(audioSeconds / fileCount, 1)} s average (2-4 s), ${mib(srcBytes)}: ${byExt.mp3} MP3 (44.1 kHz stereo 128k), ` +
        `${byExt.flac} FLAC (48 kHz), ${byExt.wav} WAV (16-bit 16 kHz); copies of ${distinct} distinct clips under distinct names; made in ${secs(genMs)}`);
      log(`watch:       node cli.cjs watch <root> --stable-ms ${stableMs} --log-format json (default jobs: one ffmpeg per CPU (${cpus}), up to twice that for a round's last decodes; batchSize ${batchSize ?? '64 (default)'}); ` +
        `all ${int(fileCount)} renamed into inbox/ in ${fixed(landMs, 0)} ms`);
      log(`  landed -> last prompt ready   ${secs(watchMs)}   (${secs(watchNetMs)} without the ${stableMs} ms stability wait)   ${int((fileCount * 1000) / watchMs)} files/s`);
      log(`  landed -> first/last queued   ${secs(firstQueued - landed)} / ${secs(lastQueued - landed)};  first converted ${secs(firstConverted - landed)};  all archived ${secs(allArchived - landed)}`);
      log(`  ${phases.convertMs.length} rounds of <= ${effectiveBatch}, one after the other: converting ${secs(convertPhaseMs)} (median ${fixed(median(phases.convertMs), 0)} ms/round), ` +
        `committing ${secs(commitPhaseMs)} (first rounds ${firstCommits.map((m) => fixed(m, 0)).join(', ')} ms, last ${lastCommits.map((m) => fixed(m, 0)).join(', ')} ms)`);
      log(`  CPU during the burst: node ${secs(watchCpu.self * 1000)}, ffmpeg ${secs(watchCpu.children * 1000)} ` +
        `(${fixed(((watchCpu.self + watchCpu.children) * 1000 * 100) / ((allArchived - landed) * cpus), 0)}% of ${cpus} CPU(s) from landing to all archived)`);
      log(`  SIGTERM -> exit ${exit.code ?? `none (signal ${exit.signal ?? 'timeout'})`} in ${fixed(exitMs, 0)} ms; ` +
        `summary ${w.summary ? `${w.summary.converted} converted, ${w.summary.rejected} rejected, ${w.summary.pending} pending` : 'missing'}`);
      log(`  placed:      ready/ ${int(ready)} .wav, archive/ ${int(archived)} sources, rejected/ ${rejectedFiles}, inbox/ ${inboxLeft} left`);
      if (w.problems.length > 0) log(`  stderr/problems (${w.problems.length}): ${w.problems.slice(0, 3).join(' | ')}`);
      log(`convert:     node cli.cjs convert <copy of the same sources> --out <fresh dir> --no-progress, once before and once after the watch run`);
      log(`  wall clock ${secs(convMs)} mean (${secs(conv1.ms)}, ${secs(conv2.ms)}; node start-up ${fixed(startupMs, 0)} ms included, ${secs(convNetMs)} without)   ${int((fileCount * 1000) / convMs)} files/s`);
      if (convCpu) log(`  CPU: node ${secs(convCpu.self * 1000)}, ffmpeg ${secs(convCpu.children * 1000)} (start-up included)`);
      log(`ratio:       watch / convert ${ratio(watchMs / convMs)} as measured; ${ratio(watchNetMs / convNetMs)} without the stability wait and the node start-up`);
      const m = (x: TreeRssSample): string =>
        `tree peak ${mib(x.peakTreeBytes)} (node VmHWM ${mib(x.rootHwmBytes)}, largest ffmpeg VmHWM ${mib(x.maxDescendantHwmBytes)}, up to ${x.maxProcesses - 1} ffmpeg at once, ${x.samples} samples)`;
      log(`memory:      VmRSS of node + ffmpeg children summed from /proc every ${SAMPLE_MS} ms`);
      log(`  watch      ${m(treeMem)}; node idle ${mib(idleRss)}, after the burst ${mib(afterRss)}`);
      if (convMem) log(`  convert    ${m(convMem)}`);

      const targets: BenchTarget[] = [
        target({ description: `watcher process tree peak RSS during the ${int(fileCount)}-file burst, MiB (bounded)`, metric: 'watch_peak_tree_mib', kind: 'max', threshold: rssLimitMiB, actual: treeMem.peakTreeBytes / (1024 * 1024) }),
        target({ description: `most ffmpeg processes the watcher ran at once <= 2 x CPU count (bounded: one per CPU, the last decodes of a round together)`, metric: 'watch_max_ffmpeg', kind: 'max', threshold: 2 * cpus, actual: maxFfmpeg }),
        target({ description: `sources converted, in ready/ and archived, of ${int(fileCount)}`, metric: 'watch_accounted', kind: 'min', threshold: fileCount, actual: accounted }),
        target({ description: 'watcher exit code after SIGTERM', metric: 'watch_exit_code', kind: 'max', threshold: 0, actual: exit.code ?? NaN }),
      ];
      return {
        targets,
        metrics: {
          files: fileCount,
          stable_ms: stableMs,
          batch_size: effectiveBatch,
          cpus,
          load_before: loadBefore,
          load_after: loadAfter,
          land_ms: landMs,
          watch_landed_to_ready_ms: watchMs,
          watch_landed_to_ready_minus_stable_ms: watchNetMs,
          watch_first_queued_ms: firstQueued - landed,
          watch_rounds: phases.convertMs.length,
          watch_convert_phase_ms: convertPhaseMs,
          watch_commit_phase_ms: commitPhaseMs,
          watch_node_cpu_s: watchCpu.self,
          watch_ffmpeg_cpu_s: watchCpu.children,
          convert_ms: convMs,
          convert_ms_before: conv1.ms,
          convert_ms_after: conv2.ms,
          convert_minus_startup_ms: convNetMs,
          convert_node_cpu_s: convCpu?.self ?? null,
          convert_ffmpeg_cpu_s: convCpu?.children ?? null,
          node_startup_ms: startupMs,
          ratio_watch_convert: watchMs / convMs,
          ratio_watch_convert_net: watchNetMs / convNetMs,
          watch_peak_tree_bytes: treeMem.peakTreeBytes,
          watch_node_hwm_bytes: treeMem.rootHwmBytes,
          watch_max_ffmpeg: maxFfmpeg,
          convert_peak_tree_bytes: convMem?.peakTreeBytes ?? null,
          convert_node_hwm_bytes: convMem?.rootHwmBytes ?? null,
          convert_max_ffmpeg: convMem ? convMem.maxProcesses - 1 : null,
          ready,
          archived,
          rejected: rejectedFiles,
          inbox_left: inboxLeft,
          watch_exit_code: exit.code,
          watch_stderr_problems: w.problems.length,
        },
      };
    } finally {
      if (!stopped) sampler.stop();
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGKILL');
        await w.exited.catch(() => undefined);
      }
    }
  },
};

export default bench;
