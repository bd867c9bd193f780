import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Ledger } from '../ledger/ledger.js';
import { silentLogger, type Logger } from '../logger.js';
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
  timeoutMs?: number;
  logger?: Logger;
  /** Called after each recorded result (tests, watch). */
  onResult?: (r: { fileId: string; outcome: 'approved' | 'rejected' | 'duplicate' | 'unknown' | 'ignored' }) => void;
}

export interface CallbackReceiver {
  /** The URL to give the platform as callBackUrl (includes the secret). */
  url: string;
  port: number;
  close(): Promise<void>;
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
  const prefix = o.path.replace(/\/+$/, '');
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    const segment = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length + 1) : null;
    if (segment === null || !sameSecret(segment, o.secret)) {
      req.resume();
      logger.warn({ event: 'callback-refused', remote: req.socket.remoteAddress }, 'callback to an unknown path refused');
      return sendJson(res, 404, { returnCode: '404', description: 'Not found.' });
    }
    if (req.method !== 'POST') {
      req.resume();
      return sendJson(res, 405, { returnCode: '405', description: 'Use POST.' });
    }
    void (async () => {
      const raw = await readBody(req, o.maxBodyBytes ?? 16 * 1024);
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
      const outcome = record(o.ledger, body, raw.toString('utf8'), logger);
      o.onResult?.({ fileId: body.fileId, outcome });
      sendJson(res, 200, { returnCode: '0' });
    })().catch((err: unknown) => {
      // The ledger could not commit: a non-zero answer makes the platform try again.
      logger.error({ event: 'error' }, `could not record a callback: ${(err as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { returnCode: '1', description: 'Temporarily unable to record the result.' });
    });
  });
  server.requestTimeout = o.timeoutMs ?? 10_000;
  server.headersTimeout = Math.min(server.requestTimeout, 10_000);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}${prefix}/${o.secret}`,
    port,
    async close() {
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
  raw: string,
  logger: Logger,
): 'approved' | 'rejected' | 'duplicate' | 'unknown' | 'ignored' {
  const v = ledger.findByRemoteId(CEC_PLATFORM, body.fileId);
  if (!v) {
    ledger.recordUnmatchedCallback(CEC_PLATFORM, body.fileId, raw);
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
