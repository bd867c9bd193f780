/**
 * Benchmark runner: `npm run bench` runs every registered bench, `npm run bench -- check`
 * only the named ones. Prints one block per bench, writes bench-work/results.json, and
 * exits 1 when a target is missed or a bench fails, 2 on a usage error.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchResult } from './lib/types.js';

// The registry: one line per bench. The module must `export default` a Bench whose name is the key.
const registry: Record<string, () => Promise<{ default: Bench }>> = {
  check: () => import('./check.bench.js'),
  convert: () => import('./convert.bench.js'),
  targets: () => import('./targets.bench.js'),
  watch: () => import('./watch.bench.js'),
  cec: () => import('./cec.bench.js'),
  ledger: () => import('./ledger.bench.js'),
  desk: () => import('./desk.bench.js'),
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workRoot = path.join(root, 'bench-work');

interface Outcome {
  name: string;
  title: string;
  pass: boolean;
  durationMs: number;
  error?: string;
  targets: BenchResult['targets'];
  metrics: BenchResult['metrics'];
}

function usage(): string {
  return `usage: npm run bench [-- <bench>...]\n       npm run bench -- --list\nbenches: ${Object.keys(registry).join(', ')}`;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    return 0;
  }
  if (argv.includes('--list')) {
    for (const name of Object.keys(registry)) console.log(`${name}\t${(await registry[name]!()).default.title}`);
    return 0;
  }
  const unknown = argv.filter((a) => !Object.hasOwn(registry, a));
  if (unknown.length > 0) {
    console.error(`unknown bench or option: ${unknown.join(', ')}\n${usage()}`);
    return 2;
  }
  const selected = argv.length > 0 ? [...new Set(argv)] : Object.keys(registry);

  console.log(`promptprep bench: ${selected.join(', ')}`);
  console.log(`node ${process.version}, ${os.platform()} ${os.arch()}, ${os.availableParallelism()} CPU(s) (${os.cpus()[0]?.model ?? 'unknown'}), gc ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'exposed' : 'not exposed'}`);

  const outcomes: Outcome[] = [];
  for (const name of selected) {
    const started = process.hrtime.bigint();
    let title = name;
    console.log('');
    try {
      const bench = (await registry[name]!()).default;
      if (bench.name !== name) throw new Error(`registry key "${name}" loads a bench named "${bench.name}"`);
      title = bench.title;
      console.log(`=== ${bench.title} ===`);
      const workDir = path.join(workRoot, name);
      await fs.rm(workDir, { recursive: true, force: true });
      await fs.mkdir(workDir, { recursive: true });
      const result = await bench.run({ root, workDir, log: (line = '') => console.log(`  ${line}`) });
      const pass = result.targets.every((t) => t.pass);
      for (const t of result.targets) {
        console.log(`  target:      ${t.description}: ${t.pass ? 'PASS' : 'FAIL'} (${t.metric} = ${Number.isInteger(t.actual) ? t.actual : t.actual.toFixed(2)}, ${t.kind === 'min' ? '>=' : '<='} ${t.threshold})`);
      }
      console.log(`  result:      ${pass ? 'PASS' : 'FAIL'}`);
      outcomes.push({ name, title, pass, durationMs: elapsedMs(started), targets: result.targets, metrics: result.metrics });
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      console.log(`  result:      FAIL (the bench did not complete)\n  ${message.replace(/\n/g, '\n  ')}`);
      outcomes.push({ name, title, pass: false, durationMs: elapsedMs(started), error: message, targets: [], metrics: {} });
    }
  }

  const pass = outcomes.every((o) => o.pass);
  const results = {
    generatedAt: new Date().toISOString(),
    pass,
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      cpus: os.availableParallelism(),
      cpuModel: os.cpus()[0]?.model ?? null,
      totalMemBytes: os.totalmem(),
    },
    benches: outcomes,
  };
  await fs.mkdir(workRoot, { recursive: true });
  const resultsPath = path.join(workRoot, 'results.json');
  await fs.writeFile(resultsPath, JSON.stringify(results, null, 2) + '\n');

  console.log('');
  console.log(`${pass ? 'PASS' : 'FAIL'}: ${outcomes.filter((o) => o.pass).length}/${outcomes.length} bench(es) met their targets; results in ${path.relative(process.cwd(), resultsPath) || resultsPath}`);
  return pass ? 0 : 1;
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 2;
  },
);
