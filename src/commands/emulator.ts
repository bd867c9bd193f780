import { Command } from 'commander';
import type { RejectRule } from '../cec/emulator.js';
import type { Config } from '../config.js';
import { isLoopbackHost } from '../server/loopback.js';
import { EXIT_OK, helpSections, loadCliConfig, UsageError } from './common.js';
import { addServerOptions, parseHost, parsePort, type ServerFlags } from './server-options.js';

interface EmulatorFlags extends ServerFlags {
  reviewDelay: string;
  callbackRetryDelay: string;
  reject: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Where the emulator listens unless told: where the client will look for the API
 * ("cec.baseUrl"), when that is a plain http URL on this machine; else 127.0.0.1:8790.
 */
function addressFromConfig(config: Config): { host: string; port: number } {
  try {
    const u = new URL(config.cec.baseUrl);
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    if (u.protocol === 'http:' && isLoopbackHost(host)) return { host, port: u.port ? Number(u.port) : 80 };
  } catch {
    /* the config schema checked it is a URL; fall back all the same */
  }
  return { host: '127.0.0.1', port: 8790 };
}

export function emulatorCommand(): Command {
  const cmd = new Command('emulator').description(
    'Run a local emulator of the Huawei Cloud CEC voice-file API (token, upload, review callbacks), for demos and tests offline.',
  );
  return addServerOptions(cmd, {
    host: 'the host of "cec.baseUrl" in the config when it is http on this machine, else 127.0.0.1',
    port: 'the port of "cec.baseUrl" likewise, else 8790',
  })
    .option('--review-delay <ms>', 'time before the review result is posted', '2000')
    .option('--callback-retry-delay <ms>', 'time between callback tries (6 tries in all)', '1000')
    .option('--reject <regex=comment>', 'reject files whose voiceFileName matches, with that comment (repeatable)', collect, [])
    .addHelpText(
      'after',
      helpSections({
        notes: `
It accepts the app_key and app_secret in PROMPTPREP_CEC_APP_KEY and PROMPTPREP_CEC_APP_SECRET
(the same variables the client reads), approves files that meet the PrivateNumber format
and rejects the rest with the reason in "comment".

Its control endpoints (/__emulator/files, /fail-next-uploads, /expire-tokens) answer
only this machine, and never show a callBackUrl's secret, whatever --host exposes.`,
        exitCodes: [[0, 'stopped by SIGINT/SIGTERM']],
        usage: 'bad options, missing credentials, or the port is taken',
        examples: [
          "PROMPTPREP_CEC_APP_KEY=demo PROMPTPREP_CEC_APP_SECRET=demo-secret npx promptprep emulator --reject 'test=Background noise too loud'",
        ],
      }),
    )
    .action(async (flags: EmulatorFlags) => {
      const { config } = await loadCliConfig(flags.config);
      const fromConfig = addressFromConfig(config);
      const host = flags.host !== undefined ? parseHost(flags.host) : fromConfig.host;
      const port = flags.port !== undefined ? parsePort(flags.port) : fromConfig.port;
      const [{ startEmulator }, { credentialsFromEnv }, { createLogger }] = await Promise.all([
        import('../cec/emulator.js'),
        import('../cec/client.js'),
        import('../logger.js'),
      ]);
      let creds;
      try {
        creds = credentialsFromEnv();
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const num = (name: string, v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number (got "${v}")`);
        return n;
      };
      const rejectRules: RejectRule[] = flags.reject.map((r) => {
        const i = r.indexOf('=');
        if (i <= 0) throw new UsageError(`--reject takes regex=comment (got "${r}")`);
        const pattern = r.slice(0, i);
        try {
          new RegExp(pattern);
        } catch {
          throw new UsageError(`--reject: "${pattern}" is not a valid regular expression`);
        }
        return { pattern, comment: r.slice(i + 1) };
      });
      const logger = createLogger();
      const emulator = await startEmulator({
        host,
        port,
        portHint: '--port <n> (0 picks a free one), and point "cec.baseUrl" in the config at it',
        appKey: creds.appKey,
        appSecret: creds.appSecret,
        reviewDelayMs: num('--review-delay', flags.reviewDelay),
        callbackRetryDelayMs: num('--callback-retry-delay', flags.callbackRetryDelay),
        rejectRules,
        logger,
      });
      logger.info({ event: 'listening', url: emulator.url }, `CEC emulator listening on ${emulator.url}`);
      if (!isLoopbackHost(host)) {
        logger.warn({ event: 'exposed', host }, `the API is reachable from other machines on ${host}; its control endpoints still answer only this machine`);
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await emulator.close();
      process.exitCode = EXIT_OK;
    });
}
