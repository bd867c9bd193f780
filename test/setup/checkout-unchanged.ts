/**
 * vitest globalSetup: a test run must leave the checkout as it found it. Tests once ran
 * the CLI from the repository root, so `npm test` filled the repository's own ledger
 * (.promptprep/ledger.sqlite) with prompts pointing at deleted temp folders, and the README
 * demos then showed them as missing. Every file, ignored ones included, is listed before
 * the run and compared after it; any difference fails the run with the list.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffSnapshots, snapshotTree } from '../helpers/checkout-snapshot.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export default function setup(): () => void {
  const before = snapshotTree(REPO_ROOT);
  return () => {
    const changes = diffSnapshots(before, snapshotTree(REPO_ROOT));
    if (changes.length === 0) return;
    const shown = changes.slice(0, 40);
    process.stderr.write(
      `\nThe test run changed the checkout (tests must work in temp folders only: test/helpers/tmp.ts, and runCli's own temp cwd):\n` +
        `${shown.map((l) => `  ${l}`).join('\n')}\n${changes.length > shown.length ? `  ... and ${changes.length - shown.length} more\n` : ''}`,
    );
    // A teardown that throws is only printed by vitest; the exit code is what CI reads.
    process.exitCode = 1;
  };
}
