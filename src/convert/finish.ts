import { ALAW_DECODE, decodeAlaw, encodeAlaw } from '../alaw.js';
import { analyzeCodes, analyzeSamples, type AudioStats } from '../audio-analysis.js';
import { encodeForProfile } from '../codecs/index.js';
import { finding } from '../findings.js';
import { describeFsError } from '../fs-errors.js';
import { condition, type Conditioned } from './condition.js';
import type { DecodedAudio } from './decode.js';
import type { ConvertFileResult, Resolved } from './options.js';
import { failedResult, type Pending } from './pending.js';
import { placeOutput } from './place.js';
import { buildRecord } from './record.js';
import { buildVerifiedWav, checkDecodedLength, verifyFile } from './verify.js';

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
  // understated the length can still bring a cut to fit here), or when the profile's
  // codec is not A-law (its encoder takes samples).
  const alaw = r.profile.codec === 'alaw';
  let data: Uint8Array | null = null;
  let samples: Int16Array | null = null;
  let before: AudioStats | null = null;
  let conditioned: Conditioned = { changed: false, trimmedLeadingSeconds: 0, trimmedTrailingSeconds: 0, cutToFit: false, gainDb: 0 };
  if (!codes || !alaw || r.trimSilence || r.normalize || length > r.maxSamples) {
    const input = decoded.samples ?? decodeAlaw(codes as Uint8Array);
    before = analyzeSamples(input, rate, r.analysis);
    const c = condition(p, input, r, warnings);
    if ('failed' in c) return c.failed;
    conditioned = c;
    samples = c.samples;
    if (alaw) data = codes && !c.changed ? codes : encodeAlaw(c.samples);
  } else {
    data = codes;
  }
  let verified: ReturnType<typeof verifyFile>;
  if (data) {
    verified = buildVerifiedWav(p, data, r, warnings);
  } else {
    let file: Buffer;
    try {
      file = await encodeForProfile(samples as Int16Array, rate, r.profile);
    } catch (err) {
      return failedResult(p, [finding('encode-failed', `Could not encode "${p.item.source}" as ${r.profile.codecName}: ${(err as Error).message}`)]);
    }
    verified = verifyFile(p, file, r, warnings);
  }
  if ('failed' in verified) return verified.failed;
  const { wav } = verified;
  if (r.dryRun) return { source: p.item.source, output: p.item.output, status: 'planned', errors: [], warnings };
  const after = verified.stats ?? (data ? analyzeCodes(data, ALAW_DECODE, rate, r.analysis) : analyzeSamples(samples as Int16Array, rate, r.analysis));
  let sourceSha256: string;
  try {
    sourceSha256 = await p.sourceSha256();
  } catch (err) {
    return failedResult(p, [finding('unreadable', describeFsError(err, p.item.source))]);
  }
  const sampleCount = data ? data.length : (samples as Int16Array).length;
  const { stats, record } = buildRecord(p, r, { samples: sampleCount, wav, before, after, conditioned, sourceSha256, warnings });
  try {
    await placeOutput(p.item.output, wav, record, r.stagingDir);
  } catch (err) {
    return failedResult(p, [finding('write-failed', `Could not write "${p.item.output}": ${(err as Error).message}`)]);
  }
  return { source: p.item.source, output: p.item.output, status: 'converted', errors: [], warnings, stats };
}
