/**
 * Builds the `promptprep` executable into dist/: cli.cjs (from src/bin.ts) runs
 * cli-bundle.cjs (src/cli.ts and everything it uses, in one file) through V8's code cache
 * (src/code-cache.ts). tsc builds the library (dist/index.js) and its types; these two it
 * leaves out (tsconfig.build.json). `node scripts/build-cli.mjs <dir>` builds into another
 * folder (the benches' private builds); `<dir>/../package.json` must exist there too.
 *
 * Why CommonJS: Node 20 can keep compiled code only for scripts (vm.Script), not for ES
 * modules, and it starts a CommonJS entry ~5 ms sooner than an ES module one. Unbundled,
 * every run resolved and compiled some 200 module files before it did anything; bundled as
 * ES module chunks, it still compiled them on every run. Now `convert` starts its first
 * ffmpeg about 85 ms after start instead of 120, which is most of what separated it from a
 * plain ffmpeg loop on a few long files (`npm run bench -- convert`).
 */
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));

// Drop what earlier layouts left: the ES module executable's chunks, and tsc's output for
// the CLI from before tsconfig.build.json left it out (cli.js is written again below).
for (const name of readdirSync(outdir)) {
  if (name.startsWith('cli-chunk-') || /^(cli|bin)\.(js|js\.map|d\.ts|d\.ts\.map)$/.test(name)) rmSync(path.join(outdir, name));
}

const commonJs = {
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  format: 'cjs',
  // Both sit in dist/ and find files relative to their module: bin.ts the bundle,
  // ffmpeg.ts ffmpeg-static, version.ts `../package.json`.
  define: { 'import.meta.url': '__promptprepModuleUrl' },
  banner: { js: "var __promptprepModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};

await build({ ...commonJs, entryPoints: [path.join(root, 'src', 'bin.ts')], outfile: path.join(outdir, 'cli.cjs') });
chmodSync(path.join(outdir, 'cli.cjs'), 0o755);

// The executable was dist/cli.js before. Links made then still point there: npx keeps the
// bin links of a project folder it ran once, so `npx promptprep` would say "not found".
writeFileSync(
  path.join(outdir, 'cli.js'),
  "#!/usr/bin/env node\n// The executable is cli.cjs (scripts/build-cli.mjs); this keeps older links to cli.js working.\nimport './cli.cjs';\n",
);
chmodSync(path.join(outdir, 'cli.js'), 0o755);

await build({
  ...commonJs,
  entryPoints: [path.join(root, 'src', 'cli.ts')],
  outfile: path.join(outdir, 'cli-bundle.cjs'),
  // Less to read on every run (1.1 MB to 0.7 MB, ~4 ms). Names are kept, so a stack trace
  // (PROMPTPREP_DEBUG=1) still says which function.
  minifyWhitespace: true,
  minifySyntax: true,
  // Kept as packages, loaded from node_modules when first needed: better-sqlite3 loads a
  // native addon; ffmpeg-static's answer is a path inside its own folder, and it is
  // optional; pino starts worker threads from its own files; zod (three quarters of a
  // megabyte) is needed only when there is a config file.
  // fastify and its plugins serve only `desk`, loaded when it runs.
  external: ['better-sqlite3', 'ffmpeg-static', 'pino', 'pino-pretty', 'zod', 'fastify', '@fastify/static', '@fastify/cookie', 'fastify-plugin'],
  // fluent-ffmpeg is bundled too (loading its 15 CommonJS files cost ~8 ms before every
  // first decode). Its index.js only picks lib/ or a coverage build, so go to lib/ directly.
  alias: { 'fluent-ffmpeg': 'fluent-ffmpeg/lib/fluent-ffmpeg.js' },
  plugins: [fluentFfmpegPresetsPath()],
  // That plugin's require.resolve is meant to run at run time, against the installed package.
  logOverride: { 'require-resolve-not-external': 'silent' },
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
