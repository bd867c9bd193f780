/** Peak resident set size of this process, sampled while a piece of work runs. */

export interface RssSample {
  /** RSS just before the work started (after a GC when --expose-gc is on), bytes. */
  baselineBytes: number;
  /** Highest RSS seen while the work ran, bytes. */
  peakBytes: number;
  samples: number;
}

/**
 * Run `fn` while sampling process.memoryUsage.rss() every `intervalMs`. Sampling is on the
 * event loop, so it sees the heap between awaits; the value at the end is sampled too.
 */
export async function withPeakRss<T>(fn: () => Promise<T>, intervalMs = 2): Promise<{ value: T; rss: RssSample }> {
  gcIfExposed();
  const baselineBytes = process.memoryUsage.rss();
  let peakBytes = baselineBytes;
  let samples = 1;
  const sample = (): void => {
    const r = process.memoryUsage.rss();
    samples++;
    if (r > peakBytes) peakBytes = r;
  };
  const timer = setInterval(sample, intervalMs);
  try {
    const value = await fn();
    sample();
    return { value, rss: { baselineBytes, peakBytes, samples } };
  } finally {
    clearInterval(timer);
  }
}

export function gcIfExposed(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return false;
  gc();
  return true;
}
