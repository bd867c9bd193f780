import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ledger } from '../src/ledger/ledger.js';
import { computePeaks } from '../src/desk/peaks.js';
import { SCENES } from '../src/scenes.js';
import { canonicalAlawPrompt, synthSpeechLike } from './lib/audio.js';
import { envInt } from './lib/env.js';
import { fixed, int, mib, ratio } from './lib/format.js';
import { watchProcessTree } from './lib/memory.js';
import { median, time } from './lib/timing.js';
import { target, type Bench } from './lib/types.js';

/**
 * Issue 15: `promptprep desk` over 5,000 prompts. The desk runs as users run it (the built
 * CLI, `desk --port 0`, its own process) on a ledger seeded through the library, with a
 * real prepared file behind every version. Measured from this process over loopback:
 * the prompt list (what the page loads first and after every change), the first byte of
 * a prompt's audio (what a click on play waits for), the peaks of a 250 s prompt (what
 * drawing the longest waveform waits for), and the server's memory. The reference is the
 * same rows read the CLI way, `status --json`, in the same run.
 */

const PLATFORM = 'huawei-console';
/** The longest prompt a 2,000,000-byte file holds: 249.99 s. */
const LONG_SECONDS = 249.99;
const PEAK_BUCKETS = 800;
const execFileP = promisify(execFile);

interface Seeded {
  ledgerFile: string;
  shortIds: number[];
  longId: number;
  states: Record<string, number>;
  fileBytes: number;
}

/** The prompts, a real canonical file each (0.5 s, all different), and one 249.99 s prompt; states spread as in a working project. */
async function seed(project: string, prompts: number): Promise<Seeded> {
  const dir = path.join(project, 'prompts');
  await fs.mkdir(dir, { recursive: true });
  const ledgerFile = path.join(project, '.promptprep', 'ledger.sqlite');
  await fs.mkdir(path.dirname(ledgerFile), { recursive: true });
  const files: { name: string; file: string; sha256: string; bytes: number; seconds: number }[] = [];
  let fileBytes = 0;
  const write = async (name: string, seconds: number, seedNo: number) => {
    const bytes = canonicalAlawPrompt(synthSpeechLike(seconds, seedNo));
    const file = path.join(dir, name);
    await fs.writeFile(file, bytes);
    fileBytes += bytes.length;
    files.push({ name, file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, seconds });
  };
  for (let i = 0; i < prompts - 1; i++) await write(`prompt_${String(i).padStart(5, '0')}.wav`, 0.5, i + 1);
  await write('long_prompt.wav', LONG_SECONDS, 424242);

  let t = Date.parse('2026-01-05T08:00:00.000Z');
  const ledger = Ledger.open(ledgerFile, { now: () => new Date((t += 1000)) });
  const ids: number[] = [];
  try {
    ledger.db.transaction(() => {
      files.forEach((f, i) => {
        const v = ledger.recordPrepared({
          name: f.name,
          sha256: f.sha256,
          bytes: f.bytes,
          durationSeconds: f.seconds,
          filePath: f.file,
          scene: SCENES[i % SCENES.length] as string,
          description: `prompt ${i}`,
          actor: 'bench',
        }).version;
        ids.push(v.versionId);
        const kind = i % 10;
        if (kind < 2) return; // prepared
        const step = (to: 'awaiting-upload' | 'in-review' | 'approved' | 'rejected') => ledger.transition({ name: f.name, version: v.number, platform: PLATFORM, to, actor: 'bench' });
        ledger.assignPlatformName(v.versionId, PLATFORM, 128, '.wav');
        step('awaiting-upload');
        if (kind < 4) return;
        step('in-review');
        if (kind < 6) return;
        step(kind < 8 ? 'approved' : 'rejected');
      });
    })();
    const states: Record<string, number> = {};
    for (const r of ledger.status({ platform: PLATFORM })) states[r.state] = (states[r.state] ?? 0) + 1;
    return { ledgerFile, shortIds: ids.slice(0, -1), longId: ids[ids.length - 1] as number, states, fileBytes };
  } finally {
    ledger.close();
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface Fetched {
  status: number;
  /** ms to the response's headers and first body bytes. */
  firstByteMs: number;
  /** ms to the last byte. */
  totalMs: number;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const start = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - start) / 1e6;
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      let firstByteMs = -1;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (firstByteMs < 0) firstByteMs = since();
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, firstByteMs: firstByteMs < 0 ? since() : firstByteMs, totalMs: since(), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Start `promptprep desk` on a free port in the project folder; resolves with its URL once it listens. */
async function startDesk(cli: string, project: string, ledgerFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'desk', '--port', '0', '--ledger', ledgerFile], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PROMPTPREP_DESK_TOKEN: '' } });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the desk did not say where it listens within 30 s:\n${out}\n${err}`)), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /(https?:\/\/[^\s)]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace(/\/$/, ''));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the desk exited (${code}) before listening:\n${out}\n${err}`));
    });
  });
  return { child, url };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat (fields 14-15, 100 ticks a second). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return ((f[11] ?? 0) + (f[12] ?? 0)) * 10;
}

function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const bench: Bench = {
  name: 'desk',
  title: "desk: 5,000 prompts: the list, a prompt's first byte of audio, a 250 s prompt's peaks, server memory; vs status --json",
  async run({ root, workDir, log }) {
    const prompts = envInt('BENCH_DESK_PROMPTS', 5000, 10);
    const runs = envInt('BENCH_DESK_RUNS', 7);
    const cli = path.join(root, 'dist', 'cli.cjs');
    if (!existsSync(cli)) {
      log('dist/cli.cjs is missing: building it (npm run build)');
      await execFileP('npm', ['run', 'build'], { cwd: root });
    }

    // --- fixture
    const project = path.join(workDir, 'project');
    const seeded = await time(() => seed(project, prompts));
    const s = seeded.value;
    log(`fixture:     ${int(prompts)} prompts (one of ${LONG_SECONDS} s, the rest 0.5 s), ${mib(s.fileBytes)} of prepared files, seeded through the library in ${int(seeded.ms)} ms`);
    log(`             states: ${Object.entries(s.states).map(([k, n]) => `${k} ${int(n)}`).join(', ')}`);

    // --- reference: the same rows the CLI way, a whole process, in this run
    const statusMs: number[] = [];
    let statusPeak = 0;
    for (let i = 0; i < runs; i++) {
      const child = execFile(process.execPath, [cli, 'status', '--json', '--ledger', s.ledgerFile], { cwd: project, maxBuffer: 256 * 1024 * 1024 });
      const watch = watchProcessTree(child.pid!, 10);
      const r = await time(
        () =>
          new Promise<string>((resolve, reject) => {
            let stdout = '';
            child.stdout!.on('data', (c: string) => (stdout += c));
            child.once('close', (code) => (code === 0 || code === 1 ? resolve(stdout) : reject(new Error(`status --json exited ${code}`))));
          }),
      );
      statusPeak = Math.max(statusPeak, watch.stop().rootHwmBytes);
      const rows = (JSON.parse(r.value) as { prompts: unknown[] }).prompts.length;
      if (rows !== prompts) throw new Error(`status --json listed ${rows} prompts, expected ${prompts}`);
      statusMs.push(r.ms);
    }
    const statusMed = median(statusMs);
    log(`reference:   node dist/cli.cjs status --json, wall time, median of ${runs}: ${fixed(statusMed, 1)} ms (runs: ${statusMs.map((m) => fixed(m, 0)).join(', ')}); its peak RSS ${mib(statusPeak)}`);

    // --- the desk
    const started = await time(() => startDesk(cli, project, s.ledgerFile));
    const { child, url } = started.value;
    try {
      const pid = child.pid!;
      const idleRss = rssOf(pid);
      log(`desk:        ${url}, listening ${int(started.ms)} ms after spawn, RSS ${mib(idleRss)} idle`);
      const watch = watchProcessTree(pid, 50);

      // The prompt list.
      const first = await get(`${url}/api/prompts`);
      if (first.status !== 200) throw new Error(`GET /api/prompts answered ${first.status}: ${first.body.toString().slice(0, 300)}`);
      const listed = (JSON.parse(first.body.toString()) as { prompts: unknown[] }).prompts.length;
      if (listed !== prompts) throw new Error(`the desk listed ${listed} prompts, expected ${prompts}`);
      const listMs: number[] = [];
      let cpu0 = cpuMsOf(pid);
      for (let i = 0; i < runs; i++) listMs.push((await get(`${url}/api/prompts`)).totalMs);
      // The server's own CPU time per answer: its share of the work, whatever else the machine runs.
      const listCpu = (cpuMsOf(pid) - cpu0) / runs;
      const listMed = median(listMs);
      log(`measured:    GET /api/prompts (${int(prompts)} rows, ${int(first.body.length / 1024)} KiB), to the last byte over loopback, median of ${runs} after the first (${fixed(first.totalMs, 0)} ms): ${fixed(listMed, 1)} ms (runs: ${listMs.map((m) => fixed(m, 0)).join(', ')}); server CPU ${fixed(listCpu, 0)} ms an answer`);

      // The first byte of a prompt's audio, as a player asks for it: a different prompt each time.
      const step = Math.max(1, Math.floor(s.shortIds.length / runs));
      const firstByte: number[] = [];
      for (let i = 0; i < runs; i++) {
        const id = s.shortIds[(i * step + 17) % s.shortIds.length]!;
        const r = await get(`${url}/api/versions/${id}/audio`, { range: 'bytes=0-' });
        if (r.status !== 206 && r.status !== 200) throw new Error(`GET /api/versions/${id}/audio answered ${r.status}: ${r.body.toString().slice(0, 300)}`);
        if (r.body.toString('latin1', 0, 4) !== 'RIFF') throw new Error(`the audio of version ${id} is not a WAV`);
        firstByte.push(r.firstByteMs);
      }
      const firstByteMed = median(firstByte);
      const longAudio = await get(`${url}/api/versions/${s.longId}/audio`, { range: 'bytes=0-' });
      const seek = await get(`${url}/api/versions/${s.longId}/audio`, { range: `bytes=${44 + 2 * 8000 * 200}-` });
      if (seek.status !== 206) throw new Error(`a seek into the long prompt answered ${seek.status}`);
      log(`measured:    first byte of a 0.5 s prompt's audio (PCM WAV, Range: bytes=0-), median of ${runs} prompts: ${fixed(firstByteMed, 1)} ms (runs: ${firstByte.map((m) => fixed(m, 1)).join(', ')})`);
      log(`             the ${LONG_SECONDS} s prompt: first byte ${fixed(longAudio.firstByteMs, 1)} ms, all ${mib(longAudio.body.length)} in ${fixed(longAudio.totalMs, 0)} ms; a seek to 200 s: first byte ${fixed(seek.firstByteMs, 1)} ms`);

      // The peaks of the 250 s prompt.
      const peaksUrl = `${url}/api/versions/${s.longId}/peaks?buckets=${PEAK_BUCKETS}`;
      const p0 = await get(peaksUrl);
      if (p0.status !== 200) throw new Error(`GET peaks answered ${p0.status}: ${p0.body.toString().slice(0, 300)}`);
      const peaksMs: number[] = [];
      cpu0 = cpuMsOf(pid);
      for (let i = 0; i < runs; i++) peaksMs.push((await get(peaksUrl)).totalMs);
      const peaksCpu = (cpuMsOf(pid) - cpu0) / runs;
      const peaksMed = median(peaksMs);
      const longBytes = await fs.readFile(path.join(project, 'prompts', 'long_prompt.wav'));
      const inProcess: number[] = [];
      for (let i = 0; i < runs; i++) inProcess.push((await time(() => computePeaks(longBytes.subarray(58), 8000, PEAK_BUCKETS))).ms);
      log(`measured:    GET peaks of the ${LONG_SECONDS} s prompt (${PEAK_BUCKETS} buckets, ${int(p0.body.length / 1024)} KiB), median of ${runs}: ${fixed(peaksMed, 1)} ms (first ${fixed(p0.totalMs, 0)} ms), server CPU ${fixed(peaksCpu, 0)} ms an answer; computePeaks alone in-process: ${fixed(median(inProcess), 1)} ms`);

      const mem = watch.stop();
      const afterRss = rssOf(pid);
      log(`memory:      desk RSS ${mib(idleRss)} idle, ${mib(afterRss)} after the runs, peak ${mib(mem.rootHwmBytes)} (status --json peaks at ${mib(statusPeak)})`);
      log(`ratios:      list / status --json: ${ratio(listMed / statusMed)} of the time; desk peak RSS / status --json peak RSS: ${ratio(mem.rootHwmBytes / statusPeak)}`);

      return {
        targets: [
          target({ description: `GET /api/prompts on ${int(prompts)} prompts / status --json on the same ledger, median wall time`, metric: 'list_over_status_cli', kind: 'max', threshold: 1, actual: listMed / statusMed }),
          target({ description: `GET /api/prompts on ${int(prompts)} prompts, server CPU ms an answer`, metric: 'list_server_cpu_ms', kind: 'max', threshold: 500, actual: listCpu }),
          target({ description: "first byte of a prompt's audio, median ms", metric: 'audio_first_byte_ms', kind: 'max', threshold: 50, actual: firstByteMed }),
          target({ description: `peaks of the ${LONG_SECONDS} s prompt, server CPU ms an answer`, metric: 'peaks_250s_server_cpu_ms', kind: 'max', threshold: 250, actual: peaksCpu }),
          target({ description: 'desk server peak RSS, MiB', metric: 'desk_peak_rss_mib', kind: 'max', threshold: 256, actual: mem.rootHwmBytes / (1024 * 1024) }),
        ],
        metrics: {
          prompts,
          seed_ms: seeded.ms,
          status_cli_ms: statusMed,
          status_cli_peak_rss_bytes: statusPeak,
          desk_start_ms: started.ms,
          list_ms: listMed,
          list_server_cpu_ms: listCpu,
          list_first_ms: first.totalMs,
          list_bytes: first.body.length,
          list_over_status_cli: listMed / statusMed,
          audio_first_byte_ms: firstByteMed,
          long_audio_first_byte_ms: longAudio.firstByteMs,
          long_audio_seek_first_byte_ms: seek.firstByteMs,
          peaks_250s_ms: peaksMed,
          peaks_250s_server_cpu_ms: peaksCpu,
          peaks_250s_in_process_ms: median(inProcess),
          desk_idle_rss_bytes: idleRss,
          desk_rss_after_bytes: afterRss,
          desk_peak_rss_bytes: mem.rootHwmBytes,
        },
      };
    } finally {
      await stop(child);
      agent.destroy();
    }
  },
};

export default bench;
