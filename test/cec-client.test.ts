/**
 * The real CecClient against the real emulator over loopback HTTP: token caching and
 * renewal, retries and their absence, the 10-a-second limit, and the emulator's own
 * checks of the documented contract. Requests are counted by a recording fetch.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CecError } from '../src/cec/client.js';
import { MAX_FILE_INFO_BYTES, RC, TOKEN_PATH, UPLOAD_PATH, type UploadRequest } from '../src/cec/contract.js';
import { startEmulator, type EmulatorHandle } from '../src/cec/emulator.js';
import { RateLimiter } from '../src/cec/rate-limit.js';
import { alawPrompt, APP_KEY, APP_SECRET, freePort, maxInWindow, newClient, post, recordingFetch } from './helpers/cec-harness.js';

const FILE = alawPrompt(0.3).toString('base64');
const req = (voiceFileName: string, extra: Partial<UploadRequest> = {}): UploadRequest => ({
  fileInfo: FILE,
  locale: 'zh_CN',
  voiceType: '1',
  fileType: 'wav',
  voiceFileName,
  ...extra,
});

// A fresh emulator per test: each starts with its flow-control window empty. No callBackUrl
// in these uploads: reviews finish silently.
let emu: EmulatorHandle;
beforeEach(async () => {
  emu = await startEmulator({ port: 0, appKey: APP_KEY, appSecret: APP_SECRET, reviewDelayMs: 10 });
});
afterEach(async () => {
  await emu.close();
});

describe('token', () => {
  it('is fetched once and reused while it lives', async () => {
    const rec = recordingFetch();
    const client = newClient(emu.url, { fetch: rec.fetch });
    for (let i = 0; i < 4; i++) await client.upload(req(`cached${i}`));
    expect(rec.count(TOKEN_PATH)).toBe(1);
    expect(rec.count(UPLOAD_PATH)).toBe(4);
  });

  it('is renewed shortly before it expires, before the platform refuses it', async () => {
    let t = Date.now();
    const rec = recordingFetch();
    const client = newClient(emu.url, { fetch: rec.fetch, now: () => t, tokenExpireSeconds: 600, renewMarginSeconds: 60 });
    await client.upload(req('renewa'));
    t += 500_000; // 100 s left: still used
    await client.upload(req('renewb'));
    expect(rec.count(TOKEN_PATH)).toBe(1);
    t += 45_000; // 55 s left, inside the margin: renewed first
    await client.upload(req('renewc'));
    expect(rec.count(TOKEN_PATH)).toBe(2);
    expect(rec.log.filter((r) => r.status === 401)).toEqual([]);
  });

  it('the lifetime the platform grants wins over the one asked for', async () => {
    const short = await startEmulator({ port: 0, appKey: APP_KEY, appSecret: APP_SECRET, reviewDelayMs: 10, tokenLifetimeSeconds: 120 });
    try {
      let t = Date.now();
      const rec = recordingFetch();
      const client = newClient(short.url, { fetch: rec.fetch, now: () => t, tokenExpireSeconds: 3600 });
      await client.upload(req('granta'));
      t += 30_000;
      await client.upload(req('grantb'));
      expect(rec.count(TOKEN_PATH)).toBe(1);
      t += 35_000; // 55 s of the granted 120 left: renew (asking 3600 would have kept it)
      await client.upload(req('grantc'));
      expect(rec.count(TOKEN_PATH)).toBe(2);
    } finally {
      await short.close();
    }
  });

  it('a short-lived token is still reused: the renewal margin never covers the whole lifetime', async () => {
    // cec.tokenExpireSeconds may be 60 (the config's minimum) and the default margin is 60 s:
    // renewing "60 s before expiry" must not mean a new token for every request.
    const short = await startEmulator({ port: 0, appKey: APP_KEY, appSecret: APP_SECRET, reviewDelayMs: 10, tokenLifetimeSeconds: 60 });
    try {
      const rec = recordingFetch();
      const client = newClient(short.url, { fetch: rec.fetch, tokenExpireSeconds: 60 });
      for (let i = 0; i < 4; i++) await client.upload(req(`short${i}`));
      expect(rec.count(TOKEN_PATH)).toBe(1);
    } finally {
      await short.close();
    }
  });

  it('an expired token is renewed once and the upload goes through', async () => {
    const rec = recordingFetch();
    const client = newClient(emu.url, { fetch: rec.fetch });
    await client.upload(req('expirea'));
    emu.expireTokens();
    const fileId = await client.upload(req('expireb'));
    expect(emu.files.get(fileId)?.voiceFileName).toBe('expireb');
    expect(rec.log.map((r) => `${r.path === TOKEN_PATH ? 'token' : 'upload'}:${r.status}`)).toEqual(['token:200', 'upload:200', 'upload:401', 'token:200', 'upload:200']);
  });

  it('a wrong app_secret is refused at once, with the platform message and without the secret', async () => {
    const rec = recordingFetch();
    const wrong = 'WRONG-secret-value-123';
    const client = newClient(emu.url, { fetch: rec.fetch, credentials: { appKey: APP_KEY, appSecret: wrong } });
    const err = (await client.upload(req('wrongsecret')).catch((e: unknown) => e)) as CecError;
    expect(err).toBeInstanceOf(CecError);
    expect(err.status).toBe(401);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('The app_key or app_secret is invalid.');
    expect(err.message).not.toContain(wrong);
    expect(err.stack ?? '').not.toContain(wrong);
    expect(rec.count(TOKEN_PATH)).toBe(1);
    expect(rec.count(UPLOAD_PATH)).toBe(0);
  });
});

describe('retries', () => {
  it('5xx during upload: retried with growing backoff, then success', async () => {
    const rec = recordingFetch();
    const client = newClient(emu.url, { fetch: rec.fetch, backoffMs: 40 });
    await client.accessToken();
    emu.failNextUploads(2, 503);
    const fileId = await client.upload(req('fivexx'));
    expect(emu.files.has(fileId)).toBe(true);
    const uploads = rec.log.filter((r) => r.path === UPLOAD_PATH);
    expect(uploads.map((r) => r.status)).toEqual([503, 503, 200]);
    const gap1 = uploads[1]!.start - uploads[0]!.start;
    const gap2 = uploads[2]!.start - uploads[1]!.start;
    expect(gap1).toBeGreaterThanOrEqual(35);
    expect(gap2).toBeGreaterThanOrEqual(75);
  });

  it('5xx that never ends: maxTries tries, then a retryable error with the platform message', async () => {
    const rec = recordingFetch();
    const client = newClient(emu.url, { fetch: rec.fetch, maxTries: 3, backoffMs: 10 });
    await client.accessToken();
    emu.failNextUploads(3, 502);
    const err = (await client.upload(req('always5xx')).catch((e: unknown) => e)) as CecError;
    expect(err).toBeInstanceOf(CecError);
    expect(err.status).toBe(502);
    expect(err.message).toContain('HTTP 502');
    expect(err.message).toContain('temporarily unavailable');
    expect(rec.count(UPLOAD_PATH)).toBe(3);
  });

  it('4xx is not retried', async () => {
    const rec = recordingFetch();
    const client = newClient(emu.url, { fetch: rec.fetch });
    await client.accessToken();
    emu.failNextUploads(1, 400);
    const err = (await client.upload(req('fourxx')).catch((e: unknown) => e)) as CecError;
    expect(err.status).toBe(400);
    expect(err.retryable).toBe(false);
    expect(rec.count(UPLOAD_PATH)).toBe(1);
    // The next upload is not affected.
    await client.upload(req('fourxxafter'));
  });

  it('a business error (HTTP 200, returnCode not 0) is not retried and keeps the platform description', async () => {
    const rec = recordingFetch();
    const client = newClient(emu.url, { fetch: rec.fetch });
    const err = (await client.upload(req('has space')).catch((e: unknown) => e)) as CecError;
    expect(err.message).toBe('upload refused: The format of voiceFileName is incorrect. (returnCode 0300004)');
    expect(err.returnCode).toBe(RC.badFormat);
    expect(rec.count(UPLOAD_PATH)).toBe(1);
  });

  it('connection refused: retried with backoff, then a network error', async () => {
    const port = await freePort();
    const rec = recordingFetch();
    const client = newClient(`http://127.0.0.1:${port}`, { fetch: rec.fetch, maxTries: 4, backoffMs: 25 });
    const t0 = performance.now();
    const err = (await client.upload(req('refused')).catch((e: unknown) => e)) as CecError;
    expect(err).toBeInstanceOf(CecError);
    expect(err.status).toBeNull();
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/^network error talking to http:\/\/127\.0\.0\.1:\d+/);
    expect(rec.log).toHaveLength(4);
    expect(rec.log.every((r) => r.error !== null)).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25 + 50 + 100 - 5);
  });

  it('a connection cut after the upload was sent is not retried: it may be stored already', async () => {
    // A server that takes the token, then drops every upload's connection once the body is in.
    let uploads = 0;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        if (request.url === TOKEN_PATH) {
          response.writeHead(200, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify({ AccessToken: 'tok', ApplyType: 'Bearer', Expires: '600' }));
          return;
        }
        uploads++;
        request.socket.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = newClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { maxTries: 4, backoffMs: 10 });
      const err = (await client.upload(req('cut')).catch((e: unknown) => e)) as CecError;
      expect(err).toBeInstanceOf(CecError);
      expect(err.ambiguous).toBe(true);
      expect(err.retryable).toBe(false);
      expect(err.message).toMatch(/may have reached the platform/);
      expect(uploads).toBe(1);
    } finally {
      server.close();
    }
  });

  it('flow control from the platform is waited out and retried', async () => {
    // Someone else (a naive script) used up this second's budget.
    const token = (await post(`${emu.url}${TOKEN_PATH}`, { app_key: APP_KEY, app_secret: APP_SECRET })).json as { AccessToken: string };
    const headers = { Authorization: `Bearer ${token.AccessToken}`, 'X-APP-Key': APP_KEY };
    await Promise.all(Array.from({ length: 10 }, (_, i) => post(`${emu.url}${UPLOAD_PATH}`, req(`other${i}`), headers)));
    const rec = recordingFetch();
    const client = newClient(emu.url, { fetch: rec.fetch });
    await client.upload(req('afterflow'));
    const uploads = rec.log.filter((r) => r.path === UPLOAD_PATH);
    expect(uploads[0]!.returnCode).toBe(RC.uploadFlowControl);
    expect(uploads.at(-1)!.returnCode).toBe(RC.ok);
    expect(uploads[1]!.start - uploads[0]!.start).toBeGreaterThanOrEqual(990);
  });
});

describe('at most 10 requests a second', () => {
  it('a burst of 30 concurrent uploads never triggers the platform flow control', async () => {
    const rec = recordingFetch();
    const client = newClient(emu.url, { fetch: rec.fetch });
    const t0 = performance.now();
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => client.upload(req(`burst${i}`))));
    const ms = performance.now() - t0;
    expect(new Set(ids).size).toBe(30);
    expect(rec.log.filter((r) => r.returnCode === RC.uploadFlowControl)).toEqual([]);
    expect(rec.count(UPLOAD_PATH)).toBe(30);
    expect(maxInWindow(rec.log.map((r) => r.start))).toBeLessThanOrEqual(10);
    // 31 requests (token included) need at least three full windows.
    expect(ms).toBeGreaterThanOrEqual(3000);
    expect(ms).toBeLessThan(6000);
  });
});

describe('the emulator checks the documented contract', () => {
  // Raw requests here count against its flow control too: keep under 10 a second.
  const limiter = new RateLimiter(8);
  const raw = async (p: string, body: unknown, headers: Record<string, string> = {}) => {
    const release = await limiter.acquire();
    try {
      return await post(`${emu.url}${p}`, body, headers);
    } finally {
      release();
    }
  };
  let auth: Record<string, string>;
  beforeEach(async () => {
    const t = await raw(TOKEN_PATH, { app_key: APP_KEY, app_secret: APP_SECRET }, { 'X-Token-Expire': '600' });
    expect(t.status).toBe(200);
    const j = t.json as { AccessToken: string; ApplyType: string; Expires: string };
    expect(j.ApplyType).toBe('Bearer');
    expect(j.Expires).toBe('600');
    auth = { Authorization: `Bearer ${j.AccessToken}`, 'X-APP-Key': APP_KEY };
  });

  it('token: app_key and app_secret checked, X-Token-Expire at most 3600', async () => {
    expect(await raw(TOKEN_PATH, { app_key: 'nope', app_secret: APP_SECRET })).toMatchObject({ status: 401, json: { returnCode: RC.unauthorized } });
    expect(await raw(TOKEN_PATH, { app_key: APP_KEY, app_secret: 'nope' })).toMatchObject({ status: 401, json: { returnCode: RC.unauthorized } });
    expect(await raw(TOKEN_PATH, { app_key: APP_KEY })).toMatchObject({ status: 400, json: { returnCode: RC.missing } });
    expect(await raw(TOKEN_PATH, '{not json')).toMatchObject({ status: 400, json: { returnCode: RC.badFormat } });
    expect(await raw(TOKEN_PATH, { app_key: APP_KEY, app_secret: APP_SECRET }, { 'X-Token-Expire': '3601' })).toMatchObject({ status: 400 });
    const refused = await raw(TOKEN_PATH, { app_key: APP_KEY, app_secret: 'nope' });
    expect(refused.text).not.toContain(APP_SECRET);
  });

  it('upload: needs a valid token and the matching X-APP-Key', async () => {
    expect(await raw(UPLOAD_PATH, req('noauth'))).toMatchObject({ status: 401, json: { returnCode: RC.unauthorized } });
    expect(await raw(UPLOAD_PATH, req('badtoken'), { Authorization: 'Bearer 0000' })).toMatchObject({ status: 401 });
    expect(await raw(UPLOAD_PATH, req('badkey'), { ...auth, 'X-APP-Key': 'other' })).toMatchObject({ status: 401 });
  });

  it('upload: field rules, each with the platform error shape', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...req('ok1'), fileInfo: undefined }, RC.missing, /fileInfo cannot be null/],
      [{ ...req('ok2'), fileInfo: '' }, RC.empty, /fileInfo cannot be an empty string/],
      [{ ...req('ok3'), fileInfo: 'abc$' }, RC.badFormat, /format of fileInfo/],
      [{ ...req('ok4'), fileInfo: 'abcde' }, RC.badFormat, /format of fileInfo/],
      [{ ...req('ok5'), fileType: 'mp3' }, RC.badFormat, /format of fileType/],
      [{ ...req('ok6'), fileType: 'WAV' }, RC.badFormat, /format of fileType/],
      [{ ...req('ok7'), locale: 'fr_FR' }, RC.badFormat, /format of locale/],
      [{ ...req('ok8'), voiceType: '4' }, RC.badFormat, /format of voiceType/],
      [{ ...req('ok9'), voiceType: 1 }, RC.badFormat, /format of voiceType/],
      [req('has_underscore'), RC.badFormat, /format of voiceFileName/],
      [req('a'.repeat(51)), RC.tooLong, /voiceFileName is too long/],
      [req('中'.repeat(51)), RC.tooLong, /voiceFileName is too long/],
      [{ ...req('ok10'), callBackUrl: 'ftp://127.0.0.1/x' }, RC.badFormat, /callBackUrl/],
    ];
    for (const [body, code, desc] of cases) {
      const r = await raw(UPLOAD_PATH, body, auth);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(200);
      expect(r.json, JSON.stringify(body).slice(0, 80)).toMatchObject({ returnCode: code, description: expect.stringMatching(desc) });
    }
    // 50 characters, Chinese included, is fine.
    expect(await raw(UPLOAD_PATH, req(`${'中'.repeat(25)}${'a'.repeat(25)}`), auth)).toMatchObject({ json: { returnCode: RC.ok } });
  });

  it('upload: fileInfo over 8 MB is refused as too long', async () => {
    const over = 'A'.repeat(MAX_FILE_INFO_BYTES + 4);
    expect(await raw(UPLOAD_PATH, req('toolarge', { fileInfo: over }), auth)).toMatchObject({ status: 200, json: { returnCode: RC.tooLong } });
    const atLimit = 'A'.repeat(MAX_FILE_INFO_BYTES);
    expect(await raw(UPLOAD_PATH, req('atlimit', { fileInfo: atLimit }), auth)).toMatchObject({ status: 200, json: { returnCode: RC.ok } });
    // Far over: refused without buffering it all.
    const huge = 'A'.repeat(12 * 1024 * 1024);
    expect(await raw(UPLOAD_PATH, req('huge', { fileInfo: huge }), auth)).toMatchObject({ json: { returnCode: RC.tooLong } });
  });

  it('more than 10 uploads in a second get the flow-control answer', async () => {
    const answers = await Promise.all(Array.from({ length: 14 }, (_, i) => post(`${emu.url}${UPLOAD_PATH}`, req(`flood${i}`), auth)));
    const limited = answers.filter((a) => (a.json as { returnCode: string }).returnCode === RC.uploadFlowControl);
    expect(limited).toHaveLength(4);
    for (const a of limited) expect(a).toMatchObject({ status: 200, json: { description: expect.stringMatching(/flow control/i) } });
  });

  it('answers no stack traces, even to garbage', async () => {
    for (const r of [
      await raw(UPLOAD_PATH, 'garbage{', auth),
      await raw('/__emulator/fail-next-uploads', '{broken'),
      await raw('/nowhere', {}),
    ]) {
      expect(r.text).not.toMatch(/\s+at .+[:(]/);
      expect(r.text).not.toMatch(/\.ts:\d+|\.js:\d+/);
    }
  });
});
