import { Command } from 'commander';
import { EXIT_OK, helpSections, loadCliConfig, UsageError } from './common.js';
import { LEDGER_OPTION_HELP, openCliLedger } from './ledger-common.js';
import { addServerOptions, parseHost, parsePort, type ServerFlags } from './server-options.js';

interface CallbacksFlags extends ServerFlags {
  ledger?: string;
}

export function callbacksCommand(): Command {
  const cmd = new Command('callbacks').description('Serve the endpoint Huawei Cloud CEC posts review results to, and record them in the ledger.');
  return addServerOptions(cmd, { host: '"cec.callback.host" in the config, 127.0.0.1', port: '"cec.callback.port" in the config, 8791' })
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .addHelpText(
      'after',
      helpSections({
        notes: `
Listens on cec.callback.host:port at <cec.callback.path>/<PROMPTPREP_CEC_CALLBACK_SECRET>.
Answers {"returnCode":"0"} only once the result is in the ledger, so the platform retries
when we could not record it. Malformed bodies get 400 and change nothing; unknown fileIds
are answered and listed by \`npx promptprep status\`. Slow or silent connections are closed
after cec.callback.timeoutMs (10 s); connections are capped (cec.callback.maxConnections,
maxConnectionsPerAddress). Stops on SIGINT/SIGTERM.`,
        exitCodes: [[0, 'stopped by SIGINT/SIGTERM']],
        usage: 'bad options, a missing secret, or the port is taken',
        examples: [
          'PROMPTPREP_CEC_CALLBACK_SECRET=... npx promptprep callbacks',
          'PROMPTPREP_CEC_CALLBACK_SECRET=... npx promptprep callbacks --host 0.0.0.0 --port 8791',
        ],
      }),
    )
    .action(async (flags: CallbacksFlags) => {
      const { config } = await loadCliConfig(flags.config);
      if (flags.host !== undefined) config.cec.callback.host = parseHost(flags.host);
      if (flags.port !== undefined) config.cec.callback.port = parsePort(flags.port);
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
      logger.info(
        { event: 'listening', host: config.cec.callback.host, port: receiver.port },
        `receiving CEC review callbacks on ${config.cec.callback.host} port ${receiver.port} at ${config.cec.callback.path}/<secret>`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await receiver.close();
      ledger.close();
      process.exitCode = EXIT_OK;
    });
}
