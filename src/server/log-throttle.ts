/**
 * At most one log line per kind of event per interval. A flood (hundreds of clients that
 * hang up mid-body, a scan of wrong paths) is a fact worth one line with a count, not
 * hundreds of lines that bury the results a person is looking for.
 */
export class LogThrottle {
  private readonly kinds = new Map<string, { last: number; suppressed: number }>();

  constructor(
    readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Whether to log this occurrence of `kind` now; when so, with how many were left
   * unlogged since its last line (to say "and N more").
   */
  take(kind: string): { suppressed: number } | null {
    const t = this.now();
    const k = this.kinds.get(kind);
    if (k && t - k.last < this.intervalMs) {
      k.suppressed++;
      return null;
    }
    const suppressed = k?.suppressed ?? 0;
    this.kinds.set(kind, { last: t, suppressed: 0 });
    return { suppressed };
  }

  /** Occurrences not yet reported, per kind (to say on shutdown). */
  pending(): [kind: string, count: number][] {
    return [...this.kinds].filter(([, k]) => k.suppressed > 0).map(([kind, k]) => [kind, k.suppressed]);
  }
}
