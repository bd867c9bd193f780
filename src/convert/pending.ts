import { finding, type Finding } from '../findings.js';
import { bytesPerSecond } from '../profile.js';
import { capacity } from '../targets/capacity.js';
import type { SourceProbe } from '../source-probe.js';
import type { ConvertFileResult, ConvertItem, Resolved } from './options.js';

/** A source that passed the probe and waits for its decode (or copy): what every later stage carries. */

export type Route = 'copy' | 'batch' | 'solo';

export interface Pending {
  item: ConvertItem;
  probe: SourceProbe;
  route: Route;
  /**
   * The source's hash, read beside the decode rather than before it (unless an earlier
   * output needs comparing): a decode that waits for it is time lost on every batch.
   * Started once, when its ffmpeg is running (or by finish()).
   */
  sourceSha256: () => Promise<string>;
  key: string;
  warnings: Finding[];
  /** The hash of the output this one replaces (promptprep's own, or any with --force). */
  replaces: string | null;
}

export function failedResult(p: Pending, errors: Finding[]): ConvertFileResult {
  return { source: p.item.source, output: null, status: 'failed', errors, warnings: p.warnings };
}

export function oversizeFinding(source: string, seconds: number, r: Resolved): Finding {
  const maxSeconds = r.maxSamples / r.profile.sampleRate;
  const why =
    capacity(r.profile, r.profile.sampleRate, r.maxBytes).limitedBy === 'duration'
      ? `the platform's limit for ${r.profile.title}`
      : `${r.maxBytes.toLocaleString('en-US')} bytes of ${r.profile.codecName} at ${bytesPerSecond(r.profile)} bytes/s`;
  return finding(
    'too-long',
    `"${source}" lasts ${seconds.toFixed(2)} s; a prompt can hold at most ${maxSeconds.toFixed(2)} s (${why}). Shorten it, raise --max-bytes if your platform allows, or use --on-oversize trim to cut it with a fade-out.`,
  );
}
