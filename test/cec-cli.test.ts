/**
 * The built CLI (`node dist/cli.cjs`) around the CEC API: `emulator`, `callbacks`,
 * `upload --platform huawei-cec`, `watch --upload` and `status --json`, as separate
 * processes talking over loopback HTTP. The credentials are recognizable values in the
 * environment; none may appear in any output, in the ledger files, or in `status --json`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UPLOAD_PATH } from '../src/cec/contract.js';
import { startEmulator } from '../src/cec/emulator.js';
import type { StatusRow } from '../src/ledger/ledger.js';
import { Ledger } from '../src/ledger/ledger.js';
import { CALLBACK_PATH, CALLBACK_SECRET, APP_KEY, APP_SECRET, alawPrompt, CEC_ENV, freePort, post, prepare, startProxy, waitUntil } from './helpers/cec-harness.js';
import { killAllCli, startCli, type CliProcess } from './helpers/cec-process.js';
import { runCli, STACK_LINE, type CliResult } from './helpers/cli.js';
import { makeTone } from './helpers/ffmpeg.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const SECRETS = [APP_SECRET, CALLBACK_SECRET];

interface StatusJson {
  prompts: StatusRow[];
  unmatchedCallbacks: { remoteId: string; receivedAt: string; count: number }[];
}

let dir: string;
const outputs: string[] = [];

async function writeConfig(cec: Record<string, unknown>): Promise<void> {
  await fs.writeFile(path.join(dir, 'promptprep.config.json'), JSON.stringify({ upload: { platform: 'huawei-cec' }, cec }, null, 2));
}

async function cli(args: string[], env: Record<string, string | undefined> = CEC_ENV): Promise<CliResult> {
  const res = await runCli(args, { cwd: dir, env });
  outputs.push(res.stdout, res.stderr);
  return res;
}

async function status(): Promise<StatusJson> {
  const res = await cli(['status', '--json']);
  try {
    return JSON.parse(res.stdout) as StatusJson;
  } catch {
    throw new Error(`status --json printed no JSON (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
  }
}

function proc(args: string[], env: Record<string, string | undefined> = CEC_ENV): CliProcess {
  return startCli(args, { cwd: dir, env });
}

const ledgerFile = () => path.join(dir, '.promptprep', 'ledger.sqlite');

/** Every byte of the ledger files (main, WAL, shared memory), and every output seen. */
async function expectNoSecretsAnywhere(procs: CliProcess[]): Promise<void> {
  for (const p of procs) outputs.push(p.stdout, p.stderr);
  const all = outputs.join('\n');
  for (const s of SECRETS) expect(all.includes(s), `a secret appeared in CLI output`).toBe(false);
  const ledgerDir = path.dirname(ledgerFile());
  for (const f of await fs.readdir(ledgerDir)) {
    const bytes = await fs.readFile(path.join(ledgerDir, f));
    for (const s of SECRETS) {
      expect(bytes.includes(Buffer.from(s, 'utf8')), `a secret is in ${f}`).toBe(false);
      expect(bytes.includes(Buffer.from(s, 'utf16le')), `a secret is in ${f} (UTF-16)`).toBe(false);
    }
  }
  expect(all).not.toMatch(STACK_LINE);
}

/** Record prepared prompts in the project's ledger, as `convert` would. */
async function prepareInProject(files: [string, Buffer][]): Promise<void> {
  const ledger = Ledger.open(ledgerFile());
  try {
    for (const [name, data] of files) await prepare(ledger, dir, name, data);
  } finally {
    ledger.close();
  }
}

beforeEach(async () => {
  dir = await makeTempDir('promptprep-cec-cli-');
  outputs.length = 0;
});

afterEach(async () => {
  await killAllCli();
  await removeTempDir(dir);
});

describe('emulator + callbacks + upload, each its own process', () => {
  it('uploads, records the review results, lists unknown callbacks; no secret printed or stored', async () => {
    const apiPort = await freePort();
    const cbPort = await freePort();
    await writeConfig({ baseUrl: `http://127.0.0.1:${apiPort}`, callback: { port: cbPort } });
    await prepareInProject([
      ['welcome.wav', alawPrompt(0.5, 440)],
      ['noisy_hold.wav', alawPrompt(0.5, 550)],
    ]);
    const emulator = proc(['emulator', '--port', String(apiPort), '--review-delay', '100', '--callback-retry-delay', '50', '--reject', 'noisy=Too noisy']);
    const callbacks = proc(['callbacks']);
    await emulator.waitFor(/listening/, 'the emulator to listen');
    await callbacks.waitFor(/listening/, 'the receiver to listen');

    const up = await cli(['upload']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/uploaded welcome\.wav v1 as welcome \(fileId \d+\); in review/);
    expect(up.stdout).toContain('2 uploaded, 0 failed, 0 need attention.');

    const done = await waitUntil(
      async () => {
        const s = await status();
        const by = (n: string) => s.prompts.find((p) => p.name === n);
        return by('welcome.wav')?.state === 'approved' && by('noisy_hold.wav')?.state === 'rejected' ? s : null;
      },
      'both review results in status',
      15_000,
      200,
    );
    expect(done.prompts.find((p) => p.name === 'noisy_hold.wav')).toMatchObject({ reason: 'Too noisy' });

    // The receiver process: a wrong secret path is 404; an unknown fileId is answered 0 and listed.
    const base = `http://127.0.0.1:${cbPort}${CALLBACK_PATH}`;
    expect((await post(`${base}/not-the-secret-0123456789`, { fileUrl: 'x', fileId: '7', status: '2' })).status).toBe(404);
    expect((await post(`${base}/${CALLBACK_SECRET}`, { fileUrl: 'x', fileId: '777000', status: '2' })).json).toEqual({ returnCode: '0' });
    expect((await post(`${base}/${CALLBACK_SECRET}`, '{nope')).status).toBe(400);
    const after = await status();
    expect(after.unmatchedCallbacks).toEqual([expect.objectContaining({ remoteId: '777000' })]);
    const table = await cli(['status']);
    expect(table.stdout).toMatch(/ATTENTION: 1 unknown fileId in review callbacks \(1 callback, the latest at [\d-]+ [\d:]+\): 777000\n/);

    // Upload failures print the platform's words, not the credentials.
    const wrong = await cli(['upload', '--json'], { ...CEC_ENV, PROMPTPREP_CEC_APP_SECRET: `${APP_SECRET}-wrong` });
    expect(wrong.code).toBe(0); // nothing left to upload
    const missing = await cli(['upload'], { ...CEC_ENV, PROMPTPREP_CEC_APP_SECRET: undefined });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('PROMPTPREP_CEC_APP_SECRET');

    expect(await callbacks.stop()).toEqual({ code: 0, signal: null });
    expect(await emulator.stop()).toEqual({ code: 0, signal: null });
    await expectNoSecretsAnywhere([emulator, callbacks]);
  });

  it('a wrong app_secret: each prompt FAILED with the platform message, recorded, secret nowhere', async () => {
    const emu = await startEmulator({ port: 0, appKey: APP_KEY, appSecret: APP_SECRET, reviewDelayMs: 50 });
    try {
      await writeConfig({ baseUrl: emu.url });
      await prepareInProject([['greeting.wav', alawPrompt(0.5, 610)]]);
      const wrongSecret = 'WRONG-secret-from-env-31337';
      const res = await cli(['upload', '--no-callback'], { ...CEC_ENV, PROMPTPREP_CEC_APP_SECRET: wrongSecret });
      expect(res.code).toBe(1);
      expect(res.stdout).toContain('FAILED   greeting.wav v1: the platform refused the request (HTTP 401: The app_key or app_secret is invalid.)');
      const s = await status();
      expect(s.prompts[0]).toMatchObject({ state: 'prepared', attention: expect.stringContaining('The app_key or app_secret is invalid.') });
      expect(emu.files.size).toBe(0);
      outputs.push(JSON.stringify(s));
      expect(outputs.join('\n')).not.toContain(wrongSecret);
      await expectNoSecretsAnywhere([]);
    } finally {
      await emu.close();
    }
  });
});

describe('status with a flood of unknown review callbacks', () => {
  it('one line: how many fileIds and callbacks, the latest five, and that only the latest 200 are kept', async () => {
    await writeConfig({});
    const ledger = Ledger.open(ledgerFile());
    try {
      // One transaction: 210 commits would only slow the test.
      ledger.atomically(() => {
        for (let i = 0; i < 210; i++) ledger.recordUnmatchedCallback('huawei-cec', String(900_000 + i), '{"status":"2"}');
        ledger.recordUnmatchedCallback('huawei-cec', '900209', '{"status":"2"}');
      });
    } finally {
      ledger.close();
    }
    const table = await cli(['status']);
    const lines = table.stdout.split('\n').filter((l) => l.includes('ATTENTION'));
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatch(/^ATTENTION: 200 unknown fileIds in review callbacks \(201 callbacks, the latest at [\d-]+ [\d:]+; only the latest 200 fileIds are kept\): /);
    expect(line).toContain(': 900209, ');
    expect(line).toMatch(/and 195 more \(`status --json` lists them\)$/);
    expect(line.length).toBeLessThan(250);
    const json = await status();
    expect(json.unmatchedCallbacks).toHaveLength(200);
    expect(json.unmatchedCallbacks.at(-1)).toMatchObject({ remoteId: '900209', count: 2 });
    // An unknown callback needs a person: the CI gate says so.
    expect((await cli(['status', '--fail-on', 'attention'])).code).toBe(1);
  });
});

describe('a crash between sending an upload and recording its fileId', () => {
  it('status needs attention, the next upload leaves it alone, --resume-interrupted uploads it', async () => {
    const emu = await startEmulator({ port: 0, appKey: APP_KEY, appSecret: APP_SECRET, reviewDelayMs: 50 });
    // The platform takes the upload and never answers; the CLI is killed while waiting.
    const blackHole = await startProxy(emu.port, { hang: (p) => p === UPLOAD_PATH });
    try {
      await writeConfig({ baseUrl: blackHole.url });
      await prepareInProject([['crash.wav', alawPrompt(0.5, 700)]]);
      const up = proc(['upload', '--no-callback']);
      await waitUntil(() => blackHole.hung.length === 1, 'the upload request to be sent', 15_000);
      expect((await up.kill()).signal).toBe('SIGKILL');

      const s = await status();
      expect(s.prompts[0]).toMatchObject({ name: 'crash.wav', state: 'uploading' });
      expect(s.prompts[0]!.attention).toMatch(/never recorded; check the platform for crash before uploading again/);
      const gate = await cli(['status', '--fail-on', 'attention']);
      expect(gate.code).toBe(1);

      // The platform is back; a plain upload must not send it a second time.
      await writeConfig({ baseUrl: emu.url });
      const again = await cli(['upload', '--no-callback']);
      expect(again.code).toBe(1);
      expect(again.stdout).toContain('ATTENTION crash.wav v1:');
      expect(again.stdout).toContain('promptprep upload --platform huawei-cec --resume-interrupted crash.wav');
      expect(emu.files.size).toBe(0);

      const noNames = await cli(['upload', '--no-callback', '--resume-interrupted']);
      expect(noNames.code).toBe(2);

      const resumed = await cli(['upload', '--no-callback', '--resume-interrupted', 'crash.wav']);
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/uploaded crash\.wav v1 as crash \(fileId \d+\)/);
      expect([...emu.files.values()].map((f) => f.voiceFileName)).toEqual(['crash']);
      const final = await status();
      expect(final.prompts[0]).toMatchObject({ state: 'in-review', attention: null });
      await expectNoSecretsAnywhere([up]);
    } finally {
      await blackHole.close();
      await emu.close();
    }
  });
});

describe('the offline loop: emulator + watch --upload', () => {
  it('a good prompt ends approved, one matched by a --reject rule rejected with the reason; SIGTERM exits 0', async () => {
    const apiPort = await freePort();
    const cbPort = await freePort();
    await writeConfig({ baseUrl: `http://127.0.0.1:${apiPort}`, callback: { port: cbPort } });
    const sources = path.join(dir, 'sources');
    await fs.mkdir(sources, { recursive: true });
    await fs.mkdir(path.join(dir, 'watch', 'inbox'), { recursive: true });
    await makeTone(path.join(sources, 'welcome.wav'), { seconds: 1, frequency: 440, codec: 'pcm_s16le', sampleRate: 16000 });
    await makeTone(path.join(sources, 'noisy_intro.wav'), { seconds: 1, frequency: 660, codec: 'pcm_s16le', sampleRate: 16000 });

    const emulator = proc(['emulator', '--port', String(apiPort), '--review-delay', '200', '--callback-retry-delay', '50', '--reject', 'noisy=Background noise too loud']);
    await emulator.waitFor(/listening/, 'the emulator to listen');
    const watch = proc(['watch', 'watch', '--upload', '--stable-ms', '300']);
    await watch.waitFor(/receiving CEC review callbacks/, 'the receiver in watch');
    for (const f of ['welcome.wav', 'noisy_intro.wav']) await fs.rename(path.join(sources, f), path.join(dir, 'watch', 'inbox', f));

    const s = await waitUntil(
      async () => {
        const st = await status();
        const by = (n: string) => st.prompts.find((p) => p.name === n);
        return by('welcome.wav')?.state === 'approved' && by('noisy_intro.wav')?.state === 'rejected' ? st : null;
      },
      `approved and rejected in status; watch log:\n${watch.stderr.slice(-2000)}`,
      30_000,
      250,
    );
    expect(s.prompts.find((p) => p.name === 'noisy_intro.wav')).toMatchObject({ reason: 'Background noise too loud' });
    expect(s.prompts.find((p) => p.name === 'welcome.wav')).toMatchObject({ attention: null, inUse: { version: 1 } });

    expect(await watch.stop()).toEqual({ code: 0, signal: null });
    expect(await emulator.stop()).toEqual({ code: 0, signal: null });
    // JSON log lines on stderr, with the upload and the results among them.
    const lines = watch.jsonLines();
    expect(watch.stderr.trim().split('\n').length).toBe(lines.length);
    const events = lines.map((l) => l.event);
    expect(events).toContain('uploaded');
    expect(events).toContain('callback-approved');
    expect(events).toContain('callback-rejected');
    await expectNoSecretsAnywhere([emulator, watch]);
  });
});

describe('emulator command usage', () => {
  it('refuses a bad --reject and missing credentials with exit 2, naming the variables only', async () => {
    const bad = await cli(['emulator', '--port', '0', '--reject', 'no-equals-sign']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--reject takes regex=comment');
    const none = await cli(['emulator', '--port', '0'], { PROMPTPREP_CEC_APP_KEY: APP_KEY, PROMPTPREP_CEC_APP_SECRET: undefined });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('PROMPTPREP_CEC_APP_SECRET');
    const cb = await cli(['callbacks', '--port', '0'], { ...CEC_ENV, PROMPTPREP_CEC_CALLBACK_SECRET: 'short' });
    expect(cb.code).toBe(2);
    expect(cb.stderr).toContain('PROMPTPREP_CEC_CALLBACK_SECRET');
    expect(cb.stderr).not.toContain('short\n');
    for (const s of SECRETS) expect(outputs.join('\n')).not.toContain(s);
  });
});
