import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fixed, int } from './format.js';
import { linkSources } from './convert-memory.js';
import { median } from './timing.js';
import { target, type BenchTarget } from './types.js';

/**
 * convert against the limits of issue 14, each measured in the same run as ours:
 * - short prompts (200, 2,000): the decode+resample limit, `<jobs>` ffmpeg processes reading
 *   the same files through the concat demuxer (one decoder and one resampler each, no
 *   per-file outputs, no verification, nothing written): goal ours <= 1.5x;
 * - long sources (20 of five minutes, `--max-bytes 2500000` so they fit): the plain loop,
 *   `xargs -P <jobs>` running one ffmpeg per file: goal ours <= 1.0x.
 * Rounds are interleaved (reference, ours, reference, ours...) and medians compared, so a
 * machine busy with other work slows both sides alike.
 */

export const SHORT_MAX_RATIO = 1.5;
export const LONG_MAX_RATIO = 1.0;

export interface Measured {
  ms: number;
  cpuS: number;
}

export interface LimitsContext {
  ffmpeg: string;
  cli: string;
  env: NodeJS.ProcessEnv;
  workDir: string;
  jobs: number;
  runs: number;
  /** Our decode filter chain (the reference decodes with the same one). */
  filters: string;
  /** The distinct short sources (200); the 2,000 run links them under distinct names. */
  shortSources: string[];
  largeCount: number;
  /** Long sources, made by the caller. */
  longSources: string[];
  /** The plain loop over a folder, as the rest of the bench runs it. */
  loop: (dir: string, expected: number) => Promise<Measured>;
  /** CPU seconds of this process and its reaped children (null off Linux). */
  cpuNow: () => number | null;
  log: (line?: string) => void;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function measured(cpuNow: () => number | null, fn: () => Promise<void>): Promise<Measured> {
  const cpu0 = cpuNow();
  const start = process.hrtime.bigint();
  await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu1 = cpuNow();
  return { ms, cpuS: cpu0 === null || cpu1 === null ? NaN : cpu1 - cpu0 };
}

/** A concat demuxer list: `file '<path>'`, a `'` inside written as `'\''`. */
function concatList(files: string[]): string {
  return files.map((f) => `file '${f.replace(/'/g, "'\\''")}'\n`).join('');
}

/** The decode limit: the files split evenly over `jobs` ffmpeg processes, each decoding its share through the concat demuxer. */
async function concatDecode(ctx: LimitsContext, files: string[], label: string): Promise<Measured> {
  const lists: string[] = [];
  const per = Math.ceil(files.length / ctx.jobs);
  for (let j = 0; j < ctx.jobs; j++) {
    const share = files.slice(j * per, (j + 1) * per);
    if (share.length === 0) continue;
    const list = path.join(ctx.workDir, `concat-${label}-${j}.txt`);
    await fs.writeFile(list, concatList(share));
    lists.push(list);
  }
  return measured(ctx.cpuNow, async () => {
    const results = await Promise.all(
      lists.map((list) =>
        run(ctx.ffmpeg, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', list, '-af', ctx.filters, '-ac', '1', '-ar', '8000', '-c:a', 'pcm_alaw', '-f', 'null', '-'], ctx.env),
      ),
    );
    for (const r of results) if (r.code !== 0) throw new Error(`concat decode (${label}) exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  });
}

let outSeq = 0;

async function convertRun(ctx: LimitsContext, dir: string, expected: number, extra: string[]): Promise<Measured> {
  const out = path.join(ctx.workDir, 'out', `limits-${++outSeq}`);
  let result: { code: number | null; stdout: string; stderr: string } | undefined;
  const m = await measured(ctx.cpuNow, async () => {
    result = await run(process.execPath, [ctx.cli, 'convert', dir, '--out', out, '--no-progress', ...extra], ctx.env, ctx.workDir);
  });
  const r = result as { code: number | null; stdout: string; stderr: string };
  const converted = Number(/(\d+) converted/.exec(r.stdout.replace(/\u001b\[[0-9;]*m/g, ''))?.[1] ?? NaN);
  if (r.code !== 0 || converted !== expected) {
    throw new Error(`promptprep convert ${dir} ${extra.join(' ')}: exit ${r.code}, ${converted} converted, expected ${expected}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(0, 2000)}`);
  }
  await fs.rm(out, { recursive: true, force: true });
  return m;
}

const med = (m: Measured[]): Measured => ({ ms: median(m.map((x) => x.ms)), cpuS: median(m.map((x) => x.cpuS)) });

export interface LimitsResult {
  targets: BenchTarget[];
  metrics: Record<string, number>;
}

export async function measureLimits(ctx: LimitsContext): Promise<LimitsResult> {
  const shortDir = path.dirname(ctx.shortSources[0] as string);
  const largeDir = path.join(ctx.workDir, 'limits-large');
  const largeNames = await linkSources(ctx.shortSources, largeDir, ctx.largeCount);
  const largeFiles = largeNames.map((n) => path.join(largeDir, n));
  const longDir = path.dirname(ctx.longSources[0] as string);

  const rounds = { short: { ref: [] as Measured[], ours: [] as Measured[] }, large: { ref: [] as Measured[], ours: [] as Measured[] }, long: { ref: [] as Measured[], ours: [] as Measured[] } };
  // Warm-up: page cache, binaries, the CLI's code cache.
  await concatDecode(ctx, ctx.shortSources, 'warm');
  await convertRun(ctx, shortDir, ctx.shortSources.length, []);
  for (let r = 0; r < ctx.runs; r++) {
    rounds.short.ref.push(await concatDecode(ctx, ctx.shortSources, 'short'));
    rounds.short.ours.push(await convertRun(ctx, shortDir, ctx.shortSources.length, []));
    rounds.large.ref.push(await concatDecode(ctx, largeFiles, 'large'));
    rounds.large.ours.push(await convertRun(ctx, largeDir, largeFiles.length, []));
    rounds.long.ref.push(await ctx.loop(longDir, ctx.longSources.length));
    rounds.long.ours.push(await convertRun(ctx, longDir, ctx.longSources.length, ['--max-bytes', '2500000']));
  }
  const s = (m: Measured): string => `${fixed(m.ms / 1000, 2)} s (cpu ${Number.isFinite(m.cpuS) ? fixed(m.cpuS, 2) : 'n/a'} s)`;
  const runsText = (m: Measured[]): string => m.map((x) => fixed(x.ms / 1000, 2)).join(', ');
  const line = (what: string, ref: string, k: keyof typeof rounds, max: number): number => {
    const a = med(rounds[k].ref);
    const b = med(rounds[k].ours);
    const ratio = b.ms / a.ms;
    ctx.log(`  ${what.padEnd(26)} ours ${s(b)} / ${ref} ${s(a)} = ${fixed(ratio, 2)}x wall, ${fixed(b.cpuS / a.cpuS, 2)}x cpu (goal <= ${max}); runs ${runsText(rounds[k].ours)} / ${runsText(rounds[k].ref)}`);
    return ratio;
  };
  ctx.log(`limits:      issue 14's goals, median of ${ctx.runs} interleaved round(s); ours = the CLI with its default --jobs`);
  ctx.log(`             decode limit: ${ctx.jobs} ffmpeg -f concat -safe 0 -i <list> -af <our filter> -ac 1 -ar 8000 -c:a pcm_alaw -f null -, the files split evenly`);
  const shortRatio = line(`${int(ctx.shortSources.length)} short MP3s`, 'decode limit', 'short', SHORT_MAX_RATIO);
  const largeRatio = line(`${int(largeFiles.length)} short MP3s`, 'decode limit', 'large', SHORT_MAX_RATIO);
  const longRatio = line(`${ctx.longSources.length} long MP3s`, `xargs -P ${ctx.jobs}`, 'long', LONG_MAX_RATIO);
  return {
    targets: [
      target({ description: `CLI time / decode limit (concat demuxer) on ${ctx.shortSources.length} short MP3s <= ${SHORT_MAX_RATIO}`, metric: 'limit_short_ratio', kind: 'max', threshold: SHORT_MAX_RATIO, actual: shortRatio }),
      target({ description: `CLI time / decode limit (concat demuxer) on ${largeFiles.length} short MP3s <= ${SHORT_MAX_RATIO}`, metric: 'limit_large_ratio', kind: 'max', threshold: SHORT_MAX_RATIO, actual: largeRatio }),
      target({ description: `CLI time (--max-bytes 2500000) / xargs loop time on ${ctx.longSources.length} long MP3s <= ${LONG_MAX_RATIO}`, metric: 'limit_long_ratio', kind: 'max', threshold: LONG_MAX_RATIO, actual: longRatio }),
    ],
    metrics: {
      limit_short_ratio: shortRatio,
      limit_large_ratio: largeRatio,
      limit_long_ratio: longRatio,
      limit_short_ref_ms: med(rounds.short.ref).ms,
      limit_short_ours_ms: med(rounds.short.ours).ms,
      limit_large_ref_ms: med(rounds.large.ref).ms,
      limit_large_ours_ms: med(rounds.large.ours).ms,
      limit_long_ref_ms: med(rounds.long.ref).ms,
      limit_long_ours_ms: med(rounds.long.ours).ms,
    },
  };
}
