import { outputLength, type OutputBytes } from '../atomic-write.js';
import type { AudioStats } from '../audio-analysis.js';
import type { Finding } from '../findings.js';
import { VERSION } from '../version.js';
import type { Conditioned } from './condition.js';
import { sha256 } from './hash.js';
import type { ConvertStats, Resolved } from './options.js';
import type { Pending } from './pending.js';
import type { StatsRecord } from './stats-file.js';

/** What a converted output is: its stats, and the record written beside it (stats-file.ts). */
export function buildRecord(
  p: Pending,
  r: Resolved,
  out: { samples: number; wav: OutputBytes; before: AudioStats | null; after: AudioStats; conditioned: Conditioned; sourceSha256: string; warnings: Finding[] },
): { stats: ConvertStats; record: StatsRecord } {
  const { samples, wav, before, after, conditioned, sourceSha256, warnings } = out;
  const stats: ConvertStats = {
    sourceSha256,
    durationSeconds: samples / r.profile.sampleRate,
    bytes: outputLength(wav),
    sha256: sha256(...wav),
    input:
      p.probe.kind === 'audio'
        ? {
            container: p.probe.container,
            codec: p.probe.codec,
            sampleRate: p.probe.sampleRate,
            channels: p.probe.channels,
            durationSeconds: p.probe.durationSeconds,
          }
        : null,
    before: before ?? after,
    after,
    gainDb: conditioned.gainDb,
    trimmedLeadingSeconds: conditioned.trimmedLeadingSeconds,
    trimmedTrailingSeconds: conditioned.trimmedTrailingSeconds,
    cutToFit: conditioned.cutToFit,
  };
  const record: StatsRecord = {
    promptprep: VERSION,
    source: p.item.source,
    sourceSha256,
    outputKey: p.key,
    output: p.item.output,
    outputSha256: stats.sha256,
    previousOutputSha256: p.replaces,
    options: { normalize: r.normalize, trimSilence: r.trimSilence, bandLimit: r.bandLimit, onOversize: r.onOversize, maxBytes: r.maxBytes, profile: r.profile.id },
    stats,
    warnings,
    convertedAt: new Date().toISOString(),
  };
  return { stats, record };
}
