import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ffmpegEnv } from '../../src/ffmpeg-env.js';
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
 * Beside the short-prompt ratios, ffmpeg alone: the decode commands our CLI ran, recorded
 * once and run again `<jobs>` at a time with nothing else (no probe, no check, no write).
 * That is the floor of our time while the decode graphs stay as they are, so it shows how
 * much of the gap to the limit is ffmpeg's (each source its own decoder and resampler,
 * which is what keeps a prompt byte-identical to one converted alone) and how much ours.
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

/**
 * Runs the CLI once with FFMPEG_PATH pointing at a wrapper that writes each call's
 * arguments to a file, then runs the real ffmpeg; returns the decode commands (the calls
 * with a filtergraph: feature probes are left out), in the order they started.
 */
async function recordDecodes(ctx: LimitsContext, dir: string, expected: number, label: string): Promise<string[][]> {
  const recordDir = path.join(ctx.workDir, `recorded-${label}`);
  await fs.rm(recordDir, { recursive: true, force: true });
  await fs.mkdir(recordDir, { recursive: true });
  const wrapper = path.join(ctx.workDir, 'ffmpeg-recorder.sh');
  // One file a call, named by the time in ns (the order they started) and the pid (two calls in the same ns).
  await fs.writeFile(wrapper, '#!/usr/bin/env bash\nprintf \'%s\\0\' "$@" > "$PROMPTPREP_BENCH_RECORD/$(date +%s%N)-$$.args"\nexec "$PROMPTPREP_BENCH_FFMPEG" "$@"\n', { mode: 0o755 });
  await convertRun({ ...ctx, env: { ...ctx.env, FFMPEG_PATH: wrapper, PROMPTPREP_BENCH_RECORD: recordDir, PROMPTPREP_BENCH_FFMPEG: ctx.ffmpeg } }, dir, expected, []);
  const names = (await fs.readdir(recordDir)).filter((n) => n.endsWith('.args')).sort((a, b) => BigInt(a.split('-')[0] as string) < BigInt(b.split('-')[0] as string) ? -1 : 1);
  const commands: string[][] = [];
  for (const n of names) {
    const args = (await fs.readFile(path.join(recordDir, n), 'utf8')).split('\0').slice(0, -1);
    if (args.includes('-filter_complex')) commands.push(args);
  }
  await fs.rm(recordDir, { recursive: true, force: true });
  if (commands.length === 0) throw new Error(`recording the decode commands of a run over ${dir} found none`);
  return commands;
}

/**
 * The recorded commands run again, `jobs` at a time as our CLI runs them, each output
 * (every `file:` argument after the filtergraph) sent to a scratch folder; stderr is read
 * as the CLI reads it. Same environment as the CLI gives ffmpeg (ffmpeg-env.ts).
 */
async function replayDecodes(ctx: LimitsContext, commands: string[][], label: string): Promise<Measured> {
  const scratch = path.join(ctx.workDir, `replay-${label}`);
  await fs.rm(scratch, { recursive: true, force: true });
  await fs.mkdir(scratch, { recursive: true });
  const env = ffmpegEnv(ctx.env);
  const prepared = commands.map((args, k) => {
    const graphAt = args.indexOf('-filter_complex') + 1;
    const outputs: string[] = [];
    const replayed = args.map((a, i) => {
      if (i <= graphAt || !a.startsWith('file:')) return a;
      outputs.push(path.join(scratch, `${k}-${i}.raw`));
      return `file:${outputs[outputs.length - 1] as string}`;
    });
    return { args: ['-y', ...replayed], outputs };
  });
  let next = 0;
  const m = await measured(ctx.cpuNow, async () => {
    await Promise.all(
      Array.from({ length: ctx.jobs }, async () => {
        for (let k = next++; k < prepared.length; k = next++) {
          const { args, outputs } = prepared[k] as { args: string[]; outputs: string[] };
          const r = await run(ctx.ffmpeg, args, env);
          if (r.code !== 0) throw new Error(`replayed decode ${k} (${label}) exited ${r.code}: ${r.stderr.slice(-2000)}`);
          if (outputs.length === 0) throw new Error(`replayed decode ${k} (${label}) has no output file`);
          await Promise.all(outputs.map((o) => fs.rm(o, { force: true })));
        }
      }),
    );
  });
  await fs.rm(scratch, { recursive: true, force: true });
  return m;
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
  const alone = { short: [] as Measured[], large: [] as Measured[] };
  // The CLI's own start and finish with nothing to convert: the part of a run no source
  // pays for, which comes before the first ffmpeg starts.
  const emptyDir = path.join(ctx.workDir, 'limits-empty');
  await fs.mkdir(emptyDir, { recursive: true });
  const empty: Measured[] = [];
  // Warm-up: page cache, binaries, the CLI's code cache; and what ffmpeg is asked to do.
  await concatDecode(ctx, ctx.shortSources, 'warm');
  await convertRun(ctx, shortDir, ctx.shortSources.length, []);
  const decodes = {
    short: await recordDecodes(ctx, shortDir, ctx.shortSources.length, 'short'),
    large: await recordDecodes(ctx, largeDir, largeFiles.length, 'large'),
  };
  for (let r = 0; r < ctx.runs; r++) {
    rounds.short.ref.push(await concatDecode(ctx, ctx.shortSources, 'short'));
    rounds.short.ours.push(await convertRun(ctx, shortDir, ctx.shortSources.length, []));
    alone.short.push(await replayDecodes(ctx, decodes.short, 'short'));
    empty.push(await convertRun(ctx, emptyDir, 0, []));
    rounds.large.ref.push(await concatDecode(ctx, largeFiles, 'large'));
    rounds.large.ours.push(await convertRun(ctx, largeDir, largeFiles.length, []));
    alone.large.push(await replayDecodes(ctx, decodes.large, 'large'));
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
  // ffmpeg alone against the same decode limit, and with the CLI's empty run added: no
  // goal of their own, the floor of ours while each source keeps its own decoder.
  const emptyRun = med(empty);
  const floor = (what: string, k: 'short' | 'large'): { alone: number; floor: number } => {
    const a = med(rounds[k].ref);
    const b = med(alone[k]);
    ctx.log(`  ${what.padEnd(26)} ffmpeg alone ${s(b)} / decode limit ${s(a)} = ${fixed(b.ms / a.ms, 2)}x wall, ${fixed(b.cpuS / a.cpuS, 2)}x cpu (our ${decodes[k].length} decode commands replayed ${ctx.jobs} at a time, nothing else); runs ${runsText(alone[k])}`);
    ctx.log(`  ${''.padEnd(26)} floor: ffmpeg alone + the CLI converting an empty folder (${fixed(emptyRun.ms / 1000, 2)} s) = ${fixed((b.ms + emptyRun.ms) / a.ms, 2)}x the decode limit`);
    return { alone: b.ms / a.ms, floor: (b.ms + emptyRun.ms) / a.ms };
  };
  const shortRatio = line(`${int(ctx.shortSources.length)} short MP3s`, 'decode limit', 'short', SHORT_MAX_RATIO);
  const shortFloor = floor(`${int(ctx.shortSources.length)} short MP3s`, 'short');
  const largeRatio = line(`${int(largeFiles.length)} short MP3s`, 'decode limit', 'large', SHORT_MAX_RATIO);
  const largeFloor = floor(`${int(largeFiles.length)} short MP3s`, 'large');
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
      limit_short_ffmpeg_alone_ratio: shortFloor.alone,
      limit_large_ffmpeg_alone_ratio: largeFloor.alone,
      limit_short_floor_ratio: shortFloor.floor,
      limit_large_floor_ratio: largeFloor.floor,
      limit_short_ffmpeg_alone_ms: med(alone.short).ms,
      limit_empty_run_ms: emptyRun.ms,
      limit_large_ffmpeg_alone_ms: med(alone.large).ms,
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
