/**
 * The CLI program: commander over the library. Built into dist/cli-bundle.cjs and run by
 * the executable, bin.ts.
 */
import { Command, CommanderError } from 'commander';
import { checkCommand } from './commands/check.js';
import { convertCommand } from './commands/convert.js';
import { watchCommand } from './commands/watch.js';
import { uploadCommand } from './commands/upload.js';
import { reviewCommand } from './commands/review.js';
import { statusCommand } from './commands/status.js';
import { bindingsCommand } from './commands/bindings.js';
import { callbacksCommand } from './commands/callbacks.js';
import { emulatorCommand } from './commands/emulator.js';
import { doctorCommand } from './commands/doctor.js';
import { deskCommand } from './commands/desk.js';
import { profilesCommand } from './commands/profiles.js';
import { addColorOptions, applyJsonShorthand, EXIT_INTERNAL, EXIT_USAGE, UsageError } from './commands/common.js';
import { ConfigError } from './config-file.js';
import { escapeControlChars } from './text-safe.js';
import { setColorChoice } from './report/colors.js';
import { VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('promptprep')
    .description(
      'Turn any audio into voice prompts a telephony platform accepts (Huawei Cloud PrivateNumber: A-law, 8000 Hz, mono, 8-bit WAV, at most 2 MB), check them before upload, and track their review.',
    )
    .version(VERSION)
    // Program options only before the command, so `review x approved --version 2` means
    // the prompt's version, not promptprep's.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(checkCommand());
  program.addCommand(convertCommand());
  program.addCommand(watchCommand());
  program.addCommand(uploadCommand());
  program.addCommand(reviewCommand());
  program.addCommand(statusCommand());
  program.addCommand(bindingsCommand());
  program.addCommand(callbacksCommand());
  program.addCommand(emulatorCommand());
  program.addCommand(doctorCommand());
  program.addCommand(deskCommand());
  program.addCommand(profilesCommand());
  for (const cmd of program.commands) addColorOptions(cmd.exitOverride().showHelpAfterError('(run with --help for usage)'));
  // Hooks on the program run before every command's action.
  program.hook('preAction', (_program, command) => {
    setColorChoice(command.opts().color as boolean | undefined);
    applyJsonShorthand(command);
  });
  program.addHelpText(
    'after',
    `
Exit codes:
  0  success
  1  the work was done and something failed (a file, a prompt, a --fail-on condition)
  2  usage or configuration error
  3  unexpected internal error (set PROMPTPREP_DEBUG=1 for the stack trace)

Output: -f/--format picks a command's output format, --json is short for --format json.
Colour: on a terminal; FORCE_COLOR=1 or --color forces it, NO_COLOR=1 or --no-color turns it off.

Examples:
  npx promptprep check prompts/
  npx promptprep convert recordings/ --out prompts/ --normalize
  npx promptprep watch
  npx promptprep status --fail-on rejected,overdue

After npm ci, run it as npx promptprep (npm install -g . or npm link puts promptprep on PATH).
Read more: npx promptprep <command> --help (its options, exit codes and examples), and
README.md in the package folder.`,
  );
  return program;
}

async function main(argv: string[]): Promise<void> {
  tolerateClosedOutput();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version end here too, with exit code 0
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    // A missing ffmpeg, or a server's port taken, is a setup problem with a known fix, not a crash.
    const name = (err as Error)?.name;
    if (err instanceof UsageError || err instanceof ConfigError || name === 'FfmpegNotFoundError' || name === 'ListenError') {
      // Our messages may list problems a line each (a config's errors): the lines stay
      // lines, and any other control character (from a file name, say) is shown escaped.
      const lines = (err as Error).message.split('\n').map(escapeControlChars);
      process.stderr.write(`promptprep: ${lines.join('\n')}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(`promptprep: unexpected error: ${escapeControlChars((err as Error)?.message ?? String(err))}\n`);
    if (process.env.PROMPTPREP_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    process.exitCode = EXIT_INTERNAL;
  }
}

/**
 * `promptprep convert ... | head`: a reader that stops early is not a crash. What it no
 * longer reads is dropped; the work itself and the exit code are not cut short.
 */
function tolerateClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
      throw err;
    });
  }
}

// Not a top-level await: the bundle is CommonJS (see bin.ts), and main() reports its own errors.
void main(process.argv);
