import type { Config } from '../config.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../logger.js';
import type { CallbackReceiver } from './callbacks.js';
import { callbackUrlFromConfig, clientFromConfig, startReceiverFromConfig } from './setup.js';
import { uploadToCec } from './uploader.js';

/**
 * `watch --upload`: the callback receiver runs beside the watcher, and every new prompt
 * kicks an upload pass. Passes never overlap; a kick during a pass runs one more after it.
 */
export interface CecUploads {
  kick(): void;
  stop(): Promise<void>;
}

export async function startCecUploads(config: Config, ledger: Ledger, logger: Logger): Promise<CecUploads> {
  const client = clientFromConfig(config);
  const callbackUrl = callbackUrlFromConfig(config);
  const receiver: CallbackReceiver = await startReceiverFromConfig(config, ledger, logger);
  logger.info({ event: 'listening', port: receiver.port }, `receiving CEC review callbacks on port ${receiver.port}`);
  let running: Promise<void> | null = null;
  let again = false;
  const pass = async (): Promise<void> => {
    do {
      again = false;
      try {
        await uploadToCec({ ledger, client, cec: config.cec, callbackUrl, logger });
      } catch (err) {
        logger.error({ event: 'error' }, `upload pass failed: ${(err as Error).message}`);
      }
    } while (again);
  };
  const kick = () => {
    if (running) {
      again = true;
      return;
    }
    running = pass().finally(() => {
      running = null;
    });
  };
  kick(); // prompts prepared earlier and never uploaded
  // A platform outage longer than the client's retries leaves prompts prepared: try again
  // every few minutes even when no new file arrives.
  const timer = setInterval(kick, 5 * 60_000);
  timer.unref();
  return {
    kick,
    async stop() {
      clearInterval(timer);
      while (running) await running;
      await receiver.close();
    },
  };
}
