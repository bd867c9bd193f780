import { promises as fs } from 'node:fs';

/**
 * "Completely written" as far as anyone can tell without the writer's help: size and
 * modification time unchanged for `stableMs`. One sweeper examines every candidate, so a
 * burst of thousands of files costs one stat each per sweep, not a timer each.
 */
export class StabilityTracker {
  private readonly candidates = new Map<string, { size: number; mtimeMs: number; since: number }>();

  constructor(
    private readonly stableMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  track(file: string): void {
    if (!this.candidates.has(file)) this.candidates.set(file, { size: -1, mtimeMs: -1, since: this.now() });
  }

  has(file: string): boolean {
    return this.candidates.has(file);
  }

  forget(file: string): void {
    this.candidates.delete(file);
  }

  get size(): number {
    return this.candidates.size;
  }

  /** Stat every candidate once; return (and stop tracking) the ones that have settled. */
  async sweep(): Promise<string[]> {
    const settled: string[] = [];
    const entries = [...this.candidates.entries()];
    for (let i = 0; i < entries.length; i += 64) {
      await Promise.all(
        entries.slice(i, i + 64).map(async ([file, seen]) => {
          let st;
          try {
            st = await fs.stat(file);
          } catch {
            this.candidates.delete(file); // gone (moved away or deleted by its writer)
            return;
          }
          if (!st.isFile()) {
            this.candidates.delete(file);
            return;
          }
          const t = this.now();
          if (st.size !== seen.size || st.mtimeMs !== seen.mtimeMs) {
            this.candidates.set(file, { size: st.size, mtimeMs: st.mtimeMs, since: t });
          } else if (t - seen.since >= this.stableMs) {
            this.candidates.delete(file);
            settled.push(file);
          }
        }),
      );
    }
    return settled.sort();
  }
}
