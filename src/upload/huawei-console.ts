import { promises as fs } from 'node:fs';
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
}

export interface StageResult {
  staged: StagedFile[];
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

export async function stageForConsole(o: StageOptions): Promise<StageResult> {
  const rows = o.ledger.status({ platform: CONSOLE_PLATFORM, ...(o.promptInfo ? { promptInfo: o.promptInfo } : {}) });
  const wanted = o.names && o.names.length > 0 ? new Set(o.names) : null;
  const result: StageResult = { staged: [], problems: [] };
  if (wanted) {
    for (const n of wanted) {
      if (!rows.some((r) => r.name === n)) result.problems.push({ name: n, message: `no prompt named ${n} in the ledger` });
    }
  }
  for (const row of rows) {
    if (wanted && !wanted.has(row.name)) continue;
    if (row.state !== 'prepared') {
      if (wanted) result.problems.push({ name: row.name, message: `version ${row.version} is ${row.state}, not prepared; nothing to stage` });
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
    const stagedPath = path.join(o.outbox, platformName);
    await fs.mkdir(o.outbox, { recursive: true });
    await writeFileAtomic(stagedPath, prepared.data);
    o.ledger.transition({ name: row.name, version: row.version, platform: CONSOLE_PLATFORM, to: 'awaiting-upload', actor: o.actor ?? 'upload' });
    result.staged.push({
      name: row.name,
      version: row.version,
      platformName,
      stagedPath,
      scene: row.scene,
      description: row.description,
      replaces: row.inUse && row.inUse.platformName !== platformName ? row.inUse.platformName : null,
    });
  }
  return result;
}

/** The checklist a person follows in the console, in the console's own words. */
export function consoleChecklist(result: StageResult, outbox: string): string {
  if (result.staged.length === 0) return 'Nothing to upload: no prompt has a prepared version waiting.\n';
  const lines = [
    `Upload ${result.staged.length} file(s) in the Huawei Cloud console:`,
    '  Privacy Protection Call (隐私保护通话) → 放音文件管理 (voice file management) → 添加放音文件 (add voice file)',
    `  The files are in ${shown(outbox)}/ under the names they must have on the platform.`,
    '',
  ];
  result.staged.forEach((s, i) => {
    lines.push(`[ ] ${i + 1}. ${shown(s.stagedPath)}`);
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
  return lines.join('\n');
}
