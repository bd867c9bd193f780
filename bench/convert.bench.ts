import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convertFiles } from '../src/convert/index.js';
import { filterChain } from '../src/decode-plan.js';
import { ffmpegFeatures, locateFfmpeg } from '../src/ffmpeg.js';
import { probeSource } from '../src/source-probe.js';
import { envInt } from './lib/env.js';
import { prng } from './lib/audio.js';
import { fixed, int, mib, ratio } from './lib/format.js';
import { measureLimits, type LimitsContext } from './lib/convert-limits.js';
import { gcIfExposed, procAvailable, watchProcessTree, type TreeRssSample } from './lib/memory.js';
import { logMemoryLadder, memoryLadder, MEMORY_TARGET_BYTES_PER_FILE, type MemoryLadder } from './lib/convert-memory.js';
import { mapLimit, median, time } from './lib/timing.js';
import { run } from './lib/tools.js';
import { buildPrivateCli } from './lib/build.js';
import { target, type Bench, type BenchTarget } from './lib/types.js';

/**
 * Issue targets, with the same ffmpeg binary on both sides:
 * - 200 four-second MP3 prompts convert at least 2x faster than `xargs -P <cpus>` running
 *   one ffmpeg per file (judged on the CLI, so our own process start-up is counted);
 * - a file's output bytes are the same alone as in a batch;
 * - a few long sources (minutes each) are no slower than that loop;
 * - one bad file in a batch neither fails nor slows the others;
 * - peak memory stays flat as the batch grows: node's peak grows by at most 1 KB a file
 *   over 200, 2,000 and 10,000 sources (BENCH_CONVERT_QUICK=1 runs this ladder alone).
 */

const TARGET_SPEEDUP = 2;
const LONG_MAX_RATIO = 1.1; // "no slower", with 10% allowed for run-to-run noise
const BAD_MAX_RATIO = 1.25;
const SHORT_SECONDS = 4;
const SOURCE_RATE = 44100;
/** Outputs of one ffmpeg process while generating fixtures. */
const GEN_GROUP = 25;


/**
 * CPU seconds used so far by this process plus every child it has reaped (and theirs):
 * utime+stime+cutime+cstime from /proc/self/stat, in clock ticks (100 Hz on Linux). A
 * spawned CLI or shell pipeline, once reaped, adds its whole process tree. null off Linux.
 */
function treeCpuSeconds(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after the command name start at field 3 (state): utime is field 14, i.e. index 11 here
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return null;
  }
}

const pad = (i: number): string => String(i).padStart(4, '0');

/** A speech-like aevalsrc expression (no commas, so it needs no filtergraph escaping). */
function speechExpr(seed: number): string {
  const rand = prng(seed);
  const f0 = (100 + rand() * 160).toFixed(2);
  const syllable = (3 + rand() * 3).toFixed(2);
  const amp = (0.12 + rand() * 0.1).toFixed(3);
  const fmIndex = (rand() * 3).toFixed(2);
  const fmRate = (1 + rand() * 4).toFixed(2);
  const h2 = (0.3 + rand() * 0.5).toFixed(2);
  const h3 = (0.1 + rand() * 0.3).toFixed(2);
  return (
    `${amp}*(0.5+0.5*sin(2*PI*${syllable}*t)^2)*(sin(2*PI*${f0}*t+${fmIndex}*sin(2*PI*${fmRate}*t))` +
    `+${h2}*sin(4*PI*${f0}*t)+${h3}*sin(6*PI*${f0}*t))+0.02*(random(0)*2-1)`
  );
}

/** Stereo 44.1 kHz 128 kbit/s MP3s, each independently encoded, GEN_GROUP outputs per ffmpeg process. */
async function generateMp3s(ffmpeg: string, specs: { file: string; seed: number; seconds: number }[], concurrency: number): Promise<void> {
  const groups: (typeof specs)[] = [];
  for (let i = 0; i < specs.length; i += GEN_GROUP) groups.push(specs.slice(i, i + GEN_GROUP));
  await mapLimit(groups, concurrency, async (group) => {
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y'];
    for (const s of group) args.push('-f', 'lavfi', '-i', `aevalsrc=${speechExpr(s.seed)}:s=${SOURCE_RATE}:d=${s.seconds}`);
    group.forEach((s, i) => args.push('-map', `${i}:a`, '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '128k', s.file));
    await run(ffmpeg, args);
  });
}

/** A RIFF/WAVE file whose header is fine but whose codec (format tag 0x3333) no decoder knows. */
function unsupportedCodecWav(seconds: number): Buffer {
  const rate = 8000;
  const data = Buffer.alloc(seconds * rate);
  const rand = prng(77);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 256);
  const head = Buffer.alloc(44);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(36 + data.length, 4);
  head.write('WAVEfmt ', 8, 'latin1');
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(0x3333, 20); // format tag
  head.writeUInt16LE(1, 22); // channels
  head.writeUInt32LE(rate, 24);
  head.writeUInt32LE(rate, 28); // bytes/s
  head.writeUInt16LE(1, 32); // block align
  head.writeUInt16LE(8, 34); // bits/sample
  head.write('data', 36, 'latin1');
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

// The plain alternative: a real shell pipeline, one ffmpeg per file, <jobs> at a time.
// Paths and the ffmpeg binary are positional arguments, never interpolated into the script.
// bash: $1 source dir, $2 out dir, $3 jobs, $4 ffmpeg; inner sh: $1 ffmpeg, $2 out dir, $3 file.
const LOOP_INNER = '"$1" -nostdin -v error -y -i "$3" -ac 1 -ar 8000 -c:a pcm_alaw "$2/$(basename "${3%.*}").wav"';
const LOOP_SCRIPT = `set -o pipefail; find "$1" -type f -print0 | xargs -0 -P "$3" -n 1 sh -c '${LOOP_INNER}' _ "$4" "$2"`;
const LOOP_SHOWN = `find <src> -type f -print0 | xargs -0 -P <jobs> -n 1 sh -c 'ffmpeg -nostdin -v error -y -i "$f" -ac 1 -ar 8000 -c:a pcm_alaw "<out>/$(basename "\${f%.*}").wav"'`;

interface ProcResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  mem?: TreeRssSample;
}

function spawnTimed(file: string, args: string[], env: NodeJS.ProcessEnv, watchMemory = false, cwd?: string): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    const watcher = watchMemory && child.pid !== undefined ? watchProcessTree(child.pid) : null;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      watcher?.stop();
      reject(err);
    });
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const mem = watcher?.stop();
      resolve({ ms, code, stdout, stderr, ...(mem ? { mem } : {}) });
    });
  });
}

async function countFiles(dir: string, ext: string): Promise<number> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith(ext) && !n.startsWith('.')).length;
}

interface CliSummary {
  total: number;
  converted: number;
  skipped: number;
  failed: number;
}

function parseCliSummary(stdout: string): CliSummary | null {
  // eslint-disable-next-line no-control-regex
  const plain = stdout.replace(/\u001b\[[0-9;]*m/g, '');
  const m = /(\d+) file\(s\): (\d+) converted, (\d+) skipped \(up to date\), (\d+) failed/.exec(plain);
  return m ? { total: Number(m[1]), converted: Number(m[2]), skipped: Number(m[3]), failed: Number(m[4]) } : null;
}

function failedSources(stdout: string): string[] {
  // eslint-disable-next-line no-control-regex
  const plain = stdout.replace(/\u001b\[[0-9;]*m/g, '');
  return [...plain.matchAll(/^FAILED\s+(\S.*?)(?: -> .*)?$/gm)].map((m) => m[1] as string);
}

async function sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([fs.readFile(a), fs.readFile(b)]);
  return x.equals(y);
}


function memoryTarget(ladder: MemoryLadder): BenchTarget {
  const first = ladder.runs[0] as { files: number };
  const last = ladder.runs[ladder.runs.length - 1] as { files: number };
  return target({
    description: `growth of node's peak RSS per extra source, ${int(first.files)} -> ${int(last.files)} sources, bytes <= ${MEMORY_TARGET_BYTES_PER_FILE}`,
    metric: 'memory_node_bytes_per_file',
    kind: 'max',
    threshold: MEMORY_TARGET_BYTES_PER_FILE,
    actual: ladder.nodeBytesPerFile,
  });
}

function memoryMetrics(ladder: MemoryLadder): Record<string, number> {
  const m: Record<string, number> = { memory_node_bytes_per_file: ladder.nodeBytesPerFile, memory_tree_bytes_per_file: ladder.treeBytesPerFile };
  for (const r of ladder.runs) {
    m[`memory_node_hwm_${r.files}_bytes`] = r.mem.rootHwmBytes;
    m[`memory_tree_peak_${r.files}_bytes`] = r.mem.peakTreeBytes;
    m[`memory_ms_${r.files}`] = r.ms;
  }
  return m;
}

const bench: Bench = {
  name: 'convert',
  title: 'convert: batched ffmpeg (promptprep convert) vs xargs -P running one ffmpeg per file',
  async run({ root, workDir, log }) {
    const fileCount = envInt('BENCH_CONVERT_FILES', 200);
    const quick = process.env.BENCH_CONVERT_QUICK === '1';
    const memoryCounts = (process.env.BENCH_CONVERT_MEMORY_COUNTS || (quick ? '200,2000' : '200,2000,10000')).split(',').map(Number);
    if (memoryCounts.length < 2 || memoryCounts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('BENCH_CONVERT_MEMORY_COUNTS must list two or more counts, e.g. 200,2000,10000.');
    const runs = envInt('BENCH_CONVERT_RUNS', 3);
    const identityCount = Math.min(fileCount, envInt('BENCH_CONVERT_IDENTITY', 10));
    const longCount = envInt('BENCH_CONVERT_LONG_FILES', 3);
    const longSeconds = envInt('BENCH_CONVERT_LONG_SECONDS', 180);
    // Long runs are short in wall time (~1 s each), so take more of them to steady the median.
    const longRuns = envInt('BENCH_CONVERT_LONG_RUNS', 5);
    const cpus = os.availableParallelism();
    // The loop runs one ffmpeg per CPU. Ours runs with its default (--jobs not given) unless
    // BENCH_CONVERT_JOBS is set, because that is how people run it.
    const jobsGiven = process.env.BENCH_CONVERT_JOBS !== undefined && process.env.BENCH_CONVERT_JOBS !== '';
    const jobs = envInt('BENCH_CONVERT_JOBS', cpus);
    const jobsArgs = jobsGiven ? ['--jobs', String(jobs)] : [];
    const jobsOption = jobsGiven ? { jobs } : {};
    if (longSeconds > 245) throw new Error('BENCH_CONVERT_LONG_SECONDS must stay under ~249 s (the 2,000,000-byte output limit).');

    const binary = await locateFfmpeg();
    const ffmpeg = binary.path;
    const features = await ffmpegFeatures(binary);
    // Our own cache folder, so what ffmpeg can do is asked once here, whatever the user's cache holds.
    const childEnv: NodeJS.ProcessEnv = { ...process.env, FFMPEG_PATH: ffmpeg, PROMPTPREP_CACHE_DIR: path.join(workDir, 'cache') };
    const ourFilters = filterChain({ sampleRate: 8000, channels: 1, soxr: features.soxr, bandLimit: false }).join(',');

    const build = await time(() => buildPrivateCli(root, path.join(workDir, 'build'), 'BENCH_CONVERT_CLI'));
    const cli = build.value.cli;

    // Issue 14's limits alone (BENCH_CONVERT_QUICK=limits): a few minutes, for iterating.
    const limitLongCount = envInt('BENCH_CONVERT_LIMIT_LONG_FILES', process.env.BENCH_CONVERT_QUICK === 'limits' ? 4 : 20);
    const limitLongSeconds = envInt('BENCH_CONVERT_LIMIT_LONG_SECONDS', 300);
    const limitsContext = (shortSources: string[], longSources: string[], loop: LimitsContext['loop']): LimitsContext => ({
      ffmpeg, cli, env: childEnv, workDir, jobs, runs, filters: ourFilters, shortSources, largeCount: envInt('BENCH_CONVERT_LIMIT_LARGE_FILES', 2000),
      longSources, loop, cpuNow: treeCpuSeconds, log,
    });
    const makeLimitLong = async (): Promise<string[]> => {
      const dir = path.join(workDir, 'limits-long');
      await fs.mkdir(dir, { recursive: true });
      const specs = Array.from({ length: limitLongCount }, (_, i) => ({ file: path.join(dir, `long5_${pad(i)}.mp3`), seed: 11000 + i, seconds: limitLongSeconds }));
      await mapLimit(specs, cpus, (s) => generateMp3s(ffmpeg, [s], 1));
      return specs.map((s) => s.file);
    };
    if (process.env.BENCH_CONVERT_QUICK === 'limits') {
      const dir = path.join(workDir, 'limits-short');
      await fs.mkdir(dir, { recursive: true });
      const specs = Array.from({ length: fileCount }, (_, i) => ({ file: path.join(dir, `prompt_${pad(i)}.mp3`), seed: 5000 + i, seconds: SHORT_SECONDS }));
      await generateMp3s(ffmpeg, specs, cpus);
      const longSources = await makeLimitLong();
      const loop = async (src: string, expected: number) => {
        const out = path.join(workDir, 'out', `limits-loop-${Math.random().toString(36).slice(2)}`);
        await fs.mkdir(out, { recursive: true });
        const cpu0 = treeCpuSeconds();
        const r = await spawnTimed('bash', ['-c', LOOP_SCRIPT, 'xargs-loop', src, out, String(jobs), ffmpeg], childEnv);
        const cpu1 = treeCpuSeconds();
        if (r.code !== 0 || (await countFiles(out, '.wav')) !== expected) throw new Error(`xargs loop over ${src}: exit ${r.code} ${r.stderr.slice(0, 500)}`);
        await fs.rm(out, { recursive: true, force: true });
        return { ms: r.ms, cpuS: cpu0 === null || cpu1 === null ? NaN : cpu1 - cpu0 };
      };
      const limits = await measureLimits(limitsContext(specs.map((s) => s.file), longSources, loop));
      return { targets: limits.targets, metrics: limits.metrics };
    }

    if (quick) {
      // The memory ladder alone, on 20 distinct 2 s MP3s linked under many names: a minute, not ten.
      const base = path.join(workDir, 'quick-src');
      await fs.mkdir(base, { recursive: true });
      const specs = Array.from({ length: 20 }, (_, i) => ({ file: path.join(base, `q_${pad(i)}.mp3`), seed: 7000 + i, seconds: 2 }));
      await generateMp3s(ffmpeg, specs, cpus);
      const ladder = await memoryLadder({ cli, env: childEnv, workDir, sources: specs.map((s) => s.file), counts: memoryCounts, extraArgs: jobsArgs });
      logMemoryLadder(ladder, log);
      return { targets: [memoryTarget(ladder)], metrics: memoryMetrics(ladder) };
    }

    // --- fixtures
    const srcDir = path.join(workDir, 'src');
    const longDir = path.join(workDir, 'long');
    const warmDir = path.join(workDir, 'src-warmup');
    const badDirs = { corrupt: path.join(workDir, 'src-bad-corrupt'), unsupported: path.join(workDir, 'src-bad-unsupported') };
    for (const d of [srcDir, longDir, warmDir, ...Object.values(badDirs)]) await fs.mkdir(d, { recursive: true });
    const names = Array.from({ length: fileCount }, (_, i) => `prompt_${pad(i)}`);
    // One bad file in the middle of the sorted list, so it shares a group with good ones.
    const badFiles = {
      corrupt: path.join(badDirs.corrupt, `${names[fileCount >> 1]}_corrupt.mp3`),
      unsupported: path.join(badDirs.unsupported, `${names[fileCount >> 1]}_unsupported.wav`),
    };
    const gen = await time(async () => {
      const specs = [
        ...names.map((n, i) => ({ file: path.join(srcDir, `${n}.mp3`), seed: 5000 + i, seconds: SHORT_SECONDS })),
        ...Array.from({ length: longCount }, (_, i) => ({ file: path.join(longDir, `long_${i}.mp3`), seed: 9000 + i, seconds: longSeconds })),
      ];
      // Long sources in processes of their own, alongside the groups of short ones.
      await Promise.all([
        mapLimit(specs.slice(fileCount), cpus, (s) => generateMp3s(ffmpeg, [s], 1)),
        generateMp3s(ffmpeg, specs.slice(0, fileCount), cpus),
      ]);
      for (const n of names.slice(0, Math.min(10, fileCount))) await fs.copyFile(path.join(srcDir, `${n}.mp3`), path.join(warmDir, `${n}.mp3`));
      // Bad-file batches: hard links to the good sources plus the bad file.
      for (const d of Object.values(badDirs)) {
        for (const n of names) await fs.link(path.join(srcDir, `${n}.mp3`), path.join(d, `${n}.mp3`));
      }
      const rand = prng(4242);
      await fs.writeFile(badFiles.corrupt, Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(rand() * 256))));
      await fs.writeFile(badFiles.unsupported, unsupportedCodecWav(SHORT_SECONDS));
    });
    const srcBytes = (await Promise.all(names.map((n) => fs.stat(path.join(srcDir, `${n}.mp3`))))).reduce((a, s) => a + s.size, 0);

    // What the in-process probe makes of each bad file decides its route: batched, or a process of its own.
    const badRoute = async (file: string): Promise<string> => {
      const p = await probeSource(file, (await fs.stat(file)).size);
      return p.kind === 'audio' ? `probes as audio (${p.codec}, ${fixed(p.durationSeconds, 2)} s), so it is batched` : `probe: ${p.kind}, so it gets an ffmpeg of its own`;
    };

    let outSeq = 0;
    const freshOut = (label: string): string => path.join(workDir, 'out', `${label}-${++outSeq}`);
    interface Measured {
      ms: number;
      cpuS: number;
    }
    const cpuSince = (before: number | null): number => {
      const after = treeCpuSeconds();
      return before === null || after === null ? NaN : after - before;
    };

    const loop = async (dir: string, expected: number, processes = jobs): Promise<Measured> => {
      const out = freshOut('loop');
      await fs.mkdir(out, { recursive: true });
      const cpu0 = treeCpuSeconds();
      const r = await spawnTimed('bash', ['-c', LOOP_SCRIPT, 'xargs-loop', dir, out, String(processes), ffmpeg], childEnv);
      const cpuS = cpuSince(cpu0);
      if (r.code !== 0) throw new Error(`xargs loop over ${dir} exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
      const n = await countFiles(out, '.wav');
      if (n !== expected) throw new Error(`xargs loop over ${dir}: ${n} outputs, expected ${expected}`);
      return { ms: r.ms, cpuS };
    };
    const cliRun = async (
      dir: string,
      expectConverted: number,
      expectFailed = 0,
      watchMemory = false,
    ): Promise<ProcResult & Measured & { out: string; failedList: string[] }> => {
      const out = freshOut('cli');
      const cpu0 = treeCpuSeconds();
      // In the work folder, so the ledger it keeps (.promptprep/ in the working directory) is the bench's.
      const r = await spawnTimed(process.execPath, [cli, 'convert', dir, '--out', out, ...jobsArgs, '--no-progress'], childEnv, watchMemory, workDir);
      const cpuS = cpuSince(cpu0);
      const s = parseCliSummary(r.stdout);
      const expectedCode = expectFailed > 0 ? 1 : 0;
      if (r.code !== expectedCode || !s || s.converted !== expectConverted || s.failed !== expectFailed) {
        throw new Error(
          `promptprep convert ${dir}: exit ${r.code}, summary ${JSON.stringify(s)}, expected ${expectConverted} converted / ${expectFailed} failed\n` +
            `${r.stdout.slice(-3000)}\n${r.stderr.slice(0, 2000)}`,
        );
      }
      const n = await countFiles(out, '.wav');
      if (n !== expectConverted) throw new Error(`promptprep convert ${dir}: ${n} outputs, expected ${expectConverted}`);
      return { ...r, cpuS, out, failedList: failedSources(r.stdout) };
    };
    const libRun = async (inputs: string[], expectConverted: number): Promise<Measured & { out: string }> => {
      const out = freshOut('lib');
      gcIfExposed();
      const cpu0 = treeCpuSeconds();
      const t = await time(() => convertFiles(inputs, { outDir: out, ...jobsOption }));
      const cpuS = cpuSince(cpu0);
      const s = t.value.summary;
      if (s.converted !== expectConverted || s.failed !== 0) {
        const firstFail = t.value.files.find((f) => f.status === 'failed');
        throw new Error(`convertFiles(${inputs.join(', ')}): ${JSON.stringify(s)}; first failure: ${JSON.stringify(firstFail?.errors ?? null)}`);
      }
      return { ms: t.ms, cpuS, out };
    };

    // --- warm-up: binaries, libraries and sources into the page cache
    const loadBefore = os.loadavg()[0] as number;
    const warmCount = await countFiles(warmDir, '.mp3');
    await loop(warmDir, warmCount);
    await cliRun(warmDir, warmCount);
    await libRun([warmDir], warmCount);
    // Fixed cost of our own process: node start-up and module loading, nothing converted.
    const startupMs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const v = await spawnTimed(process.execPath, [cli, '--version'], childEnv);
      if (v.code !== 0) throw new Error(`${cli} --version exited ${v.code}: ${v.stderr}`);
      startupMs.push(v.ms);
    }
    const startupMed = median(startupMs);
    // ...of which Node.js itself, running nothing.
    const nodeMs: number[] = [];
    for (let r = 0; r < 3; r++) nodeMs.push((await spawnTimed(process.execPath, ['-e', '0'], childEnv)).ms);
    const nodeMed = median(nodeMs);

    // --- short prompts: loop, CLI, library, and the CLI with one bad file, interleaved
    // round by round (so a busy machine hurts every side alike); fresh output dirs.
    type Side = 'loop' | 'cli' | 'lib' | 'corrupt' | 'unsupported';
    const short: Record<Side, Measured[]> = { loop: [], cli: [], lib: [], corrupt: [], unsupported: [] };
    const bad = { corrupt: { wrong: 0, failed: [] as string[] }, unsupported: { wrong: 0, failed: [] as string[] } };
    let cliOut = '';
    let libOut = '';
    for (let r = 0; r < runs; r++) {
      short.loop.push(await loop(srcDir, fileCount));
      const c = await cliRun(srcDir, fileCount);
      short.cli.push(c);
      cliOut ||= c.out;
      const l = await libRun([srcDir], fileCount);
      short.lib.push(l);
      libOut ||= l.out;
      for (const kind of ['corrupt', 'unsupported'] as const) {
        const b = await cliRun(badDirs[kind], fileCount, 1);
        short[kind].push(b);
        bad[kind].failed = b.failedList.map((f) => path.basename(f));
        const wrongFailures = b.failedList.filter((f) => f !== badFiles[kind]).length;
        bad[kind].wrong = Math.max(bad[kind].wrong, wrongFailures + Math.abs(1 - b.failedList.length));
      }
    }
    const med = (m: Measured[]): Measured => ({ ms: median(m.map((x) => x.ms)), cpuS: median(m.map((x) => x.cpuS)) });
    const loopMed = med(short.loop);
    const cliMed = med(short.cli);
    const libMed = med(short.lib);
    const speedupCli = loopMed.ms / cliMed.ms;
    const speedupLib = loopMed.ms / libMed.ms;
    const badCorruptRatio = med(short.corrupt).ms / cliMed.ms;
    const badUnsupportedRatio = med(short.unsupported).ms / cliMed.ms;
    const badWrong = bad.corrupt.wrong + bad.unsupported.wrong;

    // --- byte identity: alone vs in a batch
    const identityIdx = Array.from({ length: identityCount }, (_, k) => Math.floor((k * fileCount) / identityCount));
    let aloneSame = 0;
    const aloneOut = path.join(workDir, 'out', 'alone');
    for (const i of identityIdx) {
      const n = names[i] as string;
      const single = await convertFiles([path.join(srcDir, `${n}.mp3`)], { outDir: aloneOut, ...jobsOption });
      if (single.summary.converted !== 1) throw new Error(`converting ${n}.mp3 alone: ${JSON.stringify(single.files[0]?.errors)}`);
      if (await sameBytes(path.join(aloneOut, `${n}.wav`), path.join(libOut, `${n}.wav`))) aloneSame++;
    }
    let cliSame = 0;
    for (const n of names) if (await sameBytes(path.join(cliOut, `${n}.wav`), path.join(libOut, `${n}.wav`))) cliSame++;

    // --- long sources
    const long: Record<'loop' | 'loopMore' | 'cli' | 'lib', Measured[]> = { loop: [], loopMore: [], cli: [], lib: [] };
    for (let r = 0; r < longRuns; r++) {
      long.loop.push(await loop(longDir, longCount));
      // Not judged: the loop given one process more than CPUs, for comparison with our default.
      long.loopMore.push(await loop(longDir, longCount, jobs + 1));
      long.cli.push(await cliRun(longDir, longCount));
      long.lib.push(await libRun([longDir], longCount));
    }
    const longLoopMed = med(long.loop);
    const longCliMed = med(long.cli);
    const longLibMed = med(long.lib);
    const longRatio = longCliMed.ms / longLoopMed.ms;

    // --- issue 14's limits: the decode limit for short prompts, the loop for five-minute sources
    const limitLines: string[] = [];
    const limits = await measureLimits({ ...limitsContext(names.map((n) => path.join(srcDir, `${n}.mp3`)), await makeLimitLong(), loop), log: (l = '') => limitLines.push(l) });

    // --- memory: node's peak over 200, 2,000 and 10,000 sources (links to the fixture's)
    let ladder: MemoryLadder | null = null;
    let bigSame = 0;
    const memoryFiles = Math.max(...memoryCounts);
    if (procAvailable()) {
      ladder = await memoryLadder({ cli, env: childEnv, workDir, sources: names.map((n) => path.join(srcDir, `${n}.mp3`)), counts: memoryCounts, extraArgs: jobsArgs });
      const big = ladder.runs[ladder.runs.length - 1] as { out: string };
      for (let j = 0; j < memoryFiles; j++) {
        const n = names[j % fileCount] as string;
        if (await sameBytes(path.join(big.out, `${n}_m${String(j).padStart(5, '0')}.wav`), path.join(libOut, `${n}.wav`))) bigSame++;
      }
    }
    const loadAfter = os.loadavg()[0] as number;

    const identityChecked = identityCount + fileCount + (ladder ? memoryFiles : 0);
    const identityMismatches = identityChecked - (aloneSame + cliSame + bigSame);

    // --- report
    const secs = (ms: number): string => `${fixed(ms / 1000, 2)} s`;
    const cpuText = (m: Measured): string => (Number.isFinite(m.cpuS) ? `cpu ${fixed(m.cpuS, 2)} s` : 'cpu n/a');
    const perFile = (m: Measured, n: number): string =>
      `${fixed(m.ms / n, 2)} ms/file   ${int((n * 1000) / m.ms).padStart(3)} files/s   total ${secs(m.ms)}   ${cpuText(m)}`;
    const runsText = (m: Measured[]): string => m.map((x) => fixed(x.ms / 1000, 2)).join(', ') + ' s';
    log(`ffmpeg:      ${ffmpeg} (${binary.source}, version ${features.version}), used by both sides; loop -P ${jobs}; ours ${jobsGiven ? `--jobs ${jobs}` : 'default --jobs'} (os.availableParallelism() = ${cpus})`);
    log(`fixture:     ${int(fileCount)} distinct ${SHORT_SECONDS} s speech-like MP3s (44.1 kHz stereo, libmp3lame 128k), ${mib(srcBytes)}; ` +
      `${longCount} x ${longSeconds} s long MP3s; up to ${int(memoryFiles)} links for the memory ladder; made in ${fixed(gen.ms / 1000, 1)} s`);
    log(`ours:        CLI   node ${build.value.note}`);
    log(`                   convert <src> --out <fresh dir> ${jobsArgs.join(' ')}${jobsArgs.length ? ' ' : ''}--no-progress (process start-up counted; build ${fixed(build.ms / 1000, 1)} s, not counted)`);
    log(`                   start-up alone (cli.cjs --version, median of 3): ${fixed(startupMed, 0)} ms, of which Node.js itself (node -e 0): ${fixed(nodeMed, 0)} ms`);
    log(`             lib   convertFiles([src], { outDir${jobsGiven ? `, jobs: ${jobs}` : ''} }) in the bench process`);
    log(`             decode filter: ${ourFilters}, A-law from ffmpeg's pcm_alaw (no conditioning here); then check rules, fsync'd atomic write + stats record`);
    log(`alternative: ${LOOP_SHOWN}`);
    log(`             (bash pipeline, ffmpeg's default resampler, plain ffmpeg WAV, no verification)`);
    log(`load:        1-min load average ${fixed(loadBefore, 2)} before, ${fixed(loadAfter, 2)} after, on ${cpus} CPU(s)` +
      (Math.max(loadBefore, loadAfter) > cpus * 0.75 ? ' -- the machine is busy with other work: wall times are noisy (cpu = user+sys of the process tree is steadier)' : ''));
    log(`short:       median of ${runs} interleaved round(s), after a ${warmCount}-file warm-up of each side`);
    log(`  xargs loop ${perFile(loopMed, fileCount)}   runs ${runsText(short.loop)}`);
    log(`  ours CLI   ${perFile(cliMed, fileCount)}   runs ${runsText(short.cli)}`);
    log(`  ours lib   ${perFile(libMed, fileCount)}   runs ${runsText(short.lib)}`);
    log(`  ratio      loop time / ours: CLI ${ratio(speedupCli)} (judged), library ${ratio(speedupLib)}; ` +
      `loop cpu / ours cpu: CLI ${ratio(loopMed.cpuS / cliMed.cpuS)}, library ${ratio(loopMed.cpuS / libMed.cpuS)}`);
    log(`identity:    alone vs batch ${aloneSame}/${identityCount} identical (convertFiles on one file vs the ${fileCount}-file batch); ` +
      `CLI vs library batch ${cliSame}/${fileCount}` + (ladder ? `; ${int(memoryFiles)}-file batch vs ${fileCount}-file batch ${int(bigSame)}/${int(memoryFiles)}` : ''));
    log(`long:        ${longCount} x ${longSeconds} s MP3, median of ${longRuns} interleaved round(s)`);
    log(`  xargs loop ${secs(longLoopMed.ms)}   ${cpuText(longLoopMed)}   runs ${runsText(long.loop)}`);
    log(`  (-P ${jobs + 1}     ${secs(med(long.loopMore).ms)}   ${cpuText(med(long.loopMore))}   runs ${runsText(long.loopMore)}; not judged: the loop with one process more than CPUs)`);
    log(`  ours CLI   ${secs(longCliMed.ms)}   ${cpuText(longCliMed)}   runs ${runsText(long.cli)}`);
    log(`  ours lib   ${secs(longLibMed.ms)}   ${cpuText(longLibMed)}   runs ${runsText(long.lib)}`);
    log(`  ratio      ours / loop: CLI ${fixed(longRatio, 2)}x (judged; target <= ${LONG_MAX_RATIO}: "no slower", 10% allowed for noise), ` +
      `library ${fixed(longLibMed.ms / longLoopMed.ms, 2)}x; cpu: CLI ${fixed(longCliMed.cpuS / longLoopMed.cpuS, 2)}x, library ${fixed(longLibMed.cpuS / longLoopMed.cpuS, 2)}x`);
    log(`bad file:    CLI on the ${fileCount} good sources + 1 bad one, in the same rounds as the clean CLI runs (median ${secs(cliMed.ms)})`);
    log(`  corrupt     64 KiB of random bytes named .mp3; ${await badRoute(badFiles.corrupt)}`);
    log(`              ${secs(med(short.corrupt).ms)} = ${fixed(badCorruptRatio, 2)}x clean (${cpuText(med(short.corrupt))}), runs ${runsText(short.corrupt)}; failed: ${bad.corrupt.failed.join(', ') || 'none'}`);
    log(`  unsupported WAV with codec tag 0x3333 (no ffmpeg decoder); ${await badRoute(badFiles.unsupported)}`);
    log(`              ${secs(med(short.unsupported).ms)} = ${fixed(badUnsupportedRatio, 2)}x clean (${cpuText(med(short.unsupported))}), runs ${runsText(short.unsupported)}; failed: ${bad.unsupported.failed.join(', ') || 'none'}`);
    log(`  ${fileCount}/${fileCount} good sources converted in every run; good files failed or bad file not failed: ${badWrong}`);
    for (const l of limitLines) log(l);
    if (ladder) {
      logMemoryLadder(ladder, log);
    } else {
      log('memory:      /proc not available: not measured');
    }

    const targets: BenchTarget[] = [
      target({ description: `xargs loop time / promptprep CLI time on ${fileCount} x ${SHORT_SECONDS} s MP3 >= ${TARGET_SPEEDUP}`, metric: 'speedup_cli', kind: 'min', threshold: TARGET_SPEEDUP, actual: speedupCli }),
      target({ description: `outputs differing between alone and batched conversion (of ${int(identityChecked)} compared)`, metric: 'identity_mismatches', kind: 'max', threshold: 0, actual: identityMismatches }),
      target({ description: `CLI time / xargs loop time on ${longCount} x ${longSeconds} s sources <= ${LONG_MAX_RATIO}`, metric: 'long_ratio', kind: 'max', threshold: LONG_MAX_RATIO, actual: longRatio }),
      target({ description: 'good files failed or bad file not failed, with one bad file in the batch', metric: 'bad_wrong_results', kind: 'max', threshold: 0, actual: badWrong }),
      target({ description: `batch + corrupt file time / clean batch time <= ${BAD_MAX_RATIO}`, metric: 'bad_corrupt_ratio', kind: 'max', threshold: BAD_MAX_RATIO, actual: badCorruptRatio }),
      target({ description: `batch + unsupported-codec file time / clean batch time <= ${BAD_MAX_RATIO}`, metric: 'bad_unsupported_ratio', kind: 'max', threshold: BAD_MAX_RATIO, actual: badUnsupportedRatio }),
    ];
    if (ladder) targets.push(memoryTarget(ladder));
    targets.push(...limits.targets);

    return {
      targets,
      metrics: {
        ffmpeg_path: ffmpeg,
        ffmpeg_version: features.version,
        ...limits.metrics,
        jobs,
        files: fileCount,
        runs,
        load_before: loadBefore,
        load_after: loadAfter,
        cli_startup_ms: startupMed,
        node_startup_ms: nodeMed,
        loop_ms_median: loopMed.ms,
        cli_ms_median: cliMed.ms,
        lib_ms_median: libMed.ms,
        loop_cpu_s_median: loopMed.cpuS,
        cli_cpu_s_median: cliMed.cpuS,
        lib_cpu_s_median: libMed.cpuS,
        loop_ms_runs: short.loop.map((m) => fixed(m.ms, 1)).join(','),
        cli_ms_runs: short.cli.map((m) => fixed(m.ms, 1)).join(','),
        lib_ms_runs: short.lib.map((m) => fixed(m.ms, 1)).join(','),
        loop_ms_per_file: loopMed.ms / fileCount,
        cli_ms_per_file: cliMed.ms / fileCount,
        lib_ms_per_file: libMed.ms / fileCount,
        speedup_cli: speedupCli,
        speedup_lib: speedupLib,
        identity_alone_same: aloneSame,
        identity_alone_checked: identityCount,
        identity_cli_vs_lib_same: cliSame,
        identity_big_batch_same: bigSame,
        identity_mismatches: identityMismatches,
        long_files: longCount,
        long_seconds: longSeconds,
        long_runs: longRuns,
        long_loop_ms_median: longLoopMed.ms,
        long_loop_more_ms_median: med(long.loopMore).ms,
        long_cli_ms_median: longCliMed.ms,
        long_lib_ms_median: longLibMed.ms,
        long_loop_cpu_s_median: longLoopMed.cpuS,
        long_cli_cpu_s_median: longCliMed.cpuS,
        long_lib_cpu_s_median: longLibMed.cpuS,
        long_ratio: longRatio,
        bad_corrupt_ms_median: med(short.corrupt).ms,
        bad_unsupported_ms_median: med(short.unsupported).ms,
        bad_corrupt_ratio: badCorruptRatio,
        bad_unsupported_ratio: badUnsupportedRatio,
        bad_wrong_results: badWrong,
        ...(ladder ? memoryMetrics(ladder) : {}),
      },
    };
  },
};

export default bench;
