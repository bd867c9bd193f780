/**
 * Builds the `promptprep` executable into dist/: cli.js (from src/bin.ts) runs cli-bundle.cjs
 * (src/cli.ts and everything it uses, in one CommonJS file) through V8's code cache
 * (src/code-cache.ts). Run after tsc, which still builds the library (dist/index.js) and
 * its types. `node scripts/build-cli.mjs <dir>` builds into another folder (the benches'
 * private builds); `<dir>/../package.json` must exist there too.
 *
 * Why one CommonJS file: unbundled, every run resolved and compiled some 200 module files
 * before it did anything; bundled as split ESM chunks, Node still compiled them all on
 * every run, because Node 20 can keep compiled code only for scripts (vm.Script), not for
 * ES modules. With the cache, `convert` starts its first ffmpeg ~90 ms after start instead
 * of ~120 ms, which is most of what separated it from a plain ffmpeg loop on a few long
 * files (`npm run bench -- convert`).
 */
import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));

// Drop what earlier builds left: ESM chunks of the last bundle layout, and tsc's map of
// the unbundled cli.js, which would not match.
for (const name of readdirSync(outdir)) {
  if (name.startsWith('cli-chunk-') || name === 'cli.js.map') rmSync(path.join(outdir, name));
}

const common = { bundle: true, platform: 'node', target: 'node20.19', logLevel: 'warning' };

// The executable: small, ESM like the rest of the package.
await build({ ...common, entryPoints: [path.join(root, 'src', 'bin.ts')], outfile: path.join(outdir, 'cli.js'), format: 'esm' });
chmodSync(path.join(outdir, 'cli.js'), 0o755);

await build({
  ...common,
  entryPoints: [path.join(root, 'src', 'cli.ts')],
  // Beside cli.js, so `../package.json` (version.ts) means the same from both.
  outfile: path.join(outdir, 'cli-bundle.cjs'),
  format: 'cjs',
  // Kept as packages, loaded from node_modules when first needed: better-sqlite3 loads a
  // native addon; ffmpeg-static's answer is a path inside its own folder, and it is
  // optional; pino starts worker threads from its own files; zod (three quarters of a
  // megabyte) is needed only when there is a config file.
  external: ['better-sqlite3', 'ffmpeg-static', 'pino', 'pino-pretty', 'zod'],
  // fluent-ffmpeg is bundled too (loading its 15 CommonJS files cost ~8 ms before every
  // first decode). Its index.js only picks lib/ or a coverage build, so go to lib/ directly.
  alias: { 'fluent-ffmpeg': 'fluent-ffmpeg/lib/fluent-ffmpeg.js' },
  plugins: [fluentFfmpegPresetsPath()],
  // That plugin's require.resolve is meant to run at run time, against the installed package.
  logOverride: { 'require-resolve-not-external': 'silent' },
  // ffmpeg.ts and version.ts find files relative to their module (createRequire).
  define: { 'import.meta.url': '__promptprepModuleUrl' },
  banner: { js: "var __promptprepModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

/**
 * fluent-ffmpeg's constructor sets its default presets folder from __dirname, which in the
 * bundle is dist/, not fluent-ffmpeg's folder. Point it at the installed package's folder
 * instead (found when a command is created, so the bundle holds no build machine path).
 * promptprep never uses presets; this keeps the library's behaviour intact all the same.
 */
function fluentFfmpegPresetsPath() {
  const needle = "path.join(__dirname, 'presets')";
  return {
    name: 'fluent-ffmpeg-presets-path',
    setup(b) {
      b.onLoad({ filter: /fluent-ffmpeg[\\/]lib[\\/]fluent-ffmpeg\.js$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(needle)) throw new Error(`${args.path}: expected ${needle}; fluent-ffmpeg changed, review this plugin`);
        return {
          contents: source.replace(needle, "path.join(path.dirname(require.resolve('fluent-ffmpeg/lib/fluent-ffmpeg.js')), 'presets')"),
          loader: 'js',
        };
      });
    },
  };
}
