/**
 * The in-process probe reads a small source once and parses it from memory (one read
 * where music-metadata on the file makes dozens): its verdicts must be exactly those of
 * the from-disk path, for every kind of source convert takes and for files it refuses,
 * and the hash it returns must be the file's.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeAndHashSource, probeSource, WHOLE_READ_BYTES } from '../src/source-probe.js';
import { codec, inParallel, makeSource, type SourceSpec } from './helpers/convert-audio.js';
import { makeTempDir, removeTempDir } from './helpers/tmp.js';

const made: [string, SourceSpec][] = [
  ['pcm16-44k-stereo.wav', { rate: 44100, channels: 2, codec: codec('s16') }],
  ['pcm24-48k.wav', { rate: 48000, codec: codec('s24') }],
  ['float32-32k.wav', { rate: 32000, codec: codec('f32') }],
  ['alaw-8k.wav', { rate: 8000, codec: codec('alaw') }],
  ['alaw-list-chunk.wav', { rate: 8000, codec: codec('alaw'), bitexact: false }],
  ['speech.mp3', { rate: 44100, codec: codec('mp3') }],
  ['lossless.flac', { rate: 22050, channels: 2, codec: codec('flac') }],
  ['opus-voice.opus', { rate: 48000, codec: codec('opus'), format: 'ogg' }],
  ['vorbis-voice.ogg', { rate: 44100, codec: codec('vorbis') }],
  ['aac-voice.m4a', { rate: 44100, codec: codec('aac') }],
  ['clip.mp4', { rate: 44100, codec: codec('aac'), video: true }],
  ['surround-5.1.wav', { rate: 48000, layout: '5.1', codec: codec('s16') }],
];

let dir: string;
const files: string[] = [];

beforeAll(async () => {
  dir = await makeTempDir('promptprep-source-probe-');
  await inParallel(made.map(([name, spec]) => () => makeSource(path.join(dir, name), { seconds: 1, ...spec })));
  files.push(...made.map(([name]) => path.join(dir, name)));
  // What convert refuses or leaves to ffmpeg: text named .mp3, random bytes, a truncated WAV.
  await fs.writeFile(path.join(dir, 'notes.mp3'), 'not audio at all\n');
  await fs.writeFile(path.join(dir, 'noise.bin'), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff)));
  const wav = await fs.readFile(path.join(dir, 'alaw-8k.wav'));
  await fs.writeFile(path.join(dir, 'truncated.wav'), wav.subarray(0, wav.length >> 1));
  files.push(...['notes.mp3', 'noise.bin', 'truncated.wav'].map((n) => path.join(dir, n)));
  // The repository's own fixtures, in both folders.
  for (const sub of ['fixtures/check', 'fixtures/sources']) {
    for (const n of await fs.readdir(sub)) files.push(path.resolve(sub, n));
  }
}, 120_000);
afterAll(async () => {
  await removeTempDir(dir);
});

describe('probeAndHashSource', () => {
  it('gives the same verdict from one whole read as from the file on disk, and the file hash', async () => {
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const size = (await fs.stat(file)).size;
      expect(size, file).toBeLessThanOrEqual(WHOLE_READ_BYTES);
      const fromMemory = await probeAndHashSource(file, size);
      const fromDisk = await probeAndHashSource(file, size, 0);
      expect(fromMemory.probe, file).toEqual(fromDisk.probe);
      expect(fromMemory.sha256, file).toBe(createHash('sha256').update(await fs.readFile(file)).digest('hex'));
      expect(fromDisk.sha256, `${file}: no hash from the from-disk path`).toBeNull();
      expect(await probeSource(file, size), file).toEqual(fromMemory.probe);
    }
  });

  it('parses a source over the whole-read size from disk, with the same verdict', async () => {
    const big = path.join(dir, 'long.flac');
    await makeSource(big, { seconds: 40, rate: 48000, codec: codec('flac') });
    const size = (await fs.stat(big)).size;
    expect(size).toBeGreaterThan(WHOLE_READ_BYTES);
    const r = await probeAndHashSource(big, size);
    expect(r.sha256).toBeNull();
    expect(r.probe).toMatchObject({ kind: 'audio', sampleRate: 48000, channels: 1 });
    expect(r.probe.kind === 'audio' && r.probe.durationSeconds).toBeCloseTo(40, 1);
  });
});
