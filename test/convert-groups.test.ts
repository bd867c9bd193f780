/** How a run's sources are split into shared ffmpeg processes (src/convert/plan.ts). */
import { describe, expect, it } from 'vitest';
import type { Pending } from '../src/convert/pending.js';
import type { Resolved } from '../src/convert/options.js';
import { DEFAULT_GROUP_FILES, groupFiles, LONG_GROUP_SECONDS, makeGroups, midSide } from '../src/convert/plan.js';
import { SIDE_SECONDS } from '../src/downmix.js';
import { WINDOW_SOURCES_PER_JOB, windowSources } from '../src/convert/items.js';

describe('groupFiles', () => {
  it('gives every job the same share, in groups of at most DEFAULT_GROUP_FILES', () => {
    expect(groupFiles(200, 2)).toBe(50);
    expect(groupFiles(2000, 2)).toBe(63);
    expect(groupFiles(10, 2)).toBe(5);
    expect(groupFiles(1, 4)).toBe(1);
    expect(groupFiles(0, 2)).toBe(1);
    for (const count of [1, 7, 64, 128, 129, 200, 1000, 10_000]) {
      for (const jobs of [1, 2, 3, 8]) {
        const size = groupFiles(count, jobs);
        expect(size, `${count} on ${jobs}`).toBeLessThanOrEqual(DEFAULT_GROUP_FILES);
        // Whole rounds: at most `jobs` groups a round, and no more rounds than needed.
        const groups = Math.ceil(count / size);
        expect(Math.ceil(groups / jobs), `${count} on ${jobs}: ${groups} groups of ${size}`).toBe(Math.ceil(count / (jobs * DEFAULT_GROUP_FILES)));
      }
    }
  });
});

describe('windowSources', () => {
  it('holds WINDOW_SOURCES_PER_JOB sources a job, and always room for a group a job and one more to form', () => {
    expect(windowSources(2, groupFiles(2000, 2))).toBe(2 * WINDOW_SOURCES_PER_JOB);
    expect(windowSources(1, 200)).toBe(400);
    for (const count of [1, 64, 200, 2000, 10_000]) {
      for (const jobs of [1, 2, 3, 8]) {
        const size = groupFiles(count, jobs);
        expect(windowSources(jobs, size), `${count} on ${jobs}`).toBeGreaterThanOrEqual((jobs + 1) * size);
      }
    }
  });
});

describe('makeGroups', () => {
  const source = (seconds: number): Pending => ({ route: 'batch', probe: { kind: 'audio', durationSeconds: seconds } }) as unknown as Pending;

  it('keeps a full group of 4 s prompts together (260 s of audio), and gives each long source a group of its own', () => {
    expect(makeGroups(Array.from({ length: 128 }, () => source(4.07)), 2).map((g) => g.length)).toEqual([64, 64]);
    expect(makeGroups([source(4), source(130), source(130), source(4), source(4)], 1).map((g) => g.length)).toEqual([1, 1, 1, 2]);
    expect(makeGroups([source(100), source(100), source(100), source(100), source(100)], 1).map((g) => g.length)).toEqual([4, 1]);
  });

  it('lets long sources that can share a process share one, up to LONG_GROUP_SECONDS, never with prompts', () => {
    const all = (): boolean => true;
    // 8 five-minute sources on 2 jobs: two processes of four.
    expect(makeGroups(Array.from({ length: 8 }, () => source(300)), 2, all).map((g) => g.length)).toEqual([4, 4]);
    // An hour of audio at most a process.
    expect(makeGroups(Array.from({ length: 8 }, () => source(1000)), 1, all).map((g) => g.length)).toEqual([3, 3, 2]);
    // Prompts and long sources apart, in their order.
    expect(makeGroups([source(4), source(300), source(300), source(4), source(4)], 1, all).map((g) => g.length)).toEqual([1, 2, 2]);
    // Without the say-so (a source cut to fit, a surround downmix): one a process, as before.
    const odd = source(300);
    expect(makeGroups([source(300), odd, source(300), source(300)], 1, (p) => p !== odd).map((g) => g.length)).toEqual([1, 1, 2]);
    expect(LONG_GROUP_SECONDS).toBeGreaterThanOrEqual(4 * 300);
  });
});

describe('midSide', () => {
  const r = (bandLimit = false): Resolved => ({ bandLimit, maxSamples: 2_000_000, trimSilence: false, profile: { sampleRate: 8000 } }) as unknown as Resolved;
  const stereo = (container: string, seconds: number, channels = 2): Pending =>
    ({ route: 'batch', probe: { kind: 'audio', container, codec: 'x', durationSeconds: seconds, channels } }) as unknown as Pending;

  it('takes short stereo sources whose probe read the channels from the stream, without the telephone band', () => {
    expect(midSide(stereo('MPEG', 4), r())).toBe(true);
    expect(midSide(stereo('WAVE', 4), r())).toBe(true);
    expect(midSide(stereo('FLAC', 4), r())).toBe(true);
    // An M4A's channel count can be the container's word, not the stream's.
    expect(midSide(stereo('MPEG-4', 4), r())).toBe(false);
    expect(midSide(stereo('MPEG', 4, 1), r())).toBe(false);
    expect(midSide(stereo('MPEG', 4), r(true))).toBe(false);
    // Near or past SIDE_SECONDS: the side is measured over its first minute, split.
    expect(midSide(stereo('MPEG', SIDE_SECONDS - 1), r())).toBe(false);
  });
});
