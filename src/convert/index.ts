/**
 * `promptprep convert`: any audio in, a canonical platform prompt out.
 *
 * Per file: probe in-process (probe.ts) → (A-law sources: copy, copy.ts; others: one
 * ffmpeg decode at the platform rate, many sources per ffmpeg process, plan.ts and
 * decode.ts, to A-law codes or, when conditioning is asked for, to 16-bit samples) →
 * conditioning and A-law in-process (condition.ts) → canonical WAV → verified with the
 * `check` rules (verify.ts) → written under a hidden temporary name and renamed into place
 * (place.ts). A per-output stats file beside it (record.ts, stats-file.ts) records the
 * source hash and options, which is how a re-run knows it can skip.
 */

export { convertFiles, convertFilesEach } from './files.js';
export { sha256File } from './hash.js';
export { convertItems } from './items.js';
export type { ConvertFileResult, ConvertItem, ConvertOptions, ConvertReport, ConvertStats, ConvertStatus } from './options.js';
export { readStatsRecord, statsPathFor, type StatsRecord } from './stats-file.js';
