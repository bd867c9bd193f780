/**
 * `promptprep doctor`: is this machine and this project ready, and if not, what is
 * missing. Which ffmpeg is used and why (every place looked at), Node, the config and
 * its profile, the ledger, the cache folder, and the CEC credentials the config needs
 * (whether they are set, never their values). Reads only: it creates no ledger, no cache.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { cacheDir } from './cache-dir.js';
import type { Config } from './config.js';
import { ConfigError } from './config-file.js';
import { encoderNeed } from './codecs/encode.js';
import { ffmpegNeeds, noFfmpegError, searchFfmpeg, type FfmpegBinary, type FfmpegCandidate, type FfmpegNeed } from './ffmpeg.js';
import { CEC_PLATFORM, resolvePlatform, type PlatformId } from './platforms.js';
import { escapeControlChars } from './text-safe.js';

export interface DoctorOptions {
  /** Where the project is: the config file and the default ledger are found from here. Default: the working directory. */
  cwd?: string;
  /** A config file to use instead of ./promptprep.config.json. */
  configPath?: string;
  /** A ledger file to use instead of the config's. */
  ledgerPath?: string;
  env?: NodeJS.ProcessEnv;
}

export interface DoctorReport {
  /** Everything the config needs is there. */
  ok: boolean;
  /** One line per thing that is missing or broken, with the fix. */
  problems: string[];
  ffmpeg: {
    ok: boolean;
    chosen: (FfmpegBinary & { version: string; soxr: boolean }) | null;
    /** Every place looked at, in the order they are tried. */
    candidates: FfmpegCandidate[];
  };
  node: { ok: boolean; version: string; required: string };
  config: {
    ok: boolean;
    /** The file read, or null for the built-in defaults. */
    path: string | null;
    profile: { id: string; title: string } | null;
    error?: string;
  };
  ledger: {
    ok: boolean;
    /** null when the config could not be read. */
    path: string | null;
    exists: boolean;
    /** Schema version of an existing ledger. */
    schema?: number;
    detail: string;
  };
  cache: { path: string | null; writable: boolean; detail: string };
  upload: {
    platform: PlatformId | null;
    /** The CEC credentials, each set or not; needed only when the platform is huawei-cec. */
    credentials: { name: string; needed: boolean; set: boolean; valid: boolean; detail: string }[];
  };
}

const requireHere = createRequire(import.meta.url);

/** The lowest Node this package supports, from package.json's engines (">=20.19"). */
function requiredNode(): string {
  const engines = (requireHere('../package.json') as { engines?: { node?: string } }).engines?.node ?? '>=20.19';
  return engines.replace(/^>=\s*/, '');
}

/** a >= b for dotted versions ("20.20.2" >= "20.19"). */
export function versionAtLeast(a: string, b: string): boolean {
  const pa = a.replace(/^v/, '').split('.').map(Number);
  const pb = b.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** The nearest folder that exists at or above `p`, and whether we may create things in it. */
async function nearestWritableAncestor(p: string): Promise<{ dir: string; writable: boolean }> {
  let dir = path.resolve(p);
  for (;;) {
    const st = await fs.stat(dir).catch(() => null);
    if (st) {
      const writable = st.isDirectory() && (await fs.access(dir, fsConstants.W_OK | fsConstants.X_OK).then(() => true, () => false));
      return { dir, writable };
    }
    const up = path.dirname(dir);
    if (up === dir) return { dir, writable: false };
    dir = up;
  }
}

async function checkLedger(file: string): Promise<DoctorReport['ledger']> {
  const st = await fs.stat(file).catch(() => null);
  if (!st) {
    const { dir, writable } = await nearestWritableAncestor(path.dirname(file));
    return writable
      ? { ok: true, path: file, exists: false, detail: 'not created yet; the first convert creates it' }
      : { ok: false, path: file, exists: false, detail: `does not exist, and cannot be created: ${dir} is not writable` };
  }
  if (!st.isFile()) return { ok: false, path: file, exists: true, detail: 'is not a file' };
  // Read only: doctor never migrates or creates anything. The native addon loads only here.
  const [{ Ledger }, { SCHEMA_VERSION }] = await Promise.all([import('./ledger/ledger.js'), import('./ledger/schema.js')]);
  let schema: number;
  try {
    const ledger = Ledger.open(file, { readonly: true, busyTimeoutMs: 2000 });
    try {
      schema = ledger.db.pragma('user_version', { simple: true }) as number;
      ledger.db.prepare('SELECT count(*) FROM sqlite_master').get();
    } finally {
      ledger.close();
    }
  } catch (err) {
    return { ok: false, path: file, exists: true, detail: `does not open: ${(err as Error).message}` };
  }
  if (schema > SCHEMA_VERSION) {
    return { ok: false, path: file, exists: true, schema, detail: `was written by a newer promptprep (schema ${schema}; this one knows up to ${SCHEMA_VERSION}). Upgrade promptprep.` };
  }
  const writable = await fs.access(file, fsConstants.W_OK).then(() => true, () => false);
  if (!writable) return { ok: false, path: file, exists: true, schema, detail: 'opens, but is read-only for this user: convert and review cannot record anything' };
  return { ok: true, path: file, exists: true, schema, detail: `opens (schema ${schema})` };
}

const CALLBACK_SECRET_RULE = /^[A-Za-z0-9_-]{16,128}$/;

function credentials(env: NodeJS.ProcessEnv, needed: boolean): DoctorReport['upload']['credentials'] {
  const set = (name: string): boolean => Boolean(env[name]);
  const secret = env.PROMPTPREP_CEC_CALLBACK_SECRET;
  return [
    { name: 'PROMPTPREP_CEC_APP_KEY', needed, set: set('PROMPTPREP_CEC_APP_KEY'), valid: set('PROMPTPREP_CEC_APP_KEY'), detail: set('PROMPTPREP_CEC_APP_KEY') ? 'set' : 'not set' },
    { name: 'PROMPTPREP_CEC_APP_SECRET', needed, set: set('PROMPTPREP_CEC_APP_SECRET'), valid: set('PROMPTPREP_CEC_APP_SECRET'), detail: set('PROMPTPREP_CEC_APP_SECRET') ? 'set' : 'not set' },
    {
      name: 'PROMPTPREP_CEC_CALLBACK_SECRET',
      needed,
      set: Boolean(secret),
      valid: Boolean(secret && CALLBACK_SECRET_RULE.test(secret)),
      detail: !secret ? 'not set' : CALLBACK_SECRET_RULE.test(secret) ? 'set' : 'set, but not 16-128 letters, digits, - or _',
    },
  ];
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const problems: string[] = [];

  // Config first: it says which ffmpeg features, which ledger and which platform matter.
  let config: Config | null = null;
  let configReport: DoctorReport['config'];
  /** The encoder the profile's codec takes from ffmpeg (GSM 6.10, MP3), if any. */
  let profileNeed: FfmpegNeed | null = null;
  try {
    const { loadConfig } = await import('./config.js');
    const loaded = await loadConfig({ cwd, ...(options.configPath ? { explicitPath: options.configPath } : {}) });
    config = loaded.config;
    configReport = { ok: true, path: loaded.source, profile: { id: loaded.profile.id, title: loaded.profile.title } };
    profileNeed = encoderNeed(loaded.profile);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    configReport = { ok: false, path: options.configPath ? path.resolve(cwd, options.configPath) : path.join(cwd, 'promptprep.config.json'), profile: null, error: err.message };
    problems.push(`config: ${err.message}`);
  }

  const search = await searchFfmpeg({ env, all: true, needs: [...ffmpegNeeds({ bandLimit: config?.convert.bandLimit ?? false }), ...(profileNeed ? [profileNeed] : [])] });
  const chosenCandidate = search.candidates.find((c) => c.status === 'chosen');
  const ffmpeg: DoctorReport['ffmpeg'] = {
    ok: search.chosen !== null,
    chosen:
      search.chosen && chosenCandidate?.features
        ? { ...search.chosen, version: chosenCandidate.features.version, soxr: chosenCandidate.features.soxr }
        : null,
    candidates: search.candidates,
  };
  if (!ffmpeg.ok) problems.push(`ffmpeg: ${noFfmpegError(search).message}`);

  const required = requiredNode();
  const node = { ok: versionAtLeast(process.versions.node, required), version: process.versions.node, required };
  if (!node.ok) problems.push(`node: promptprep needs Node ${required} or later; this is ${process.versions.node}.`);

  let ledger: DoctorReport['ledger'];
  if (config) {
    const { ledgerPath } = await import('./ledger/project.js');
    ledger = await checkLedger(ledgerPath(config, options.ledgerPath, cwd));
    if (!ledger.ok) problems.push(`ledger: ${ledger.path} ${ledger.detail}`);
  } else {
    ledger = { ok: false, path: null, exists: false, detail: 'unknown until the config can be read' };
  }

  const cachePath = cacheDir(env);
  let cache: DoctorReport['cache'];
  if (cachePath === null) {
    cache = { path: null, writable: false, detail: 'off (PROMPTPREP_CACHE_DIR is empty): ffmpeg is asked what it can do on every run' };
  } else {
    const { writable } = await nearestWritableAncestor(cachePath);
    // Not a problem: without it, runs are only a little slower.
    cache = { path: cachePath, writable, detail: writable ? 'writable' : 'not writable: ffmpeg is asked what it can do on every run' };
  }

  let platform: PlatformId | null = null;
  if (config) {
    try {
      platform = resolvePlatform(undefined, config);
    } catch (err) {
      problems.push(`upload: ${(err as Error).message}`);
    }
  }
  const needCec = platform === CEC_PLATFORM;
  const creds = credentials(env, needCec);
  if (needCec) {
    for (const c of creds) {
      if (!c.valid) problems.push(`upload: the config uploads to ${CEC_PLATFORM}, but ${c.name} is ${c.detail}.`);
    }
  }

  return { ok: problems.length === 0, problems, ffmpeg, node, config: configReport, ledger, cache, upload: { platform, credentials: creds } };
}

/** The report as text, one section a line, each candidate ffmpeg on a line of its own. */
export function renderDoctorText(r: DoctorReport): string {
  const mark = (ok: boolean): string => (ok ? 'ok  ' : 'FAIL');
  const lines: string[] = [];
  const c = r.ffmpeg.chosen;
  lines.push(`${mark(r.ffmpeg.ok)} ffmpeg  ${c ? `${c.path} (from ${c.source}), ffmpeg ${c.version}, ${c.soxr ? 'with' : 'without'} libsoxr` : 'none usable'}`);
  r.ffmpeg.candidates.forEach((cand, i) => {
    const where = cand.path ? ` ${cand.path}` : '';
    const what = cand.features ? ` [ffmpeg ${cand.features.version}${cand.features.soxr ? ', libsoxr' : ''}${cand.package ? `; ${cand.package}` : ''}]` : cand.package ? ` [${cand.package}]` : '';
    lines.push(`       ${i + 1}. ${cand.source}${where}${what}: ${cand.status.replace('-', ' ')}, ${cand.reason}`);
  });
  lines.push(`${mark(r.node.ok)} node    ${r.node.version} (needs ${r.node.required} or later)`);
  const cfg = r.config;
  lines.push(
    cfg.ok
      ? `${mark(true)} config  ${cfg.path ?? 'none found (built-in defaults)'}; profile ${cfg.profile?.id} (${cfg.profile?.title})`
      : `${mark(false)} config  ${cfg.path}: ${cfg.error}`,
  );
  lines.push(`${mark(r.ledger.ok)} ledger  ${r.ledger.path ?? '(unknown)'}: ${r.ledger.detail}`);
  lines.push(`${mark(true)} cache   ${r.cache.path ?? '(none)'}: ${r.cache.detail}`);
  const needCec = r.upload.platform === CEC_PLATFORM;
  const credsOk = !needCec || r.upload.credentials.every((x) => x.valid);
  lines.push(`${mark(credsOk)} upload  ${r.upload.platform ?? '(unknown)'}${needCec ? '' : ' (no credentials needed)'}`);
  for (const cred of r.upload.credentials) lines.push(`       ${cred.name}: ${cred.detail}${cred.needed ? '' : ' (needed only for huawei-cec)'}`);
  lines.push('');
  if (r.ok) lines.push('Everything this project needs is there.');
  else lines.push(`${r.problems.length} problem(s):`, ...r.problems.flatMap((p) => p.split('\n').map((part, i) => `${i === 0 ? '  - ' : '    '}${part}`)));
  // Paths and messages are shown escaped: a path with ESC or a newline cannot drive the terminal.
  return `${lines.map(escapeControlChars).join('\n')}\n`;
}
