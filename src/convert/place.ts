import { promises as fs } from 'node:fs';
import path from 'node:path';
import { placeStagedFiles, stageFiles, type OutputBytes, type StagedFile } from '../atomic-write.js';
import { crashPoint } from '../crash-point.js';
import { jsonSafe, statsPathFor, type StatsRecord } from './stats-file.js';

/**
 * Writes outputs and their records, in batches. For each output the record is made
 * durable before the output is renamed into place, so there is no moment at which an
 * output of ours is in place without a record naming it: a kill between the two leaves the
 * previous output (named by the record as the one being replaced) or none, and the next
 * run converts again. The promise of placeOutput resolves only once its output's rename is
 * durable, so nothing is reported before it is on disk.
 *
 * Outputs that finish while a batch is being written wait and go together in the next
 * one (group commit): per batch, every temporary (outputs and records) is written, then
 * all are fsynced at once, the records renamed and each record folder fsynced once, then
 * the outputs renamed and each output folder fsynced once. Every fsync of the one-at-a-
 * time order is still there for the files themselves; the folder fsyncs are shared, and
 * the file fsyncs overlap, which lets the file system commit them together.
 */

interface Job {
  output: string;
  wav: OutputBytes;
  record: StatsRecord;
  stagingDir: string | undefined;
  done: (err: Error | null) => void;
}

/** At most this many outputs a batch: two open temporaries each while the batch is written. */
const MAX_BATCH = 64;

let queue: Job[] = [];
let writing = false;

export function placeOutput(output: string, wav: OutputBytes, record: StatsRecord, stagingDir: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    queue.push({ output, wav, record, stagingDir, done: (err) => (err ? reject(err) : resolve()) });
    if (!writing) {
      writing = true;
      // One macrotask on: the outputs finished in the same turn (a decode group's) join this batch.
      setImmediate(() => void drain());
    }
  });
}

async function drain(): Promise<void> {
  while (queue.length > 0) {
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(MAX_BATCH);
    await writeBatch(batch);
  }
  writing = false;
}

async function writeBatch(batch: Job[]): Promise<void> {
  const failed = new Map<Job, Error>();
  const fail = (job: Job, err: unknown): void => {
    if (!failed.has(job)) failed.set(job, err as Error);
  };
  // Creates the output folder too: it appears with the first output, not before. Once a
  // folder a batch (`mkdir -p`), not once a file; not remembered across batches, so a
  // folder removed while a long run (or watch) goes on is made again.
  const folders = new Map<string, Promise<unknown>>();
  await Promise.all(
    batch.map((job) => {
      const dir = path.dirname(statsPathFor(job.output));
      let made = folders.get(dir);
      if (!made) folders.set(dir, (made = fs.mkdir(dir, { recursive: true })));
      return made.catch((err: unknown) => fail(job, err));
    }),
  );
  const live = batch.filter((j) => !failed.has(j));
  const staged = await stageFiles(
    live.flatMap((job) => [
      { dest: job.output, data: job.wav, ...(job.stagingDir ? { tempDir: job.stagingDir } : {}) },
      { dest: statsPathFor(job.output), data: `${JSON.stringify(job.record, jsonSafe, 2)}\n`, ...(job.stagingDir ? { tempDir: job.stagingDir } : {}) },
    ]),
  );
  const outputs = new Map<Job, StagedFile>();
  const records = new Map<Job, StagedFile>();
  live.forEach((job, i) => {
    const out = staged[2 * i] as StagedFile | Error;
    const rec = staged[2 * i + 1] as StagedFile | Error;
    if (out instanceof Error) fail(job, out);
    else outputs.set(job, out);
    if (rec instanceof Error) fail(job, rec);
    else records.set(job, rec);
  });
  const discard = async (job: Job): Promise<void> => {
    for (const s of [outputs.get(job), records.get(job)]) if (s) await fs.rm(s.tmp, { force: true }).catch(() => undefined);
    outputs.delete(job);
    records.delete(job);
  };
  for (const job of live) {
    if (failed.has(job)) await discard(job);
    else crashPoint('staged');
  }
  // Records first, durable (renamed, folder fsynced), then the outputs they name.
  const recordJobs = [...records.keys()];
  const recorded = await placeStagedFiles(recordJobs.map((j) => records.get(j) as StagedFile));
  for (const [i, job] of recordJobs.entries()) {
    const err = recorded[i];
    if (err) {
      fail(job, err);
      await discard(job);
    } else {
      crashPoint('recorded');
    }
  }
  const outputJobs = [...outputs.keys()];
  const placed = await placeStagedFiles(outputJobs.map((j) => outputs.get(j) as StagedFile));
  for (const [i, job] of outputJobs.entries()) {
    const err = placed[i];
    if (err) fail(job, err);
    else crashPoint('placed');
  }
  for (const job of batch) job.done(failed.get(job) ?? null);
}
