import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convertFiles } from '../src/convert/index.js';
import { getProfile } from '../src/profile.js';
import { convertTargets } from '../src/targets/convert.js';
import { resolveTargets } from '../src/targets/target.js';
import { ffmpegGenerate } from './lib/audio.js';
import { envInt } from './lib/env.js';
import { fixed, int, mib, ratio } from './lib/format.js';
import { gcIfExposed, withPeakRss, type RssSample } from './lib/memory.js';
import { mapLimit, median } from './lib/timing.js';
import { target, type Bench } from './lib/types.js';

/**
 * Issue 16's target: one run for three platforms (Huawei A-law, Asterisk 16-bit PCM, Amazon
 * Connect µ-law) over 200 short sources is at least 2x faster than three separate runs,
 * because each source is read and decoded once instead of three times; and its memory
 * stays flat as the batch grows (200 vs 1,000 sources). Both sides run in this process
 * through the library, with the same ffmpeg, options and output folders' file system.
 */

const TARGET_SPEEDUP = 2;
const MEMORY_MAX_RATIO = 1.5;
const PROFILES = ['huawei-privatenumber', 'asterisk', 'amazon-connect'];
const SOURCE_RATE = 44100;
const GEN_GROUP = 25;

/** Speech-like stereo MP3s, GEN_GROUP outputs per ffmpeg process. */
async function generate(dir: string, count: number, seconds: number): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const groups: number[][] = [];
  for (let i = 0; i < count; i += GEN_GROUP) groups.push(Array.from({ length: Math.min(GEN_GROUP, count - i) }, (_, k) => i + k));
  await mapLimit(groups, Math.max(1, os.availableParallelism()), async (group) => {
    const args: string[] = [];
    for (const i of group) {
      const f0 = 100 + ((i * 37) % 160);
      args.push('-f', 'lavfi', '-i', `aevalsrc=0.2*(0.5+0.5*sin(2*PI*4*t)^2)*sin(2*PI*${f0}*t)+0.02*(random(0)*2-1):s=${SOURCE_RATE}:d=${seconds}`);
    }
    group.forEach((i, k) => {
      args.push('-map', `${k}:a`, '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '128k');
      if (k < group.length - 1) args.push(path.join(dir, `p${String(i).padStart(5, '0')}.mp3`));
    });
    await ffmpegGenerate(path.join(dir, `p${String(group[group.length - 1]).padStart(5, '0')}.mp3`), args);
  });
}

const bench: Bench = {
  name: 'targets',
  title: 'convert for three platforms in one run vs three runs',
  async run({ workDir, log }) {
    const count = envInt('BENCH_TARGETS_FILES', 200);
    const memoryCount = envInt('BENCH_TARGETS_MEMORY_FILES', 1000);
    const seconds = envInt('BENCH_TARGETS_SECONDS', 4);
    const runs = envInt('BENCH_TARGETS_RUNS', 3);
    const profiles = PROFILES.map((id) => getProfile(id));
    const src = path.join(workDir, 'src');
    const big = path.join(workDir, 'src-big');
    log(`sources:     ${int(count)} x ${seconds} s stereo 44.1 kHz MP3 (and ${int(memoryCount)} for memory); targets ${PROFILES.join(', ')}`);
    await generate(src, count, seconds);

    let outs = 0;
    const fresh = (): string => path.join(workDir, `out-${outs++}`);
    const together = async (dir: string): Promise<{ ms: number; rss: RssSample }> => {
      const out = fresh();
      gcIfExposed();
      const t0 = performance.now();
      const { value, rss } = await withPeakRss(() => convertTargets([dir], { targets: resolveTargets(profiles, out), force: true }));
      const ms = performance.now() - t0;
      if (value.summary.failed > 0 || value.summary.converted !== value.files.length) {
        throw new Error(`the three-target run failed ${value.summary.failed} output(s): ${JSON.stringify(value.files.find((f) => f.status === 'failed'))}`);
      }
      await fs.rm(out, { recursive: true, force: true });
      return { ms, rss };
    };
    const separately = async (): Promise<number> => {
      const out = fresh();
      gcIfExposed();
      const t0 = performance.now();
      for (const profile of profiles) {
        const report = await convertFiles([src], { outDir: path.join(out, profile.id), profile, force: true });
        if (report.summary.failed > 0) throw new Error(`a separate ${profile.id} run failed ${report.summary.failed} file(s)`);
      }
      const ms = performance.now() - t0;
      await fs.rm(out, { recursive: true, force: true });
      return ms;
    };

    // Warm-up (ffmpeg located, features cached, page cache filled), then alternate the two.
    await together(src);
    const oneRun: number[] = [];
    const threeRuns: number[] = [];
    let rss200: RssSample | null = null;
    for (let i = 0; i < runs; i++) {
      const t = await together(src);
      oneRun.push(t.ms);
      rss200 = t.rss;
      threeRuns.push(await separately());
    }
    const speedup = median(threeRuns) / median(oneRun);
    log(`one run:     ${PROFILES.length} targets, median ${fixed(median(oneRun) / 1000, 2)} s (${oneRun.map((m) => fixed(m / 1000, 2)).join(', ')})`);
    log(`three runs:  median ${fixed(median(threeRuns) / 1000, 2)} s (${threeRuns.map((m) => fixed(m / 1000, 2)).join(', ')})`);
    log(`speed-up:    ${ratio(speedup)} (each source decoded once instead of ${PROFILES.length} times)`);

    await fs.rm(src, { recursive: true, force: true });
    await generate(big, memoryCount, seconds);
    const bigRun = await together(big);
    await fs.rm(big, { recursive: true, force: true });
    const grown = (r: RssSample): number => r.peakBytes - r.baselineBytes;
    const memRatio = rss200 ? bigRun.rss.peakBytes / rss200.peakBytes : NaN;
    if (rss200) {
      log(`peak RSS:    ${int(count)} sources ${mib(rss200.peakBytes)} (+${mib(grown(rss200))} over the start), ${int(memoryCount)} sources ${mib(bigRun.rss.peakBytes)} (+${mib(grown(bigRun.rss))}), ratio ${fixed(memRatio, 2)}x`);
    }
    return {
      targets: [
        target({ description: `three runs / one three-target run (${int(count)} sources) >= ${TARGET_SPEEDUP}`, metric: 'speedup', kind: 'min', threshold: TARGET_SPEEDUP, actual: speedup }),
        target({ description: `peak RSS ${int(memoryCount)} / ${int(count)} sources <= ${MEMORY_MAX_RATIO}`, metric: 'rssRatio', kind: 'max', threshold: MEMORY_MAX_RATIO, actual: memRatio }),
      ],
      metrics: {
        files: count,
        memoryFiles: memoryCount,
        oneRunMedianMs: median(oneRun),
        threeRunsMedianMs: median(threeRuns),
        speedup,
        peakRss200Bytes: rss200?.peakBytes ?? null,
        peakRssBigBytes: bigRun.rss.peakBytes,
        rssRatio: memRatio,
      },
    };
  },
};

export default bench;
