import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { checkWavBytes } from '../check.js';
import { silentLogger, type Logger } from '../logger.js';
import { huaweiPrivateNumber, type Profile } from '../profile.js';
import {
  CALLBACK_TRIES,
  DEFAULT_TOKEN_EXPIRE,
  MAX_FILE_INFO_BYTES,
  MAX_TOKEN_EXPIRE,
  RC,
  REQUESTS_PER_SECOND,
  TOKEN_PATH,
  TokenRequestSchema,
  UPLOAD_PATH,
  VOICE_FILE_NAME_RE,
  LOCALES,
  VOICE_TYPES,
  type CallbackBody,
} from './contract.js';
import { readBody, sendJson } from './http-util.js';
import { listen } from '../server/listen.js';
import { isLoopbackAddress } from '../server/loopback.js';

/**
 * A local stand-in for the CEC voice-file API, faithful to the documented contract: token
 * by AK/SK, the upload with its field rules, the 8 MB and 10-requests-a-second limits,
 * and the review result posted to callBackUrl, retried until answered {"returnCode":"0"}
 * (6 tries in all). It reviews by the PrivateNumber rules, so the whole loop runs offline.
 */

export interface RejectRule {
  /** Regular expression tested against voiceFileName. */
  pattern: string;
  comment: string;
}

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. Default 8790. */
  port?: number;
  appKey: string;
  appSecret: string;
  /** Delay before the review result is posted. Default 2000 ms. */
  reviewDelayMs?: number;
  /** Delay between callback tries. Default 1000 ms. */
  callbackRetryDelayMs?: number;
  /** Files whose voiceFileName matches are rejected on purpose, with this comment. */
  rejectRules?: RejectRule[];
  /** Override the token lifetime the emulator grants (tests of renewal). */
  tokenLifetimeSeconds?: number;
  profile?: Profile;
  logger?: Logger;
  /** How the user picks another port, for the "port in use" error. */
  portHint?: string;
}

export interface EmulatedFile {
  fileId: string;
  voiceFileName: string | null;
  bytes: number;
  callBackUrl: string | null;
  status: 'reviewing' | '2' | '3';
  comment: string | null;
  callbackAttempts: number;
  callbackDelivered: boolean;
}

export interface EmulatorHandle {
  url: string;
  port: number;
  files: Map<string, EmulatedFile>;
  /** The next n uploads answer HTTP 503 (tests of retry). */
  failNextUploads(n: number, status?: number): void;
  /** Every issued token stops working now (tests of renewal). */
  expireTokens(): void;
  /** Resolves when every pending review and callback is finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const CONTROL_PREFIX = '/__emulator';

const FailNextSchema = z
  .object({
    count: z.number().int().min(0).max(1_000_000).optional(),
    status: z.number().int().min(400).max(599).optional(),
  })
  .strict();

/**
 * A callBackUrl with what could be a secret taken out: user and password, query, fragment,
 * and the last path segment (where promptprep, like most receivers, keeps its secret).
 * The emulator answers and logs only this form.
 */
export function redactCallbackUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const u = new URL(url);
    const segments = u.pathname.split('/');
    const last = segments.length - 1;
    if (segments[last]) segments[last] = '<redacted>';
    const query = u.search ? '?<redacted>' : '';
    return `${u.protocol}//${u.host}${segments.join('/')}${query}`;
  } catch {
    return '<redacted>';
  }
}

export async function startEmulator(o: EmulatorOptions): Promise<EmulatorHandle> {
  const logger = o.logger ?? silentLogger();
  const profile = o.profile ?? huaweiPrivateNumber;
  const tokens = new Map<string, number>();
  const files = new Map<string, EmulatedFile>();
  const uploadStarts: number[] = [];
  const pending = new Set<Promise<void>>();
  let failNext = 0;
  let failStatus = 503;
  let nextId = 1182733043937561600n;
  let closing = false;

  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const handleToken = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req, 64 * 1024);
    if (!raw) return sendJson(res, 413, { returnCode: RC.tooLong, description: 'The request body is too large.' });
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendJson(res, 400, { returnCode: RC.badFormat, description: 'The request body is not JSON.' });
    }
    const parsed = TokenRequestSchema.safeParse(body);
    if (!parsed.success) return sendJson(res, 400, { returnCode: RC.missing, description: 'The value of app_key or app_secret cannot be null.' });
    if (parsed.data.app_key !== o.appKey || parsed.data.app_secret !== o.appSecret) {
      logger.warn({ event: 'token-refused' }, 'token request with a wrong app_key or app_secret');
      return sendJson(res, 401, { returnCode: RC.unauthorized, description: 'The app_key or app_secret is invalid.' });
    }
    const header = req.headers['x-token-expire'];
    const asked = header === undefined ? DEFAULT_TOKEN_EXPIRE : Number(header);
    if (!Number.isInteger(asked) || asked <= 0 || asked > MAX_TOKEN_EXPIRE) {
      return sendJson(res, 400, { returnCode: RC.badFormat, description: `The format of X-Token-Expire is incorrect (1-${MAX_TOKEN_EXPIRE}).` });
    }
    const lifetime = o.tokenLifetimeSeconds ?? asked;
    const token = randomBytes(16).toString('hex');
    tokens.set(token, Date.now() + lifetime * 1000);
    sendJson(res, 200, { AccessToken: token, ApplyType: 'Bearer', Expires: String(lifetime), RefreshToken: randomBytes(16).toString('hex') });
  };

  const handleUpload = async (req: IncomingMessage, res: ServerResponse) => {
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const expiresAt = auth ? tokens.get(auth[1] as string) : undefined;
    if (!auth || expiresAt === undefined || expiresAt <= Date.now()) {
      req.resume();
      return sendJson(res, 401, { returnCode: RC.unauthorized, description: 'The access token is invalid or has expired.' });
    }
    if (req.headers['x-app-key'] !== undefined && req.headers['x-app-key'] !== o.appKey) {
      req.resume();
      return sendJson(res, 401, { returnCode: RC.unauthorized, description: 'The X-APP-Key does not match the token.' });
    }
    const now = Date.now();
    while (uploadStarts.length > 0 && now - (uploadStarts[0] as number) >= 1000) uploadStarts.shift();
    uploadStarts.push(now);
    if (uploadStarts.length > REQUESTS_PER_SECOND) {
      req.resume();
      return sendJson(res, 200, { returnCode: RC.uploadFlowControl, description: 'Reached the upload flow control threshold.' });
    }
    if (failNext > 0) {
      failNext--;
      req.resume();
      return sendJson(res, failStatus, { returnCode: String(failStatus), description: 'The service is temporarily unavailable (injected by the emulator).' });
    }
    const raw = await readBody(req, Math.ceil(MAX_FILE_INFO_BYTES * 1.1) + 64 * 1024);
    if (!raw) return sendJson(res, 200, { returnCode: RC.tooLong, description: 'The length of fileInfo is too long.' });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      if (body === null || typeof body !== 'object') throw new Error('not an object');
    } catch {
      return sendJson(res, 200, { returnCode: RC.noBody, description: 'The params of requestBody is null.' });
    }
    const problem = validateUpload(body);
    if (problem) return sendJson(res, 200, problem);
    const fileInfo = body.fileInfo as string;
    const data = Buffer.from(fileInfo, 'base64');
    const fileId = (nextId++).toString();
    const file: EmulatedFile = {
      fileId,
      voiceFileName: (body.voiceFileName as string | undefined) ?? null,
      bytes: data.length,
      callBackUrl: (body.callBackUrl as string | undefined) ?? null,
      status: 'reviewing',
      comment: null,
      callbackAttempts: 0,
      callbackDelivered: false,
    };
    files.set(fileId, file);
    logger.info({ event: 'uploaded', fileId, voiceFileName: file.voiceFileName, bytes: data.length }, `received ${file.voiceFileName ?? fileId} (${data.length} bytes) as fileId ${fileId}`);
    sendJson(res, 200, { returnCode: RC.ok, description: 'File uploaded successfully.', fileId });
    track(review(file, data, body.fileType as string));
  };

  const review = async (file: EmulatedFile, data: Buffer, fileType: string) => {
    await sleep(o.reviewDelayMs ?? 2000);
    if (closing) return;
    const rule = (o.rejectRules ?? []).find((r) => file.voiceFileName !== null && new RegExp(r.pattern).test(file.voiceFileName));
    let comment: string | null = null;
    if (rule) {
      comment = rule.comment;
    } else if (fileType !== 'wav') {
      comment = 'The file must be an A-law, 8000 Hz, mono, 8-bit WAV file.';
    } else {
      const verdict = checkWavBytes(data, data.length, { profile });
      if (verdict.errors.length > 0) comment = verdict.errors.map((e) => e.message).join(' ');
    }
    file.status = comment ? '3' : '2';
    file.comment = comment;
    logger.info({ event: 'reviewed', fileId: file.fileId, status: file.status }, `${file.voiceFileName ?? file.fileId}: ${comment ? `rejected (${comment})` : 'approved'}`);
    if (!file.callBackUrl) return;
    const body: CallbackBody = {
      fileUrl: `${handle.url}/files/${file.fileId}.${fileType === 'wav' ? 'wav' : 'mp3'}`,
      fileId: file.fileId,
      status: file.status,
      ...(comment ? { comment } : {}),
    };
    for (let attempt = 1; attempt <= CALLBACK_TRIES && !closing; attempt++) {
      file.callbackAttempts = attempt;
      try {
        const res = await fetch(file.callBackUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const answer = (await res.json().catch(() => null)) as { returnCode?: unknown } | null;
        if (answer?.returnCode === '0') {
          file.callbackDelivered = true;
          logger.info({ event: 'callback', fileId: file.fileId, attempt }, `callback for ${file.fileId} accepted on try ${attempt}`);
          return;
        }
        logger.warn({ event: 'callback-retry', fileId: file.fileId, attempt, status: res.status }, `callback for ${file.fileId} not accepted (HTTP ${res.status}); try ${attempt} of ${CALLBACK_TRIES}`);
      } catch (err) {
        // An error may quote the URL it was given: never the secret in it.
        const why = (err as Error).message.split(file.callBackUrl).join(redactCallbackUrl(file.callBackUrl) ?? '');
        logger.warn({ event: 'callback-retry', fileId: file.fileId, attempt }, `callback for ${file.fileId} failed: ${why}; try ${attempt} of ${CALLBACK_TRIES}`);
      }
      if (attempt < CALLBACK_TRIES) await sleep(o.callbackRetryDelayMs ?? 1000);
    }
  };

  const handleControl = async (req: IncomingMessage, res: ServerResponse, sub: string) => {
    // These change what the emulator does and list what it holds: this machine only,
    // whatever --host exposes the API to.
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      req.resume();
      logger.warn({ event: 'control-refused', remote: req.socket.remoteAddress }, `control request from ${req.socket.remoteAddress ?? 'an unknown address'} refused: loopback only`);
      return sendJson(res, 403, { error: 'The emulator control endpoints answer only this machine (127.0.0.1, ::1).' });
    }
    const wants = sub === '/files' ? 'GET' : sub === '/fail-next-uploads' || sub === '/expire-tokens' ? 'POST' : null;
    if (wants === null) {
      req.resume();
      return sendJson(res, 404, { error: 'unknown control' });
    }
    if (req.method !== wants) {
      req.resume();
      return sendJson(res, 405, { error: `Use ${wants}.` });
    }
    if (sub === '/files') {
      req.resume();
      return sendJson(res, 200, [...files.values()].map((f) => ({ ...f, callBackUrl: redactCallbackUrl(f.callBackUrl) })));
    }
    const raw = await readBody(req, 64 * 1024);
    if (!raw) return sendJson(res, 413, { error: 'The body is too large.' });
    let json: unknown = {};
    if (raw.length > 0) {
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        return sendJson(res, 400, { error: 'The body is not JSON.' });
      }
    }
    if (sub === '/fail-next-uploads') {
      const parsed = FailNextSchema.safeParse(json);
      if (!parsed.success) {
        return sendJson(res, 400, { error: 'Expected {"count": 0-1000000, "status": 400-599}, both optional (default 1 and 503).' });
      }
      failNext = parsed.data.count ?? 1;
      failStatus = parsed.data.status ?? 503;
      return sendJson(res, 200, { ok: true });
    }
    tokens.clear();
    return sendJson(res, 200, { ok: true });
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const route = async () => {
      if (url.pathname.startsWith(CONTROL_PREFIX)) return handleControl(req, res, url.pathname.slice(CONTROL_PREFIX.length));
      if (req.method !== 'POST') return sendJson(res, 405, { returnCode: RC.badFormat, description: 'Use POST.' });
      if (url.pathname === TOKEN_PATH) return handleToken(req, res);
      if (url.pathname === UPLOAD_PATH) return handleUpload(req, res);
      sendJson(res, 404, { returnCode: '404', description: 'Not found.' });
    };
    route().catch((err: unknown) => {
      logger.error({ event: 'error' }, `emulator error: ${(err as Error).message}`);
      if (!res.headersSent) sendJson(res, 500, { returnCode: '500', description: 'Internal error.' });
    });
  });
  const host = o.host ?? '127.0.0.1';
  const port = await listen(server, { host, port: o.port ?? 8790, ...(o.portHint ? { portHint: o.portHint } : {}) });
  const handle: EmulatorHandle = {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    files,
    failNextUploads(n, status = 503) {
      failNext = n;
      failStatus = status;
    },
    expireTokens() {
      tokens.clear();
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      closing = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return handle;
}

function validateUpload(body: Record<string, unknown>): { returnCode: string; description: string } | null {
  for (const key of ['fileInfo', 'locale', 'voiceType', 'fileType'] as const) {
    if (body[key] === undefined || body[key] === null) return { returnCode: RC.missing, description: `The value of ${key} cannot be null.` };
    if (typeof body[key] !== 'string') return { returnCode: RC.badFormat, description: `The format of ${key} is incorrect.` };
    if (body[key] === '') return { returnCode: RC.empty, description: `The value of ${key} cannot be an empty string.` };
  }
  const fileInfo = body.fileInfo as string;
  if (fileInfo.length > MAX_FILE_INFO_BYTES) return { returnCode: RC.tooLong, description: 'The length of fileInfo is too long.' };
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(fileInfo) || fileInfo.length % 4 !== 0) {
    return { returnCode: RC.badFormat, description: 'The format of fileInfo is incorrect.' };
  }
  if (!(LOCALES as readonly string[]).includes(body.locale as string)) return { returnCode: RC.badFormat, description: 'The format of locale is incorrect.' };
  if (!(VOICE_TYPES as readonly string[]).includes(body.voiceType as string)) return { returnCode: RC.badFormat, description: 'The format of voiceType is incorrect.' };
  if (!['wav', 'MP3'].includes(body.fileType as string)) return { returnCode: RC.badFormat, description: 'The format of fileType is incorrect.' };
  if (body.voiceFileName !== undefined) {
    if (typeof body.voiceFileName !== 'string') return { returnCode: RC.badFormat, description: 'The format of voiceFileName is incorrect.' };
    if ([...body.voiceFileName].length > 50) return { returnCode: RC.tooLong, description: 'The length of voiceFileName is too long.' };
    if (!VOICE_FILE_NAME_RE.test(body.voiceFileName)) return { returnCode: RC.badFormat, description: 'The format of voiceFileName is incorrect.' };
  }
  if (body.callBackUrl !== undefined) {
    try {
      const u = new URL(String(body.callBackUrl));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    } catch {
      return { returnCode: RC.badFormat, description: 'The format of callBackUrl is incorrect.' };
    }
  }
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
