import { createHash } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { escapeControlChars as shown } from '../text-safe.js';
import type { Ledger, StatusQuery } from '../ledger/ledger.js';
import { readPreparedFile } from '../ledger/prepared-file.js';
import { TransitionError } from '../ledger/states.js';
import type { Profile } from '../profile.js';
import { CONSOLE_PLATFORM } from '../platforms.js';

/**
 * PrivateNumber has no upload API: a person uploads in the console. This stages the
 * files under the names they must have on the platform and produces the checklist
 * that person follows, and marks each version as awaiting upload.
 */

export { CONSOLE_PLATFORM };

export interface StagedFile {
  name: string;
  version: number;
  platformName: string;
  stagedPath: string;
  scene: string | null;
  description: string | null;
  /** The approved file this one will replace, once approved itself. */
  replaces: string | null;
  /** Staged by an earlier run and not yet recorded as submitted: still to upload. */
  earlier: boolean;
}

export interface StageResult {
  /** The checklist: every version waiting to be uploaded in the console, each in the outbox. */
  staged: StagedFile[];
  /** Files taken out of the outbox: their versions moved on (submitted, replaced) or are unknown to the checklist. */
  removed: string[];
  /** Prompts that could not be staged, with the reason. */
  problems: { name: string; message: string }[];
}

export interface StageOptions {
  ledger: Ledger;
  profile: Profile;
  outbox: string;
  /** Prompt names to stage; default every prompt whose latest version is prepared. */
  names?: string[];
  actor?: string;
  /** Scene and description as the config gives them now (see currentPromptInfo). */
  promptInfo?: StatusQuery['promptInfo'];
}

/**
 * Stage prepared versions for the console, and make the outbox hold exactly the checklist:
 * every version awaiting upload (staged now or by an earlier run and not yet submitted),
 * nothing else promptprep put there. An older version still awaiting upload when a newer
 * one is staged is superseded: only the newest should go up.
 */
export async function stageForConsole(o: StageOptions): Promise<StageResult> {
  const query = { platform: CONSOLE_PLATFORM, ...(o.promptInfo ? { promptInfo: o.promptInfo } : {}) };
  const rows = o.ledger.status(query);
  const wanted = o.names && o.names.length > 0 ? new Set(o.names) : null;
  const result: StageResult = { staged: [], removed: [], problems: [] };
  const stagedNow = new Set<number>();
  if (wanted) {
    for (const n of wanted) {
      if (!rows.some((r) => r.name === n)) result.problems.push({ name: n, message: `no prompt named ${n} in the ledger` });
    }
  }
  for (const row of rows) {
    if (wanted && !wanted.has(row.name)) continue;
    if (row.state !== 'prepared') {
      if (wanted && row.state !== 'awaiting-upload') {
        result.problems.push({ name: row.name, message: `version ${row.version} is ${row.state} on ${CONSOLE_PLATFORM}, not prepared; nothing to stage` });
      }
      continue;
    }
    const version = o.ledger.findVersion(row.name, CONSOLE_PLATFORM, row.version);
    const prepared = await readPreparedFile(version);
    if ('problem' in prepared) {
      result.problems.push({ name: row.name, message: prepared.problem });
      continue;
    }
    let platformName: string;
    try {
      platformName = o.ledger.assignPlatformName(version.versionId, CONSOLE_PLATFORM, o.profile.maxNameLength, o.profile.extension);
    } catch (err) {
      // A name clash with another prompt is that prompt's problem to report, not a crash.
      if (!(err instanceof TransitionError)) throw err;
      result.problems.push({ name: row.name, message: err.message });
      continue;
    }
    await fs.mkdir(o.outbox, { recursive: true });
    await writeFileAtomic(path.join(o.outbox, platformName), prepared.data);
    o.ledger.atomically(() => {
      o.ledger.transition({ name: row.name, version: row.version, platform: CONSOLE_PLATFORM, to: 'awaiting-upload', actor: o.actor ?? 'upload' });
      for (const older of o.ledger.versions(row.name, CONSOLE_PLATFORM)) {
        if (older.number < row.version && older.state === 'awaiting-upload') {
          o.ledger.transition({
            name: row.name,
            version: older.number,
            platform: CONSOLE_PLATFORM,
            to: 'superseded',
            actor: o.actor ?? 'upload',
            reason: `replaced by version ${row.version} (${platformName}) before it was submitted`,
          });
        }
      }
    });
    stagedNow.add(version.versionId);
  }

  // The checklist, and the outbox made to match it.
  const checklist = o.ledger.status(query).filter((r) => r.state === 'awaiting-upload' && r.platformName !== null);
  const keep = new Set<string>();
  for (const row of checklist) {
    const version = o.ledger.findVersion(row.name, CONSOLE_PLATFORM, row.version);
    const platformName = row.platformName as string;
    const stagedPath = path.join(o.outbox, platformName);
    keep.add(platformName);
    if (!stagedNow.has(version.versionId) && !(await holds(stagedPath, version.sha256))) {
      // Staged earlier, then deleted or changed in the outbox: stage it again.
      const prepared = await readPreparedFile(version);
      if ('problem' in prepared) {
        result.problems.push({ name: row.name, message: `${platformName} is awaiting upload but not in the outbox, and ${prepared.problem}` });
        continue;
      }
      await fs.mkdir(o.outbox, { recursive: true });
      await writeFileAtomic(stagedPath, prepared.data);
    }
    result.staged.push({
      name: row.name,
      version: row.version,
      platformName,
      stagedPath,
      scene: row.scene,
      description: row.description,
      replaces: row.inUse && row.inUse.platformName !== platformName ? row.inUse.platformName : null,
      earlier: !stagedNow.has(version.versionId),
    });
  }
  result.removed = await removeStale(o.ledger, o.outbox, keep);
  return result;
}

async function holds(file: string, sha256: string): Promise<boolean> {
  try {
    return createHash('sha256').update(await fs.readFile(file)).digest('hex') === sha256;
  } catch {
    return false;
  }
}

/**
 * Take out of the outbox what is not on the checklist and promptprep staged there (a
 * platform name the ledger knows). Anything else is not ours to delete.
 */
async function removeStale(ledger: Ledger, outbox: string, keep: ReadonlySet<string>): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(outbox, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const e of entries) {
    if (!e.isFile() || keep.has(e.name) || !ledger.isPlatformName(e.name)) continue;
    await fs.rm(path.join(outbox, e.name), { force: true });
    removed.push(e.name);
  }
  return removed.sort();
}

/** The checklist a person follows in the console, in the console's own words. */
export function consoleChecklist(result: StageResult, outbox: string): string {
  const removed = result.removed.length > 0 ? `Taken out of ${shown(outbox)}/ (submitted or replaced since): ${result.removed.map(shown).join(', ')}\n` : '';
  if (result.staged.length === 0) return `${removed}Nothing to upload: no prompt has a prepared version waiting.\n`;
  const lines = [
    `Upload ${result.staged.length} file(s) in the Huawei Cloud console:`,
    '  Privacy Protection Call (隐私保护通话) → 放音文件管理 (voice file management) → 添加放音文件 (add voice file)',
    `  The files are in ${shown(outbox)}/ under the names they must have on the platform; it holds exactly this list.`,
    '',
  ];
  result.staged.forEach((s, i) => {
    lines.push(`[ ] ${i + 1}. ${shown(s.stagedPath)}${s.earlier ? '   (staged earlier, not yet recorded as submitted)' : ''}`);
    lines.push(`       文件说明 (description): ${shown(s.description ?? `(none configured: write one, e.g. "${s.scene ?? 'prompt'} ${s.name}")`)}`);
    lines.push(`       scene: ${s.scene ?? '(not set)'}   version: ${s.version}`);
    if (s.replaces) {
      lines.push(`       replaces ${shown(s.replaces)}: keep that file and its bindings until this one is approved`);
    }
  });
  lines.push(
    '',
    'After submitting each file (提交):   promptprep review <file> submitted',
    'When it shows 审核通过 (approved):   promptprep review <file> approved',
    'When it shows 未通过审核 (rejected): promptprep review <file> rejected --reason "<审核说明>"',
    '',
  );
  return removed + lines.join('\n');
}
