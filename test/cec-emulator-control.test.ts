/**
 * The emulator's control endpoints over real HTTP on 127.0.0.1: what they list never
 * carries a callBackUrl's secret (nor do the logs), a body they cannot use gets 400 (not
 * 500), and only loopback peers may use them.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, redactCallbackUrl, type EmulatorHandle } from '../src/cec/emulator.js';
import { UPLOAD_PATH } from '../src/cec/contract.js';
import { createLogger } from '../src/logger.js';
import { isLoopbackAddress, isLoopbackHost } from '../src/server/loopback.js';
import { alawPrompt, APP_KEY, APP_SECRET, CALLBACK_PATH, CALLBACK_SECRET, freePort, newClient, post } from './helpers/cec-harness.js';

let emu: EmulatorHandle;
let logText: string;

beforeEach(async () => {
  logText = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logText += chunk.toString('utf8');
      cb();
    },
  });
  emu = await startEmulator({
    port: 0,
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    reviewDelayMs: 10,
    callbackRetryDelayMs: 10,
    logger: createLogger({ json: true, destination }),
  });
});

afterEach(async () => {
  await emu.close();
});

describe('no secret in what the emulator answers or logs', () => {
  it('/__emulator/files shows callBackUrl with its secret segment and query redacted; the log never has them', async () => {
    const QUERY_SECRET = 'QUERYSECRET-canary-19ab';
    // Nothing listens there: every callback try fails, and is logged.
    const callBackUrl = `http://127.0.0.1:${await freePort()}${CALLBACK_PATH}/${CALLBACK_SECRET}?key=${QUERY_SECRET}`;
    const client = newClient(emu.url);
    const fileId = await client.upload({
      fileInfo: alawPrompt(0.3).toString('base64'),
      locale: 'zh_CN',
      voiceType: '1',
      fileType: 'wav',
      voiceFileName: 'secretcheck',
      callBackUrl,
    });
    await emu.idle();
    expect(emu.files.get(fileId)?.callbackAttempts).toBe(6);

    const res = await fetch(`${emu.url}/__emulator/files`);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const s of [CALLBACK_SECRET, QUERY_SECRET]) {
      expect(text).not.toContain(s);
      expect(logText).not.toContain(s);
    }
    const files = JSON.parse(text) as { fileId: string; callBackUrl: string }[];
    expect(files).toEqual([expect.objectContaining({ fileId, callBackUrl: `${new URL(callBackUrl).origin}${CALLBACK_PATH}/<redacted>?<redacted>` })]);
    expect(logText).toContain('callback-retry');
  });

  it('redactCallbackUrl drops user, password, query, fragment and the last segment', () => {
    expect(redactCallbackUrl('https://u:pw@example.com:8443/a/b/SECRET?x=1#f')).toBe('https://example.com:8443/a/b/<redacted>?<redacted>');
    expect(redactCallbackUrl('http://127.0.0.1:8791/SECRET')).toBe('http://127.0.0.1:8791/<redacted>');
    expect(redactCallbackUrl('http://127.0.0.1/')).toBe('http://127.0.0.1/');
    expect(redactCallbackUrl('not a url SECRET')).toBe('<redacted>');
    expect(redactCallbackUrl(null)).toBeNull();
  });
});

describe('control requests', () => {
  it('a body it cannot use gets 400 and changes nothing; a good one works', async () => {
    const url = `${emu.url}/__emulator/fail-next-uploads`;
    for (const body of ['{broken', '[]', 'null', '"3"', '{"count":-1}', '{"count":"2"}', '{"count":1.5}', '{"status":200}', '{"status":"503"}', '{"count":1,"extra":true}']) {
      const res = await post(url, body);
      expect(res.status, body).toBe(400);
      expect(res.text).not.toMatch(/\s+at .+[:(]|\.ts:\d+|\.js:\d+/);
    }
    // Nothing of the above took effect: an upload goes through.
    const client = newClient(emu.url);
    const upload = (name: string) => client.upload({ fileInfo: alawPrompt(0.2).toString('base64'), locale: 'zh_CN', voiceType: '1', fileType: 'wav', voiceFileName: name });
    await expect(upload('first')).resolves.toMatch(/^\d+$/);
    // 400: the client does not retry it, so the one injected failure shows.
    expect((await post(url, { count: 1, status: 400 })).status).toBe(200);
    const raw = await post(`${emu.url}${UPLOAD_PATH}`, {}, { Authorization: 'Bearer nothing' });
    expect(raw.status).toBe(401); // refused before the injected failure: it is still pending
    await expect(upload('second')).rejects.toThrow(/400/);
    await expect(upload('third')).resolves.toMatch(/^\d+$/);
  });

  it('the wrong method gets 405, an unknown control 404', async () => {
    expect((await fetch(`${emu.url}/__emulator/fail-next-uploads`)).status).toBe(405);
    expect((await post(`${emu.url}/__emulator/files`, {})).status).toBe(405);
    expect((await post(`${emu.url}/__emulator/nothing`, {})).status).toBe(404);
    expect((await post(`${emu.url}/__emulator/expire-tokens`, '')).status).toBe(200);
  });

  it('only loopback peers are this machine', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['192.0.2.2', '10.127.0.1', '::ffff:10.0.0.1', '::ffff:192.0.2.2', 'fe80::1', '::', '0.0.0.0', '', undefined]) expect(isLoopbackAddress(a), String(a)).toBe(false);
    for (const h of ['127.0.0.1', 'localhost', '[::1]', '::1']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.0.2.2', 'example.com']) expect(isLoopbackHost(h), h).toBe(false);
  });
});
