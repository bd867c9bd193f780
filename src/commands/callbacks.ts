import { Command } from 'commander';
import { EXIT_OK, loadCliConfig, UsageError } from './common.js';
import { LEDGER_OPTION_HELP, openCliLedger } from './ledger-common.js';

interface CallbacksFlags {
  ledger?: string;
  config?: string;
  port?: string;
}

export function callbacksCommand(): Command {
  return new Command('callbacks')
    .description('Serve the endpoint Huawei Cloud CEC posts review results to, and record them in the ledger.')
    .option('--port <port>', 'listen port (default: "cec.callback.port" in the config, 8791)')
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .option('-c, --config <file>', 'config file (default: ./promptprep.config.json when present)')
    .addHelpText(
      'after',
      `
Listens on cec.callback.host:port at <cec.callback.path>/<PROMPTPREP_CEC_CALLBACK_SECRET>.
Answers {"returnCode":"0"} only once the result is in the ledger, so the platform retries
when we could not record it. Malformed bodies get 400 and change nothing; unknown fileIds
are answered and listed by \`promptprep status\`. Stops on SIGINT/SIGTERM.`,
    )
    .action(async (flags: CallbacksFlags) => {
      const { config } = await loadCliConfig(flags.config);
      if (flags.port !== undefined) {
        const port = Number(flags.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535 (got "${flags.port}")`);
        config.cec.callback.port = port;
      }
      const [{ startReceiverFromConfig }, { createLogger }] = await Promise.all([import('../cec/setup.js'), import('../logger.js')]);
      const logger = createLogger();
      const ledger = await openCliLedger(config, flags.ledger);
      let receiver;
      try {
        receiver = await startReceiverFromConfig(config, ledger, logger);
      } catch (err) {
        ledger.close();
        throw new UsageError((err as Error).message);
      }
      // The URL carries the secret: say where we listen, not the URL.
      logger.info({ event: 'listening', port: receiver.port }, `receiving CEC review callbacks on port ${receiver.port} at ${config.cec.callback.path}/<secret>`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await receiver.close();
      ledger.close();
      process.exitCode = EXIT_OK;
    });
}
