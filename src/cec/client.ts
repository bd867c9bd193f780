import { RateLimiter } from './rate-limit.js';
import {
  DEFAULT_TOKEN_EXPIRE,
  RC,
  REQUESTS_PER_SECOND,
  TOKEN_PATH,
  TokenResponseSchema,
  UPLOAD_PATH,
  UploadResponseSchema,
  type UploadRequest,
} from './contract.js';

/**
 * A client of the CEC voice-file API: token cached and renewed before it expires, at most
 * 10 requests a second, retries with backoff on network errors, 5xx and flow control,
 * none on other 4xx or business errors. Credentials live only in this object; no message
 * it produces contains them.
 */

export interface CecCredentials {
  appKey: string;
  appSecret: string;
}

export interface CecClientOptions {
  baseUrl: string;
  credentials: CecCredentials;
  /** Seconds to ask the token to live (X-Token-Expire). Default 600. */
  tokenExpireSeconds?: number;
  /** Renew this many seconds before the token expires (at most half its lifetime). Default 60. */
  renewMarginSeconds?: number;
  /** Tries for one request, the first included. Default 5. */
  maxTries?: number;
  /** First backoff; doubles each retry. Default 200 ms. */
  backoffMs?: number;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** An answer from the platform that is not success. */
export class CecError extends Error {
  override name = 'CecError';
  constructor(
    message: string,
    /** HTTP status, or null for a network error. */
    readonly status: number | null,
    /** The platform's returnCode, when it gave one. */
    readonly returnCode: string | null,
    readonly retryable: boolean,
    /** The request went out but no answer came: the platform may or may not have acted on it. */
    readonly ambiguous = false,
  ) {
    super(message);
  }
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): CecCredentials {
  const appKey = env.PROMPTPREP_CEC_APP_KEY;
  const appSecret = env.PROMPTPREP_CEC_APP_SECRET;
  if (!appKey || !appSecret) {
    throw new Error('CEC credentials are read from the environment only: set PROMPTPREP_CEC_APP_KEY and PROMPTPREP_CEC_APP_SECRET.');
  }
  return { appKey, appSecret };
}

export class CecClient {
  private token: { value: string; renewAt: number } | null = null;
  private tokenPromise: Promise<string> | null = null;
  private readonly limiter = new RateLimiter(REQUESTS_PER_SECOND);
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  /** Requests sent (all tries), for benches and tests. */
  requests = 0;

  constructor(private readonly o: CecClientOptions) {
    this.fetchImpl = o.fetch ?? fetch;
    this.now = o.now ?? Date.now;
  }

  /** Never print the secret: inspection and JSON show only the base URL. */
  toJSON(): unknown {
    return { baseUrl: this.o.baseUrl };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `CecClient(${this.o.baseUrl})`;
  }

  private url(p: string): string {
    return `${this.o.baseUrl.replace(/\/+$/, '')}${p}`;
  }

  async accessToken(): Promise<string> {
    if (this.token && this.now() < this.token.renewAt) return this.token.value;
    this.tokenPromise ??= this.fetchToken().finally(() => {
      this.tokenPromise = null;
    });
    return this.tokenPromise;
  }

  /** Drop the cached token (after the platform refused it). */
  invalidateToken(): void {
    this.token = null;
  }

  private async fetchToken(): Promise<string> {
    const expire = this.o.tokenExpireSeconds ?? DEFAULT_TOKEN_EXPIRE;
    const body = await this.send(
      TOKEN_PATH,
      { 'Content-Type': 'application/json', 'X-Token-Expire': String(expire) },
      JSON.stringify({ app_key: this.o.credentials.appKey, app_secret: this.o.credentials.appSecret }),
    );
    const parsed = TokenResponseSchema.safeParse(body);
    if (!parsed.success) throw new CecError('the token answer has no AccessToken', 200, null, false);
    const seconds = Number(parsed.data.Expires);
    const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds : expire;
    // Renew the margin before expiry, but never more than half the lifetime early: a short
    // token (60 s, with the default 60 s margin) must not mean a new token for every request.
    const margin = Math.min((this.o.renewMarginSeconds ?? 60) * 1000, (lifetime * 1000) / 2);
    this.token = { value: parsed.data.AccessToken, renewAt: this.now() + lifetime * 1000 - margin };
    return parsed.data.AccessToken;
  }

  /** Upload one file; resolves to the platform's fileId. */
  async upload(request: UploadRequest): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      try {
        const body = await this.send(
          UPLOAD_PATH,
          { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'X-APP-Key': this.o.credentials.appKey },
          JSON.stringify(request),
          false,
        );
        const parsed = UploadResponseSchema.safeParse(body);
        if (!parsed.success) throw new CecError('the upload answer is not the documented JSON', 200, null, false);
        if (parsed.data.returnCode !== RC.ok || !parsed.data.fileId) {
          throw new CecError(
            `upload refused: ${parsed.data.description ?? 'no description'} (returnCode ${parsed.data.returnCode})`,
            200,
            parsed.data.returnCode,
            false,
          );
        }
        return parsed.data.fileId;
      } catch (err) {
        // An expired or revoked token: renew once and try again; a second 401 is real.
        if (err instanceof CecError && err.status === 401 && attempt === 0) {
          this.invalidateToken();
          continue;
        }
        throw err;
      }
    }
  }

  /** One POST with the rate limit and the retry policy; returns the parsed JSON body. */
  private async send(p: string, headers: Record<string, string>, body: string, idempotent = true): Promise<unknown> {
    const tries = this.o.maxTries ?? 5;
    let delay = this.o.backoffMs ?? 200;
    let last: CecError | null = null;
    for (let i = 0; i < tries; i++) {
      if (i > 0) {
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
      }
      const release = await this.limiter.acquire();
      this.requests++;
      let res: Response;
      let text: string;
      try {
        res = await this.fetchImpl(this.url(p), {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
        });
        text = await res.text();
      } catch (err) {
        const message = `network error talking to ${this.o.baseUrl}: ${describeNetworkError(err)}`;
        // An upload is not idempotent: sent twice, it is stored twice. Retry only when the
        // connection never opened; after that, say we do not know.
        if (!idempotent && !neverSent(err)) {
          throw new CecError(`${message}; the request may have reached the platform`, null, null, false, true);
        }
        last = new CecError(message, null, null, true);
        continue;
      } finally {
        // The request's slot in the 10-a-second window runs from its answer (see RateLimiter).
        release();
      }
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      const rc = typeof (json as { returnCode?: unknown } | null)?.returnCode === 'string' ? (json as { returnCode: string }).returnCode : null;
      const desc = typeof (json as { description?: unknown } | null)?.description === 'string' ? (json as { description: string }).description : null;
      if (res.status >= 500) {
        last = new CecError(`the platform failed (HTTP ${res.status}${desc ? `: ${desc}` : ''})`, res.status, rc, true);
        continue;
      }
      if (res.status >= 400) {
        throw new CecError(`the platform refused the request (HTTP ${res.status}${desc ? `: ${desc}` : ''})`, res.status, rc, false);
      }
      if (rc && rc !== RC.ok && /flow control/i.test(desc ?? '')) {
        last = new CecError(`flow control: ${desc}`, res.status, rc, true);
        delay = Math.max(delay, 1000); // the window is a second: waiting less only fails again
        continue;
      }
      return json;
    }
    throw last ?? new CecError('request failed', null, null, true);
  }
}

const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);

/** The connection was never made, so nothing reached the platform. */
function neverSent(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } } | null)?.cause;
  if (cause?.code && NOT_CONNECTED.has(cause.code)) return true;
  return (cause?.errors ?? []).length > 0 && (cause?.errors ?? []).every((e) => e.code !== undefined && NOT_CONNECTED.has(e.code));
}

function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer before the timeout';
  return e?.cause?.code ? `${e.cause.code} (${e.cause.message ?? e.message})` : (e?.message ?? String(err));
}
