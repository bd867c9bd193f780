import path from 'node:path';
import { walkSources } from '../convert/files.js';
import { summarize, type ConvertReport } from '../convert/options.js';
import { finding } from '../findings.js';
import { describeLayout, placements } from '../layout.js';
import { capacity } from './capacity.js';
import { convertTargetItems, type TargetFileResult, type TargetItem, type TargetItemsOptions } from './items.js';
import { planNames } from './names.js';
import type { Target } from './target.js';

/**
 * `convert --profile a,b,c`: one run, several platforms. Sources are walked once; each
 * target names them by its own rule (a name Genesys refuses may suit Huawei), catches its
 * own collisions and places them in its own layout; then every output is made from one
 * decode of its source (items.ts). One target's failure never stops another's.
 */

export interface TargetsOptions extends TargetItemsOptions {
  targets: Target[];
  onStart?: (total: number) => void;
}

export interface TargetSummary {
  profile: string;
  outDir: string;
  /** Where prompts go in the target's folder: `<name>.wav`, `sounds/en/<name>.wav`, ... */
  layout: string;
  /** The longest prompt the target takes, known before any decode (null: no limit). */
  maxSeconds: number | null;
  summary: ConvertReport['summary'];
}

export interface TargetsReport {
  targets: TargetSummary[];
  /** Per source (in walk order), per target (in the order given), per rate where a layout asks for several. */
  files: TargetFileResult[];
  summary: ConvertReport['summary'];
}

export async function convertTargets(inputs: string[], options: TargetsOptions): Promise<TargetsReport> {
  const { targets, onStart, ...rest } = options;
  const entries = await walkSources(
    inputs,
    targets.map((t) => t.outDir),
    options.shard,
  );
  const sources = entries.filter((e) => !e.problem).map((e) => e.path);
  const sourceIndex = new Map(entries.map((e, i) => [e.path, i]));
  // Sort key: source, then target, then placement (a FreeSWITCH name has one per rate).
  const slotsBefore: number[] = [];
  let slots = 0;
  for (const t of targets) {
    slotsBefore.push(slots);
    slots += placements('x', t.profile).length;
  }
  const order = (source: string, targetIndex: number, placement = 0): number =>
    (sourceIndex.get(source) ?? 0) * slots + (slotsBefore[targetIndex] ?? 0) + placement;

  const early: { order: number; result: TargetFileResult }[] = [];
  const items: (TargetItem & { order: number })[] = [];
  for (const [ti, target] of targets.entries()) {
    const id = target.profile.id;
    for (const e of entries) {
      if (e.problem) early.push({ order: order(e.path, ti), result: { source: e.path, output: null, status: 'failed', errors: [finding('unreadable', e.problem)], warnings: [], target: id } });
    }
    const plan = planNames(sources, target.profile, options.rename ?? false);
    for (const f of plan.failed) {
      early.push({ order: order(f.source, ti), result: { source: f.source, output: null, status: 'failed', errors: f.errors, warnings: [], target: id } });
    }
    for (const n of plan.named) {
      for (const [pi, place] of placements(n.name, target.profile).entries()) {
        items.push({ target, item: { source: n.source, output: path.join(target.outDir, place.path) }, rate: place.rate, order: order(n.source, ti, pi) });
      }
    }
  }
  onStart?.(early.length + items.length);
  for (const e of early) options.onFile?.(e.result);
  const results = await convertTargetItems(items, rest);
  const files = [...early, ...results.map((result, i) => ({ order: (items[i] as { order: number }).order, result }))]
    .sort((a, b) => a.order - b.order)
    .map((x) => x.result);
  return {
    targets: targets.map((t) => {
      const cap = capacity(t.profile, t.profile.sampleRate, options.maxBytes ?? t.profile.maxBytes);
      return {
        profile: t.profile.id,
        outDir: t.outDir,
        layout: describeLayout(t.profile),
        maxSeconds: Number.isFinite(cap.maxSeconds) ? Math.floor(cap.maxSeconds * 100) / 100 : null,
        summary: summarize(files.filter((f) => f.target === t.profile.id)),
      };
    }),
    files,
    summary: summarize(files),
  };
}
