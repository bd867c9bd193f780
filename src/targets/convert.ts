import path from 'node:path';
import { walkSources } from '../convert/files.js';
import type { ConvertReport } from '../convert/options.js';
import { finding } from '../findings.js';
import { describeLayout, placements } from '../layout.js';
import { capacity } from './capacity.js';
import { convertTargetItemsEach, type TargetFileResult, type TargetItem, type TargetItemsOptions } from './items.js';
import { SourceNames } from './names.js';
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

/** convertTargets, every result collected (convertTargetsEach hands them on instead). */
export async function convertTargets(inputs: string[], options: TargetsOptions): Promise<TargetsReport> {
  const files: TargetFileResult[] = [];
  const totals = await convertTargetsEach(inputs, options, (f) => void files.push(f));
  return { targets: totals.targets, files, summary: totals.summary };
}

/**
 * convertTargets for runs of any size: each result goes to `onResult` in the report's
 * order (per source in walk order, per target in the order given, per placement) as soon
 * as it and every one before it are known, and is not kept. Returns the totals. What the
 * run holds for every source is its path and a byte a target (SourceNames); outputs
 * exist only while their source is in flight. A promise returned by `onResult` holds
 * back new sources until it settles.
 */
export async function convertTargetsEach(
  inputs: string[],
  options: TargetsOptions,
  onResult: (result: TargetFileResult) => unknown,
): Promise<Omit<TargetsReport, 'files'>> {
  const { targets, onStart, ...rest } = options;
  const problems = new Map<number, string>();
  const sources = (await walkSources(inputs, targets.map((t) => t.outDir), options.shard)).map((e, i) => {
    if (e.problem) problems.set(i, e.problem);
    return e.path;
  });
  // A source that could not be walked is not named, in any target.
  const nameable = problems.size === 0 ? sources : sources.filter((_, i) => !problems.has(i));
  const names = targets.map((t) => new SourceNames(nameable, t.profile, options.rename ?? false));
  const placementCounts = targets.map((t) => placements('x', t.profile).length);

  /** Source `i`'s results in target `ti` that fail before any work (null: it has outputs to make there). */
  const failureIn = (i: number, ni: number, ti: number): TargetFileResult | null => {
    const target = targets[ti] as Target;
    const source = sources[i] as string;
    const problem = problems.get(i);
    if (problem !== undefined) return { source, output: null, status: 'failed', errors: [finding('unreadable', problem)], warnings: [], target: target.profile.id };
    const n = (names[ti] as SourceNames).get(ni);
    return 'errors' in n ? { source, output: null, status: 'failed', errors: n.errors, warnings: [], target: target.profile.id } : null;
  };
  let early = 0;
  let count = 0;
  for (let i = 0, ni = 0; i < sources.length; i++) {
    const walked = !problems.has(i);
    for (const [ti, t] of names.entries()) {
      if (walked && t.named(ni)) count += placementCounts[ti] as number;
      else early++;
    }
    if (walked) ni++;
  }
  onStart?.(early + count);
  // Failures before any work are told to onFile first, as they always were.
  if (options.onFile && early > 0) {
    for (let i = 0, ni = 0; i < sources.length; i++) {
      for (let ti = 0; ti < targets.length; ti++) {
        const f = failureIn(i, ni, ti);
        if (f) options.onFile(f);
      }
      if (!problems.has(i)) ni++;
    }
  }

  const summaries = targets.map(() => emptySummary());
  const summary = emptySummary();
  const deliver = (res: TargetFileResult): unknown => {
    const ti = targets.findIndex((t) => t.profile.id === res.target);
    for (const s of [summary, summaries[ti]]) {
      if (!s) continue;
      s.total++;
      s[res.status]++;
    }
    return onResult(res);
  };
  // Each output carries the failures that come just before it in the report; the ones
  // after the last output are handed on at the end.
  const trailing: TargetFileResult[] = [];
  function* items(): Generator<TargetItem & { before: TargetFileResult[] }> {
    let before: TargetFileResult[] = [];
    for (let i = 0, ni = 0; i < sources.length; i++) {
      for (const [ti, target] of targets.entries()) {
        const f = failureIn(i, ni, ti);
        if (f) {
          before.push(f);
          continue;
        }
        const name = ((names[ti] as SourceNames).get(ni) as { name: string }).name;
        for (const place of placements(name, target.profile)) {
          yield { target, item: { source: sources[i] as string, output: path.join(target.outDir, place.path) }, rate: place.rate, before };
          before = [];
        }
      }
      if (!problems.has(i)) ni++;
    }
    trailing.push(...before);
  }
  await convertTargetItemsEach(
    {
      count,
      items: items(),
      outputDirs: targets.flatMap((t) => placements('x', t.profile).map((p) => path.dirname(path.join(t.outDir, p.path)))),
      targets,
      outputsPerSource: placementCounts.reduce((a, b) => a + b, 0),
    },
    rest,
    (res, item) => {
      let held: unknown;
      for (const f of item.before) held = deliver(f) ?? held;
      return deliver(res) ?? held;
    },
  );
  for (const f of trailing) await deliver(f);
  if (summary.total !== early + count) throw new Error(`internal: ${summary.total} of ${early + count} results reported`);
  return {
    targets: targets.map((t, ti) => {
      const cap = capacity(t.profile, t.profile.sampleRate, options.maxBytes ?? t.profile.maxBytes);
      return {
        profile: t.profile.id,
        outDir: t.outDir,
        layout: describeLayout(t.profile),
        maxSeconds: Number.isFinite(cap.maxSeconds) ? Math.floor(cap.maxSeconds * 100) / 100 : null,
        summary: summaries[ti] as ConvertReport['summary'],
      };
    }),
    summary,
  };
}

function emptySummary(): ConvertReport['summary'] {
  return { total: 0, converted: 0, skipped: 0, failed: 0, planned: 0 };
}
