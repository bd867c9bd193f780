/**
 * Builds the review desk's page (src/desk/web/) into dist/desk/web/: one script and one
 * stylesheet, everything bundled (preact, wavesurfer.js), nothing fetched from elsewhere
 * at run time, so the desk works on a machine with no network. The server
 * (src/desk/server.ts) serves these files and refuses inline script (its CSP).
 * `node scripts/build-desk.mjs <dir>` builds into another dist folder.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outdir = path.join(path.resolve(process.argv[2] ?? path.join(root, 'dist')), 'desk', 'web');
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

await build({
  entryPoints: { app: path.join(root, 'src', 'desk', 'web', 'main.tsx') },
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome109', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

copyFileSync(path.join(root, 'src', 'desk', 'web', 'icon.svg'), path.join(outdir, 'icon.svg'));
