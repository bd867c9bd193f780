import type { Ledger, StatusQuery, VersionRow } from './ledger.js';
import { REVIEW_ACTIONS, type ReviewAction } from './states.js';
import { escapeControlChars as shown } from '../text-safe.js';

/**
 * Recording what the console shows for a prompt (`promptprep review`, and the desk's
 * buttons): one ledger transaction, and the sentences a person reads afterwards. Both
 * callers print these, so the CLI and the desk can never say different things. An
 * illegal change throws the ledger's TransitionError (its message says what to do
 * instead) and records nothing.
 */

export interface ReviewRecordRequest {
  /** Prompt name, or the platform name of one of its versions. */
  name: string;
  action: ReviewAction;
  version?: number;
  reason?: string;
  platform: string;
  actor: string;
}

export interface ReviewRecordResult {
  version: VersionRow;
  changed: boolean;
  /** What happened, and what to do next (stdout for the CLI). */
  lines: string[];
  /** Advice that is not the result (stderr for the CLI). */
  notes: string[];
}

export function recordReview(ledger: Ledger, req: ReviewRecordRequest, statusQuery: StatusQuery): ReviewRecordResult {
  const to = REVIEW_ACTIONS[req.action];
  const { version: v, changed } = ledger.recordState({
    name: req.name,
    ...(req.version !== undefined ? { version: req.version } : {}),
    platform: req.platform,
    to,
    actor: req.actor,
    ...(req.reason !== undefined ? { reason: req.reason } : {}),
  });
  const which = `${shown(v.name)} version ${v.number}${v.platformName ? ` (${shown(v.platformName)})` : ''}`;
  if (!changed) {
    const kept = v.reason && to === 'rejected' ? ` (reason on record: ${shown(v.reason)})` : '';
    return { version: v, changed, lines: [`${which} is already ${v.state} on ${shown(req.platform)}${kept}; nothing to record.`], notes: [] };
  }
  const lines = [`${which} is now ${v.state} on ${shown(req.platform)}.`];
  const notes: string[] = [];
  if (to === 'rejected' && !req.reason) {
    notes.push('note: no --reason given; the console\'s 审核说明 says what to change, record it so the team sees it in `promptprep status`.');
  }
  if (to === 'approved') {
    const row = ledger.status(statusQuery).find((r) => r.name === v.name);
    for (const d of row?.deletable ?? []) {
      lines.push(
        `Switch bindings to ${shown(v.platformName ?? v.name)}; then ${shown(d.platformName)} (version ${d.version}) can be deleted in the console and recorded with: promptprep review ${shown(d.platformName)} retired --version ${d.version}`,
      );
    }
  }
  return { version: v, changed, lines, notes };
}
