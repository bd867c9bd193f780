/**
 * The desk's access rules (src/desk/auth.ts): when a token is required, and, in a real
 * browser, that a desk bound beyond loopback refuses requests without a session, signs in
 * only with the right token (slowly and silently about wrong ones), and rejects
 * cross-site POSTs and POSTs without the CSRF token.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_COOKIE, CSRF_HEADER, DeskAccessError, deskAccess, registerAuth, SESSION_COOKIE } from '../src/desk/auth.js';
import { closeBrowser, launchBrowser, newPage, pageErrors, screenshot } from './helpers/browser.js';

const TOKEN = 'correct-horse-battery-staple-42';
const DELAY_MS = 400;

describe('deskAccess: when the desk needs a token', () => {
  it('asks nothing on loopback, and a token of at least 16 characters anywhere else', () => {
    expect(deskAccess('127.0.0.1', {})).toEqual({ mode: 'loopback' });
    expect(deskAccess('::1', {})).toEqual({ mode: 'loopback' });
    expect(deskAccess('localhost', {})).toEqual({ mode: 'loopback' });
    expect(deskAccess('0.0.0.0', { PROMPTPREP_DESK_TOKEN: TOKEN })).toEqual({ mode: 'token', token: TOKEN });
    // A token set on loopback is used: the desk behind a reverse proxy on the same machine.
    expect(deskAccess('127.0.0.1', { PROMPTPREP_DESK_TOKEN: TOKEN })).toEqual({ mode: 'token', token: TOKEN });
  });

  it('refuses to start beyond loopback without the token, or with a short one, saying what to do and never the value', () => {
    expect(() => deskAccess('0.0.0.0', {})).toThrow(DeskAccessError);
    expect(() => deskAccess('0.0.0.0', {})).toThrow(/0\.0\.0\.0.*PROMPTPREP_DESK_TOKEN is not set.*at least 16 characters.*--host 127\.0\.0\.1/);
    expect(() => deskAccess('192.168.1.20', { PROMPTPREP_DESK_TOKEN: '' })).toThrow(/not set/);
    let message = '';
    try {
      deskAccess('10.0.0.5', { PROMPTPREP_DESK_TOKEN: 'short-secret' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/PROMPTPREP_DESK_TOKEN is 12 characters long; the desk on 10\.0\.0\.5 needs at least 16/);
    expect(message).not.toContain('short-secret');
  });
});

describe('a desk bound beyond loopback, in a real browser', () => {
  let browser: Browser;
  let app: FastifyInstance;
  let evil: FastifyInstance;
  let base: string;
  let evilPort: number;
  const changes: string[] = [];
  const statuses: { method: string; url: string; status: number }[] = [];
  const logged: string[] = [];

  beforeAll(async () => {
    // A stand-in for the desk: a page, a read and a state change, behind the real plugin.
    app = Fastify({ logger: false });
    const logger = { warn: (m: string) => logged.push(`warn ${m}`), info: (m: string) => logged.push(`info ${m}`) };
    await registerAuth(app, { token: TOKEN, logger, failureDelayMs: DELAY_MS });
    app.addHook('onResponse', async (req, reply) => {
      statuses.push({ method: req.method, url: req.url, status: reply.statusCode });
    });
    app.get('/', async (_req, reply) => reply.type('text/html').send('<!doctype html><title>desk</title><h1>prompts</h1>'));
    app.get('/api/prompts', async () => ({ prompts: [] }));
    app.post('/api/change', async (req) => {
      changes.push(String((req.body as { what?: string } | undefined)?.what ?? 'form'));
      return { ok: true };
    });
    // Form posts from the attacker's page arrive urlencoded; accept them so that a refusal
    // can only come from the auth rules, not from an unknown content type.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

    // Another site whose page posts to the desk the moment it loads.
    evil = Fastify({ logger: false });
    evil.get('/', async (_req, reply) =>
      reply
        .type('text/html')
        .send(`<!doctype html><form id="f" method="post" action="${base}/api/change"><input name="what" value="evil"></form><script src="/go.js"></script>`),
    );
    evil.get('/go.js', async (_req, reply) => reply.type('text/javascript').send('document.getElementById("f").submit();'));
    await evil.listen({ host: '127.0.0.1', port: 0 });
    evilPort = (evil.server.address() as { port: number }).port;

    browser = await launchBrowser();
  });

  afterAll(async () => {
    await closeBrowser(browser);
    await app?.close();
    await evil?.close();
  });

  it('sends a page visit without a session to the sign-in page, and refuses API reads and changes', async () => {
    const page = await newPage(browser);
    const errors = pageErrors(page);
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await expect(page.locator('input[name=token]')).toBeDefined();
    expect(await page.locator('h1').textContent()).toBe('promptprep desk');
    const csp = (await page.request.get(`${base}/signin`)).headers()['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    await screenshot(page, 'desk-signin');
    // The sign-in page's policy forbids any fetch; ask from a document without one.
    await page.goto(`${base}/signin.css`);

    const read = await page.evaluate(async () => {
      const r = await fetch('/api/prompts');
      return { status: r.status, body: (await r.json()) as { error: string } };
    });
    expect(read.status).toBe(401);
    expect(read.body.error).toMatch(/sign in first/);
    const write = await page.evaluate(async () => (await fetch('/api/change', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"what":"anonymous"}' })).status);
    expect(write).toBe(401);
    expect(changes).toEqual([]);
    // Nothing broke on the sign-in page (no script error, nothing the policy blocked); the
    // refusals asked for above show as failed loads.
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });

  it('answers a wrong token slowly, logs it without the value, and signs in with the right one', async () => {
    const page = await newPage(browser);
    await page.goto(`${base}/signin`);
    const wrong = 'not-the-token-but-long-enough';
    await page.fill('input[name=token]', wrong);
    const started = performance.now();
    await Promise.all([page.waitForURL(`${base}/signin`), page.click('button[type=submit]')]);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(DELAY_MS - 20);
    expect(await page.locator('.error').textContent()).toMatch(/not the desk’s token/);
    expect(statuses.filter((s) => s.method === 'POST' && s.url === '/signin').map((s) => s.status)).toEqual([401]);
    expect(logged.some((l) => /^warn desk: sign-in refused, wrong token/.test(l))).toBe(true);
    expect(logged.join('\n')).not.toContain(wrong);
    expect(await page.context().cookies()).toEqual([]);

    await page.fill('input[name=token]', TOKEN);
    await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
    expect(await page.locator('h1').textContent()).toBe('prompts');
    expect(logged.join('\n')).not.toContain(TOKEN);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === SESSION_COOKIE);
    const csrf = cookies.find((c) => c.name === CSRF_COOKIE);
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(csrf).toMatchObject({ httpOnly: false, sameSite: 'Strict' });
    // The page's scripts see the CSRF token, never the session.
    const visible = await page.evaluate<string>('document.cookie');
    expect(visible).toContain(`${CSRF_COOKIE}=`);
    expect(visible).not.toContain(SESSION_COOKIE);

    const read = await page.evaluate(async () => (await fetch('/api/prompts')).status);
    expect(read).toBe(200);
    const post = (header: string | null) =>
      page.evaluate(
        async ([name, value]) => {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (value !== null) headers[name as string] = value;
          return (await fetch('/api/change', { method: 'POST', headers, body: '{"what":"approved"}' })).status;
        },
        [CSRF_HEADER, header] as const,
      );
    expect(await post(null)).toBe(403);
    expect(await post('forged')).toBe(403);
    expect(changes).toEqual([]);
    expect(await post(csrf!.value)).toBe(200);
    expect(changes).toEqual(['approved']);

    // Signed-in: a cross-site page that posts to the desk is refused, from another site
    // (the SameSite=Strict cookie stays home) and from another port of the same host
    // (same site, so the cookie goes along: the origin check refuses it).
    for (const origin of [`http://localhost:${evilPort}`, `http://127.0.0.1:${evilPort}`]) {
      const attacked = page.context();
      const p = await attacked.newPage();
      const refused = p.waitForResponse((r) => r.url() === `${base}/api/change`);
      await p.goto(`${origin}/`);
      expect((await refused).status(), origin).toBe(403);
      await p.close();
    }
    expect(changes).toEqual(['approved']);
    await screenshot(page, 'desk-signed-in');
  });

  it('refuses a cross-site sign-in attempt (login CSRF) before looking at the token', async () => {
    const res = await fetch(`${base}/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
      body: `token=${TOKEN}`,
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
