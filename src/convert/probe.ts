import { lstatSync, promises as fs, statSync, type Stats } from 'node:fs';
import { NOT_WHOLE_CODES, wavFindings } from '../check.js';
import { finding, type Finding } from '../findings.js';
import { describeFsError } from '../fs-errors.js';
import { probeAndHashSource, type SourceProbe } from '../source-probe.js';
import { sha256File } from './hash.js';
import { outputKey, type ConvertFileResult, type ConvertItem, type Resolved } from './options.js';
import { oversizeFinding, type Pending, type Route } from './pending.js';
import { readStatsRecord } from './stats-file.js';

/** Per source, before any decode: readable, not the output itself, its probe and route, and the skip test for an up-to-date output. */

export async function prepare(
  item: ConvertItem,
  r: Resolved,
  ffmpegInfo: () => Promise<{ version: string; soxr: boolean }>,
  hashSource: (file: string) => Promise<string>,
): Promise<{ result: ConvertFileResult } | { pending: Pending }> {
  const failed = (errors: Finding[], warnings: Finding[] = []) => ({
    result: { source: item.source, output: null, status: 'failed' as const, errors, warnings },
  });
  let stat;
  try {
    // Synchronous, as the lstat below: a metadata lookup costs less than its trip through the thread pool.
    stat = statSync(item.source);
  } catch (err) {
    return failed([finding('unreadable', describeFsError(err, item.source))]);
  }
  if (!stat.isFile()) {
    return failed([finding('unreadable', `"${item.source}" is ${stat.isDirectory() ? 'a directory' : 'not a regular file'}, not an audio file.`)]);
  }
  if (stat.size === 0) return failed([finding('empty', `"${item.source}" is empty (0 bytes). Export or copy the recording again.`)]);

  // What is at the output path now, without a rejected promise (an Error with its stack)
  // for the usual answer, nothing. lstat: a link there (even a dangling one) is not a
  // file promptprep wrote.
  const existing = lstatOrNull(item.output);
  // Never let an output replace its own source (e.g. --out pointing at the source folder):
  // only something already at the output path can be the source.
  if (existing) {
    const [realSource, realOutput] = await Promise.all([fs.realpath(item.source), fs.realpath(item.output).catch(() => null)]);
    if (realOutput !== null && realOutput === realSource) {
      return failed([
        finding(
          'would-overwrite-source',
          `The output "${item.output}" is the source file itself; promptprep never overwrites a source. Choose another output directory.`,
        ),
      ]);
    }
  }

  let hashing: Promise<string> | undefined;
  const sourceSha256 = (): Promise<string> => {
    if (!hashing) {
      hashing = hashSource(item.source);
      // Awaited where it is needed (the skip test, or finish()); this only keeps a read
      // error from also being an unhandled rejection.
      hashing.catch(() => undefined);
    }
    return hashing;
  };
  let probe: SourceProbe;
  try {
    const probed = await probeAndHashSource(item.source, stat.size);
    probe = probed.probe;
    // A small source was read whole for the probe, and hashed then: no second read.
    if (probed.sha256 !== null) hashing = Promise.resolve(probed.sha256);
  } catch (err) {
    return failed([finding('unreadable', describeFsError(err, item.source))]);
  }
  if (probe.kind === 'no-audio') {
    return failed([finding('no-audio-stream', `"${item.source}" has no audio stream (${probe.reason}); there is nothing to convert.`)]);
  }
  const warnings: Finding[] = [];
  let route: Route = probe.kind === 'unknown' ? 'solo' : 'batch';
  if (probe.kind === 'audio') {
    // check's judgement of the structure: a source that is not a whole recording fails
    // here with check's code; one that is only laid out oddly is rewritten canonically.
    const notWhole = probe.wav ? wavFindings(probe.wav, r.profile).errors.filter((e) => NOT_WHOLE_CODES.has(e.code)) : [];
    if (notWhole.length > 0) {
      return failed(notWhole.map((e) => finding(e.code, `"${item.source}": ${e.message}`)));
    }
    const fmt = probe.wav?.format;
    // Kept as they are: A-law codes (the only codes finish() reads back as codes).
    if (
      fmt &&
      r.profile.codec === 'alaw' &&
      fmt.effectiveFormatTag === r.profile.formatTag &&
      fmt.sampleRate === r.profile.sampleRate &&
      fmt.channels === r.profile.channels &&
      fmt.bitsPerSample === r.profile.bitsPerSample &&
      probe.wav?.dataOffset !== null &&
      !r.bandLimit
    ) {
      route = 'copy';
    }
    const maxSeconds = r.maxSamples / r.profile.sampleRate;
    // With --trim-silence the length that counts is the trimmed one: finish() judges it.
    if (probe.durationSeconds * r.profile.sampleRate > r.maxSamples && !r.trimSilence) {
      if (r.onOversize === 'fail') {
        return failed([oversizeFinding(item.source, probe.durationSeconds, r)]);
      }
      warnings.push(
        finding(
          'cut-to-fit',
          `The source lasts ${probe.durationSeconds.toFixed(2)} s, more than the ${maxSeconds.toFixed(2)} s a prompt can hold; it was cut to fit with a ${0.5} s fade-out.`,
        ),
      );
    }
  }
  const needsFfmpeg = route !== 'copy';
  const info = needsFfmpeg ? await ffmpegInfo() : null;
  const key = sharedOutputKey(r, info?.version ?? null, info?.soxr ?? null);

  let replaces: string | null = null;
  if (existing) {
    const outputExists = (why: string) =>
      failed([finding('output-exists', `"${item.output}" already exists and ${why}; it was left untouched. Move it away, or use --force to replace it.`)]);
    if (!existing.isFile()) {
      if (!r.force) return outputExists(`is ${existing.isSymbolicLink() ? 'a symbolic link' : existing.isDirectory() ? 'a directory' : 'not a regular file'}, which promptprep never writes`);
    } else {
      const [record, current] = await Promise.all([readStatsRecord(item.output), sha256File(item.output).catch(() => null)]);
      if (!r.force) {
        if (!record) return outputExists('promptprep has no record of writing it');
        // The record also names the output it was about to replace: a run killed between
        // writing the record and placing the new output left that one, and it is ours.
        if (current === null || (current !== record.outputSha256 && current !== record.previousOutputSha256)) {
          return outputExists('its content is not what promptprep wrote there (it was changed or replaced since)');
        }
        let sha: string;
        try {
          sha = await sourceSha256();
        } catch (err) {
          return failed([finding('unreadable', describeFsError(err, item.source))]);
        }
        if (record.sourceSha256 === sha && record.outputKey === key && current === record.outputSha256) {
          return { result: { source: item.source, output: item.output, status: 'skipped', errors: [], warnings: record.warnings ?? [], stats: record.stats } };
        }
      }
      replaces = current;
    }
  }
  return { pending: { item, probe, route, sourceSha256, key, warnings, replaces } };
}

/**
 * outputKey, worked out once a run (per ffmpeg version) rather than once a source: the
 * same few inputs every time, and one string shared by every source's Pending instead
 * of a copy each.
 */
const outputKeys = new WeakMap<Resolved, Map<string, string>>();
function sharedOutputKey(r: Resolved, ffmpegVersion: string | null, soxr: boolean | null): string {
  let keys = outputKeys.get(r);
  if (!keys) outputKeys.set(r, (keys = new Map()));
  const k = `${ffmpegVersion}\u0000${soxr}`;
  let key = keys.get(k);
  if (key === undefined) keys.set(k, (key = outputKey(r, ffmpegVersion, soxr)));
  return key;
}

/** lstat, or null when nothing is there or it cannot be looked at (as a missing output is treated). */
function lstatOrNull(file: string): Stats | null {
  try {
    return lstatSync(file, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}
