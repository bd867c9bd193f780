import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkFiles } from '../src/check.js';
import { envInt } from './lib/env.js';
import { canonicalAlawPrompt, synthSpeechLike } from './lib/audio.js';
import { fixed, int, mib, ratio, us } from './lib/format.js';
import { withPeakRss } from './lib/memory.js';
import { mapLimit, median, time } from './lib/timing.js';
import { findFfprobe, run } from './lib/tools.js';
import { target, type Bench } from './lib/types.js';

/**
 * Issue target: on 2,000 valid prompts, checkFiles' per-file cost is at least 50x lower
 * than running ffprobe once per file, both measured in the same run.
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
  title: 'check: checkFiles() vs one ffprobe process per file',
  async run({ workDir, log }) {
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
    log(`measured:    checkFiles([dir]) in-process (walk, read, parse, level analysis straight from the A-law codes; default concurrency 16)`);
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

    return {
      targets: [
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
      },
    };
  },
};

export default bench;
