import { Command } from 'commander';
import type { Ledger, StatusRow } from '../ledger/ledger.js';
import { isReviewState, REVIEW_STATES, type ReviewState } from '../ledger/states.js';
import { colorsFor } from '../report/colors.js';
import { noSceneHint } from '../catalog.js';
import { SCENES } from '../scenes.js';
import { escapeControlChars as shown, escapeControlCharsInJson } from '../text-safe.js';
import { cliPlatform, configOption, EXIT_FAILED, EXIT_OK, formatOption, helpSections, jsonOption, loadCliConfig, parseSceneOption, platformOption, UsageError } from './common.js';
import { LEDGER_OPTION_HELP, openCliLedger, projectStatusQuery } from './ledger-common.js';

const FAIL_ON = ['rejected', 'overdue', 'attention'] as const;
type FailOn = (typeof FAIL_ON)[number];

interface StatusFlags {
  format: 'text' | 'json';
  scene?: string;
  state?: string;
  failOn?: string;
  platform?: string;
  ledger?: string;
  config?: string;
}

export function statusCommand(): Command {
  return new Command('status')
    .description('Where every prompt stands: current version, review state, since when, the reviewer\'s reason, and what needs a person.')
    .addOption(formatOption(['text', 'json'], 'text (a table) or json', 'text'))
    .addOption(jsonOption())
    .option('--scene <scene>', `only prompts of this scene (${SCENES.join(', ')})`, parseSceneOption)
    .option('--state <state>', `only prompts whose current version is in this state (${REVIEW_STATES.join(', ')})`)
    .option('--fail-on <list>', `exit 1 when any prompt is in one of these conditions (comma-separated: ${FAIL_ON.join(', ')}); a CI gate`)
    .addOption(platformOption())
    .option('--ledger <file>', LEDGER_OPTION_HELP)
    .addOption(configOption())
    .addHelpText(
      'after',
      helpSections({
        notes: `
A review waiting longer than "review.overdueWorkingDays" working days (default 1) is
flagged overdue: ask for a faster review with the console's 催审 button. Working days
follow "review.calendar": china (official holidays and 调休 make-up days; the default for
the Huawei profiles) or weekends.`,
        exitCodes: [
          [0, 'printed (and nothing matches --fail-on)'],
          [1, 'some prompt matches --fail-on (named on stderr)'],
        ],
        examples: [
          'npx promptprep status',
          'npx promptprep status --scene callerHintTone --json',
          'npx promptprep status --fail-on rejected,overdue     # CI: fail while anything needs a person',
        ],
      }),
    )
    .action(async (flags: StatusFlags) => {
      const { config } = await loadCliConfig(flags.config);
      if (flags.state !== undefined && !isReviewState(flags.state)) throw new UsageError(`--state must be one of: ${REVIEW_STATES.join(', ')}`);
      const failOn = parseFailOn(flags.failOn);
      const platform = cliPlatform(flags.platform, config);
      const ledger = await openCliLedger(config, flags.ledger);
      let rows: StatusRow[];
      let unmatched: { remoteId: string; count: number; firstReceivedAt: string; receivedAt: string }[] = [];
      let unmatchedSummary: UnmatchedSummary = { fileIds: 0, callbacks: 0, latest: [], limit: 0 };
      try {
        unmatched = ledger
          .unmatchedCallbacks(platform)
          .map((u) => ({ remoteId: u.remoteId, count: u.count, firstReceivedAt: u.firstReceivedAt, receivedAt: u.receivedAt }));
        unmatchedSummary = ledger.unmatchedCallbackSummary(platform, 5);
        rows = ledger.status({
          ...projectStatusQuery(config, platform),
          ...(flags.scene ? { scene: flags.scene } : {}),
          ...(flags.state ? { state: flags.state as ReviewState } : {}),
        });
      } finally {
        ledger.close();
      }
      const failing = rows.filter(
        (r) => (failOn.has('rejected') && r.state === 'rejected') || (failOn.has('overdue') && r.overdue) || (failOn.has('attention') && r.attention !== null),
      );
      if (flags.format === 'json') {
        process.stdout.write(
          `${escapeControlCharsInJson(JSON.stringify({ platform, prompts: rows, summary: summarize(rows), unmatchedCallbacks: unmatched, failing: failing.map((r) => r.name) }, null, 2))}\n`,
        );
      } else {
        process.stdout.write(renderTable(rows, platform, colorsFor(process.stdout)));
        if (unmatchedSummary.fileIds > 0) process.stdout.write(renderUnmatched(unmatchedSummary));
      }
      if (failing.length > 0) {
        process.stderr.write(`${failing.length} prompt(s) match --fail-on ${[...failOn].join(',')}: ${failing.map((r) => shown(r.name)).join(', ')}\n`);
      }
      const unmatchedFails = failOn.has('attention') && unmatched.length > 0;
      process.exitCode = failing.length > 0 || unmatchedFails ? EXIT_FAILED : EXIT_OK;
    });
}

type UnmatchedSummary = ReturnType<Ledger['unmatchedCallbackSummary']>;

/** One line however many arrived: the counts and the latest few fileIds (`--json` has them all). */
function renderUnmatched(u: UnmatchedSummary): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const latest = u.latest[0]?.receivedAt.replace('T', ' ').slice(0, 16) ?? '?';
  const more = u.fileIds - u.latest.length;
  const ids = `${u.latest.map((l) => shown(l.remoteId)).join(', ')}${more > 0 ? ` and ${more} more (\`status --json\` lists them)` : ''}`;
  const capped = u.fileIds >= u.limit ? `; only the latest ${u.limit} fileIds are kept` : '';
  return `ATTENTION: ${plural(u.fileIds, 'unknown fileId')} in review callbacks (${plural(u.callbacks, 'callback')}, the latest at ${latest}${capped}): ${ids}\n`;
}

function parseFailOn(text: string | undefined): Set<FailOn> {
  const out = new Set<FailOn>();
  if (!text) return out;
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(FAIL_ON as readonly string[]).includes(part)) throw new UsageError(`--fail-on takes ${FAIL_ON.join(', ')} (got "${part}")`);
    out.add(part as FailOn);
  }
  return out;
}

function summarize(rows: StatusRow[]): Record<string, number> {
  const s: Record<string, number> = { total: rows.length, overdue: rows.filter((r) => r.overdue).length, attention: rows.filter((r) => r.attention).length };
  for (const st of REVIEW_STATES) s[st] = rows.filter((r) => r.state === st).length;
  return s;
}

function renderTable(rows: StatusRow[], platform: string, c: ReturnType<typeof colorsFor>): string {
  if (rows.length === 0) return 'No prompts in the ledger yet. `promptprep convert` or `promptprep watch` records what they prepare.\n';
  const header = ['NAME', 'SCENE', 'VER', 'STATE', 'SINCE', 'IN USE', 'NOTE'];
  const body = rows.map((r) => {
    const notes: string[] = [];
    if (r.overdue) notes.push('OVERDUE: ask for review (催审)');
    if (r.reason && (r.state === 'rejected' || r.state === 'superseded')) notes.push(r.reason);
    if (r.attention) notes.push(`ATTENTION: ${r.attention}`);
    for (const d of r.deletable) notes.push(`${d.platformName} can be deleted in the console`);
    const cells = [r.name, r.scene ?? '-', String(r.version), r.state, r.since.replace('T', ' ').slice(0, 16), r.inUse?.platformName ?? '-', notes.join('; ')];
    return cells.map(shown);
  });
  const widths = header.map((h, i) => Math.min(40, Math.max(h.length, ...body.map((b) => (b[i] as string).length))));
  const fmt = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ');
  const lines = [c.bold(fmt(header))];
  for (const [i, b] of body.entries()) {
    const r = rows[i] as StatusRow;
    const line = fmt(b);
    lines.push(r.state === 'rejected' || r.overdue || r.attention ? c.red(line) : r.state === 'approved' ? c.green(line) : line);
  }
  const s = summarize(rows);
  const hint = noSceneHint(rows.filter((r) => r.scene === null).map((r) => r.name));
  if (hint) lines.push('', shown(hint));
  lines.push('', `${s.total} prompt(s) on ${shown(platform)}: ${s.approved} approved, ${s['in-review']} in review, ${s.rejected} rejected, ${s.overdue} overdue.`);
  return `${lines.join('\n')}\n`;
}
