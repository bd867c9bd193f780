import { ALAW_DECODE, decodeAlaw, encodeAlaw } from '../alaw.js';
import { analyzeCodes, analyzeSamples, type AudioStats } from '../audio-analysis.js';
import { finding } from '../findings.js';
import { describeFsError } from '../fs-errors.js';
import { condition, type Conditioned } from './condition.js';
import type { DecodedAudio } from './decode.js';
import type { ConvertFileResult, Resolved } from './options.js';
import { failedResult, type Pending } from './pending.js';
import { placeOutput } from './place.js';
import { buildRecord } from './record.js';
import { buildVerifiedWav, checkDecodedLength } from './verify.js';

/**
 * Conditioning, encoding, verification and the atomic write. A-law codes are kept byte
 * for byte unless conditioning changes the audio.
 */
export async function finish(p: Pending, decoded: DecodedAudio, r: Resolved): Promise<ConvertFileResult> {
  const rate = r.profile.sampleRate;
  const warnings = [...p.warnings];
  const codes = decoded.codes ?? null;
  const length = codes ? codes.length : (decoded.samples as Int16Array).length;
  const badLength = checkDecodedLength(p, length, r);
  if (badLength) return badLength;
  // Codes become samples only when something below may change them (a header that
  // understated the length can still bring a cut to fit here).
  let data: Uint8Array;
  let before: AudioStats | null = null;
  let conditioned: Conditioned = { changed: false, trimmedLeadingSeconds: 0, trimmedTrailingSeconds: 0, cutToFit: false, gainDb: 0 };
  if (!codes || r.trimSilence || r.normalize || length > r.maxSamples) {
    const samples = decoded.samples ?? decodeAlaw(codes as Uint8Array);
    before = analyzeSamples(samples, rate, r.analysis);
    const c = condition(p, samples, r, warnings);
    if ('failed' in c) return c.failed;
    conditioned = c;
    data = codes && !c.changed ? codes : encodeAlaw(c.samples);
  } else {
    data = codes;
  }
  const verified = buildVerifiedWav(p, data, r, warnings);
  if ('failed' in verified) return verified.failed;
  const { wav } = verified;
  if (r.dryRun) return { source: p.item.source, output: p.item.output, status: 'planned', errors: [], warnings };
  const after = verified.stats ?? analyzeCodes(data, ALAW_DECODE, rate, r.analysis);
  let sourceSha256: string;
  try {
    sourceSha256 = await p.sourceSha256();
  } catch (err) {
    return failedResult(p, [finding('unreadable', describeFsError(err, p.item.source))]);
  }
  const { stats, record } = buildRecord(p, r, { data, wav, before, after, conditioned, sourceSha256, warnings });
  try {
    await placeOutput(p.item.output, wav, record, r.stagingDir);
  } catch (err) {
    return failedResult(p, [finding('write-failed', `Could not write "${p.item.output}": ${(err as Error).message}`)]);
  }
  return { source: p.item.source, output: p.item.output, status: 'converted', errors: [], warnings, stats };
}
