import { promises as fs } from 'node:fs';
import { finding } from '../findings.js';
import { describeFsError } from '../fs-errors.js';
import { finish } from './finish.js';
import type { ConvertFileResult, Resolved } from './options.js';
import { failedResult, type Pending } from './pending.js';

/** Conforming A-law WAV sources: the data is taken as is, no ffmpeg and no generation loss. */
export async function convertFromAlaw(p: Pending, r: Resolved): Promise<ConvertFileResult> {
  if (p.probe.kind !== 'audio' || !p.probe.wav || p.probe.wav.dataOffset === null) {
    return failedResult(p, [finding('internal', 'copy route without a WAV data chunk')]);
  }
  const wav = p.probe.wav;
  let bytes: Buffer;
  try {
    const handle = await fs.open(p.item.source, 'r');
    try {
      const length = Math.min(wav.dataBytesPresent, r.maxSamples + r.profile.sampleRate * 120);
      bytes = Buffer.alloc(length);
      await handle.read(bytes, 0, length, wav.dataOffset);
    } finally {
      await handle.close();
    }
  } catch (err) {
    return failedResult(p, [finding('unreadable', describeFsError(err, p.item.source))]);
  }
  return finish(p, { codes: bytes }, r);
}
