/**
 * At most `limit` requests in any `windowMs`: a sliding window, because the platform counts
 * requests per second and refuses the eleventh outright.
 *
 * The platform counts a request when it arrives, which we never see: somewhere between our
 * start and its answer. Counting our start times is not enough (a request delayed on a
 * fresh connection arrives late, and the next one, on a warm connection, early: the server
 * then sees eleven in its second). So each request holds its slot until its answer is in
 * (the caller releases it), and the window runs from that moment: a request that arrives
 * one window after the previous ones were answered is one window after they arrived.
 */
export class RateLimiter {
  /** Started requests, in order; `end` is null while the request is in flight. */
  private readonly slots: { end: number | null }[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(
    private readonly limit: number,
    private readonly windowMs = 1000,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /**
   * Resolves when one more request may start, with the function to call once its answer
   * has arrived (or it failed). Calls are served in order.
   */
  acquire(): Promise<() => void> {
    const next = this.chain.then(async () => {
      for (;;) {
        const t = this.now();
        for (let i = this.slots.length - 1; i >= 0; i--) {
          const end = (this.slots[i] as { end: number | null }).end;
          if (end !== null && t - end >= this.windowMs) this.slots.splice(i, 1);
        }
        if (this.slots.length < this.limit) {
          const slot: { end: number | null } = { end: null };
          this.slots.push(slot);
          return () => {
            if (slot.end !== null) return;
            slot.end = this.now();
            this.wake?.();
          };
        }
        const ends = this.slots.map((s) => s.end).filter((e): e is number => e !== null);
        if (ends.length > 0) {
          // A little margin: the server's clock and ours do not tick together.
          await this.sleep(Math.min(...ends) + this.windowMs - t + 5);
        } else {
          // Every slot is in flight: wait for an answer, then for its window.
          await new Promise<void>((resolve) => {
            this.wake = () => {
              this.wake = null;
              resolve();
            };
          });
        }
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
