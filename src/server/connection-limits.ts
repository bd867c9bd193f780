import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Bounds the connections a server holds, in all and per client address, so that idle
 * sockets (opened by anyone, no secret needed) cannot use up the process's open files and
 * lock out the platform's real callbacks.
 *
 * A new connection over a limit takes the place of the oldest one that has no request in
 * progress (of the same address when that address is over its share, else of the address
 * holding most); a connection that only occupies a slot loses it to one that comes to talk.
 * Only when every held connection is busy is the newcomer refused, and busy connections are
 * bounded in time by the server's request timeout.
 */

export interface ConnectionLimits {
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** Called for each connection closed or refused to stay within the limits. */
  onDrop?: (address: string, reason: 'replaced' | 'refused') => void;
}

export interface ConnectionCounter {
  /** Connections held now. */
  open(): number;
}

export function limitConnections(server: Server, limits: ConnectionLimits): ConnectionCounter {
  // Insertion order is age: the first idle socket met is the oldest.
  const byAddress = new Map<string, Set<Socket>>();
  const busy = new Set<Socket>();
  // A destroyed socket forgets its remoteAddress: keep it.
  const addressOf = new WeakMap<Socket, string>();
  let total = 0;

  const forget = (s: Socket): void => {
    const address = addressOf.get(s) ?? 'unknown';
    const set = byAddress.get(address);
    if (!set?.delete(s)) return;
    total--;
    busy.delete(s);
    if (set.size === 0) byAddress.delete(address);
  };

  const oldestIdle = (sockets: Set<Socket> | undefined): Socket | null => {
    for (const s of sockets ?? []) if (!busy.has(s)) return s;
    return null;
  };

  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    let mine = byAddress.get(address);
    let victim: Socket | null | undefined;
    if ((mine?.size ?? 0) >= limits.maxConnectionsPerAddress) {
      victim = oldestIdle(mine);
    } else if (total >= limits.maxConnections) {
      const crowded = [...byAddress.values()].sort((a, b) => b.size - a.size);
      victim = null;
      for (const sockets of crowded) {
        victim = oldestIdle(sockets);
        if (victim) break;
      }
    }
    if (victim === null) {
      limits.onDrop?.(address, 'refused');
      socket.destroy();
      return;
    }
    if (victim) {
      limits.onDrop?.(addressOf.get(victim) ?? 'unknown', 'replaced');
      forget(victim);
      victim.destroy();
    }
    if (!mine) byAddress.set(address, (mine = new Set()));
    mine.add(socket);
    addressOf.set(socket, address);
    total++;
    socket.once('close', () => forget(socket));
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    busy.add(socket);
    res.once('close', () => busy.delete(socket));
  });

  return { open: () => total };
}
