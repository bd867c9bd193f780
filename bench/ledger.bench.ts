import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Ledger, statusRowFor, type StatusRow, type VersionRow } from '../src/ledger/ledger.js';
import { SCENES } from '../src/scenes.js';
import { envInt } from './lib/env.js';
import { fixed, int, ratio } from './lib/format.js';
import { median, time } from './lib/timing.js';
import { target, type Bench } from './lib/types.js';

/**
 * Issue target: `status` on 10,000 prompts answers in well under a second. Judged on the
 * library call (`Ledger.status`, one query) and on the whole CLI process
 * (`node dist/cli.cjs status --json`), beside the plain alternative: one query per prompt.
 */

const PLATFORM = 'huawei-console';
const LIBRARY_TARGET_MS = 500;
const CLI_TARGET_MS = 1500;
const execFileP = promisify(execFile);


/** 10,000 prompts in every state, some with 2-3 versions, built through the library in one transaction. */
function buildLedger(file: string, prompts: number): { versions: number; events: number; states: Record<string, number> } {
  let t = Date.parse('2026-01-05T08:00:00.000Z');
  const ledger = Ledger.open(file, { now: () => new Date((t += 1000)) });
  try {
    const step = (name: string, number: number, to: 'awaiting-upload' | 'in-review' | 'approved' | 'rejected') =>
      ledger.transition({ name, version: number, platform: PLATFORM, to, actor: 'bench' });
    const prepare = (name: string, i: number, v: number, scene: string) =>
      ledger.recordPrepared({ name, sha256: `${i}:${v}`.padEnd(64, '0'), bytes: 16058, durationSeconds: 2, filePath: `/prompts/${name}`, scene, description: `prompt ${i}`, actor: 'bench' }).version;
    const upload = (v: VersionRow, to: 'in-review' | 'approved' | 'rejected' | 'awaiting-upload') => {
      ledger.assignPlatformName(v.versionId, PLATFORM, 128, '.wav');
      step(v.name, v.number, 'awaiting-upload');
      if (to === 'awaiting-upload') return;
      step(v.name, v.number, 'in-review');
      if (to !== 'in-review') step(v.name, v.number, to);
    };
    ledger.db.transaction(() => {
      for (let i = 0; i < prompts; i++) {
        const name = `prompt_${String(i).padStart(5, '0')}.wav`;
        const scene = SCENES[i % SCENES.length] as string;
        const v1 = prepare(name, i, 1, scene);
        const kind = i % 20;
        if (kind < 3) continue; // prepared
        if (kind < 6) upload(v1, 'awaiting-upload');
        else if (kind < 10) upload(v1, 'in-review');
        else if (kind < 12) upload(v1, 'rejected');
        else if (kind < 16) upload(v1, 'approved');
        else {
          // A replacement: version 2 in review, or approved (version 1 superseded) with a version 3 prepared.
          upload(v1, 'approved');
          const v2 = prepare(name, i, 2, scene);
          upload(v2, kind < 18 ? 'in-review' : 'approved');
          if (kind >= 18) prepare(name, i, 3, scene);
        }
      }
    })();
    const n = (sql: string) => (ledger.db.prepare(sql).get() as { n: number }).n;
    const states: Record<string, number> = {};
    for (const r of ledger.status({ platform: PLATFORM })) states[r.state] = (states[r.state] ?? 0) + 1;
    return { versions: n('SELECT count(*) AS n FROM versions'), events: n('SELECT count(*) AS n FROM events'), states };
  } finally {
    ledger.close();
  }
}

/** The plain way: list the prompts, then one query per prompt for its versions (N+1 queries). */
function naiveStatus(ledger: Ledger, now: Date): StatusRow[] {
  const names = ledger.db.prepare('SELECT name FROM prompts ORDER BY name').all() as { name: string }[];
  const out: StatusRow[] = [];
  for (const { name } of names) {
    const group = ledger.versions(name, PLATFORM);
    if (group.length === 0) continue;
    out.push(statusRowFor(group, now, 1));
  }
  return out;
}

const bench: Bench = {
  name: 'ledger',
  title: 'ledger: status on 10,000 prompts (one query) vs one query per prompt, and the CLI',
  async run({ root, workDir, log }) {
    const prompts = envInt('BENCH_LEDGER_PROMPTS', 10_000);
    const runs = envInt('BENCH_LEDGER_RUNS', 5);
    const cli = path.join(root, 'dist', 'cli.cjs');
    if (!existsSync(cli)) {
      log('dist/cli.cjs is missing: building it (npm run build)');
      await execFileP('npm', ['run', 'build'], { cwd: root });
    }

    // --- fixture
    const file = path.join(workDir, 'ledger.sqlite');
    const built = await time(() => buildLedger(file, prompts));
    const states = Object.entries(built.value.states)
      .map(([s, n]) => `${s} ${int(n)}`)
      .join(', ');
    log(`fixture:     ${int(prompts)} prompts, ${int(built.value.versions)} versions, ${int(built.value.events)} events, built through the library in one transaction in ${int(built.ms)} ms`);
    log(`             latest versions: ${states}`);

    // --- library: Ledger.status, one query
    const now = new Date('2026-01-20T12:00:00.000Z');
    const ledger = Ledger.open(file, { readonly: true, now: () => now });
    let libMs: number[];
    let naiveMs: number[];
    try {
      const warm = ledger.status({ platform: PLATFORM });
      if (warm.length !== prompts) throw new Error(`status returned ${warm.length} rows, expected ${prompts}`);
      libMs = [];
      for (let i = 0; i < runs; i++) libMs.push((await time(() => ledger.status({ platform: PLATFORM, overdueWorkingDays: 1 }))).ms);
      // --- alternative: N+1 queries, same rows
      const naiveRows = naiveStatus(ledger, now);
      const same = naiveRows.every((r, i) => r.name === warm[i]?.name && r.state === warm[i]?.state && r.version === warm[i]?.version && r.inUse?.platformName === warm[i]?.inUse?.platformName);
      if (!same || naiveRows.length !== warm.length) throw new Error('the per-prompt alternative does not give the same rows');
      naiveMs = [];
      for (let i = 0; i < runs; i++) naiveMs.push((await time(() => naiveStatus(ledger, now))).ms);
    } finally {
      ledger.close();
    }
    const lib = median(libMs);
    const naive = median(naiveMs);
    log(`measured:    Ledger.status({ platform }) in-process, median of ${runs} after a warm-up: ${fixed(lib, 1)} ms (runs: ${libMs.map((m) => fixed(m, 1)).join(', ')})`);
    log(`alternative: SELECT the names, then Ledger.versions(name) per prompt (${int(prompts + 1)} queries): ${fixed(naive, 1)} ms (runs: ${naiveMs.map((m) => fixed(m, 1)).join(', ')})`);
    log(`ratio:       per-prompt queries / one query: ${ratio(naive / lib)}`);

    // --- the CLI, a whole process
    const cliMs: number[] = [];
    let bytes = 0;
    for (let i = 0; i < runs; i++) {
      const r = await time(() => execFileP(process.execPath, [cli, 'status', '--json', '--ledger', file], { cwd: workDir, maxBuffer: 256 * 1024 * 1024 }));
      const parsed = JSON.parse(r.value.stdout) as { prompts: unknown[] };
      if (parsed.prompts.length !== prompts) throw new Error(`the CLI listed ${parsed.prompts.length} prompts, expected ${prompts}`);
      bytes = r.value.stdout.length;
      cliMs.push(r.ms);
    }
    const startup: number[] = [];
    for (let i = 0; i < 3; i++) startup.push((await time(() => execFileP(process.execPath, [cli, '--version'], { cwd: workDir }))).ms);
    const cliMed = median(cliMs);
    const startupMed = median(startup);
    log(`measured:    node dist/cli.cjs status --json --ledger <file>, wall time, median of ${runs}: ${fixed(cliMed, 1)} ms (runs: ${cliMs.map((m) => fixed(m, 0)).join(', ')}), ${int(bytes / 1024)} KiB of JSON`);
    log(`             of which process start-up (node dist/cli.cjs --version, median of 3): ${fixed(startupMed, 1)} ms`);

    return {
      targets: [
        target({ description: `Ledger.status on ${int(prompts)} prompts, median ms`, metric: 'library_status_ms', kind: 'max', threshold: LIBRARY_TARGET_MS, actual: lib }),
        target({ description: `node dist/cli.cjs status --json on ${int(prompts)} prompts, median wall ms`, metric: 'cli_status_ms', kind: 'max', threshold: CLI_TARGET_MS, actual: cliMed }),
      ],
      metrics: {
        prompts,
        versions: built.value.versions,
        events: built.value.events,
        build_ms: built.ms,
        library_status_ms: lib,
        naive_status_ms: naive,
        naive_over_library: naive / lib,
        cli_status_ms: cliMed,
        cli_startup_ms: startupMed,
        cli_json_bytes: bytes,
      },
    };
  },
};

export default bench;
