import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Start listening, and when the address cannot be had, say so in words a person can act
 * on: which port, which program holds it (when the system tells us), and how to choose
 * another. Shared by every long-running server (`emulator`, `callbacks`, `watch --upload`).
 */

export interface ListenTarget {
  host: string;
  port: number;
  /** How the user picks another port, e.g. `--port <n> or "x.port" in the config`; ends the message. */
  portHint?: string;
}

/** Listening failed for a reason the user can fix (port taken, address not on this machine). */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    message: string,
    readonly code: string,
    readonly port: number,
    readonly host: string,
  ) {
    super(message);
  }
}

/** Resolves with the port actually bound (useful with port 0). */
export async function listen(server: Server, target: ListenTarget): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(target.port, target.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
  } catch (err) {
    throw await explainListenError(err as NodeJS.ErrnoException, target);
  }
  return (server.address() as AddressInfo).port;
}

async function explainListenError(err: NodeJS.ErrnoException, t: ListenTarget): Promise<Error> {
  const where = `port ${t.port} on ${t.host}`;
  const hint = t.portHint ?? '--port <n>';
  switch (err.code) {
    case 'EADDRINUSE': {
      const owner = await portOwner(t.port);
      return new ListenError(
        `${where} is already in use${owner ? ` (by ${owner})` : ''}. Stop that program, or pick another port with ${hint}.`,
        err.code,
        t.port,
        t.host,
      );
    }
    case 'EACCES':
      return new ListenError(`not allowed to listen on ${where} (ports below 1024 need privileges). Pick another port with ${hint}.`, err.code, t.port, t.host);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenError(`cannot listen on ${t.host}: no such address on this machine. Use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface) with --host.`, err.code ?? 'EADDRNOTAVAIL', t.port, t.host);
    default:
      return err;
  }
}

/**
 * "pid 1234: node dist/cli.cjs emulator", or null when unknown. Best effort and bounded
 * (find-process asks netstat/lsof, which can only name our own user's processes): this
 * runs only to word an error, so it never throws and never waits long.
 */
export async function portOwner(port: number, timeoutMs = 3000): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const { default: find } = await import('find-process');
    const found = await Promise.race([
      find('port', port),
      new Promise<[]>((resolve) => {
        timer = setTimeout(() => resolve([]), timeoutMs);
      }),
    ]);
    const p = found[0];
    if (!p) return null;
    // A command line is text from another program: keep it to one short, printable line.
    const cmd = (p.cmd || p.name || '').replace(/[\p{Cc}\p{Cf}]+/gu, ' ').trim();
    const short = cmd.length > 80 ? `${cmd.slice(0, 79)}…` : cmd;
    return `pid ${p.pid}${short ? `: ${short}` : ''}`;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
