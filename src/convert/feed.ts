import pLimit from 'p-limit';
import type { Pending } from './pending.js';
import { groupFiles, LONG_SOURCE_SECONDS, makeGroups } from './plan.js';

/**
 * Decode groups formed while sources are still being probed, in the order given, and run
 * with the copies under one CPU limit. A group leaves as soon as a group's worth of
 * sources is probed, so the first ffmpeg starts after a few dozen probes rather than
 * after all of them, and only the sources between the probe and their decode are held.
 */
export class DecodeFeeder {
  /** Batched sources a group, as makeGroups would choose over the whole run. */
  readonly groupFiles: number;
  /** Work in the slots (queued or running) that is not a long decode: copies and groups of short sources. */
  private shortLeft = 0;
  private ready: Pending[] = [];
  private readyBatch = 0;
  private closed = false;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(
    /** How many sources the run has (an upper bound is fine: it only sizes the groups). */
    count: number,
    private readonly jobs: number,
    private readonly jobsGiven: boolean,
    /** Runs a group (through slot()), and whatever follows its decode. */
    private readonly onGroup: (group: Pending[]) => Promise<void>,
    /** Long sources that may share a process (makeGroups); by default each has its own. */
    private readonly canShare: (p: Pending) => boolean = () => false,
  ) {
    this.groupFiles = groupFiles(count, jobs);
    this.limit = pLimit(jobs);
  }

  /** `fn` in one of the run's CPU slots: a copy, or the decode of `group`. */
  slot<T>(fn: () => Promise<T>, group?: readonly Pending[]): Promise<T> {
    const short = !group || !isLong(group);
    if (short) this.shortLeft++;
    const done = this.limit(fn);
    this.rebalance();
    return done.finally(() => {
      if (short) this.shortLeft--;
      this.rebalance();
    });
  }

  /** Whether a group or copy is queued or running: its end will make room in the run's window. */
  get busy(): boolean {
    return this.limit.activeCount + this.limit.pendingCount > 0;
  }

  /** Work outside the groups (a copy) that the run waits for. */
  track(work: Promise<unknown>): void {
    const p = work.then(
      () => undefined,
      (error: unknown) => void (this.failure ??= { error }),
    );
    this.running.add(p);
    void p.then(() => this.running.delete(p));
  }

  /** The next source for a decode, in the order given. */
  add(p: Pending): void {
    if (p.route === 'solo') {
      this.start([p]);
      return;
    }
    this.ready.push(p);
    if (p.route === 'batch') this.readyBatch++;
    if (this.readyBatch >= this.groupFiles) this.flush();
  }

  /** Groups of what is ready now, however few (a run that cannot take more sources until some finish). */
  flush(): void {
    if (this.ready.length === 0) return;
    const chunk = this.ready;
    this.ready = [];
    this.readyBatch = 0;
    // The last sources are spread over every job, as makeGroups does for a whole run;
    // before that, one group (or more, where makeGroups splits a run of sources).
    for (const group of makeGroups(chunk, this.closed ? this.jobs : 1, this.canShare)) this.start(group);
  }

  /** No more sources: the rest are grouped, and the end of the run may share the CPUs. */
  close(): void {
    this.closed = true;
    this.flush();
    this.rebalance();
  }

  /** Once every group and copy is done; throws the first error any of them threw. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
    if (this.failure) throw this.failure.error;
  }

  private start(group: Pending[]): void {
    this.track(this.onGroup(group));
  }

  /**
   * Without --jobs: once all that is left is long decodes, at most two rounds of them,
   * start them all and let the system share the CPUs, rather than idle CPUs while the
   * last long decodes run. Groups of short sources keep one a job: a group's in-process
   * finish then overlaps the next group's ffmpeg, where starting them all at once would
   * end them all at once and leave the finishes to one CPU.
   */
  private rebalance(): void {
    if (this.jobsGiven || !this.closed) return;
    const left = this.limit.activeCount + this.limit.pendingCount;
    this.limit.concurrency = this.shortLeft === 0 && left <= 2 * this.jobs ? Math.max(this.jobs, left) : this.jobs;
  }
}

/**
 * A decode that keeps a CPU busy for long on one source: a source of unknown length, or
 * one of half a process's audio or more. A group of many short prompts is not: its
 * sources are finished one by one as it decodes, and two such groups a CPU only slow
 * each other down (measured: 4 groups of 50 prompts at once on 2 CPUs, 1.3-1.5 s of CPU
 * each against 1.0-1.1 two at a time).
 */
function isLong(group: readonly Pending[]): boolean {
  return group.some((p) => p.probe.kind !== 'audio' || p.probe.durationSeconds >= LONG_SOURCE_SECONDS);
}
