/** The contract every bench module fulfils: `export default` a `Bench`. */

export interface BenchContext {
  /** Repository root (absolute). */
  root: string;
  /** This bench's own scratch directory, bench-work/<name>/, created empty before `run`. */
  workDir: string;
  /** Print a line of the bench's report block. */
  log: (line?: string) => void;
}

export interface BenchTarget {
  /** What is judged, in words, e.g. "ffprobe per-file cost / checkFiles per-file cost >= 50". */
  description: string;
  metric: string;
  /** 'min': actual must be >= threshold; 'max': actual must be <= threshold. */
  kind: 'min' | 'max';
  threshold: number;
  actual: number;
  pass: boolean;
}

export interface BenchResult {
  targets: BenchTarget[];
  /** Free-form numbers for results.json (flat, JSON-serialisable). */
  metrics: Record<string, number | string | boolean | null>;
}

export interface Bench {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export function target(t: Omit<BenchTarget, 'pass'>): BenchTarget {
  const pass = Number.isFinite(t.actual) && (t.kind === 'min' ? t.actual >= t.threshold : t.actual <= t.threshold);
  return { ...t, pass };
}
