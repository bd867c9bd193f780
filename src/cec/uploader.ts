import pLimit from 'p-limit';
import type { CecConfig } from '../config.js';
import type { Ledger, StatusQuery, VersionRow } from '../ledger/ledger.js';
import { readPreparedFile } from '../ledger/prepared-file.js';
import { silentLogger, type Logger } from '../logger.js';
import { isScene } from '../scenes.js';
import { CEC_PLATFORM } from './callbacks.js';
import { CecError, type CecClient } from './client.js';
import { CallbackBodySchema, cecVoiceFileName } from './contract.js';

/**
 * Upload prepared prompts through the CEC API and record each step in the ledger. The
 * version is marked "uploading" before the request goes out: a crash before the fileId
 * is recorded leaves that mark, which `status` reports and which keeps the version from
 * being sent a second time unnoticed.
 */

export interface UploadOutcome {
  uploaded: { name: string; version: number; fileId: string; voiceFileName: string }[];
  failed: { name: string; version: number; message: string; interrupted?: boolean }[];
  /** Versions left alone: interrupted uploads that need a person. */
  needsAttention: { name: string; version: number; message: string }[];
}

export interface CecUploadOptions {
  ledger: Ledger;
  client: CecClient;
  cec: CecConfig;
  /** callBackUrl to send (the receiver's URL, secret included), or none. */
  callbackUrl: string | null;
  /** Prompt names; default every prompt whose latest version is prepared on huawei-cec. */
  names?: string[];
  /** Uploads in flight at once (the client still keeps to 10 requests a second). Default 4. */
  concurrency?: number;
  logger?: Logger;
  /** Only versions this accepts are uploaded (or reported); default all. */
  include?: (v: VersionRow) => boolean;
  /** Scene (for the voiceType) as the config gives it now (see currentPromptInfo). */
  promptInfo?: StatusQuery['promptInfo'];
}

export async function uploadToCec(o: CecUploadOptions): Promise<UploadOutcome> {
  const logger = o.logger ?? silentLogger();
  const outcome: UploadOutcome = { uploaded: [], failed: [], needsAttention: [] };
  const wanted = o.names && o.names.length > 0 ? new Set(o.names) : null;
  const rows = o.ledger.status({ platform: CEC_PLATFORM, ...(o.promptInfo ? { promptInfo: o.promptInfo } : {}) }).filter((r) => !wanted || wanted.has(r.name));
  if (wanted) {
    for (const n of wanted) if (!rows.some((r) => r.name === n)) outcome.failed.push({ name: n, version: 0, message: `no prompt named ${n} in the ledger` });
  }
  const limit = pLimit(o.concurrency ?? 4);
  await Promise.all(
    rows.map((row) =>
      limit(async () => {
        if (row.state !== 'uploading' && row.state !== 'prepared') return;
        const v = { ...o.ledger.findVersion(row.name, CEC_PLATFORM, row.version), scene: row.scene };
        if (o.include && !o.include(v)) return;
        if (row.state === 'uploading') {
          outcome.needsAttention.push({ name: row.name, version: row.version, message: row.attention ?? 'an earlier upload was interrupted' });
          return;
        }
        const res = await uploadOne(v, o, logger);
        if ('fileId' in res) outcome.uploaded.push(res);
        else if (res.interrupted) outcome.needsAttention.push({ name: res.name, version: res.version, message: res.message });
        else outcome.failed.push(res);
      }),
    ),
  );
  return outcome;
}

function uniqueVoiceFileName(ledger: Ledger, v: VersionRow): string {
  const base = cecVoiceFileName(v.name, v.number);
  const taken = ledger.db
    .prepare(`SELECT 1 FROM reviews r JOIN versions v ON v.id = r.version_id WHERE r.platform = ? AND r.remote_name = ? AND v.id != ?`)
    .get(CEC_PLATFORM, base, v.versionId);
  if (!taken) return base;
  // Two prompt names that fold to the same CEC name: tell them apart by the version id.
  const tag = `x${v.versionId}`;
  return `${[...base].slice(0, 50 - tag.length).join('')}${tag}`;
}

async function uploadOne(
  v: VersionRow,
  o: CecUploadOptions,
  logger: Logger,
): Promise<UploadOutcome['uploaded'][number] | UploadOutcome['failed'][number]> {
  const prepared = await readPreparedFile(v);
  if ('problem' in prepared) {
    o.ledger.noteError(v.versionId, CEC_PLATFORM, prepared.problem, 'upload');
    return { name: v.name, version: v.number, message: prepared.problem };
  }
  const voiceFileName = uniqueVoiceFileName(o.ledger, v);
  const voiceType = (v.scene && isScene(v.scene) ? o.cec.voiceTypes[v.scene] : undefined) ?? o.cec.defaultVoiceType;
  o.ledger.transition({ name: v.name, version: v.number, platform: CEC_PLATFORM, to: 'uploading', actor: 'upload', remoteName: voiceFileName });
  let fileId: string;
  try {
    fileId = await o.client.upload({
      fileInfo: prepared.data.toString('base64'),
      locale: o.cec.locale,
      voiceType,
      fileType: 'wav',
      ...(o.callbackUrl ? { callBackUrl: o.callbackUrl } : {}),
      voiceFileName,
    });
  } catch (err) {
    const message = err instanceof CecError ? err.message : `upload failed: ${(err as Error).message}`;
    if (err instanceof CecError && err.ambiguous) {
      // It may be on the platform already: stay "uploading" for a person to check.
      o.ledger.noteError(v.versionId, CEC_PLATFORM, message, 'upload');
      return { name: v.name, version: v.number, message, interrupted: true };
    }
    // The platform said no (or never answered): back to prepared, with its words on record.
    o.ledger.transition({ name: v.name, version: v.number, platform: CEC_PLATFORM, to: 'prepared', actor: 'upload', lastError: message });
    return { name: v.name, version: v.number, message };
  }
  o.ledger.transition({ name: v.name, version: v.number, platform: CEC_PLATFORM, to: 'in-review', actor: 'upload', remoteId: fileId });
  logger.info({ event: 'uploaded', name: v.name, version: v.number, fileId }, `${v.name} v${v.number} uploaded as ${voiceFileName} (fileId ${fileId}); in review`);
  applyEarlyCallback(o.ledger, fileId, logger);
  return { name: v.name, version: v.number, fileId, voiceFileName };
}

/**
 * A review result can arrive before the fileId is recorded (a fast reviewer, a slow
 * disk); the receiver keeps it as unmatched, and it is applied here.
 */
function applyEarlyCallback(ledger: Ledger, fileId: string, logger: Logger): void {
  const last = ledger.unmatchedCallbacks(CEC_PLATFORM).find((c) => c.remoteId === fileId);
  if (!last) return;
  // The receiver keeps what applying needs, without fileUrl (older ledgers kept the raw body).
  const parsed = CallbackBodySchema.omit({ fileUrl: true }).safeParse(JSON.parse(last.body));
  if (!parsed.success) return;
  const v = ledger.findByRemoteId(CEC_PLATFORM, fileId);
  if (!v || v.state !== 'in-review') return;
  const to = parsed.data.status === '2' ? 'approved' : 'rejected';
  ledger.transition({ name: v.name, version: v.number, platform: CEC_PLATFORM, to, actor: 'callback', reason: parsed.data.comment ?? null });
  ledger.forgetUnmatchedCallback(CEC_PLATFORM, fileId);
  logger.info({ event: `callback-${to}`, name: v.name, fileId }, `${v.name} v${v.number} ${to} (the result had arrived before the upload was recorded)`);
}
