import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeLayout, layoutRates, placements } from '../src/layout.js';

/** Where a prompt goes inside a target's folder, per platform layout. */

describe('layouts', () => {
  it('flat: the name itself, at the primary rate', () => {
    expect(placements('welcome.wav', { layout: 'flat', sampleRate: 8000 })).toEqual([{ rate: 8000, path: 'welcome.wav' }]);
    // A profile that names no layout is flat.
    expect(placements('welcome.wav', { sampleRate: 8000 })).toEqual([{ rate: 8000, path: 'welcome.wav' }]);
  });

  it('asterisk: sounds/<lang>/<name>, "en" when the profile names no language', () => {
    expect(placements('welcome.wav', { layout: 'asterisk', sampleRate: 8000 })).toEqual([
      { rate: 8000, path: path.join('sounds', 'en', 'welcome.wav') },
    ]);
    expect(placements('welcome.wav16', { layout: 'asterisk', language: 'fr', sampleRates: [16000], sampleRate: 16000 })).toEqual([
      { rate: 16000, path: path.join('sounds', 'fr', 'welcome.wav16') },
    ]);
  });

  it('freeswitch: one <rate>/<name> per rate the profile asks for, primary first, each once', () => {
    expect(placements('welcome.wav', { layout: 'freeswitch', sampleRates: [8000, 16000, 32000, 48000, 16000], sampleRate: 8000 })).toEqual([
      { rate: 8000, path: path.join('8000', 'welcome.wav') },
      { rate: 16000, path: path.join('16000', 'welcome.wav') },
      { rate: 32000, path: path.join('32000', 'welcome.wav') },
      { rate: 48000, path: path.join('48000', 'welcome.wav') },
    ]);
    expect(layoutRates({ sampleRates: [16000, 8000, 16000], sampleRate: 16000 })).toEqual([16000, 8000]);
  });

  it('describes itself for help texts with forward slashes', () => {
    expect(describeLayout({ layout: 'asterisk', sampleRate: 8000, extension: '.wav' })).toBe('sounds/en/<name>.wav');
    expect(describeLayout({ layout: 'freeswitch', sampleRates: [8000, 16000], sampleRate: 8000, extension: '.wav' })).toBe(
      '8000/<name>.wav, 16000/<name>.wav',
    );
  });
});
