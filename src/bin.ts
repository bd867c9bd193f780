#!/usr/bin/env node
/**
 * The `promptprep` executable (built to dist/cli.cjs). The CLI itself (cli.ts) is built into
 * one CommonJS file, dist/cli-bundle.cjs, which this runs through V8's code cache
 * (code-cache.ts): compiling it from source on every run would cost more time than
 * anything else `promptprep` does before its first ffmpeg. See scripts/build-cli.mjs.
 */
import { fileURLToPath } from 'node:url';
import { runWithCodeCache } from './code-cache.js';

// One cache per command: each compiles its own functions. Only a name that can be a
// command picks a cache; anything else (`--help`, `--version`) shares one.
const command = process.argv.slice(2).find((arg) => !arg.startsWith('-'));

runWithCodeCache(fileURLToPath(new URL('./cli-bundle.cjs', import.meta.url)), {
  variant: command !== undefined && /^[a-z][a-z-]{0,31}$/.test(command) ? command : 'main',
  // Not after a usage error (exit 2: a mistyped command would get a cache of its own) or a
  // crash (3): such runs compiled little worth keeping.
  save: (exitCode) => exitCode === 0 || exitCode === 1,
});
