/**
 * Bundles the CLI into dist/cli.js (plus cli-chunk-*.js files beside it, loaded only by
 * the commands that need them). Run after tsc, which still builds the library (dist/index.js)
 * and its types. `node scripts/build-cli.mjs <dir>` builds into another folder (the
 * benches' private builds); `<dir>/../package.json` must exist there too.
 *
 * Why: unbundled, every `promptprep` run resolves and compiles some 200 module files
 * before it does anything; bundled, `convert` starts its first ffmpeg ~60 ms sooner,
 * which is most of what separates it from a plain ffmpeg loop on a few long files
 * (`npm run bench -- convert`).
 */
import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));

// Chunk names change with their content: drop the last build's, and tsc's map of the
// unbundled cli.js, which would not match the bundle.
for (const name of readdirSync(outdir)) {
  if (name.startsWith('cli-chunk-') || name === 'cli.js.map') rmSync(path.join(outdir, name));
}

await build({
  entryPoints: { cli: path.join(root, 'src', 'cli.ts') },
  outdir,
  // Chunks sit beside cli.js, so `../package.json` (version.ts) means the same from both.
  chunkNames: 'cli-chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // Kept as packages, loaded from node_modules at run time: better-sqlite3 loads a native
  // addon; ffmpeg-static's answer is a path inside its own folder, and it is optional;
  // pino starts worker threads from its own files.
  external: ['better-sqlite3', 'ffmpeg-static', 'pino', 'pino-pretty'],
  // fluent-ffmpeg is bundled too (loading its 15 CommonJS files cost ~8 ms before every
  // first decode). Its index.js only picks lib/ or a coverage build, so go to lib/ directly.
  alias: { 'fluent-ffmpeg': 'fluent-ffmpeg/lib/fluent-ffmpeg.js' },
  plugins: [fluentFfmpegPresetsPath()],
  // Bundled CommonJS packages (commander, cli-progress) call require() for Node's own
  // modules, which ESM output has no binding for.
  banner: { js: "import { createRequire as __promptprepCreateRequire } from 'node:module';\nconst require = __promptprepCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
chmodSync(path.join(outdir, 'cli.js'), 0o755);

/**
 * fluent-ffmpeg's constructor sets its default presets folder from __dirname, which an ESM
 * bundle does not have. Point it at the installed package's folder instead (found when a
 * command is created, so the bundle holds no build machine path). promptprep never uses
 * presets; this keeps the library's behaviour intact all the same.
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
