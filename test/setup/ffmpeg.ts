/**
 * vitest globalSetup: find ffmpeg once, the way the CLI does, before any test runs.
 * Without one, every test that makes audio would fail on its own with a bare
 * "ffmpeg ... failed"; this stops the run with the CLI's message (what to install, or
 * where to point FFMPEG_PATH) instead. The binary found is the one the helpers drive
 * (test/helpers/ffmpeg.ts), and the run says once which it is.
 */
import type { TestProject } from 'vitest/node';
import { ffmpegFeatures, locateFfmpeg } from '../../src/ffmpeg.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the ffmpeg the test helpers run. */
    ffmpegPath: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  let binary;
  let features;
  try {
    binary = await locateFfmpeg();
    features = await ffmpegFeatures(binary);
  } catch (err) {
    // The same words `promptprep convert` would print, and no test run. No stack: where
    // in this file it was thrown is no help to someone who needs to install ffmpeg.
    const stop = new Error(`promptprep: ${(err as Error).message}`);
    stop.stack = stop.message;
    throw stop;
  }
  process.stdout.write(`tests use ffmpeg ${features.version} at ${binary.path} (from ${binary.source}${features.soxr ? ', with libsoxr' : ', without libsoxr'})\n`);
  project.provide('ffmpegPath', binary.path);
}
