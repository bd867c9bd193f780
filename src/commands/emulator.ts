import { Command } from 'commander';
import type { RejectRule } from '../cec/emulator.js';
import { EXIT_OK, UsageError } from './common.js';

interface EmulatorFlags {
  port: string;
  host: string;
  reviewDelay: string;
  callbackRetryDelay: string;
  reject: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function emulatorCommand(): Command {
  return new Command('emulator')
    .description('Run a local emulator of the Huawei Cloud CEC voice-file API (token, upload, review callbacks), for demos and tests offline.')
    .option('--port <port>', 'listen port', '8790')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--review-delay <ms>', 'time before the review result is posted', '2000')
    .option('--callback-retry-delay <ms>', 'time between callback tries (6 tries in all)', '1000')
    .option('--reject <regex=comment>', 'reject files whose voiceFileName matches, with that comment (repeatable)', collect, [])
    .addHelpText(
      'after',
      `
It accepts the app_key and app_secret in PROMPTPREP_CEC_APP_KEY and PROMPTPREP_CEC_APP_SECRET
(the same variables the client reads), approves files that meet the PrivateNumber format
and rejects the rest with the reason in "comment".

Example:
  PROMPTPREP_CEC_APP_KEY=demo PROMPTPREP_CEC_APP_SECRET=demo-secret \\
    promptprep emulator --reject 'test=Background noise too loud'`,
    )
    .action(async (flags: EmulatorFlags) => {
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
        host: flags.host,
        port: num('--port', flags.port),
        appKey: creds.appKey,
        appSecret: creds.appSecret,
        reviewDelayMs: num('--review-delay', flags.reviewDelay),
        callbackRetryDelayMs: num('--callback-retry-delay', flags.callbackRetryDelay),
        rejectRules,
        logger,
      });
      logger.info({ event: 'listening', url: emulator.url }, `CEC emulator listening on ${emulator.url}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await emulator.close();
      process.exitCode = EXIT_OK;
    });
}
