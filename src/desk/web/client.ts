/** The desk's JSON API, as the page calls it. */
import type { DropRecord } from '../drop-record.js';

export interface StatusRow {
  name: string;
  scene: string | null;
  description: string | null;
  version: number;
  state: string;
  since: string;
  reason: string | null;
  platformName: string | null;
  inUse: { version: number; platformName: string } | null;
  overdue: boolean;
  reviewDue: string | null;
  attention: string | null;
  deletable: { version: number; platformName: string }[];
}

export interface PromptList {
  platform: string;
  prompts: StatusRow[];
  summary: Record<string, number>;
  noSceneHint: string | null;
  drop: { into: 'inbox' | 'convert'; folder: string; maxBytes: number };
  cec: boolean;
}

export interface HistoryEvent {
  version: number;
  platform: string;
  from: string | null;
  to: string;
  actor: string;
  reason: string | null;
  at: string;
}

export interface VersionInfo {
  id: number;
  number: number;
  state: string;
  since: string;
  reason: string | null;
  createdAt: string;
  bytes: number;
  durationSeconds: number;
  platformName: string | null;
  remoteId: string | null;
  remoteName: string | null;
  lastError: string | null;
  sourceName: string | null;
  events: HistoryEvent[];
}

export interface PromptDetail {
  row: StatusRow | null;
  versions: VersionInfo[];
}

export interface Finding {
  code: string;
  message: string;
}

export interface Analysis {
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
  stats: {
    durationSeconds: number;
    peakDb: number;
    activeDb: number;
    leadingSilenceSeconds: number;
    trailingSilenceSeconds: number;
    clippedRuns: number;
  } | null;
}

export interface Peaks {
  durationSeconds: number;
  peaks: number[];
  silences: { start: number; end: number }[];
  clipped: { start: number; end: number }[];
}

export interface BindingMode {
  mode: string;
  fragment: Record<string, unknown>;
  notes: string[];
}

export type { DropRecord } from '../drop-record.js';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A cookie the desk set for the page (the CSRF token when signed in beyond loopback). */
function cookie(name: string): string | null {
  const m = new RegExp(`(?:^|;\\s*)${name}=([^;]*)`).exec(document.cookie);
  return m ? decodeURIComponent(m[1] ?? '') : null;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const csrf = cookie('desk_csrf');
  return { 'X-Promptprep-Desk': '1', ...(csrf ? { 'X-CSRF-Token': csrf } : {}), ...extra };
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: text };
  }
  if (!res.ok) throw new ApiError((body as { error?: string } | null)?.error ?? `${res.status} ${res.statusText}`, res.status);
  return body as T;
}

export async function get<T>(path: string): Promise<T> {
  return parse<T>(await fetch(path, { headers: headers(), credentials: 'same-origin' }));
}

export async function post<T>(path: string, body: unknown): Promise<T> {
  return parse<T>(
    await fetch(path, { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body), credentials: 'same-origin' }),
  );
}

export async function dropFile(file: File): Promise<DropRecord> {
  return parse<DropRecord>(
    await fetch('/api/drop', {
      method: 'POST',
      headers: headers({ 'Content-Type': 'application/octet-stream', 'X-File-Name': encodeURIComponent(file.name) }),
      body: file,
      credentials: 'same-origin',
    }),
  );
}
