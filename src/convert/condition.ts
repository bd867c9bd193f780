import { cutWithFade, largeGainWarning, normalizeLevel, trimSilence } from '../conditioning.js';
import { finding, type Finding } from '../findings.js';
import type { ConvertFileResult, Resolved } from './options.js';
import { failedResult, oversizeFinding, type Pending } from './pending.js';

export interface Conditioned {
  changed: boolean;
  trimmedLeadingSeconds: number;
  trimmedTrailingSeconds: number;
  cutToFit: boolean;
  gainDb: number;
}

/** --trim-silence, the cut to fit and --normalize, in that order; adds its warnings to `warnings`. */
export function condition(
  p: Pending,
  input: Int16Array,
  r: Resolved,
  warnings: Finding[],
): (Conditioned & { samples: Int16Array }) | { failed: ConvertFileResult } {
  const rate = r.profile.sampleRate;
  let samples = input;
  let changed = false;
  let trimmedLeading = 0;
  let trimmedTrailing = 0;
  if (r.trimSilence) {
    const t = trimSilence(samples, rate, r.analysis);
    if (t.silent) {
      return { failed: failedResult(p, [finding('silent', `"${p.item.source}" is silent; trimming silence would leave nothing.`)]) };
    }
    if (t.samples.length !== samples.length) changed = true;
    samples = t.samples;
    trimmedLeading = t.leadingSeconds;
    trimmedTrailing = t.trailingSeconds;
  }
  let cutToFit = false;
  if (samples.length > r.maxSamples) {
    if (r.onOversize === 'fail') return { failed: failedResult(p, [oversizeFinding(p.item.source, samples.length / rate, r)]) };
    if (!warnings.some((w) => w.code === 'cut-to-fit')) {
      warnings.push(
        finding('cut-to-fit', `The audio lasts ${(samples.length / rate).toFixed(2)} s, more than a prompt can hold; it was cut to fit with a 0.5 s fade-out.`),
      );
    }
    samples = cutWithFade(samples, r.maxSamples, rate);
    cutToFit = true;
    changed = true;
  }
  let gainDb = 0;
  if (r.normalize) {
    const n = normalizeLevel(samples, rate, r.analysis);
    if (n.silent) {
      warnings.push(finding('normalize-silent', 'No speech was found to measure, so the level was left as it is.'));
    } else {
      gainDb = n.gainDb;
      if (n.gainDb !== 0) changed = true;
      samples = n.samples;
      const large = largeGainWarning(n.gainDb);
      if (large) warnings.push(large);
      if (n.limitedByPeak) {
        warnings.push(
          finding(
            'normalize-peak-limited',
            `Peaks limited the gain to ${n.gainDb.toFixed(1)} dB, so the speech level stays under the -22 dBFS target; the recording has very loud peaks compared with its speech.`,
          ),
        );
      }
    }
  }
  return { samples, changed, trimmedLeadingSeconds: trimmedLeading, trimmedTrailingSeconds: trimmedTrailing, cutToFit, gainDb };
}
