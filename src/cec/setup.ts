import type { Config } from '../config.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../logger.js';
import { secretFromEnv, startCallbackReceiver, type CallbackReceiver } from './callbacks.js';
import { CecClient, credentialsFromEnv } from './client.js';

/** Wiring shared by `upload --platform huawei-cec`, `callbacks` and `watch --upload`. */

export function clientFromConfig(config: Config, env: NodeJS.ProcessEnv = process.env): CecClient {
  return new CecClient({
    baseUrl: config.cec.baseUrl,
    credentials: credentialsFromEnv(env),
    tokenExpireSeconds: config.cec.tokenExpireSeconds,
  });
}

/** The callBackUrl for uploads: the public URL (or the local one) plus the secret segment. */
export function callbackUrlFromConfig(config: Config, env: NodeJS.ProcessEnv = process.env): string {
  const secret = secretFromEnv(env);
  const cb = config.cec.callback;
  const base = cb.publicUrl ?? `http://${cb.host.includes(':') ? `[${cb.host}]` : cb.host}:${cb.port}${cb.path}`;
  return `${base.replace(/\/+$/, '')}/${secret}`;
}

export function startReceiverFromConfig(config: Config, ledger: Ledger, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<CallbackReceiver> {
  const cb = config.cec.callback;
  return startCallbackReceiver({
    ledger,
    host: cb.host,
    port: cb.port,
    path: cb.path,
    secret: secretFromEnv(env),
    maxBodyBytes: cb.maxBodyBytes,
    timeoutMs: cb.timeoutMs,
    maxConnections: cb.maxConnections,
    maxConnectionsPerAddress: cb.maxConnectionsPerAddress,
    portHint: '--port <n> (with `promptprep callbacks`) or "cec.callback.port" in the config',
    logger,
  });
}
