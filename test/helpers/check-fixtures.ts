/**
 * Recipes for the sample files in fixtures/check/, each made by real ffmpeg. The files
 * are committed; regenerate them with
 *
 *   npx tsx test/helpers/check-fixtures.ts
 *
 * and review fixtures/check.expected.json (written by hand: the verdict each file must get).
 * check-fixtures.test.ts also remakes every file from its recipe in a temp dir and checks
 * the recipe still yields the expected verdict.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeSilence, makeTone } from './ffmpeg.js';

export const CHECK_FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'check');

export interface FixtureRecipe {
  name: string;
  what: string;
  make: (out: string) => Promise<unknown>;
}

const HALF = { seconds: 0.5 };

export const CHECK_FIXTURES: FixtureRecipe[] = [
  { name: 'valid.wav', what: 'canonical A-law prompt (ffmpeg -fflags +bitexact)', make: (p) => makeTone(p, HALF) },
  { name: 'list-chunk.wav', what: 'A-law with the LIST/INFO chunk ffmpeg writes by default', make: (p) => makeTone(p, { ...HALF, bitexact: false }) },
  { name: 'pcm16.wav', what: '16-bit linear PCM', make: (p) => makeTone(p, { ...HALF, codec: 'pcm_s16le' }) },
  { name: 'mulaw.wav', what: 'G.711 µ-law', make: (p) => makeTone(p, { ...HALF, codec: 'pcm_mulaw' }) },
  { name: 'stereo.wav', what: 'A-law, two channels', make: (p) => makeTone(p, { ...HALF, channels: 2 }) },
  { name: 'alaw-16k.wav', what: 'A-law at 16000 Hz', make: (p) => makeTone(p, { seconds: 0.25, sampleRate: 16000 }) },
  { name: 'wait voice.wav', what: 'valid audio, a space in the name', make: (p) => makeTone(p, HALF) },
  {
    name: 'truncated.wav',
    what: 'valid prompt cut off 1000 bytes into its data',
    make: async (p) => {
      await makeTone(p, HALF);
      const bytes = await fs.readFile(p);
      await fs.writeFile(p, bytes.subarray(0, 58 + 1000));
    },
  },
  { name: 'silent.wav', what: 'digital silence', make: (p) => makeSilence(p, 0.5) },
  { name: 'flac-named.wav', what: 'a FLAC file named .wav', make: (p) => makeTone(p, { ...HALF, codec: 'flac', format: 'flac' }) },
];

export async function generateCheckFixtures(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const f of CHECK_FIXTURES) await f.make(path.join(dir, f.name));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await generateCheckFixtures(CHECK_FIXTURES_DIR);
  for (const f of CHECK_FIXTURES) {
    const st = await fs.stat(path.join(CHECK_FIXTURES_DIR, f.name));
    process.stdout.write(`${f.name.padEnd(20)} ${String(st.size).padStart(6)} bytes  ${f.what}\n`);
  }
}
