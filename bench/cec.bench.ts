import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { CecClient } from '../src/cec/client.js';
import { RC, TOKEN_PATH, UPLOAD_PATH } from '../src/cec/contract.js';
import { startEmulator } from '../src/cec/emulator.js';
import { uploadToCec } from '../src/cec/uploader.js';
import { CecConfigSchema } from '../src/config.js';
import { Ledger } from '../src/ledger/ledger.js';
import { envInt } from './lib/env.js';
import { maxInWindow } from './lib/timing.js';
import { canonicalAlawPrompt, synthSpeechLike } from './lib/audio.js';
import { fixed, int } from './lib/format.js';
import { target, type Bench } from './lib/types.js';

/**
 * Issue target: uploads a second through the CEC API against the emulator, with the
 * platform's limit of 10 requests a second respected. Ours: `uploadToCec` (the code behind
 * `upload --platform huawei-cec` and `watch --upload`) over loopback HTTP to an in-process
 * emulator, no callBackUrl (the reviews stay silent). Every request the client sends goes
 * through a recording fetch: its start time and the answer. The plain alternative, in the
 * same run on a fresh emulator: the same uploads fired all at once with plain fetch and no
 * limiter, counting the flow-control refusals.
 */

const TARGET_UPLOADS_PER_SECOND = 8;
const LIMIT = 10;
const APP_KEY = 'bench-app-key';
const APP_SECRET = 'bench-app-secret';



interface Sent {
  path: string;
  start: number;
  returnCode: string | null;
}

function recordingFetch(log: Sent[]): typeof fetch {
  return (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const rec: Sent = { path: new URL(String(input)).pathname, start: performance.now(), returnCode: null };
    log.push(rec);
    const res = await fetch(input, init);
    try {
      rec.returnCode = ((await res.clone().json()) as { returnCode?: string }).returnCode ?? null;
    } catch {
      /* not JSON */
    }
    return res;
  }) as typeof fetch;
}

const bench: Bench = {
  name: 'cec',
  title: 'CEC uploads a second against the emulator, 10 requests/s limit respected',
  async run({ workDir, log }) {
    const n = envInt('BENCH_CEC_UPLOADS', 100);
    const concurrency = envInt('BENCH_CEC_CONCURRENCY', 4);

    // Fixture: n distinct 1 s canonical prompts, recorded as prepared in a fresh ledger.
    const ledger = Ledger.open(path.join(workDir, 'ledger.sqlite'));
    const prompts: Buffer[] = [];
    await fs.mkdir(path.join(workDir, 'prompts'), { recursive: true });
    for (let i = 0; i < n; i++) {
      const data = canonicalAlawPrompt(synthSpeechLike(1, 1000 + i));
      prompts.push(data);
      const name = `prompt_${String(i).padStart(4, '0')}.wav`;
      const file = path.join(workDir, 'prompts', name);
      await fs.writeFile(file, data);
      ledger.recordPrepared({
        name,
        sha256: createHash('sha256').update(data).digest('hex'),
        bytes: data.length,
        durationSeconds: 1,
        filePath: file,
        actor: 'bench',
      });
    }
    log(`fixture:     ${int(n)} prepared prompts of ${int(prompts[0]!.length)} bytes (1 s A-law), in a fresh ledger`);

    // Ours.
    const emulator = await startEmulator({ port: 0, appKey: APP_KEY, appSecret: APP_SECRET, reviewDelayMs: 10 });
    const sent: Sent[] = [];
    let oursMs: number;
    let outcome: Awaited<ReturnType<typeof uploadToCec>>;
    try {
      const client = new CecClient({ baseUrl: emulator.url, credentials: { appKey: APP_KEY, appSecret: APP_SECRET }, fetch: recordingFetch(sent) });
      const t0 = performance.now();
      outcome = await uploadToCec({ ledger, client, cec: CecConfigSchema.parse({}), callbackUrl: null, concurrency });
      oursMs = performance.now() - t0;
      await emulator.idle();
    } finally {
      await emulator.close();
      ledger.close();
    }
    const uploadsPerSecond = outcome.uploaded.length / (oursMs / 1000);
    const flowControl = sent.filter((s) => s.returnCode === RC.uploadFlowControl).length;
    const maxWindow = maxInWindow(sent.map((s) => s.start));
    const maxUploadWindow = maxInWindow(sent.filter((s) => s.path === UPLOAD_PATH).map((s) => s.start));
    log(`ours:        uploadToCec, concurrency ${concurrency}: ${int(outcome.uploaded.length)} uploaded, ${outcome.failed.length} failed in ${fixed(oursMs / 1000, 2)} s = ${fixed(uploadsPerSecond, 2)} uploads/s`);
    log(`             ${sent.length} requests (${sent.filter((s) => s.path === TOKEN_PATH).length} token); most in any 1 s window: ${maxWindow} (uploads only: ${maxUploadWindow}); flow-control answers: ${flowControl}`);

    // The plain alternative: everything at once, plain fetch, no limiter.
    const naiveEmu = await startEmulator({ port: 0, appKey: APP_KEY, appSecret: APP_SECRET, reviewDelayMs: 10 });
    let naiveMs: number;
    let naiveOk = 0;
    let naiveFlow = 0;
    try {
      const tokenRes = await fetch(`${naiveEmu.url}${TOKEN_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ app_key: APP_KEY, app_secret: APP_SECRET }),
      });
      const token = ((await tokenRes.json()) as { AccessToken: string }).AccessToken;
      const t0 = performance.now();
      const answers = await Promise.all(
        prompts.map(async (data, i) => {
          const res = await fetch(`${naiveEmu.url}${UPLOAD_PATH}`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'X-APP-Key': APP_KEY },
            body: JSON.stringify({ fileInfo: data.toString('base64'), locale: 'zh_CN', voiceType: '1', fileType: 'wav', voiceFileName: `naive${i}` }),
          });
          return ((await res.json()) as { returnCode: string }).returnCode;
        }),
      );
      naiveMs = performance.now() - t0;
      naiveOk = answers.filter((c) => c === RC.ok).length;
      naiveFlow = answers.filter((c) => c === RC.uploadFlowControl).length;
      await naiveEmu.idle();
    } finally {
      await naiveEmu.close();
    }
    log(`plain:       ${int(n)} uploads fired at once (plain fetch, no limiter): ${naiveOk} accepted, ${naiveFlow} flow-control errors in ${fixed(naiveMs, 0)} ms`);
    log(`             (each refused upload would need its own retry; ours sent none that were refused)`);

    return {
      targets: [
        target({ description: 'every prompt uploaded', metric: 'uploaded', kind: 'min', threshold: n, actual: outcome.uploaded.length }),
        target({ description: 'limit respected: no flow-control answer from the emulator', metric: 'flow-control answers', kind: 'max', threshold: 0, actual: flowControl }),
        target({ description: 'limit respected: requests sent in any 1 s window', metric: 'max requests / 1 s', kind: 'max', threshold: LIMIT, actual: maxWindow }),
        target({ description: 'uploads a second', metric: 'uploads/s', kind: 'min', threshold: TARGET_UPLOADS_PER_SECOND, actual: uploadsPerSecond }),
      ],
      metrics: {
        uploads: n,
        concurrency,
        uploaded: outcome.uploaded.length,
        failed: outcome.failed.length,
        wallMs: oursMs,
        uploadsPerSecond,
        requests: sent.length,
        maxRequestsPerSecondWindow: maxWindow,
        flowControlAnswers: flowControl,
        naiveAccepted: naiveOk,
        naiveFlowControlErrors: naiveFlow,
        naiveWallMs: naiveMs,
      },
    };
  },
};

export default bench;
