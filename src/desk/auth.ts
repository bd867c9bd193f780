/**
 * Who may use the desk. On loopback only this machine can reach it, so it asks nothing.
 * Bound to any other address it is a team's shared page on a server, and then:
 * - it refuses to start without PROMPTPREP_DESK_TOKEN (at least 16 characters);
 * - a sign-in page (server-rendered, no script) exchanges that token for a session: an
 *   HttpOnly, SameSite=Strict cookie that page scripts cannot read;
 * - every request but the sign-in page needs the session, and every state-changing one
 *   also passes a CSRF check: it must come from the desk's own origin (Sec-Fetch-Site,
 *   Origin) and carry the session's CSRF token in a header (the page reads it from the
 *   `desk_csrf` cookie, which other sites can neither read nor make a browser send);
 * - a wrong token is answered after a fixed delay and logged without its value; tokens
 *   are compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { LogThrottle } from '../server/log-throttle.js';
import { isLoopbackHost } from '../server/loopback.js';

export const DESK_TOKEN_ENV = 'PROMPTPREP_DESK_TOKEN';
export const MIN_TOKEN_LENGTH = 16;

export const SIGNIN_PATH = '/signin';
export const SIGNOUT_PATH = '/signout';
export const SIGNIN_STYLE_PATH = '/signin.css';
export const SESSION_COOKIE = 'desk_session';
export const CSRF_COOKIE = 'desk_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** How the desk decides who may use it, from where it listens and the environment. */
export type DeskAccess = { mode: 'loopback' } | { mode: 'token'; token: string };

/** The desk cannot start as asked (exit 2, like any usage error). */
export class DeskAccessError extends Error {
  override name = 'UsageError';
}

/**
 * Decide the access mode for `promptprep desk --host <host>`, or throw the message the
 * command prints. The token's value never appears in a message.
 */
export function deskAccess(host: string, env: NodeJS.ProcessEnv = process.env): DeskAccess {
  const token = env[DESK_TOKEN_ENV];
  if (isLoopbackHost(host)) return token ? { mode: 'token', token: checkedToken(token, host) } : { mode: 'loopback' };
  if (!token) {
    throw new DeskAccessError(
      `the desk would listen on ${host}, where other machines can reach it, and ${DESK_TOKEN_ENV} is not set. ` +
        `Set it to a secret of at least ${MIN_TOKEN_LENGTH} characters (e.g. \`openssl rand -hex 16\`) and give it to the people who may sign in, ` +
        `or keep the desk on this machine with --host 127.0.0.1 (the default).`,
    );
  }
  return { mode: 'token', token: checkedToken(token, host) };
}

function checkedToken(token: string, host: string): string {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new DeskAccessError(
      `${DESK_TOKEN_ENV} is ${token.length} characters long; the desk on ${host} needs at least ${MIN_TOKEN_LENGTH} (e.g. \`openssl rand -hex 16\`).`,
    );
  }
  return token;
}

/** The logger calls the plugin makes (pino's Logger and fastify's have them). */
export interface AuthLogger {
  warn(msg: string): void;
  info(msg: string): void;
}

export interface AuthOptions {
  /** PROMPTPREP_DESK_TOKEN (at least 16 characters). */
  token: string;
  /** Where wrong tokens and sign-ins are logged (never with a token's value). Default: the app's logger. */
  logger?: AuthLogger;
  /** How long a wrong token waits for its answer (ms). Default 1000. */
  failureDelayMs?: number;
  /** How long a session lasts from sign-in (ms). Default 12 hours. */
  sessionTtlMs?: number;
  /** Sessions kept at most; the oldest goes first. Default 1000. */
  maxSessions?: number;
}

interface Session {
  csrf: string;
  expires: number;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Equal strings, in time that does not depend on where they differ (or on their lengths). */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The path of a request URL, without its query. */
const pathOf = (url: string): string => url.split('?', 1)[0] ?? url;

/**
 * Whether a request comes from a page of the desk's own origin. Browsers send
 * Sec-Fetch-Site on every request (Chromium, Firefox, Safari since 2023), and Origin on
 * every POST; either naming another site is refused. A request with neither is not from a
 * browser page (curl, a script), which a CSRF attack cannot be.
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  return origin === `http://${host}` || origin === `https://${host}`;
}

function signinPage(error: string | null): string {
  const message = error ? `<p class="error" role="alert">${error}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>promptprep desk: sign in</title>
<link rel="stylesheet" href="${SIGNIN_STYLE_PATH}">
</head>
<body>
<main>
<h1>promptprep desk</h1>
<form method="post" action="${SIGNIN_PATH}">
<label for="token">Desk token <span lang="zh-CN">(访问令牌)</span></label>
<input id="token" name="token" type="password" autocomplete="current-password" required minlength="${MIN_TOKEN_LENGTH}" autofocus>
<button type="submit">Sign in <span lang="zh-CN">登录</span></button>
</form>
${message}
<p class="hint">Ask whoever runs the desk for the token (${DESK_TOKEN_ENV} on the server). <span lang="zh-CN">请向运行本服务的人索取令牌。</span></p>
</main>
</body>
</html>
`;
}

const SIGNIN_CSS = `body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:24rem;margin:12vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin:0 0 1rem}label{display:block;margin-bottom:.3rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #b8bfcc;border-radius:4px}
button{margin-top:1rem;padding:.5rem 1rem;font:inherit;border:0;border-radius:4px;background:#2557d6;color:#fff;cursor:pointer}
.error{color:#b3261e;font-weight:600}.hint{color:#5b6475;font-size:.9rem}
`;

/** The sign-in page has no script at all; this policy holds it to that even where the app's own policy is looser. */
export const SIGNIN_CSP = "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function deskAuthPlugin(app: FastifyInstance, o: AuthOptions): Promise<void> {
  if (typeof o.token !== 'string' || o.token.length < MIN_TOKEN_LENGTH) {
    throw new DeskAccessError(`the desk's sign-in needs a token of at least ${MIN_TOKEN_LENGTH} characters (${DESK_TOKEN_ENV})`);
  }
  const token = o.token;
  const log: AuthLogger = o.logger ?? app.log;
  const failureDelayMs = o.failureDelayMs ?? 1000;
  const ttl = o.sessionTtlMs ?? 12 * 3600_000;
  const maxSessions = o.maxSessions ?? 1000;
  // Insertion order is age: the first entry is the oldest session.
  const sessions = new Map<string, Session>();
  const throttle = new LogThrottle(60_000);

  if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie);

  const sessionOf = (req: FastifyRequest): Session | null => {
    const id = req.cookies[SESSION_COOKIE];
    if (!id) return null;
    const s = sessions.get(id);
    if (!s) return null;
    if (s.expires <= Date.now()) {
      sessions.delete(id);
      return null;
    }
    return s;
  };

  const secure = (req: FastifyRequest): boolean => req.protocol === 'https';

  const refuse = (reply: FastifyReply, status: number, error: string): FastifyReply =>
    reply.code(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send({ error });

  app.addHook('onRequest', async (req, reply) => {
    const p = pathOf(req.url);
    const unsafe = !SAFE_METHODS.has(req.method);
    if (unsafe && !sameOrigin(req)) {
      return refuse(reply, 403, "cross-site request refused: changes come only from the desk's own page");
    }
    if (p === SIGNIN_PATH || p === SIGNIN_STYLE_PATH) return;
    const session = sessionOf(req);
    if (!session) {
      const wantsPage = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
      if (wantsPage) return reply.code(303).header('location', SIGNIN_PATH).header('cache-control', 'no-store').send();
      return refuse(reply, 401, `sign in first: open ${SIGNIN_PATH} and give the desk's token`);
    }
    if (unsafe) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !constantTimeEqual(sent, session.csrf)) {
        return refuse(reply, 403, `missing or wrong CSRF token (the ${CSRF_HEADER} header must repeat the ${CSRF_COOKIE} cookie); reload the page`);
      }
    }
  });

  app.get(SIGNIN_STYLE_PATH, async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(SIGNIN_CSS));

  const page = (reply: FastifyReply, status: number, error: string | null): FastifyReply =>
    reply.code(status).type('text/html; charset=utf-8').header('content-security-policy', SIGNIN_CSP).header('cache-control', 'no-store').send(signinPage(error));

  app.get(SIGNIN_PATH, async (_req, reply) => page(reply, 200, null));

  // The form posts urlencoded; the parser is scoped to this route so the app's own routes
  // keep accepting only what they declare.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.post<{ Body: { token?: unknown } }>(SIGNIN_PATH, { bodyLimit: 4096 }, async (req, reply) => {
      const given = req.body?.token;
      if (typeof given !== 'string' || !constantTimeEqual(given, token)) {
        // The same fixed wait for every wrong answer: guessing stays slow, and the time
        // says nothing about how close a guess was.
        await sleep(failureDelayMs);
        const t = throttle.take('wrong-token');
        if (t) log.warn(`desk: sign-in refused, wrong token (from ${req.ip})${t.suppressed ? `; ${t.suppressed} more since the last such line` : ''}`);
        return page(reply, 401, 'That is not the desk’s token. 令牌不正确。');
      }
      while (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value as string);
      const id = randomBytes(32).toString('base64url');
      const csrf = randomBytes(32).toString('base64url');
      sessions.set(id, { csrf, expires: Date.now() + ttl });
      const maxAge = Math.floor(ttl / 1000);
      const common = { path: '/', sameSite: 'strict' as const, secure: secure(req), maxAge };
      reply.setCookie(SESSION_COOKIE, id, { ...common, httpOnly: true });
      // Readable by the desk's page so it can repeat it in a header; useless without the session.
      reply.setCookie(CSRF_COOKIE, csrf, { ...common, httpOnly: false });
      log.info(`desk: signed in (from ${req.ip})`);
      return reply.code(303).header('location', '/').header('cache-control', 'no-store').send();
    });
  });

  app.post(SIGNOUT_PATH, async (req, reply) => {
    const id = req.cookies[SESSION_COOKIE];
    if (id) sessions.delete(id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.clearCookie(CSRF_COOKIE, { path: '/' });
    return reply.code(303).header('location', SIGNIN_PATH).send();
  });
}

/**
 * The sign-in, session and CSRF rules as a fastify plugin, applied to the whole app (not
 * encapsulated). Register it before the app's routes:
 * `await app.register(deskAuth, { token })`, or `await registerAuth(app, { token })`.
 */
export const deskAuth = fp(deskAuthPlugin, { name: 'promptprep-desk-auth', fastify: '5.x' });

export async function registerAuth(app: FastifyInstance, o: AuthOptions): Promise<void> {
  await app.register(deskAuth, o);
}
