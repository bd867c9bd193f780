import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Build src/ into a private dist for CLI runs, so a dist/ being rebuilt by someone else
 * (another session, a test run) is never used or touched. Built as `npm run build` builds
 * dist/ (tsc, then the CLI bundle), so the bench times the CLI users run. `overrideVar` names an
 * environment variable that points at an existing cli.cjs instead.
 */
export async function buildPrivateCli(root: string, buildDir: string, overrideVar: string): Promise<{ cli: string; note: string }> {
  const override = process.env[overrideVar];
  if (override) {
    const cli = path.resolve(override);
    if (!existsSync(cli)) throw new Error(`${overrideVar} is "${override}", which does not exist.`);
    return { cli, note: `${cli} (${overrideVar})` };
  }
  const outDir = path.join(buildDir, 'dist');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir, '--declaration', 'false', '--sourceMap', 'false'];
  const result = await runNode(args);
  // version.ts reads ../package.json relative to the built module.
  await fs.copyFile(path.join(root, 'package.json'), path.join(buildDir, 'package.json'));
  if (!existsSync(path.join(outDir, 'index.js'))) throw new Error(`tsc -p tsconfig.build.json emitted no index.js:\n${result.output}`);
  const bundle = await runNode([path.join(root, 'scripts', 'build-cli.mjs'), outDir]);
  if (bundle.code !== 0) throw new Error(`scripts/build-cli.mjs failed:\n${bundle.output}`);
  const cli = path.join(outDir, 'cli.cjs');
  const rel = path.relative(root, cli);
  if (result.code !== 0) {
    return { cli, note: `${rel} (built from src/ by this bench, then bundled; tsc reported errors but emitted: ${result.output.split('\n')[0]})` };
  }
  return { cli, note: `${rel} (built from the current src/ by this bench as npm run build does: tsc, then the CLI bundle)` };
}

function runNode(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}
