import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CecClient, CecError, credentialsFromEnv } from '../src/cec/client.js';
import { secretFromEnv } from '../src/cec/callbacks.js';
import { cecVoiceFileName, VOICE_FILE_NAME_RE, UploadRequestSchema } from '../src/cec/contract.js';
import { RateLimiter } from '../src/cec/rate-limit.js';
import { APP_KEY, APP_SECRET, CALLBACK_SECRET, maxInWindow } from './helpers/cec-harness.js';

const valid = (n: string) => VOICE_FILE_NAME_RE.test(n) && [...n].length <= 50;

describe('cecVoiceFileName: within the API rule (<= 50 letters, digits, Chinese)', () => {
  it('keeps letters and digits and drops the extension and punctuation', () => {
    expect(cecVoiceFileName('wait_voice1.wav', 1)).toBe('waitvoice1');
    expect(cecVoiceFileName('Hello-World 2.wav', 1)).toBe('HelloWorld2');
    expect(cecVoiceFileName('wait_voice1.wav', 3)).toBe('waitvoice1v3');
  });

  it('cuts long names to 50 characters, keeping the version suffix', () => {
    const long = `${'a'.repeat(80)}.wav`;
    const v1 = cecVoiceFileName(long, 1);
    const v12 = cecVoiceFileName(long, 12);
    expect([...v1]).toHaveLength(50);
    expect([...v12]).toHaveLength(50);
    expect(v12.endsWith('v12')).toBe(true);
    expect(v1).not.toBe(v12);
    expect(valid(v1) && valid(v12)).toBe(true);
  });

  it('gives punctuation-only names a stable, valid, distinct name', () => {
    const a = cecVoiceFileName('___.wav', 1);
    const b = cecVoiceFileName('-- --.wav', 1);
    expect(valid(a) && valid(b)).toBe(true);
    expect(a).not.toBe(b);
    expect(cecVoiceFileName('___.wav', 1)).toBe(a);
    expect(valid(cecVoiceFileName('.wav', 1))).toBe(true);
    expect(valid(cecVoiceFileName('（）【】、。.wav', 2))).toBe(true);
  });

  it('keeps Chinese, counts characters not bytes, and drops full-width punctuation', () => {
    expect(cecVoiceFileName('欢迎致电_客服热线.wav', 1)).toBe('欢迎致电客服热线');
    expect(cecVoiceFileName('请稍候，正在为您转接。.wav', 2)).toBe('请稍候正在为您转接v2');
    const long = cecVoiceFileName(`${'语音'.repeat(40)}.wav`, 1);
    expect([...long]).toHaveLength(50);
    expect(valid(long)).toBe(true);
    // Characters outside the BMP count as one character, as the rule counts them.
    const ext = cecVoiceFileName(`${'𠀀'.repeat(60)}.wav`, 2);
    expect([...ext]).toHaveLength(50);
    expect(valid(ext)).toBe(true);
  });

  it('every derived name passes the upload schema', () => {
    for (const n of ['a.b.c.wav', 'ÄÖÜ.wav', 'x'.repeat(200), 'emoji😀name.wav', '１２３.wav', '中文English123_混合.mp3']) {
      for (const v of [1, 2, 999]) {
        const name = cecVoiceFileName(n, v);
        expect(valid(name), `${n} v${v} -> ${name}`).toBe(true);
        expect(UploadRequestSchema.shape.voiceFileName.safeParse(name).success).toBe(true);
      }
    }
  });
});

describe('RateLimiter (fake clock)', () => {
  function fakeClock() {
    let t = 0;
    const sleeps: number[] = [];
    return {
      now: () => t,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        t += ms;
      },
      advance: (ms: number) => {
        t += ms;
      },
      sleeps,
    };
  }

  it('lets at most 10 start in any second, in call order', async () => {
    const c = fakeClock();
    const lim = new RateLimiter(10, 1000, c.now, c.sleep);
    const starts: { i: number; t: number }[] = [];
    await Promise.all(
      Array.from({ length: 35 }, (_, i) =>
        lim.acquire().then((release) => {
          starts.push({ i, t: c.now() });
          release(); // answered at once
        }),
      ),
    );
    expect(starts.map((s) => s.i)).toEqual(Array.from({ length: 35 }, (_, i) => i));
    expect(maxInWindow(starts.map((s) => s.t))).toBe(10);
    // The first ten go at once, the eleventh a second (plus the margin) after the first.
    expect(starts.slice(0, 10).every((s) => s.t === 0)).toBe(true);
    expect(starts[10]!.t).toBeGreaterThanOrEqual(1000);
    expect(starts[10]!.t).toBeLessThan(1100);
    // No more waiting than needed: 35 starts take a little over 3 windows.
    expect(starts[34]!.t).toBeLessThan(3100);
  });

  it('does not wait while the rate is under the limit', async () => {
    const c = fakeClock();
    const lim = new RateLimiter(10, 1000, c.now, c.sleep);
    for (let i = 0; i < 30; i++) {
      (await lim.acquire())();
      c.advance(150);
    }
    expect(c.sleeps).toEqual([]);
  });

  it('a sliding window: 10 at the end of one second and 10 at the start of the next is refused', async () => {
    const c = fakeClock();
    const lim = new RateLimiter(10, 1000, c.now, c.sleep);
    c.advance(900);
    for (let i = 0; i < 10; i++) (await lim.acquire())();
    c.advance(200); // t = 1100: a fixed per-second counter would allow 10 more now
    const t0 = c.now();
    (await lim.acquire())();
    expect(c.now()).toBeGreaterThanOrEqual(1900);
    expect(c.now() - t0).toBeGreaterThan(0);
  });

  it('the window runs from each answer: slow answers push the next requests back', async () => {
    const c = fakeClock();
    const lim = new RateLimiter(10, 1000, c.now, c.sleep);
    const releases = await Promise.all(Array.from({ length: 10 }, () => lim.acquire()));
    let eleventhAt: number | null = null;
    const eleventh = lim.acquire().then((r) => {
      eleventhAt = c.now();
      r();
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(eleventhAt).toBeNull(); // ten in flight: nothing starts
    c.advance(300); // the answers take 300 ms (the platform saw them somewhere in between)
    for (const r of releases) r();
    await eleventh;
    expect(eleventhAt).toBeGreaterThanOrEqual(1300);
    // Releasing twice changes nothing.
    releases[0]!();
  });
});

describe('credentials never leave the client', () => {
  const client = new CecClient({ baseUrl: 'http://127.0.0.1:9', credentials: { appKey: APP_KEY, appSecret: APP_SECRET } });

  it('util.inspect, JSON.stringify, String and template literals do not show the secret', () => {
    for (const text of [
      inspect(client),
      inspect(client, { depth: 10, showHidden: true }),
      inspect({ nested: { client } }, { depth: 10 }),
      JSON.stringify(client),
      JSON.stringify({ client }),
      String(client),
      `${client as unknown as string}`,
    ]) {
      expect(text).not.toContain(APP_SECRET);
    }
  });

  it('errors about missing credentials name the variables, not values', () => {
    expect(() => credentialsFromEnv({ PROMPTPREP_CEC_APP_KEY: APP_KEY })).toThrow(/PROMPTPREP_CEC_APP_SECRET/);
    expect(credentialsFromEnv({ PROMPTPREP_CEC_APP_KEY: APP_KEY, PROMPTPREP_CEC_APP_SECRET: APP_SECRET })).toEqual({ appKey: APP_KEY, appSecret: APP_SECRET });
    expect(secretFromEnv({ PROMPTPREP_CEC_CALLBACK_SECRET: CALLBACK_SECRET })).toBe(CALLBACK_SECRET);
    let message = '';
    try {
      secretFromEnv({ PROMPTPREP_CEC_CALLBACK_SECRET: 'short!' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/PROMPTPREP_CEC_CALLBACK_SECRET/);
    expect(message).not.toContain('short!');
  });

  it('CecError carries the platform message and whether it is retryable', () => {
    const e = new CecError('the platform refused the request (HTTP 400: bad)', 400, '0300004', false);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('CecError');
    expect(e.retryable).toBe(false);
  });
});
