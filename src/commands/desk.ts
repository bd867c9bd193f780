import { spawn } from 'node:child_process';
import path from 'node:path';
import { Command } from 'commander';
import { escapeControlChars as shown } from '../text-safe.js';
import { cliPlatform, configOption, EXIT_OK, helpSections, loadCliConfig, parsePositiveInt, platformOption, UsageError } from './common.js';
import { LEDGER_OPTION_HELP, openCliLedger } from './ledger-common.js';

interface DeskFlags {
  host: string;
  port: string;
  out: string;
  maxUploadBytes: number;
  open?: boolean;
  platform?: string;
  ledger?: string;
  config?: string;
}

export const DEFAULT_DESK_PORT = 8780;
export const DEFAULT_MAX_UPLOAD_BYTES = 100_000_000;

export function deskCommand(): Command {
  return new Command('desk')
    .description('Serve the review desk: a web page where the team hears, sees and moves every prompt through review (the ledger, the config and the prepared files of this folder).')
    .option('--host <address>', 'address to listen on; beyond 127.0.0.1 it needs PROMPTPREP_DESK_TOKEN', '127.0.0.1')
    .option('--port <n>', `port (0: any free port)`, String(DEFAULT_DESK_PORT))
    .option('-o, --out <dir>', 'where dropped files are converted when there is no watch inbox (<watch.root>/inbox)', 'prompts')
    .option('--max-upload-bytes <n>', 'largest file accepted by drag and drop', parsePositiveInt, DEFAULT_MAX_UPLOAD_BYTES)
    .option('--open', 'open the page in the default browser')
    .addOption(platformOption())
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .addOption(configOption())
    .addHelpText(
      'after',
      helpSections({
        notes: `
Everything the page does goes through the same rules as the commands: recording a review
refuses what \`promptprep review\` refuses, with the same message; staging the outbox is
\`promptprep upload\`; bindings are \`promptprep bindings\`. The page updates by itself when
another process (watch, callbacks, review in a shell) changes the ledger.

Files dropped on the page go into <watch.root>/inbox when that folder exists (watch takes
them from there), else they are converted as \`convert --out <dir>\` would.

Beyond this machine (--host 0.0.0.0, say) it refuses to start unless PROMPTPREP_DESK_TOKEN
(at least 16 characters) is set; the page then asks for it once and keeps a session cookie.
SIGINT/SIGTERM stop it.`,
        exitCodes: [[0, 'stopped by SIGINT or SIGTERM']],
        usage: 'a port in use, a host beyond loopback without PROMPTPREP_DESK_TOKEN, a bad config',
        examples: ['npx promptprep desk', 'npx promptprep desk --open', 'PROMPTPREP_DESK_TOKEN=... npx promptprep desk --host 0.0.0.0 --port 8780'],
      }),
    )
    .action(async (flags: DeskFlags) => {
      if (!/^\d+$/.test(flags.port) || Number(flags.port) > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535 (got "${flags.port}")`);
      const { config, profile } = await loadCliConfig(flags.config);
      const platform = cliPlatform(flags.platform, config);
      const ledger = await openCliLedger(config, flags.ledger);
      const { ledgerPath } = await import('../ledger/project.js');
      // Loaded only here: fastify and the desk add nothing to other commands' start-up.
      const [{ startDesk }, { createLogger }] = await Promise.all([import('../desk/server.js'), import('../logger.js')]);
      const logger = createLogger();
      let desk;
      try {
        desk = await startDesk({
          config,
          profile,
          ledger,
          platform,
          cwd: process.cwd(),
          host: flags.host,
          port: Number(flags.port),
          outDir: path.resolve(flags.out),
          dropsDir: path.join(path.dirname(ledgerPath(config, flags.ledger)), 'desk-drops'),
          maxUploadBytes: flags.maxUploadBytes,
          ...(process.env.PROMPTPREP_DESK_TOKEN ? { token: process.env.PROMPTPREP_DESK_TOKEN } : {}),
          logger,
        });
      } catch (err) {
        ledger.close();
        if ((err as Error).name === 'UsageError') throw new UsageError((err as Error).message);
        throw err;
      }
      process.stdout.write(`promptprep desk: ${shown(desk.url)} (${shown(platform)}; Ctrl-C stops it)\n`);
      if (flags.open) openInBrowser(desk.url);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await desk.close();
      ledger.close();
      process.exitCode = EXIT_OK;
    });
}

function openInBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`promptprep desk: could not start ${cmd}; open ${url} yourself\n`));
  child.unref();
}
