/**
 * End to end in one process, all over loopback HTTP: the real uploader and client, the
 * real emulator (reviews, callbacks, retries), the real callback receiver and a real
 * ledger file. Covers the Done-when list of issue 6.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../src/cec/callbacks.js';
import type { CecClient } from '../src/cec/client.js';
import { TOKEN_PATH, UPLOAD_PATH } from '../src/cec/contract.js';
import { startEmulator, type EmulatorHandle, type EmulatorOptions } from '../src/cec/emulator.js';
import { uploadToCec } from '../src/cec/uploader.js';
import { Ledger } from '../src/ledger/ledger.js';
import {
  alawPrompt,
  APP_KEY,
  APP_SECRET,
  CALLBACK_PATH,
  CALLBACK_SECRET,
  CEC,
  cecConfig,
  cecRow,
  eventCount,
  freePort,
  newClient,
  openLedger,
  pcm16Wav,
  post,
  prepare,
  recordingFetch,
  startProxy,
  startScriptedReceiver,
  waitUntil,
} from './helpers/cec-harness.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const REJECT_COMMENT = 'Background noise too loud';

let dir: string;
let ledger: Ledger;
let emu: EmulatorHandle;
let receiver: CallbackReceiver;
let rec: ReturnType<typeof recordingFetch>;
let client: CecClient;
const cleanups: (() => Promise<void>)[] = [];

async function startEmu(o: Partial<EmulatorOptions> = {}): Promise<EmulatorHandle> {
  const e = await startEmulator({
    port: 0,
    appKey: APP_KEY,
    appSecret: APP_SECRET,
    reviewDelayMs: 50,
    callbackRetryDelayMs: 50,
    rejectRules: [{ pattern: '^noisy', comment: REJECT_COMMENT }],
    ...o,
  });
  cleanups.push(() => e.close());
  return e;
}

const upload = (o: { callbackUrl?: string | null; client?: CecClient; names?: string[] } = {}) =>
  uploadToCec({
    ledger,
    client: o.client ?? client,
    cec: cecConfig(),
    callbackUrl: o.callbackUrl === undefined ? receiver.url : o.callbackUrl,
    ...(o.names ? { names: o.names } : {}),
  });

const stateOf = (name: string) => cecRow(ledger, name).state;
const waitState = (name: string, state: string) => waitUntil(() => stateOf(name) === state, `${name} to become ${state} (is ${stateOf(name)})`, 5000);

beforeEach(async () => {
  dir = await makeTempDir('promptprep-cec-e2e-');
  ledger = openLedger(dir);
  emu = await startEmu();
  receiver = await startCallbackReceiver({ ledger, host: '127.0.0.1', port: 0, path: CALLBACK_PATH, secret: CALLBACK_SECRET });
  rec = recordingFetch();
  client = newClient(emu.url, { fetch: rec.fetch });
});

afterEach(async () => {
  await receiver.close();
  for (const c of cleanups.splice(0)) await c();
  ledger.close();
  await removeTempDir(dir);
});

describe('review results by callback', () => {
  it('approval: uploaded, in review with fileId and voiceFileName on record, then approved', async () => {
    await prepare(ledger, dir, 'welcome.wav', alawPrompt(0.5, 440));
    const out = await upload();
    expect(out.failed).toEqual([]);
    expect(out.uploaded).toHaveLength(1);
    const { fileId, voiceFileName } = out.uploaded[0]!;
    expect(voiceFileName).toBe('welcome');
    const v = cecRow(ledger, 'welcome.wav');
    expect(v.remoteId).toBe(fileId);
    expect(v.remoteName).toBe('welcome');
    expect(['in-review', 'approved']).toContain(v.state);
    await waitState('welcome.wav', 'approved');
    await emu.idle(); // the emulator reads our answer after the ledger has the result
    expect(emu.files.get(fileId)).toMatchObject({ voiceFileName: 'welcome', status: '2', callbackAttempts: 1, callbackDelivered: true });
    expect(ledger.events('welcome.wav').map((e) => `${e.to}/${e.actor}`)).toEqual(['prepared/test', 'uploading/upload', 'in-review/upload', 'approved/callback']);
    expect(ledger.status({ platform: CEC })[0]).toMatchObject({ state: 'approved', attention: null, inUse: { version: 1 } });
  });

  it('rejection with the reason: a PCM16 WAV by the PrivateNumber rules, and a --reject rule', async () => {
    await prepare(ledger, dir, 'hold_music.wav', pcm16Wav(0.5));
    await prepare(ledger, dir, 'noisy_intro.wav', alawPrompt(0.5, 660));
    await prepare(ledger, dir, 'fine.wav', alawPrompt(0.5, 880));
    const out = await upload();
    expect(out.uploaded).toHaveLength(3);
    await waitState('hold_music.wav', 'rejected');
    await waitState('noisy_intro.wav', 'rejected');
    await waitState('fine.wav', 'approved');
    const pcm = cecRow(ledger, 'hold_music.wav');
    expect(pcm.reason).toBeTruthy();
    expect(pcm.reason).toBe(emu.files.get(pcm.remoteId!)!.comment);
    expect(pcm.reason).toMatch(/A-law|PCM|16-bit/i);
    expect(cecRow(ledger, 'noisy_intro.wav').reason).toBe(REJECT_COMMENT);
    const rows = ledger.status({ platform: CEC });
    expect(rows.find((r) => r.name === 'noisy_intro.wav')).toMatchObject({ state: 'rejected', reason: REJECT_COMMENT });
  });

  it('a callback that fails twice and then succeeds: approved, on the third try', async () => {
    const proxy = await startProxy(receiver.port, { failFirst: 2 });
    cleanups.push(() => proxy.close());
    await prepare(ledger, dir, 'retry.wav', alawPrompt(0.5, 500));
    const out = await upload({ callbackUrl: `${proxy.url}${CALLBACK_PATH}/${CALLBACK_SECRET}` });
    await waitState('retry.wav', 'approved');
    await emu.idle();
    expect(proxy.seen).toHaveLength(3);
    expect(proxy.forwarded).toHaveLength(1);
    expect(emu.files.get(out.uploaded[0]!.fileId)).toMatchObject({ callbackAttempts: 3, callbackDelivered: true });
  });

  it('a duplicate callback (the platform sends the result again) is answered 0 and harmless', async () => {
    await prepare(ledger, dir, 'dup.wav', alawPrompt(0.5, 520));
    const out = await upload();
    await waitState('dup.wav', 'approved');
    const f = emu.files.get(out.uploaded[0]!.fileId)!;
    const before = eventCount(ledger);
    const again = await post(receiver.url, { fileUrl: `${emu.url}/files/${f.fileId}.wav`, fileId: f.fileId, status: '2' });
    expect(again.json).toEqual({ returnCode: '0' });
    expect(eventCount(ledger)).toBe(before);
    expect(stateOf('dup.wav')).toBe('approved');
  });

  it('a result that arrives before the fileId is recorded is applied by the upload', async () => {
    // The emulator's fileIds are sequential from a known start: the first upload gets this one.
    const fileId = '1182733043937561600';
    expect((await post(receiver.url, { fileUrl: 'x', fileId, status: '3', comment: 'too quiet' })).json).toEqual({ returnCode: '0' });
    expect(ledger.unmatchedCallbacks(CEC)).toHaveLength(1);
    await prepare(ledger, dir, 'early.wav', alawPrompt(0.5, 530));
    const out = await upload({ callbackUrl: null });
    expect(out.uploaded[0]!.fileId).toBe(fileId);
    expect(cecRow(ledger, 'early.wav')).toMatchObject({ state: 'rejected', reason: 'too quiet' });
    expect(ledger.unmatchedCallbacks(CEC)).toEqual([]);
  });
});

describe('the emulator retries callbacks: 6 tries in all', () => {
  it('an endpoint that fails the first 2 answers gets 3 posts', async () => {
    const flaky = await startScriptedReceiver(2);
    cleanups.push(() => flaky.close());
    await prepare(ledger, dir, 'three.wav', alawPrompt(0.5, 540));
    const out = await upload({ callbackUrl: flaky.url });
    await waitUntil(() => emu.files.get(out.uploaded[0]!.fileId)?.callbackDelivered, 'delivery', 5000);
    await emu.idle();
    expect(flaky.bodies).toHaveLength(3);
    expect(new Set(flaky.bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(flaky.bodies[0]).toMatchObject({ fileId: out.uploaded[0]!.fileId, status: '2' });
    // Spaced by the retry delay.
    expect(flaky.times[1]! - flaky.times[0]!).toBeGreaterThanOrEqual(45);
  });

  it('an endpoint that always fails gets exactly 6 posts, then no more', async () => {
    const dead = await startScriptedReceiver(Infinity);
    cleanups.push(() => dead.close());
    await prepare(ledger, dir, 'six.wav', alawPrompt(0.5, 550));
    const out = await upload({ callbackUrl: dead.url });
    await emu.idle();
    await new Promise((r) => setTimeout(r, 150));
    expect(dead.bodies).toHaveLength(6);
    expect(emu.files.get(out.uploaded[0]!.fileId)).toMatchObject({ callbackAttempts: 6, callbackDelivered: false });
    expect(stateOf('six.wav')).toBe('in-review');
  });

  it('our receiver on a ledger that cannot write answers non-zero every time: 6 tries, nothing recorded', async () => {
    const ro = Ledger.open(path.join(dir, 'ledger.sqlite'), { readonly: true });
    const roReceiver = await startCallbackReceiver({ ledger: ro, host: '127.0.0.1', port: 0, path: CALLBACK_PATH, secret: CALLBACK_SECRET });
    cleanups.push(async () => {
      await roReceiver.close();
      ro.close();
    });
    await prepare(ledger, dir, 'ro.wav', alawPrompt(0.5, 560));
    const out = await upload({ callbackUrl: roReceiver.url });
    await emu.idle();
    expect(emu.files.get(out.uploaded[0]!.fileId)).toMatchObject({ callbackAttempts: 6, callbackDelivered: false });
    expect(stateOf('ro.wav')).toBe('in-review');
  });
});

describe('upload failures', () => {
  it('a 5xx during upload is retried and the upload succeeds', async () => {
    await prepare(ledger, dir, 'flaky.wav', alawPrompt(0.5, 570));
    emu.failNextUploads(2, 503);
    const out = await upload();
    expect(out.failed).toEqual([]);
    expect(rec.log.filter((r) => r.path === UPLOAD_PATH).map((r) => r.status)).toEqual([503, 503, 200]);
    expect(emu.files.size).toBe(1);
    expect(cecRow(ledger, 'flaky.wav').lastError).toBeNull();
    await waitState('flaky.wav', 'approved');
  });

  it('a 4xx is not retried; the platform message is recorded on the version and shown by status', async () => {
    await prepare(ledger, dir, 'four.wav', alawPrompt(0.5, 580));
    emu.failNextUploads(1, 400);
    const out = await upload();
    expect(out.uploaded).toEqual([]);
    expect(out.failed).toHaveLength(1);
    expect(rec.log.filter((r) => r.path === UPLOAD_PATH)).toHaveLength(1);
    const v = cecRow(ledger, 'four.wav');
    expect(v.state).toBe('prepared');
    expect(v.lastError).toBe(out.failed[0]!.message);
    expect(v.lastError).toContain('HTTP 400');
    expect(v.lastError).toContain('The service is temporarily unavailable (injected by the emulator).');
    expect(ledger.status({ platform: CEC })[0]!.attention).toBe(`last platform error: ${v.lastError}`);
    expect(emu.files.size).toBe(0);
    // The next pass uploads it, and the error is cleared.
    const again = await upload();
    expect(again.uploaded).toHaveLength(1);
    expect(cecRow(ledger, 'four.wav').lastError).toBeNull();
  });

  it('a business error (fileInfo over 8 MB) is recorded with the platform description', async () => {
    // 6.5 MB of bytes is about 8.7 MB of Base64.
    await prepare(ledger, dir, 'huge.wav', Buffer.alloc(6_500_000, 0xd5));
    const out = await upload({ callbackUrl: null });
    expect(out.failed).toHaveLength(1);
    const v = cecRow(ledger, 'huge.wav');
    expect(v.state).toBe('prepared');
    expect(v.lastError).toBe('upload refused: The length of fileInfo is too long. (returnCode 0300003)');
    expect(rec.log.filter((r) => r.path === UPLOAD_PATH)).toHaveLength(1);
  });

  it('network errors (connection refused) are retried, then recorded', async () => {
    const port = await freePort();
    const nrec = recordingFetch();
    const dead = newClient(`http://127.0.0.1:${port}`, { fetch: nrec.fetch, maxTries: 3, backoffMs: 10 });
    await prepare(ledger, dir, 'net.wav', alawPrompt(0.5, 590));
    const out = await upload({ client: dead });
    expect(out.failed).toHaveLength(1);
    expect(nrec.log).toHaveLength(3);
    const v = cecRow(ledger, 'net.wav');
    expect(v.state).toBe('prepared');
    expect(v.lastError).toMatch(/^network error talking to http:\/\/127\.0\.0\.1:\d+/);
  });

  it('an expired token is renewed and the upload goes through', async () => {
    await prepare(ledger, dir, 'one.wav', alawPrompt(0.5, 600));
    await upload({ callbackUrl: null });
    emu.expireTokens();
    await prepare(ledger, dir, 'two.wav', alawPrompt(0.5, 610));
    const out = await upload({ callbackUrl: null });
    expect(out.uploaded.map((u) => u.name)).toEqual(['two.wav']);
    expect(rec.log.filter((r) => r.path === TOKEN_PATH)).toHaveLength(2);
    expect(rec.log.filter((r) => r.status === 401)).toHaveLength(1);
    expect(cecRow(ledger, 'two.wav').lastError).toBeNull();
  });

  it('a wrong app_secret is refused: recorded on each version, never retried, secret not recorded', async () => {
    const wrongSecret = 'WRONG-app-secret-e2e-42';
    const wrec = recordingFetch();
    const wrong = newClient(emu.url, { fetch: wrec.fetch, credentials: { appKey: APP_KEY, appSecret: wrongSecret } });
    await prepare(ledger, dir, 'a.wav', alawPrompt(0.5, 620));
    await prepare(ledger, dir, 'b.wav', alawPrompt(0.5, 630));
    const out = await upload({ client: wrong });
    expect(out.failed).toHaveLength(2);
    expect(wrec.log.filter((r) => r.path === UPLOAD_PATH)).toHaveLength(0);
    expect(wrec.log.length).toBeLessThanOrEqual(2);
    for (const name of ['a.wav', 'b.wav']) {
      const v = cecRow(ledger, name);
      expect(v.state).toBe('prepared');
      expect(v.lastError).toContain('The app_key or app_secret is invalid.');
      expect(v.lastError).not.toContain(wrongSecret);
    }
  });
});

describe('an upload interrupted between sending and recording the fileId', () => {
  it('is reported as needing attention, not uploaded again, and re-uploaded once resumed', async () => {
    await prepare(ledger, dir, 'crash.wav', alawPrompt(0.5, 640));
    await prepare(ledger, dir, 'other.wav', alawPrompt(0.5, 650));
    // What a crash leaves: marked uploading (with its voiceFileName), no fileId.
    ledger.transition({ name: 'crash.wav', platform: CEC, to: 'uploading', actor: 'upload', remoteName: 'crash' });
    const row = ledger.status({ platform: CEC }).find((r) => r.name === 'crash.wav')!;
    expect(row.attention).toMatch(/its result was never recorded; check the platform for crash before uploading again/);
    const out = await upload({ callbackUrl: null });
    expect(out.uploaded.map((u) => u.name)).toEqual(['other.wav']);
    expect(out.needsAttention).toEqual([expect.objectContaining({ name: 'crash.wav', version: 1 })]);
    expect([...emu.files.values()].map((f) => f.voiceFileName)).toEqual(['other']);
    expect(stateOf('crash.wav')).toBe('uploading');
    // A person checked: not on the platform. (What `upload --resume-interrupted crash.wav` does.)
    ledger.transition({ name: 'crash.wav', platform: CEC, to: 'prepared', actor: 'upload command', reason: 'interrupted upload' });
    const resumed = await upload({ callbackUrl: null, names: ['crash.wav'] });
    expect(resumed.uploaded).toEqual([expect.objectContaining({ name: 'crash.wav', voiceFileName: 'crash' })]);
    expect(emu.files.size).toBe(2);
  });
});

describe('voiceFileName: derived within the rule, kept in the ledger', () => {
  it('long, punctuation-only, Chinese and colliding names; a new version gets its own name', async () => {
    const names = ['欢迎致电_客服.wav', `${'very_long_prompt_name_'.repeat(4)}.wav`, '___.wav', 'a-b.wav', 'a_b.wav'];
    for (const [i, n] of names.entries()) await prepare(ledger, dir, n, alawPrompt(0.3, 300 + i * 37));
    const out = await upload({ callbackUrl: null });
    expect(out.failed).toEqual([]);
    expect(out.uploaded).toHaveLength(names.length);
    const remote = new Map<string, string>();
    for (const n of names) {
      const v = cecRow(ledger, n);
      expect(v.remoteName).toMatch(/^[\p{Script=Han}A-Za-z0-9]{1,50}$/u);
      expect(emu.files.get(v.remoteId!)?.voiceFileName).toBe(v.remoteName);
      remote.set(n, v.remoteName!);
    }
    expect(remote.get('欢迎致电_客服.wav')).toBe('欢迎致电客服');
    expect([...remote.get(names[1]!)!]).toHaveLength(50);
    expect(new Set(remote.values()).size).toBe(names.length);
    // A second version of a prompt: its own name, its own fileId.
    await prepare(ledger, dir, '欢迎致电_客服.wav', alawPrompt(0.3, 999));
    const v2 = await upload({ callbackUrl: null });
    expect(v2.uploaded).toEqual([expect.objectContaining({ version: 2, voiceFileName: '欢迎致电客服v2' })]);
    const versions = ledger.versions('欢迎致电_客服.wav', CEC);
    expect(versions.map((v) => v.remoteName)).toEqual(['欢迎致电客服', '欢迎致电客服v2']);
    expect(versions[0]!.remoteId).not.toBe(versions[1]!.remoteId);
  });
});
