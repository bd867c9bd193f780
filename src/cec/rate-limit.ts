/**
 * At most `limit` starts in any `windowMs`: a sliding window, because the platform counts
 * requests per second and refuses the eleventh outright.
 */
export class RateLimiter {
  private readonly starts: number[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 1000,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Resolves when one more request may start. Calls are served in order. */
  acquire(): Promise<void> {
    const next = this.chain.then(async () => {
      for (;;) {
        const t = this.now();
        while (this.starts.length > 0 && t - (this.starts[0] as number) >= this.windowMs) this.starts.shift();
        if (this.starts.length < this.limit) {
          this.starts.push(t);
          return;
        }
        // A little margin: the server's clock and ours do not tick together.
        await this.sleep((this.starts[0] as number) + this.windowMs - t + 5);
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
