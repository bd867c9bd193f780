/**
 * limitConnections on a plain HTTP server over 127.0.0.1: at the total limit an idle
 * connection gives way to a newcomer; when every held connection is busy the newcomer is
 * refused, and the limit holds.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { limitConnections, type ConnectionCounter } from '../src/server/connection-limits.js';
import { waitUntil } from './helpers/cec-harness.js';

let server: Server;
const held: ServerResponse[] = [];
const sockets: Socket[] = [];
const drops: string[] = [];

async function start(maxConnections: number, maxConnectionsPerAddress: number): Promise<{ port: number; counter: ConnectionCounter }> {
  // Requests to /hold are never answered (until the test ends): busy connections.
  server = createServer((req, res) => {
    if (req.url === '/hold') held.push(res);
    else res.end('ok');
  });
  const counter = limitConnections(server, { maxConnections, maxConnectionsPerAddress, onDrop: (_a, reason) => drops.push(reason) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, counter };
}

async function open(port: number, request?: string): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  s.on('error', () => undefined);
  s.on('data', () => undefined);
  await new Promise<void>((resolve) => s.once('connect', resolve));
  if (request) s.write(`GET ${request} HTTP/1.1\r\nHost: x\r\n\r\n`);
  return s;
}

const isOpen = (s: Socket) => !s.destroyed && !s.readableEnded;

afterEach(async () => {
  for (const r of held.splice(0)) r.end();
  for (const s of sockets.splice(0)) s.destroy();
  drops.length = 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('limitConnections', () => {
  it('at the total limit, the oldest idle connection gives way to the new one', async () => {
    const { port, counter } = await start(5, 50);
    const idle: Socket[] = [];
    for (let i = 0; i < 5; i++) idle.push(await open(port));
    await waitUntil(() => counter.open() === 5, 'five connections held');
    const newcomer = await open(port);
    await waitUntil(() => !isOpen(idle[0]!), 'the oldest idle connection closed');
    expect(idle.slice(1).every(isOpen)).toBe(true);
    expect(isOpen(newcomer)).toBe(true);
    expect(counter.open()).toBe(5);
    expect(drops).toEqual(['replaced']);
  });

  it('when every held connection is busy, a newcomer is refused and the busy ones are kept', async () => {
    const { port, counter } = await start(4, 4);
    const busy: Socket[] = [];
    for (let i = 0; i < 4; i++) busy.push(await open(port, '/hold'));
    await waitUntil(() => held.length === 4, 'four requests in progress');
    const newcomer = await open(port);
    await waitUntil(() => !isOpen(newcomer), 'the newcomer refused');
    expect(busy.every(isOpen)).toBe(true);
    expect(counter.open()).toBe(4);
    expect(drops).toEqual(['refused']);
    // Once one is answered it is idle again, and may give way.
    held.shift()!.end();
    const later = await open(port);
    await waitUntil(() => busy.filter(isOpen).length === 3, 'the answered connection gave way');
    expect(isOpen(later)).toBe(true);
  });
});
