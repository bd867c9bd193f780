/**
 * The sources a run holds at once. Work is taken in order (a sequence number each) and
 * its results are handed on in that same order; at most `size` may be taken and not yet
 * handed on, so a run of any length holds a window of sources (their probes, pending
 * decodes and results that wait for an earlier one), never the whole list.
 *
 * `out` may return a promise (a report sink that is full, say): no more work is taken
 * until it settles, so what the sink cannot take yet is not piled up in memory either.
 */
export class OrderedWindow<T> {
  private taken = 0;
  private next = 0;
  private readonly waiting = new Map<number, T>();
  private held: Promise<unknown> | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;

  constructor(
    readonly size: number,
    private readonly out: (value: T, seq: number) => unknown,
  ) {}

  /** Sequence numbers given out so far. */
  get takenCount(): number {
    return this.taken;
  }

  /** Results handed on so far (every sequence number below this one). */
  get delivered(): number {
    return this.next;
  }

  get full(): boolean {
    return this.taken - this.next >= this.size;
  }

  /** Once there is room (and the sink is not holding work back), the next sequence number; -1 once stopped. */
  async take(): Promise<number> {
    for (;;) {
      if (this.stopped) return -1;
      if (this.held) await this.held;
      else if (this.full) await new Promise<void>((resolve) => (this.wake = resolve));
      else return this.taken++;
    }
  }

  /** The result of `seq`: handed on now if every earlier one has been, else when they are. */
  put(seq: number, value: T): void {
    if (seq !== this.next) {
      this.waiting.set(seq, value);
      return;
    }
    let v: T | undefined = value;
    while (v !== undefined) {
      const held = this.out(v, this.next++);
      if (held instanceof Promise) this.hold(held);
      v = this.waiting.get(this.next);
      if (v !== undefined) this.waiting.delete(this.next);
    }
    this.signal();
  }

  /** No more work will be taken (the run failed): a take() waiting for room returns -1. */
  stop(): void {
    this.stopped = true;
    this.signal();
  }

  private hold(p: Promise<unknown>): void {
    const held = p.then(
      () => undefined,
      () => undefined,
    );
    this.held = held;
    void held.then(() => {
      if (this.held === held) this.held = null;
      this.signal();
    });
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
