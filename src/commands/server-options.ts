import type { Command } from 'commander';
import { configOption, UsageError } from './common.js';

/**
 * The options every long-running server takes (`callbacks`, `emulator`, and what comes
 * after): where to listen, and which config to read the defaults from. One wording, one
 * parser, so the servers cannot drift apart.
 */

export interface ServerFlags {
  host?: string;
  port?: string;
  config?: string;
}

export function addServerOptions(cmd: Command, defaults: { host: string; port: string }): Command {
  return cmd
    .option('--host <host>', `listen address (default: ${defaults.host}); 127.0.0.1 keeps it to this machine, 0.0.0.0 listens on every interface`)
    .option('--port <port>', `listen port, 0 for any free one (default: ${defaults.port})`)
    .addOption(configOption());
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--port must be a whole number 0-65535 (got "${value}")`);
  return port;
}

export function parseHost(value: string): string {
  const host = value.trim();
  if (host === '' || /[\s/]/.test(host)) throw new UsageError(`--host must be an address or host name such as 127.0.0.1 (got "${value}")`);
  return host.replace(/^\[(.*)\]$/, '$1');
}
