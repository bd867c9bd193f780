/**
 * CEC test helpers: recognizable credentials, free loopback ports, prompts that the
 * emulator approves or rejects, prepared versions in a temporary ledger, a fetch that
 * records every request the client sends, and small scripted HTTP servers (a callback
 * endpoint that fails on purpose, a proxy in front of the real receiver). Everything
 * listens on 127.0.0.1 only.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { encodeAlaw } from '../../src/alaw.js';
import { CecClient, type CecClientOptions } from '../../src/cec/client.js';
import { CecConfigSchema, type CecConfig } from '../../src/config.js';
import { Ledger, type VersionRow } from '../../src/ledger/ledger.js';
import { buildCanonicalWav } from '../../src/wav.js';
import { sineSamples } from './audio.js';

export const CEC = 'huawei-cec';
export const APP_KEY = 'pp-test-app-key';
/** Recognizable values: a test fails if either ever shows up in output, logs or the ledger. */
export const APP_SECRET = 'APPSECRET-canary-7f3c9d1e5a';
export const CALLBACK_SECRET = 'CBSECRET_canary_4b8e2a6f90';
export const CEC_ENV: Record<string, string> = {
  PROMPTPREP_CEC_APP_KEY: APP_KEY,
  PROMPTPREP_CEC_APP_SECRET: APP_SECRET,
  PROMPTPREP_CEC_CALLBACK_SECRET: CALLBACK_SECRET,
};
export const CALLBACK_PATH = '/promptprep/cec-callback';

/** A port nothing listens on right now (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A valid PrivateNumber prompt (A-law, 8 kHz, mono); the frequency makes the bytes distinct. */
export function alawPrompt(seconds = 0.5, frequency = 440): Buffer {
  return buildCanonicalWav(encodeAlaw(sineSamples(seconds, frequency)), { formatTag: 6, sampleRate: 8000, channels: 1, bitsPerSample: 8 });
}

/** A 16-bit linear PCM WAV: a fine WAV, but not what the platform accepts. */
export function pcm16Wav(seconds = 0.5, frequency = 440): Buffer {
  const s = sineSamples(seconds, frequency);
  return buildCanonicalWav(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), { formatTag: 1, sampleRate: 8000, channels: 1, bitsPerSample: 16 });
}

export function cecConfig(extra: Record<string, unknown> = {}): CecConfig {
  return CecConfigSchema.parse(extra);
}

export function newClient(baseUrl: string, o: Partial<CecClientOptions> = {}): CecClient {
  return new CecClient({ baseUrl, credentials: { appKey: APP_KEY, appSecret: APP_SECRET }, backoffMs: 20, ...o });
}

export function openLedger(dir: string): Ledger {
  return Ledger.open(path.join(dir, 'ledger.sqlite'));
}

/** Write `data` as a prepared prompt under dir/prompts and record it in the ledger. */
export async function prepare(ledger: Ledger, dir: string, name: string, data: Buffer): Promise<VersionRow> {
  const file = path.join(dir, 'prompts', name);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, data);
  return ledger.recordPrepared({
    name,
    sha256: createHash('sha256').update(data).digest('hex'),
    bytes: data.length,
    durationSeconds: 0.5,
    source: `/sources/${name}`,
    filePath: file,
    actor: 'test',
    platform: CEC,
  }).version;
}

export function eventCount(ledger: Ledger): number {
  return (ledger.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
}

/** The CEC review row of a prompt's latest version. */
export function cecRow(ledger: Ledger, name: string): VersionRow {
  return ledger.findVersion(name, CEC);
}

export interface FetchRecord {
  path: string;
  /** performance.now() when the request was handed to fetch. */
  start: number;
  status: number | null;
  returnCode: string | null;
  description: string | null;
  error: string | null;
}

/** A fetch for CecClientOptions.fetch that records each request and its answer. */
export function recordingFetch(base: typeof fetch = fetch): { fetch: typeof fetch; log: FetchRecord[]; count: (p: string) => number } {
  const log: FetchRecord[] = [];
  const f = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const rec: FetchRecord = {
      path: new URL(String(input instanceof Request ? input.url : input)).pathname,
      start: performance.now(),
      status: null,
      returnCode: null,
      description: null,
      error: null,
    };
    log.push(rec);
    try {
      const res = await base(input, init);
      rec.status = res.status;
      const text = await res.clone().text();
      try {
        const j = JSON.parse(text) as { returnCode?: unknown; description?: unknown };
        rec.returnCode = typeof j.returnCode === 'string' ? j.returnCode : null;
        rec.description = typeof j.description === 'string' ? j.description : null;
      } catch {
        /* not JSON */
      }
      return res;
    } catch (err) {
      rec.error = (err as Error).message;
      throw err;
    }
  }) as typeof fetch;
  return { fetch: f, log, count: (p) => log.filter((r) => r.path === p).length };
}

export { maxInWindow } from '../../bench/lib/timing.js';

export async function waitUntil<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000, stepMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export interface SmallServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<SmallServer & { server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A callback endpoint standing in for ours: answers HTTP 500 {"returnCode":"1"} to the
 * first `failFirst` posts (Infinity: always), then {"returnCode":"0"}. Records every body.
 */
export async function startScriptedReceiver(failFirst: number): Promise<SmallServer & { bodies: unknown[]; times: number[] }> {
  const bodies: unknown[] = [];
  const times: number[] = [];
  const s = await listen((req, res) => {
    void readAll(req).then((raw) => {
      bodies.push(JSON.parse(raw.toString('utf8')));
      times.push(Date.now());
      const fail = bodies.length <= failFirst;
      res.writeHead(fail ? 500 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(fail ? { returnCode: '1', description: 'try later' } : { returnCode: '0' }));
    });
  });
  return Object.assign(s, { bodies, times });
}

/**
 * A proxy in front of a real receiver (or API): the first `failFirst` requests get HTTP 503
 * without reaching the target; the rest are forwarded and their answers passed back.
 * `hang` makes matching requests never answered (a platform that took the request and
 * went silent). Counts what passes.
 */
export async function startProxy(
  targetPort: number,
  o: { failFirst?: number; hang?: (pathname: string) => boolean } = {},
): Promise<SmallServer & { seen: string[]; forwarded: string[]; hung: string[] }> {
  const seen: string[] = [];
  const forwarded: string[] = [];
  const hung: string[] = [];
  const s = await listen((req, res) => {
    const url = req.url ?? '/';
    seen.push(url);
    void readAll(req).then((body) => {
      if (o.hang?.(new URL(url, 'http://x').pathname)) {
        hung.push(url);
        return; // never answered; closed with the proxy
      }
      if (seen.length <= (o.failFirst ?? 0)) {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ returnCode: '503', description: 'proxy failure (test)' }));
        return;
      }
      forwarded.push(url);
      const up = httpRequest(
        { host: '127.0.0.1', port: targetPort, path: url, method: req.method, headers: { ...req.headers, host: `127.0.0.1:${targetPort}` } },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      up.end(body);
    });
  });
  return Object.assign(s, { seen, forwarded, hung });
}

/** POST JSON (or raw text) to a URL; returns status and body text. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, text, json };
}
