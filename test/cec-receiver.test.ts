/**
 * The callback receiver over real HTTP: results recorded before the answer, duplicates
 * harmless, unknown fileIds kept for `status`, malformed bodies refused without touching
 * the ledger, a wrong secret path answered 404, and a ledger that cannot write answered
 * with a non-zero returnCode so the platform retries.
 */
import { request } from 'node:http';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../src/cec/callbacks.js';
import { Ledger } from '../src/ledger/ledger.js';
import { createLogger } from '../src/logger.js';
import { alawPrompt, CALLBACK_PATH, CALLBACK_SECRET, CEC, cecRow, eventCount, openLedger, post, prepare } from './helpers/cec-harness.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const STACK = /\s+at .+[:(]|\.ts:\d+|\.js:\d+/;

let dir: string;
let ledger: Ledger;
let receiver: CallbackReceiver;
let logText: string;

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

/** Record a version as uploaded with `fileId`, in review. */
async function inReview(name: string, fileId: string, freq = 440): Promise<void> {
  await prepare(ledger, dir, name, alawPrompt(0.3, freq));
  ledger.transition({ name, platform: CEC, to: 'uploading', actor: 'test', remoteName: name.replace(/\W/g, '') });
  ledger.transition({ name, platform: CEC, to: 'in-review', actor: 'test', remoteId: fileId });
}

const cb = (fileId: string, status: '2' | '3', comment?: string) => ({
  fileUrl: `http://127.0.0.1:1/files/${fileId}.wav`,
  fileId,
  status,
  ...(comment ? { comment } : {}),
});

beforeEach(async () => {
  dir = await makeTempDir('promptprep-cec-recv-');
  ledger = openLedger(dir);
  receiver = await startCallbackReceiver({
    ledger,
    host: '127.0.0.1',
    port: 0,
    path: CALLBACK_PATH,
    secret: CALLBACK_SECRET,
    maxBodyBytes: 4096,
    logger: captureLogger(),
  });
});

afterEach(async () => {
  await receiver.close();
  try {
    ledger.close();
  } catch {
    /* closed by the test */
  }
  await removeTempDir(dir);
});

describe('review results', () => {
  it('approval: recorded (committed, seen from another connection) before {"returnCode":"0"}', async () => {
    await inReview('welcome.wav', '1001');
    const other = new Database(path.join(dir, 'ledger.sqlite'), { readonly: true });
    try {
      const res = await post(receiver.url, cb('1001', '2'));
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ returnCode: '0' });
      const row = other.prepare("SELECT state FROM reviews WHERE platform = ? AND remote_id = '1001'").get(CEC) as { state: string };
      expect(row.state).toBe('approved');
    } finally {
      other.close();
    }
    const events = ledger.events('welcome.wav');
    expect(events.at(-1)).toMatchObject({ platform: CEC, from: 'in-review', to: 'approved', actor: 'callback' });
  });

  it('rejection: the reviewer comment becomes the reason', async () => {
    await inReview('hold.wav', '1002');
    const res = await post(receiver.url, cb('1002', '3', '背景噪音过大 Background noise too loud'));
    expect(res.json).toEqual({ returnCode: '0' });
    const v = cecRow(ledger, 'hold.wav');
    expect(v.state).toBe('rejected');
    expect(v.reason).toBe('背景噪音过大 Background noise too loud');
    expect(ledger.status({ platform: CEC })[0]).toMatchObject({ state: 'rejected', reason: '背景噪音过大 Background noise too loud' });
  });

  it('a duplicate callback is answered 0 and changes nothing', async () => {
    await inReview('dup.wav', '1003');
    expect((await post(receiver.url, cb('1003', '2'))).json).toEqual({ returnCode: '0' });
    const before = eventCount(ledger);
    for (let i = 0; i < 3; i++) expect((await post(receiver.url, cb('1003', '2'))).json).toEqual({ returnCode: '0' });
    expect(eventCount(ledger)).toBe(before);
    expect(cecRow(ledger, 'dup.wav').state).toBe('approved');
    expect(logText).toContain('callback-duplicate');
  });

  it('a contradicting second verdict is answered 0, noted, and not applied', async () => {
    await inReview('flip.wav', '1004');
    await post(receiver.url, cb('1004', '2'));
    const res = await post(receiver.url, cb('1004', '3', 'changed my mind'));
    expect(res.json).toEqual({ returnCode: '0' });
    const v = cecRow(ledger, 'flip.wav');
    expect(v.state).toBe('approved');
    expect(v.lastError).toMatch(/callback said rejected while the version was approved \(changed my mind\)/);
  });

  it('an unknown fileId is logged, answered 0, and kept for status', async () => {
    await inReview('known.wav', '1005');
    const before = eventCount(ledger);
    const res = await post(receiver.url, cb('99999', '2'));
    expect(res.json).toEqual({ returnCode: '0' });
    expect(eventCount(ledger)).toBe(before);
    expect(ledger.unmatchedCallbacks(CEC)).toEqual([expect.objectContaining({ remoteId: '99999' })]);
    const line = logText
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.event === 'callback-unknown');
    expect(line).toMatchObject({ fileId: '99999' });
  });
});

describe('refused requests leave the ledger untouched', () => {
  const snapshot = () => ({
    events: eventCount(ledger),
    unmatched: ledger.unmatchedCallbacks(CEC).length,
    state: cecRow(ledger, 'safe.wav').state,
  });

  beforeEach(async () => {
    await inReview('safe.wav', '2001');
  });

  it('malformed bodies get 400 with no stack trace', async () => {
    const before = snapshot();
    const bodies: unknown[] = [
      'not json at all',
      '{"fileId":"2001","status":"2"',
      '',
      '[]',
      'null',
      { fileUrl: 'x', fileId: '2001', status: '4' },
      { fileUrl: 'x', fileId: '2001', status: 2 },
      { fileUrl: 'x', fileId: '2001', status: 'approved' },
      { fileUrl: 'x', status: '2' },
      { fileUrl: 'x', fileId: '', status: '2' },
      { fileUrl: 'x', fileId: 2001, status: '2' },
      { fileId: '2001', status: '2' },
      { fileUrl: 'x', fileId: 'y'.repeat(65), status: '2' },
      { fileUrl: 'x', fileId: '2001', status: '3', comment: 'c'.repeat(2001) },
    ];
    for (const body of bodies) {
      const res = await post(receiver.url, body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.json).toMatchObject({ returnCode: expect.not.stringMatching(/^0$/) });
      expect(res.text).not.toMatch(STACK);
    }
    expect(snapshot()).toEqual(before);
  });

  it('an oversized body gets 413, declared or streamed', async () => {
    const before = snapshot();
    const big = JSON.stringify({ ...cb('2001', '2'), comment: 'x'.repeat(8000) });
    const declared = await post(receiver.url, big);
    expect(declared.status).toBe(413);
    expect(declared.text).not.toMatch(STACK);
    // Chunked, no Content-Length: cut off while streaming.
    const streamed = await new Promise<number>((resolve, reject) => {
      const u = new URL(receiver.url);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write(big.slice(i * 1000, (i + 1) * 1000));
      req.end();
    });
    expect(streamed).toBe(413);
    expect(snapshot()).toEqual(before);
  });

  it('a wrong secret path gets 404 and records nothing', async () => {
    const before = snapshot();
    const u = new URL(receiver.url);
    const base = `${u.origin}${CALLBACK_PATH}`;
    const wrong = [
      `${base}/${CALLBACK_SECRET.slice(0, -1)}x`,
      `${base}/${CALLBACK_SECRET.slice(0, -1)}`,
      `${base}/${CALLBACK_SECRET}extra`,
      `${base}/`,
      base,
      `${u.origin}/`,
      `${u.origin}/other/${CALLBACK_SECRET}`,
    ];
    for (const url of wrong) {
      const res = await post(url, cb('2001', '2'));
      expect(res.status, url).toBe(404);
      expect(res.text).not.toContain(CALLBACK_SECRET);
    }
    expect(snapshot()).toEqual(before);
    // The right path with GET: 405, not a result.
    const get = await fetch(receiver.url);
    expect(get.status).toBe(405);
    expect(logText).not.toContain(CALLBACK_SECRET);
  });
});

describe('when the ledger cannot record, the answer is not 0 (the platform retries)', () => {
  it('a closed ledger: HTTP 500, returnCode not 0, no stack trace', async () => {
    await inReview('closed.wav', '3001');
    ledger.close();
    const res = await post(receiver.url, cb('3001', '2'));
    expect(res.status).toBe(500);
    expect((res.json as { returnCode: string }).returnCode).not.toBe('0');
    expect(res.text).not.toMatch(STACK);
    ledger = openLedger(dir);
    expect(cecRow(ledger, 'closed.wav').state).toBe('in-review');
  });

  it('a read-only ledger: the write fails, the answer is not 0, and a later try succeeds', async () => {
    await inReview('ro.wav', '3002');
    const ro = Ledger.open(path.join(dir, 'ledger.sqlite'), { readonly: true });
    const roReceiver = await startCallbackReceiver({ ledger: ro, host: '127.0.0.1', port: 0, path: CALLBACK_PATH, secret: CALLBACK_SECRET });
    try {
      const before = eventCount(ledger);
      for (const body of [cb('3002', '2'), cb('424242', '2')]) {
        const res = await post(roReceiver.url, body);
        expect(res.status).toBe(500);
        expect((res.json as { returnCode: string }).returnCode).not.toBe('0');
        expect(res.text).not.toMatch(STACK);
      }
      expect(eventCount(ledger)).toBe(before);
      expect(ledger.unmatchedCallbacks(CEC)).toEqual([]);
      expect(cecRow(ledger, 'ro.wav').state).toBe('in-review');
      // The platform's next try reaches a receiver that can write.
      expect((await post(receiver.url, cb('3002', '2'))).json).toEqual({ returnCode: '0' });
      expect(cecRow(ledger, 'ro.wav').state).toBe('approved');
    } finally {
      await roReceiver.close();
      ro.close();
    }
  });
});
