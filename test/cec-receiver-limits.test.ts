/**
 * What the callback receiver tolerates, over real sockets on 127.0.0.1: slow headers, slow
 * bodies and silent connections are closed after their timeout (short ones here, set
 * through options; the defaults are checked as values); idle connections beyond the limits
 * give way, so real callbacks still get through; a flood of aborted bodies makes one log
 * line per interval, not one each.
 */
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECEIVER_DEFAULTS, receiverSettings, startCallbackReceiver, type CallbackReceiver, type CallbackReceiverOptions } from '../src/cec/callbacks.js';
import { startReceiverFromConfig } from '../src/cec/setup.js';
import { defaultConfig } from '../src/config-defaults.js';
import { Ledger, MAX_UNMATCHED_CALLBACKS } from '../src/ledger/ledger.js';
import { createLogger } from '../src/logger.js';
import { LogThrottle } from '../src/server/log-throttle.js';
import { alawPrompt, CALLBACK_PATH, CALLBACK_SECRET, CEC, CEC_ENV, openLedger, post, prepare, waitUntil } from './helpers/cec-harness.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

let dir: string;
let ledger: Ledger;
let receiver: CallbackReceiver | undefined;
let logText: string;
const sockets: Socket[] = [];

function captureLogger() {
  logText = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logText += chunk.toString('utf8');
      cb();
    },
  });
  return createLogger({ json: true, destination });
}

const logLines = () =>
  logText
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function start(o: Partial<CallbackReceiverOptions> = {}): Promise<CallbackReceiver> {
  receiver = await startCallbackReceiver({ ledger, host: '127.0.0.1', port: 0, path: CALLBACK_PATH, secret: CALLBACK_SECRET, logger: captureLogger(), ...o });
  return receiver;
}

/** A raw TCP connection to the receiver, closed by afterEach if the test does not. */
async function open(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  sockets.push(s);
  s.on('error', () => undefined);
  s.on('data', () => undefined);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

/**
 * How long the server keeps `s` open after `t0` (ms), or Infinity when it is still open at
 * `capMs`: the wait is bounded whatever the server does.
 */
function heldFor(s: Socket, t0: number, capMs = 4000): Promise<number> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) return resolve(performance.now() - t0);
    const timer = setTimeout(() => resolve(Infinity), capMs);
    const done = () => {
      clearTimeout(timer);
      resolve(performance.now() - t0);
    };
    s.once('end', done);
    s.once('close', done);
  });
}

/** Write `text` a piece every `everyMs` until the socket closes (a slow sender). */
function drip(s: Socket, text: string, everyMs = 50): void {
  let i = 0;
  const timer = setInterval(() => {
    if (s.destroyed || i >= text.length) return clearInterval(timer);
    s.write(text[i++] as string);
  }, everyMs);
  s.once('close', () => clearInterval(timer));
}

const callbackPath = `${CALLBACK_PATH}/${CALLBACK_SECRET}`;

beforeEach(async () => {
  dir = await makeTempDir('promptprep-cec-limits-');
  ledger = openLedger(dir);
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await receiver?.close();
  receiver = undefined;
  ledger.close();
  await removeTempDir(dir);
});

describe('defaults, as the README documents them', () => {
  it('16 KiB bodies; 10 s for headers, for the whole request and of silence; 256 connections, 32 per address', async () => {
    const documented = {
      maxBodyBytes: 16 * 1024,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 10_000,
      idleTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 256,
      maxConnectionsPerAddress: 32,
      logIntervalMs: 60_000,
    };
    expect(receiverSettings({})).toEqual(documented);
    // The receiver that `callbacks` and `watch --upload` start from the default config.
    const config = defaultConfig();
    config.cec.callback.port = 0;
    receiver = await startReceiverFromConfig(config, ledger, captureLogger(), CEC_ENV);
    expect(receiver.settings).toEqual(documented);
    expect(RECEIVER_DEFAULTS.timeoutMs).toBe(10_000);
  });

  it('one timeoutMs sets all three timeouts; each can be set on its own', () => {
    expect(receiverSettings({ timeoutMs: 3000 })).toMatchObject({ headersTimeoutMs: 3000, requestTimeoutMs: 3000, idleTimeoutMs: 3000, keepAliveTimeoutMs: 3000 });
    expect(receiverSettings({ timeoutMs: 3000, headersTimeoutMs: 1000, idleTimeoutMs: 500 })).toMatchObject({ headersTimeoutMs: 1000, requestTimeoutMs: 3000, idleTimeoutMs: 500 });
  });
});

describe('timeouts hold to their value (400 ms here)', () => {
  const T = 400;
  // Closed no sooner than the timeout (less a little clock slack), and well before 4 s.
  const inTime = (ms: number) => {
    expect(ms).toBeGreaterThanOrEqual(T - 50);
    expect(ms).toBeLessThan(T + 1500);
  };

  it('a connection that sends nothing is closed', async () => {
    const r = await start({ timeoutMs: T });
    const t0 = performance.now();
    const s = await open(r.port);
    inTime(await heldFor(s, t0));
  });

  it('headers sent one byte at a time are cut off with 408', async () => {
    const r = await start({ timeoutMs: T });
    const s = await open(r.port);
    let answer = '';
    s.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const t0 = performance.now();
    drip(s, `POST ${callbackPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`, 20);
    inTime(await heldFor(s, t0));
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a body sent one byte at a time is cut off, and nothing is recorded', async () => {
    const r = await start({ timeoutMs: T });
    const s = await open(r.port);
    const body = JSON.stringify({ fileUrl: 'x', fileId: '5', status: '2' });
    const t0 = performance.now();
    s.write(`POST ${callbackPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 400}\r\n\r\n`);
    drip(s, body + ' '.repeat(400), 20);
    inTime(await heldFor(s, t0));
    expect(ledger.unmatchedCallbacks(CEC)).toEqual([]);
  });

  it('the header timeout can be shorter than the whole-request one', async () => {
    const r = await start({ timeoutMs: 3000, headersTimeoutMs: T, idleTimeoutMs: 3000 });
    const s = await open(r.port);
    const t0 = performance.now();
    drip(s, `POST ${callbackPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`, 20);
    inTime(await heldFor(s, t0));
  });
});

describe('connection limits leave room for real callbacks', () => {
  it('100 idle connections from one address: the receiver holds at most its share, and 8 real callbacks all get through', async () => {
    // Long timeouts: only the limits can make room here.
    const r = await start({ timeoutMs: 60_000, maxConnections: 40, maxConnectionsPerAddress: 20 });
    await prepare(ledger, dir, 'real.wav', alawPrompt(0.3, 500));
    ledger.transition({ name: 'real.wav', platform: CEC, to: 'uploading', actor: 'test', remoteName: 'real' });
    ledger.transition({ name: 'real.wav', platform: CEC, to: 'in-review', actor: 'test', remoteId: '8001' });

    const idle: Socket[] = [];
    for (let i = 0; i < 100; i++) idle.push(await open(r.port));
    const stillOpen = () => idle.filter((s) => !s.destroyed && !s.readableEnded).length;
    await waitUntil(() => stillOpen() <= 20, `at most 20 idle connections left open (${stillOpen()} are)`, 5000);
    expect(r.connections()).toBeLessThanOrEqual(20);

    const answers = [];
    for (let i = 0; i < 8; i++) {
      answers.push((await post(r.url, { fileUrl: 'x', fileId: i === 0 ? '8001' : `9${i}`, status: '2' })).json);
    }
    expect(answers).toEqual(Array.from({ length: 8 }, () => ({ returnCode: '0' })));
    expect(ledger.findVersion('real.wav', CEC).state).toBe('approved');
    expect(stillOpen()).toBeLessThanOrEqual(20);
    // 80+ connections dropped: one log line for them in this interval.
    expect(logLines().filter((l) => l.event === 'connection-dropped')).toHaveLength(1);
  });
});

describe('unmatched callbacks are bounded', () => {
  it('callbacks for three times as many unknown fileIds as the ledger keeps: all answered 0, one row per fileId, the limit kept', async () => {
    // Each is a committed write (synchronous=FULL): a limit of 20 shows the bound quickly.
    ledger.close();
    ledger = Ledger.open(path.join(dir, 'ledger.sqlite'), { maxUnmatchedCallbacks: 20 });
    const r = await start();
    const bodyBytes = () => (ledger.db.prepare('SELECT COALESCE(sum(length(body)), 0) AS n FROM unmatched_callbacks').get() as { n: number }).n;
    for (let i = 0; i < 60; i += 10) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, j) => post(r.url, { fileUrl: `http://127.0.0.1:1/files/${'f'.repeat(2000)}${i + j}.wav`, fileId: String(500_000 + i + j), status: '3', comment: 'x'.repeat(200) })),
      );
      for (const a of answers) expect(a.json).toEqual({ returnCode: '0' });
    }
    // The same fileId five times more: counted, not stored again.
    for (let k = 0; k < 5; k++) await post(r.url, { fileUrl: 'x', fileId: '500059', status: '3' });
    const rows = ledger.unmatchedCallbacks(CEC);
    expect(rows).toHaveLength(20);
    expect(rows.at(-1)).toMatchObject({ remoteId: '500059', count: 6 });
    // What is kept is what applying a late upload needs, not the raw body (no fileUrl).
    expect(JSON.parse(rows.at(-1)!.body)).toEqual({ fileId: '500059', status: '3' });
    expect(bodyBytes()).toBeLessThan(20 * 300);
  });
});

describe('aborted bodies are logged at most once per interval', () => {
  it('50 clients that hang up mid-body: one warning, and the count on close; no error lines', async () => {
    const r = await start({ timeoutMs: 5000 });
    for (let i = 0; i < 50; i++) {
      const s = await open(r.port);
      s.write(`POST ${callbackPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"fileUrl":`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      s.destroy();
    }
    await waitUntil(() => logLines().some((l) => l.event === 'callback-aborted'), 'the aborted-body warning', 5000);
    // The server has seen every hang-up once nothing is held any more.
    await waitUntil(() => r.connections() === 0, 'every connection closed', 5000);
    await r.close();
    receiver = undefined;
    const lines = logLines();
    expect(lines.filter((l) => l.level === 50)).toEqual([]);
    const aborted = lines.filter((l) => l.event === 'callback-aborted');
    expect(aborted).toHaveLength(2);
    expect(aborted[0]).not.toHaveProperty('suppressed');
    // The shutdown line accounts for the rest.
    expect(aborted[1]).toMatchObject({ suppressed: 49 });
  });

  it('LogThrottle: one line per interval and kind, with the count left out', () => {
    let now = 0;
    const t = new LogThrottle(1000, () => now);
    expect(t.take('a')).toEqual({ suppressed: 0 });
    expect(t.take('a')).toBeNull();
    expect(t.take('b')).toEqual({ suppressed: 0 });
    now = 999;
    expect(t.take('a')).toBeNull();
    expect(t.pending()).toEqual([['a', 2]]);
    now = 1000;
    expect(t.take('a')).toEqual({ suppressed: 2 });
    expect(t.pending()).toEqual([]);
  });
});
