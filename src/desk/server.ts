import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { DeskOptions } from './options.js';
import { listen } from '../server/listen.js';
import { deskAccess, DESK_TOKEN_ENV, registerAuth, SIGNIN_PATH, SIGNOUT_PATH } from './auth.js';
import { LedgerChanges } from './live.js';
import { DeskApi } from './api.js';
import { DropError, dropFileName } from './drop.js';
import { langFromAcceptLanguage, type Lang } from './i18n.js';

/**
 * `promptprep desk`: the review desk, a local web app over the ledger, the config and the
 * prepared files. Every rule and message comes from the library the CLI uses (DeskApi);
 * this module is the HTTP side: routes, the page, live updates, security headers.
 */

export type { DeskOptions };

export interface Desk {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The desk cannot start as asked (exit 2, like any usage error). */
export class DeskSetupError extends Error {
  override name = 'UsageError';
}

/** Bundled front end (scripts/build-desk.mjs): beside this module in dist/desk/, or in dist/desk/ beside the CLI bundle. */
export function webAssetsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'web'), path.join(here, 'desk', 'web'), path.join(here, '..', '..', 'dist', 'desk', 'web')];
  const found = candidates.find((d) => existsSync(path.join(d, 'app.js')));
  if (!found) throw new DeskSetupError(`the desk's page is not built (looked in ${candidates.join(', ')}): run \`npm run build\``);
  return found;
}

/** No inline script, nothing from elsewhere. Styles may be inline: the waveform library draws in a shadow root with its own <style>. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export async function startDesk(o: DeskOptions): Promise<Desk> {
  // Beyond loopback (or with a token set, e.g. behind a reverse proxy): sign-in and sessions.
  const access = deskAccess(o.host, o.token ? { [DESK_TOKEN_ENV]: o.token } : {});
  const assets = webAssetsDir();
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 64 * 1024, trustProxy: false });
  const changes = new LedgerChanges(o.ledger.db, o.pollMs ?? 500);
  const api = new DeskApi(o, () => changes.changed());

  app.addHook('onSend', async (_req, reply, payload) => {
    // A route with a stricter policy of its own (the sign-in page) keeps it.
    if (!reply.hasHeader('Content-Security-Policy')) reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    reply.header('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" on form posts, which the origin checks must refuse.
    reply.header('Referrer-Policy', 'same-origin');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    return payload;
  });

  // A state-changing request must come from the desk's own page: a browser sends Origin on
  // every cross-site POST, and the custom header cannot be set cross-site without a CORS
  // preflight the desk never answers.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const p = req.url.split('?')[0];
    // The sign-in form is a plain form post (no script, no custom header); auth.ts checks its origin.
    if (p === SIGNIN_PATH || p === SIGNOUT_PATH) return;
    const origin = req.headers.origin;
    const host = req.headers.host;
    if ((origin && origin !== `http://${host}` && origin !== `https://${host}`) || req.headers['x-promptprep-desk'] !== '1') {
      await reply.code(403).send({ error: 'cross-site request refused: state changes come only from the desk\'s own page' });
    }
  });

  // Sign-in, session cookie and CSRF token (src/desk/auth.ts), before every route.
  if (access.mode === 'token') await registerAuth(app, { token: access.token, logger: o.logger });

  await app.register(fastifyStatic, { root: assets, prefix: '/assets/', index: false, cacheControl: false });
  app.get('/favicon.ico', async (_req, reply) => reply.redirect('/assets/icon.svg', 301));

  app.get('/', async (req, reply) => {
    const lang = pageLang(req);
    return reply.type('text/html; charset=utf-8').send(pageHtml(lang));
  });

  app.get('/api/prompts', async () => api.prompts());
  app.get<{ Params: { name: string } }>('/api/prompts/:name', async (req, reply) => {
    const res = api.prompt(req.params.name);
    if (!res) return reply.code(404).send({ error: `No prompt named ${req.params.name} in the ledger.` });
    return res;
  });
  app.get<{ Params: { id: string } }>('/api/versions/:id/analysis', async (req, reply) => sendResult(reply, await api.analysis(versionId(req.params.id))));
  app.get<{ Params: { id: string }; Querystring: { buckets?: string } }>('/api/versions/:id/peaks', async (req, reply) =>
    sendResult(reply, await api.peaks(versionId(req.params.id), Math.min(4000, Math.max(50, Number(req.query.buckets) || 800)))),
  );
  app.get<{ Params: { id: string } }>('/api/versions/:id/audio', async (req, reply) => api.sendPromptAudio(versionId(req.params.id), req, reply));
  app.get<{ Params: { id: string } }>('/api/versions/:id/source', async (req, reply) => api.sendSourceAudio(versionId(req.params.id), req, reply));
  app.get('/api/bindings', async () => api.bindings());
  app.get('/api/outbox', async () => api.outbox());

  app.post<{ Params: { name: string }; Body: { action?: unknown; reason?: unknown; version?: unknown } }>('/api/prompts/:name/review', async (req, reply) =>
    sendResult(reply, api.review(req.params.name, req.body ?? {})),
  );
  app.post<{ Body: { names?: unknown } }>('/api/upload', async (req, reply) => sendResult(reply, await api.upload(req.body ?? {})));

  await app.register(async (scope) => {
    // The body is the file itself, streamed to disk by the handler (never buffered here).
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.post('/api/drop', async (req, reply) => {
      const declared = Number(req.headers['content-length']);
      try {
        const name = dropFileName(req.headers['x-file-name'] as string | undefined);
        if (Number.isFinite(declared) && declared > o.maxUploadBytes) {
          throw new DropError(`${name} is larger than the desk accepts (${o.maxUploadBytes} bytes; --max-upload-bytes)`, 413);
        }
        return await api.drop(name, req.body as NodeJS.ReadableStream & import('node:stream').Readable);
      } catch (err) {
        if (err instanceof DropError) {
          // The rest of an over-long body is not read: close the connection after answering.
          reply.header('Connection', 'close');
          return reply.code(err.status).send({ error: err.message });
        }
        throw err;
      }
    });
  });
  app.get('/api/drops', async () => api.dropsList());

  app.get('/api/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
    });
    res.write('retry: 1000\n\n');
    const unsubscribe = changes.subscribe((kind) => res.write(`event: ${kind}\ndata: {}\n\n`));
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(beat);
      unsubscribe();
    });
  });

  app.setNotFoundHandler(async (_req, reply) => reply.code(404).send({ error: 'not found' }));
  app.setErrorHandler(async (err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) o.logger.error({ event: 'error', err: err.message }, `desk: ${err.message}`);
    return reply.code(status).send({ error: status === 500 ? 'internal error (see the desk\'s log)' : err.message });
  });

  await app.ready();
  const port = await listen(app.server, { host: o.host, port: o.port, portHint: '--port <n>' });
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: () =>
      (closing ??= (async () => {
        changes.close();
        api.close();
        // Open event streams would hold close() forever.
        app.server.closeAllConnections?.();
        await app.close();
      })()),
  };
}

function versionId(raw: string): number {
  const n = Number(raw);
  if (!/^\d{1,12}$/.test(raw) || !Number.isSafeInteger(n)) throw Object.assign(new Error(`not a version id: ${raw}`), { statusCode: 400 });
  return n;
}

async function sendResult(reply: FastifyReply, res: { status: number; body: unknown }): Promise<unknown> {
  return reply.code(res.status).send(res.body);
}

function pageLang(req: FastifyRequest): Lang {
  const cookie = /(?:^|;\s*)desk_lang=(en|zh-CN)(?:;|$)/.exec(req.headers.cookie ?? '')?.[1] as Lang | undefined;
  return cookie ?? langFromAcceptLanguage(req.headers['accept-language']);
}

function pageHtml(lang: Lang): string {
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>promptprep desk</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body><div id="app"></div></body>
</html>
`;
}

export async function fileExists(p: string): Promise<boolean> {
  return fs.stat(p).then((s) => s.isFile(), () => false);
}
