import { timingSafeEqual } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Ledger } from '../ledger/ledger.js';
import { silentLogger, type Logger } from '../logger.js';
import { limitConnections } from '../server/connection-limits.js';
import { listen } from '../server/listen.js';
import { LogThrottle } from '../server/log-throttle.js';
import { CallbackBodySchema } from './contract.js';
import { readBody, sendJson } from './http-util.js';
import { CEC_PLATFORM } from '../platforms.js';

/**
 * Receives the review results CEC posts to callBackUrl. The answer {"returnCode":"0"} goes
 * out only after the ledger has committed the result, so when we fail the platform keeps
 * retrying. Nothing here answers with a stack trace or echoes the request.
 */

export { CEC_PLATFORM };

export interface CallbackReceiverOptions {
  ledger: Ledger;
  host: string;
  port: number;
  /** Path prefix; the full path is `<path>/<secret>`. */
  path: string;
  /** Secret path segment, from the environment. */
  secret: string;
  maxBodyBytes?: number;
  /** The default of the three timeouts below. */
  timeoutMs?: number;
  /** From connecting until the request headers are in. */
  headersTimeoutMs?: number;
  /** From connecting until the whole request (headers and body) is in. */
  requestTimeoutMs?: number;
  /** A connection that sends nothing for this long is closed. */
  idleTimeoutMs?: number;
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** At most one line per interval for each kind of repeated trouble (aborted bodies, wrong paths, dropped connections). */
  logIntervalMs?: number;
  /** How the user picks another port, for the "port in use" error. */
  portHint?: string;
  logger?: Logger;
  /** Called after each recorded result (tests, watch). */
  onResult?: (r: { fileId: string; outcome: 'approved' | 'rejected' | 'duplicate' | 'unknown' | 'ignored' }) => void;
}

export interface CallbackReceiver {
  /** The URL to give the platform as callBackUrl (includes the secret). */
  url: string;
  port: number;
  /** The limits in force (the options with their defaults filled in). */
  settings: ReceiverSettings;
  /** Connections held now. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * What the receiver tolerates, as documented in the README: 16 KiB bodies; 10 s for the
 * headers, for the whole request, and of silence; 256 connections, 32 from one address.
 * Real callbacks are one small POST each, so these leave them ample room.
 */
export const RECEIVER_DEFAULTS = {
  maxBodyBytes: 16 * 1024,
  timeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxConnectionsPerAddress: 32,
  logIntervalMs: 60_000,
} as const;

export interface ReceiverSettings {
  maxBodyBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  logIntervalMs: number;
}

export function receiverSettings(o: Omit<CallbackReceiverOptions, 'ledger' | 'host' | 'port' | 'path' | 'secret'>): ReceiverSettings {
  const base = o.timeoutMs ?? RECEIVER_DEFAULTS.timeoutMs;
  const requestTimeoutMs = o.requestTimeoutMs ?? base;
  const idleTimeoutMs = o.idleTimeoutMs ?? base;
  return {
    maxBodyBytes: o.maxBodyBytes ?? RECEIVER_DEFAULTS.maxBodyBytes,
    // Node refuses a headers timeout longer than the request timeout; it could not apply anyway.
    headersTimeoutMs: Math.min(o.headersTimeoutMs ?? base, requestTimeoutMs),
    requestTimeoutMs,
    idleTimeoutMs,
    keepAliveTimeoutMs: Math.min(RECEIVER_DEFAULTS.keepAliveTimeoutMs, idleTimeoutMs),
    maxConnections: o.maxConnections ?? RECEIVER_DEFAULTS.maxConnections,
    maxConnectionsPerAddress: Math.min(o.maxConnectionsPerAddress ?? RECEIVER_DEFAULTS.maxConnectionsPerAddress, o.maxConnections ?? RECEIVER_DEFAULTS.maxConnections),
    logIntervalMs: o.logIntervalMs ?? RECEIVER_DEFAULTS.logIntervalMs,
  };
}

export function secretFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const secret = env.PROMPTPREP_CEC_CALLBACK_SECRET;
  if (!secret || !/^[A-Za-z0-9_-]{16,128}$/.test(secret)) {
    throw new Error(
      'Set PROMPTPREP_CEC_CALLBACK_SECRET to 16-128 letters, digits, - or _ (e.g. `openssl rand -hex 24`); it becomes a secret segment of the callback URL.',
    );
  }
  return secret;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startCallbackReceiver(o: CallbackReceiverOptions): Promise<CallbackReceiver> {
  const logger = o.logger ?? silentLogger();
  const settings = receiverSettings(o);
  const throttle = new LogThrottle(settings.logIntervalMs);
  /** A warning that may come in floods: one line per interval, with the count it stands for. */
  const warnThrottled = (event: string, fields: Record<string, unknown>, message: string) => {
    const t = throttle.take(event);
    if (!t) return;
    logger.warn({ event, ...fields, ...(t.suppressed ? { suppressed: t.suppressed } : {}) }, t.suppressed ? `${message} (and ${t.suppressed} more like it since the last such line)` : message);
  };
  const prefix = o.path.replace(/\/+$/, '');
  const handle: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    const segment = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length + 1) : null;
    if (segment === null || !sameSecret(segment, o.secret)) {
      req.resume();
      warnThrottled('callback-refused', { remote: req.socket.remoteAddress }, 'callback to an unknown path refused');
      return sendJson(res, 404, { returnCode: '404', description: 'Not found.' });
    }
    if (req.method !== 'POST') {
      req.resume();
      return sendJson(res, 405, { returnCode: '405', description: 'Use POST.' });
    }
    void (async () => {
      let raw: Buffer | null;
      try {
        raw = await readBody(req, settings.maxBodyBytes);
      } catch {
        // The client hung up or timed out mid-body: nothing to record, nobody to answer.
        warnThrottled('callback-aborted', { remote: req.socket.remoteAddress }, 'a client went away before sending its whole callback body');
        return;
      }
      if (!raw) return sendJson(res, 413, { returnCode: '413', description: 'The body is too large.' });
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendJson(res, 400, { returnCode: '400', description: 'The body is not JSON.' });
      }
      const parsed = CallbackBodySchema.safeParse(json);
      if (!parsed.success) {
        const where = parsed.error.issues.map((i) => i.path.join('.') || 'body').join(', ');
        logger.warn({ event: 'callback-malformed' }, `malformed callback refused (${where})`);
        return sendJson(res, 400, { returnCode: '400', description: `Invalid callback body (${where}).` });
      }
      const body = parsed.data;
      const outcome = record(o.ledger, body, logger);
      o.onResult?.({ fileId: body.fileId, outcome });
      sendJson(res, 200, { returnCode: '0' });
    })().catch((err: unknown) => {
      // The ledger could not commit: a non-zero answer makes the platform try again.
      logger.error({ event: 'error' }, `could not record a callback: ${(err as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { returnCode: '1', description: 'Temporarily unable to record the result.' });
    });
  };
  const server: Server = createServer(
    {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default, which held
      // slow senders for up to 40 s): check often enough that they hold to within a tenth.
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs) / 10))),
    },
    handle,
  );
  // A connection that never speaks is not covered by the two timeouts above.
  server.timeout = settings.idleTimeoutMs;
  const counter = limitConnections(server, {
    maxConnections: settings.maxConnections,
    maxConnectionsPerAddress: settings.maxConnectionsPerAddress,
    onDrop: (address, reason) =>
      warnThrottled(
        'connection-dropped',
        { remote: address, reason },
        `connection limit reached (${settings.maxConnections} in all, ${settings.maxConnectionsPerAddress} per address): ${reason === 'replaced' ? 'closed an idle connection' : 'refused a new connection'} from ${address}`,
      ),
  });
  const port = await listen(server, { host: o.host, port: o.port, ...(o.portHint ? { portHint: o.portHint } : {}) });
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}${prefix}/${o.secret}`,
    port,
    settings,
    connections: () => counter.open(),
    async close() {
      for (const [event, count] of throttle.pending()) logger.warn({ event, suppressed: count }, `${count} more ${event} since the last such line`);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

function record(
  ledger: Ledger,
  body: { fileId: string; status: '2' | '3'; comment?: string | undefined },
  logger: Logger,
): 'approved' | 'rejected' | 'duplicate' | 'unknown' | 'ignored' {
  const v = ledger.findByRemoteId(CEC_PLATFORM, body.fileId);
  if (!v) {
    // What applying it later needs, not the raw body: the schema bounds every field of this.
    ledger.recordUnmatchedCallback(CEC_PLATFORM, body.fileId, JSON.stringify({ fileId: body.fileId, status: body.status, ...(body.comment !== undefined ? { comment: body.comment } : {}) }));
    logger.warn({ event: 'callback-unknown', fileId: body.fileId }, `callback for unknown fileId ${body.fileId} recorded for review in status`);
    return 'unknown';
  }
  const to = body.status === '2' ? 'approved' : 'rejected';
  if (v.state === to) {
    logger.info({ event: 'callback-duplicate', fileId: body.fileId, name: v.name }, `duplicate callback for ${v.name} v${v.number}: already ${to}`);
    return 'duplicate';
  }
  if (v.state !== 'in-review' && v.state !== 'uploading') {
    // E.g. superseded meanwhile, or a contradicting second verdict: keep it visible, change nothing.
    ledger.noteError(v.versionId, CEC_PLATFORM, `callback said ${to} while the version was ${v.state}${body.comment ? ` (${body.comment})` : ''}`, 'callback');
    logger.warn({ event: 'callback-ignored', fileId: body.fileId, name: v.name }, `callback says ${to} but ${v.name} v${v.number} is ${v.state}; noted, not applied`);
    return 'ignored';
  }
  if (v.state === 'uploading') {
    ledger.transition({ name: v.name, version: v.number, platform: CEC_PLATFORM, to: 'in-review', actor: 'callback' });
  }
  ledger.transition({
    name: v.name,
    version: v.number,
    platform: CEC_PLATFORM,
    to,
    actor: 'callback',
    reason: body.comment ?? null,
  });
  logger.info({ event: `callback-${to}`, fileId: body.fileId, name: v.name }, `${v.name} v${v.number} ${to}${body.comment ? `: ${body.comment}` : ''}`);
  return to;
}
