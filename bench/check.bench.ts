import { closeSync, fstatSync, openSync, promises as fs, readdirSync, readFileSync, readSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { checkFiles, checkFilesEach } from '../src/check.js';
import { writeCheckReport } from '../src/report/check-report.js';
import { envInt } from './lib/env.js';
import { canonicalAlawPrompt, synthSpeechLike } from './lib/audio.js';
import { fixed, int, mib, ratio, us } from './lib/format.js';
import { gcIfExposed, withPeakRss } from './lib/memory.js';
import { mapLimit, median, time } from './lib/timing.js';
import { findFfprobe, run } from './lib/tools.js';
import { target, type Bench, type BenchContext, type BenchResult } from './lib/types.js';

/**
 * Issue target: on 2,000 valid prompts, checkFiles' per-file cost is at least 50x lower
 * than running ffprobe once per file, both measured in the same run.
 *
 * Issue #12.1: files of ~250,000 empty chunks and a 1 GB file are checked with memory
 * flat in file count and size (the JSON report written as the CLI writes it).
 *
 * Issue #14: checkFiles over 10,000 valid 4 s prompts within 2x of a plain synchronous read
 * of the same files (readdirSync + readFileSync each), medians of interleaved runs.
 * BENCH_CHECK_QUICK=1 runs only that comparison, on 2,000 files: for iterating.
 */

const TARGET_RATIO = 50;
const DISTINCT_CLIPS = 8;


interface ProbeJson {
  streams?: { codec_name?: string; sample_rate?: string; channels?: number }[];
  format?: { format_name?: string };
}

async function probe(ffprobe: string, file: string): Promise<void> {
  const { stdout } = await run(ffprobe, ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  const json = JSON.parse(stdout) as ProbeJson;
  const s = json.streams?.[0];
  if (json.format?.format_name !== 'wav' || s?.codec_name !== 'pcm_alaw' || s.sample_rate !== '8000' || s.channels !== 1) {
    throw new Error(`ffprobe does not see ${file} as A-law 8 kHz mono WAV: ${stdout.slice(0, 300)}`);
  }
}

const bench: Bench = {
  name: 'check',
  title: 'check: checkFiles() vs a plain synchronous read, and vs one ffprobe process per file',
  async run({ workDir, log }) {
    const reference = await plainReadPhase(workDir, log);
    if (process.env.BENCH_CHECK_QUICK === '1') return reference;
    log('');
    const fileCount = envInt('BENCH_CHECK_FILES', 2000);
    const sampleCount = Math.min(fileCount, envInt('BENCH_FFPROBE_SAMPLE', 200));
    const runs = envInt('BENCH_CHECK_RUNS', 3);
    const warmupCount = Math.min(fileCount, 50);
    const parallelism = os.availableParallelism();
    const ffprobe = findFfprobe();

    // --- fixture: DISTINCT_CLIPS canonical prompts of 2-4 s, copied to fileCount names
    const promptsDir = path.join(workDir, 'prompts');
    await fs.mkdir(promptsDir, { recursive: true });
    const clips = Array.from({ length: DISTINCT_CLIPS }, (_, i) =>
      canonicalAlawPrompt(synthSpeechLike(2 + (2 * i) / (DISTINCT_CLIPS - 1), 1000 + i)),
    );
    const files = Array.from({ length: fileCount }, (_, i) => path.join(promptsDir, `prompt_${String(i).padStart(5, '0')}.wav`));
    const gen = await time(() => mapLimit(files, 32, (f, i) => fs.writeFile(f, clips[i % DISTINCT_CLIPS] as Buffer)));
    const totalBytes = files.reduce((n, _, i) => n + (clips[i % DISTINCT_CLIPS] as Buffer).length, 0);

    // Sanity: every distinct clip is a valid prompt with no warnings, and ffprobe agrees.
    const sanity = await checkFiles(files.slice(0, DISTINCT_CLIPS));
    for (const f of sanity.files) {
      if (!f.ok || f.warnings.length > 0) {
        throw new Error(`fixture ${f.path} is not a clean valid prompt: ${[...f.errors, ...f.warnings].map((x) => x.message).join(' | ')}`);
      }
    }

    // --- measured: checkFiles over the whole directory (walk + read + parse + decode + analyse)
    await checkFiles(files.slice(0, warmupCount));
    const checkMs: number[] = [];
    let peakRss = 0;
    let baselineRss = Infinity;
    for (let r = 0; r < runs; r++) {
      const { value, rss } = await withPeakRss(() => time(() => checkFiles([promptsDir])));
      const s = value.value.summary;
      if (s.total !== fileCount || s.passed !== fileCount || s.warnings !== 0) {
        throw new Error(`checkFiles run ${r + 1}: expected ${fileCount} clean passes, got ${JSON.stringify(s)}`);
      }
      checkMs.push(value.ms);
      peakRss = Math.max(peakRss, rss.peakBytes);
      baselineRss = Math.min(baselineRss, rss.baselineBytes);
    }
    const checkTotalMs = median(checkMs);
    const checkPerFileUs = (checkTotalMs * 1000) / fileCount;

    // --- alternative: ffprobe per file, on an evenly spaced sample
    const step = fileCount / sampleCount;
    const sample = Array.from({ length: sampleCount }, (_, i) => files[Math.floor(i * step)] as string);
    for (const f of sample.slice(0, 3)) await probe(ffprobe, f); // warm-up: binary and libraries into the page cache
    const seq = await time(async () => {
      for (const f of sample) await probe(ffprobe, f);
    });
    const par = await time(() => mapLimit(sample, parallelism, (f) => probe(ffprobe, f)));
    const seqPerFileUs = (seq.ms * 1000) / sampleCount;
    const parPerFileUs = (par.ms * 1000) / sampleCount;
    const seqRatio = seqPerFileUs / checkPerFileUs;
    const parRatio = parPerFileUs / checkPerFileUs;

    const fps = (perFileUs: number): string => `${int(1e6 / perFileUs)} files/s`;
    log(`fixture:     ${int(fileCount)} valid canonical prompts (${DISTINCT_CLIPS} distinct A-law 8 kHz clips, 2-4 s), ${mib(totalBytes)}, written in ${int(gen.ms)} ms`);
    log(`measured:    checkFiles([dir]) in-process (walk, read, parse, level analysis straight from the A-law codes)`);
    log(`             median of ${runs} run(s) after a ${warmupCount}-file warm-up; runs: ${checkMs.map((m) => `${fixed(m, 1)} ms`).join(', ')}`);
    log(`             per file ${us(checkPerFileUs)}   ${fps(checkPerFileUs)}   total ${fixed(checkTotalMs, 1)} ms`);
    log(`             peak RSS during checkFiles ${mib(peakRss)} (baseline ${mib(baselineRss)}, +${mib(Math.max(0, peakRss - baselineRss))})`);
    log(`alternative: ${path.basename(ffprobe)} -v error -show_streams -show_format -of json <file>, one process per file (${ffprobe})`);
    log(`             sequential, ${int(sampleCount)}-file sample: per file ${us(seqPerFileUs)}   ${fps(seqPerFileUs)}   ` +
      `${fixed(seq.ms / 1000, 2)} s measured, ~${fixed((seqPerFileUs * fileCount) / 1e6, 1)} s extrapolated to ${int(fileCount)}`);
    log(`             parallel x${parallelism} (os.availableParallelism()), same sample: per file ${us(parPerFileUs)}   ${fps(parPerFileUs)}   ` +
      `~${fixed((parPerFileUs * fileCount) / 1e6, 1)} s extrapolated`);
    log(`ratio:       ffprobe per-file cost / checkFiles per-file cost: sequential ${ratio(seqRatio)}, parallel x${parallelism} ${ratio(parRatio)}`);
    log(`             (the target is judged on the sequential ratio; the parallel one is the fairer wall-clock comparison)`);

    const chunks = await manyChunksPhase(workDir, log);

    return {
      targets: [
        ...reference.targets,
        ...chunks.targets,
        target({
          description: `sequential ffprobe per-file cost >= ${TARGET_RATIO}x checkFiles per-file cost`,
          metric: 'ratio_sequential',
          kind: 'min',
          threshold: TARGET_RATIO,
          actual: seqRatio,
        }),
      ],
      metrics: {
        files: fileCount,
        distinct_clips: DISTINCT_CLIPS,
        fixture_bytes: totalBytes,
        check_runs: runs,
        check_total_ms_median: checkTotalMs,
        check_total_ms_runs: checkMs.map((m) => fixed(m, 3)).join(','),
        check_per_file_us: checkPerFileUs,
        check_files_per_s: 1e6 / checkPerFileUs,
        check_peak_rss_bytes: peakRss,
        check_baseline_rss_bytes: baselineRss,
        ffprobe_path: ffprobe,
        ffprobe_sample: sampleCount,
        ffprobe_seq_total_ms: seq.ms,
        ffprobe_seq_per_file_us: seqPerFileUs,
        ffprobe_seq_files_per_s: 1e6 / seqPerFileUs,
        ffprobe_par_concurrency: parallelism,
        ffprobe_par_total_ms: par.ms,
        ffprobe_par_per_file_us: parPerFileUs,
        ffprobe_par_files_per_s: 1e6 / parPerFileUs,
        ratio_sequential: seqRatio,
        ratio_parallel: parRatio,
        ...reference.metrics,
        ...chunks.metrics,
      },
    };
  },
};

/** Issue #14: checkFiles at most this many times the plain synchronous read of the same files. */
const MAX_PLAIN_READ_RATIO = 2;

/** Every file of `dir` read whole with readFileSync, as the simplest script would: the floor for reading the bytes. */
function plainRead(dir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) bytes += readFileSync(path.join(dir, name)).length;
  return bytes;
}

/**
 * The same bytes read with the bare calls (open, fstat, read, close) into one reused
 * buffer: no allocation a file. The floor of reading them in Node, printed beside the target.
 */
function bareRead(dir: string): number {
  let bytes = 0;
  let buf = Buffer.allocUnsafe(1 << 16);
  for (const name of readdirSync(dir)) {
    const fd = openSync(path.join(dir, name), 'r');
    try {
      const size = fstatSync(fd).size;
      if (buf.length < size) buf = Buffer.allocUnsafe(size);
      bytes += readSync(fd, buf, 0, size, 0);
    } finally {
      closeSync(fd);
    }
  }
  return bytes;
}

/**
 * Wall and CPU (user + system, all threads of this process) time of one run, started after
 * a full GC: the plain read allocates a buffer a file (300 MB for 10,000), so without it
 * each side's time moved with the garbage the other left (0.25-0.9 s for the same read).
 */
async function timeCpu<T>(fn: () => Promise<T> | T): Promise<{ value: T; ms: number; cpuMs: number }> {
  gcIfExposed();
  const cpu = process.cpuUsage();
  const t = await time(fn);
  const used = process.cpuUsage(cpu);
  return { value: t.value, ms: t.ms, cpuMs: (used.user + used.system) / 1000 };
}

async function plainReadPhase(workDir: string, log: BenchContext['log']): Promise<BenchResult> {
  const quick = process.env.BENCH_CHECK_QUICK === '1';
  const fileCount = envInt('BENCH_CHECK_REF_FILES', quick ? 2000 : 10_000);
  const runs = envInt('BENCH_CHECK_REF_RUNS', quick ? 3 : 5);
  const loadBefore = os.loadavg();
  const dir = path.join(workDir, 'prompts-4s');
  await fs.mkdir(dir, { recursive: true });
  const clips = Array.from({ length: DISTINCT_CLIPS }, (_, i) => canonicalAlawPrompt(synthSpeechLike(4, 3000 + i)));
  const names = Array.from({ length: fileCount }, (_, i) => `prompt_${String(i).padStart(5, '0')}.wav`);
  const gen = await time(() => mapLimit(names, 32, (n, i) => fs.writeFile(path.join(dir, n), clips[i % DISTINCT_CLIPS] as Buffer)));
  const totalBytes = fileCount * (clips[0] as Buffer).length;

  // Warm-up: both read every file once (page cache, code compiled), and the fixture is checked clean.
  const expectBytes = plainRead(dir);
  if (expectBytes !== totalBytes) throw new Error(`plain read saw ${expectBytes} bytes, expected ${totalBytes}`);
  const clean = (await checkFiles([dir])).summary;
  if (clean.total !== fileCount || clean.passed !== fileCount || clean.warnings !== 0) {
    throw new Error(`4 s prompts: expected ${fileCount} clean passes, got ${JSON.stringify(clean)}`);
  }
  // Interleaved, and in alternating order, so drift in the machine's load hits both alike.
  const plain: { ms: number; cpuMs: number }[] = [];
  const bare: { ms: number; cpuMs: number }[] = [];
  const ours: { ms: number; cpuMs: number }[] = [];
  for (let r = 0; r < runs; r++) {
    const doPlain = async (): Promise<void> => {
      plain.push(await timeCpu(() => plainRead(dir)));
      bare.push(await timeCpu(() => bareRead(dir)));
    };
    const doOurs = async (): Promise<void> => {
      const t = await timeCpu(async () => (await checkFiles([dir])).summary);
      if (t.value.passed !== fileCount) throw new Error(`checkFiles run ${r + 1}: ${JSON.stringify(t.value)}`);
      // The times only: a report kept from run to run (10,000 files each) made every later
      // run, the plain read's too, trace it in each full GC.
      ours.push({ ms: t.ms, cpuMs: t.cpuMs });
    };
    if (r % 2 === 0) {
      await doPlain();
      await doOurs();
    } else {
      await doOurs();
      await doPlain();
    }
  }
  const plainMs = median(plain.map((p) => p.ms));
  const oursMs = median(ours.map((p) => p.ms));
  const plainCpu = median(plain.map((p) => p.cpuMs));
  const oursCpu = median(ours.map((p) => p.cpuMs));
  const bareMs = median(bare.map((p) => p.ms));
  const bareCpu = median(bare.map((p) => p.cpuMs));
  const wallRatio = oursMs / plainMs;
  const cpuRatio = oursCpu / plainCpu;
  const list = (xs: { ms: number }[]): string => xs.map((x) => `${int(x.ms)}`).join(', ');
  const loadAfter = os.loadavg();
  const load = (l: number[]): string => l.map((x) => fixed(x, 2)).join(' ');
  log(`machine:     ${os.availableParallelism()} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}; load average ${load(loadBefore)} before, ${load(loadAfter)} after`);
  log(`reference:   ${int(fileCount)} valid 4 s prompts (${DISTINCT_CLIPS} distinct clips), ${mib(totalBytes)}, written in ${int(gen.ms)} ms`);
  log(`             plain synchronous read (readdirSync, then readFileSync each file): median ${int(plainMs)} ms wall, ${int(plainCpu)} ms CPU; runs ${list(plain)} ms`);
  log(`             bare calls (open, fstat, read, close) into one reused buffer, not judged: median ${int(bareMs)} ms wall, ${int(bareCpu)} ms CPU; runs ${list(bare)} ms`);
  log(`measured:    checkFiles([dir]) (walk, read, judge, level analysis): median ${int(oursMs)} ms wall, ${int(oursCpu)} ms CPU, ${int((fileCount * 1000) / oursMs)} files/s; runs ${list(ours)} ms`);
  log(`ratio:       checkFiles / plain read: wall ${ratio(wallRatio)} (judged, target <= ${MAX_PLAIN_READ_RATIO}x), CPU ${ratio(cpuRatio)}`);
  log(`             (medians of ${runs} interleaved runs, each after a full GC; CPU is steadier than wall when other work shares the machine)`);
  // The plain read allocates a fresh 32 KB buffer a file: its time moves with the state of
  // the allocator and the heap (0.2-1.6 s for the same 10,000 files in one process).
  const plainMinMs = Math.min(...plain.map((p) => p.ms));
  const plainMinCpu = Math.min(...plain.map((p) => p.cpuMs));
  log(`             checkFiles / the fastest plain read: wall ${ratio(oursMs / plainMinMs)}, CPU ${ratio(oursCpu / plainMinCpu)} (the cautious reading)`);
  log(`             checkFiles / bare calls: wall ${ratio(oursMs / bareMs)}, CPU ${ratio(oursCpu / bareCpu)}`);
  return {
    targets: [
      target({
        description: `checkFiles over ${int(fileCount)} 4 s prompts <= ${MAX_PLAIN_READ_RATIO}x a plain synchronous read of the same files (wall, medians)`,
        metric: 'ref_ratio_wall',
        kind: 'max',
        threshold: MAX_PLAIN_READ_RATIO,
        actual: wallRatio,
      }),
    ],
    metrics: {
      ref_files: fileCount,
      ref_bytes: totalBytes,
      ref_runs: runs,
      ref_plain_ms_median: plainMs,
      ref_plain_cpu_ms_median: plainCpu,
      ref_bare_ms_median: bareMs,
      ref_bare_cpu_ms_median: bareCpu,
      ref_check_ms_median: oursMs,
      ref_check_cpu_ms_median: oursCpu,
      ref_ratio_wall: wallRatio,
      ref_ratio_cpu: cpuRatio,
      ref_ratio_wall_fastest_plain: oursMs / plainMinMs,
      ref_ratio_cpu_fastest_plain: oursCpu / plainMinCpu,
      ref_loadavg_before: loadBefore[0] as number,
      ref_loadavg_after: loadAfter[0] as number,
    },
  };
}

/** The issue's file: a valid prompt, then empty 8-byte chunks up to 1,999,998 bytes (~250,000 of them). */
const MANY_CHUNKS_BYTES = 1_999_998;
const SPARSE_BYTES = 1024 ** 3;
const CHUNK_IDS = ['JUNK', 'LIST', 'PAD ', 'bext', 'iXML', 'id3 ', 'cue ', 'smpl'];
/** Peak RSS over the phase's starting RSS allowed for 1,000 many-chunk files, and growth for the 1 GB file. */
const MAX_GROWTH_MIB = 160;
const MAX_SPARSE_GROWTH_MIB = 32;
/**
 * Peak RSS for 1,000 files may exceed that for 100 by no more than this: memory flat in file
 * count (16 files in flight hold ~32 MB of file bytes; the rest is when the GC runs).
 */
const MAX_COUNT_GROWTH_MIB = 64;

function manyChunksFile(variant: number): { bytes: Buffer; extra: number } {
  const prompt = canonicalAlawPrompt(synthSpeechLike(1, 2000 + variant));
  const extra = Math.floor((MANY_CHUNKS_BYTES - prompt.length) / 8);
  const bytes = Buffer.alloc(prompt.length + extra * 8);
  prompt.copy(bytes);
  for (let i = 0, pos = prompt.length; i < extra; i++, pos += 8) bytes.write(CHUNK_IDS[(i + variant) % CHUNK_IDS.length] as string, pos, 'latin1');
  bytes.writeUInt32LE(bytes.length - 8, 4);
  return { bytes, extra };
}

/** What `promptprep check --format json` does, into a sink that only counts: returns summary, bytes, largest write. */
async function jsonReport(inputs: string[]): Promise<{ failed: number; warnings: number; total: number; bytes: number; largestWrite: number }> {
  let bytes = 0;
  let largestWrite = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      largestWrite = Math.max(largestWrite, chunk.length);
      cb();
    },
  });
  const s = await writeCheckReport(checkFilesEach(inputs), 'json', sink);
  return { ...s, bytes, largestWrite };
}

async function manyChunksPhase(workDir: string, log: BenchContext['log']): Promise<BenchResult> {
  const fileCount = envInt('BENCH_CHECK_CHUNK_FILES', 1000);
  const small = Math.max(1, Math.floor(fileCount / 10));
  const dir = path.join(workDir, 'many-chunks');
  const smallDir = path.join(workDir, 'many-chunks-100');
  await fs.mkdir(dir, { recursive: true });
  await fs.mkdir(smallDir, { recursive: true });
  const variants = Array.from({ length: DISTINCT_CLIPS }, (_, v) => manyChunksFile(v));
  const extraPerFile = (variants[0] as { extra: number }).extra;
  const names = Array.from({ length: fileCount }, (_, i) => `chunks_${String(i).padStart(5, '0')}.wav`);
  const gen = await time(async () => {
    await mapLimit(names, 8, (n, i) => fs.writeFile(path.join(dir, n), (variants[i % DISTINCT_CLIPS] as { bytes: Buffer }).bytes));
    await mapLimit(names.slice(0, small), 8, (n, i) => fs.writeFile(path.join(smallDir, n), (variants[i % DISTINCT_CLIPS] as { bytes: Buffer }).bytes));
  });
  // 1 GB, sparse: a canonical header whose data chunk fills the file (no disk, no page cache).
  const sparse = path.join(workDir, 'sparse-1g.wav');
  const header = Buffer.from(canonicalAlawPrompt(new Int16Array(0)).subarray(0, 58));
  header.writeUInt32LE(SPARSE_BYTES - 8, 4);
  header.writeUInt32LE(SPARSE_BYTES - 58, 46);
  header.writeUInt32LE(SPARSE_BYTES - 58, 54);
  await fs.writeFile(sparse, header);
  await fs.truncate(sparse, SPARSE_BYTES);
  variants.length = 0; // the fixture's bytes are not part of what is measured

  await jsonReport([smallDir]); // warm-up: code paths compiled, the files in the page cache
  const few = await withPeakRss(() => time(() => jsonReport([smallDir])));
  const many = await withPeakRss(() => time(() => jsonReport([dir])));
  const big = await withPeakRss(() => time(() => checkFiles([sparse])));
  const m = many.value.value;
  if (m.total !== fileCount || m.failed !== 0 || m.warnings !== fileCount) {
    throw new Error(`many-chunk files: expected ${fileCount} passes with one warning each, got ${JSON.stringify(m)}`);
  }
  const sparseCheck = big.value.value.files[0];
  const sparseCodes = sparseCheck ? sparseCheck.errors.map((e) => e.code).join(',') : '';
  if (sparseCodes !== 'too-large') throw new Error(`1 GB file: expected too-large, got "${sparseCodes}"`);

  // Against the RSS before the first measured run: a later run's baseline still holds what
  // the GC has not yet returned.
  const start = few.rss.baselineBytes;
  const growthMany = Math.max(0, many.rss.peakBytes - start);
  const countGrowth = many.rss.peakBytes - few.rss.peakBytes;
  const growthSparse = Math.max(0, big.rss.peakBytes - big.rss.baselineBytes);
  const chunksPerS = (fileCount * extraPerFile) / (many.value.ms / 1000);
  log('');
  log(`many chunks: ${int(fileCount)} files of ${int(MANY_CHUNKS_BYTES)} bytes, each a 1 s prompt and ${int(extraPerFile)} empty chunks (${DISTINCT_CLIPS} distinct), written in ${int(gen.ms)} ms`);
  log(`measured:    checkFilesEach + writeCheckReport json (what \`check --format json\` runs), into a counting sink`);
  log(`             ${int(fileCount)} files: ${fixed(many.value.ms / 1000, 2)} s, ${int((fileCount * 1000) / many.value.ms)} files/s, ${int(chunksPerS)} chunks/s; report ${int(m.bytes)} bytes, largest write ${int(m.largestWrite)} bytes`);
  log(`             peak RSS ${mib(many.rss.peakBytes)} (+${mib(growthMany)} over ${mib(start)} before the first run)`);
  log(`             ${int(small)} files: peak RSS ${mib(few.rss.peakBytes)} in ${fixed(few.value.ms, 0)} ms; ${int(fileCount)} files peak ${countGrowth >= 0 ? '+' : '-'}${mib(Math.abs(countGrowth))} over it`);
  log(`             1 GB sparse file (header + data chunk to the end): ${fixed(big.value.ms, 1)} ms, peak RSS ${mib(big.rss.peakBytes)} (+${mib(growthSparse)}), verdict ${sparseCodes}`);
  return {
    targets: [
      target({
        description: `peak RSS checking ${int(fileCount)} many-chunk files (json report), over the RSS before, <= ${MAX_GROWTH_MIB} MiB`,
        metric: 'chunks_peak_rss_growth_mib',
        kind: 'max',
        threshold: MAX_GROWTH_MIB,
        actual: growthMany / 2 ** 20,
      }),
      target({
        description: `peak RSS for ${int(fileCount)} files minus peak RSS for ${int(small)} <= ${MAX_COUNT_GROWTH_MIB} MiB (flat in file count)`,
        metric: 'chunks_rss_growth_count_mib',
        kind: 'max',
        threshold: MAX_COUNT_GROWTH_MIB,
        actual: countGrowth / 2 ** 20,
      }),
      target({
        description: `peak RSS growth checking one 1 GB file <= ${MAX_SPARSE_GROWTH_MIB} MiB (flat in file size)`,
        metric: 'sparse_peak_rss_growth_mib',
        kind: 'max',
        threshold: MAX_SPARSE_GROWTH_MIB,
        actual: growthSparse / 2 ** 20,
      }),
    ],
    metrics: {
      chunks_files: fileCount,
      chunks_per_file: extraPerFile,
      chunks_total_ms: many.value.ms,
      chunks_per_s: chunksPerS,
      chunks_report_bytes: m.bytes,
      chunks_largest_write_bytes: m.largestWrite,
      chunks_peak_rss_bytes: many.rss.peakBytes,
      chunks_baseline_rss_bytes: many.rss.baselineBytes,
      chunks_peak_rss_growth_mib: growthMany / 2 ** 20,
      chunks_small_files: small,
      chunks_small_peak_rss_bytes: few.rss.peakBytes,
      chunks_rss_growth_count_mib: countGrowth / 2 ** 20,
      sparse_bytes: SPARSE_BYTES,
      sparse_ms: big.value.ms,
      sparse_peak_rss_bytes: big.rss.peakBytes,
      sparse_peak_rss_growth_mib: growthSparse / 2 ** 20,
    },
  };
}

export default bench;
