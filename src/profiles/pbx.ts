import type { ProfileSpec } from '../profile-spec.js';
import { ANY_FILE_NAME } from './name-rules.js';

/** PBXs that play files from their own disk, from shared PLATFORM.md ("Other platforms"). */

/** Asterisk picks the format by the extension, case included (`.wav` and `.WAV` are two formats). */
export const ASTERISK_NAME = {
  ...ANY_FILE_NAME,
  forbidden: '&',
  forbiddenText: '& (Asterisk reads it as the separator between files to play)',
};

export const asterisk: ProfileSpec = {
  id: 'asterisk',
  title: 'Asterisk (.wav: 16-bit PCM, 8 kHz)',
  family: 'asterisk',
  codec: 'pcm16',
  container: 'wav',
  extension: '.wav',
  sampleRates: [8000],
  channels: 1,
  name: ASTERISK_NAME,
  layout: 'asterisk',
  language: 'en',
  scenes: false,
  note: 'The language folder (sounds/en/) is our default; a profile in the config can set another.',
};

export const asterisk16k: ProfileSpec = {
  ...asterisk,
  id: 'asterisk-16k',
  title: 'Asterisk, wideband (.wav16: 16-bit PCM, 16 kHz)',
  extension: '.wav16',
  sampleRates: [16000],
};

export const freeswitch: ProfileSpec = {
  id: 'freeswitch',
  title: 'FreeSWITCH (a folder per sample rate)',
  family: 'freeswitch',
  codec: 'pcm16',
  container: 'wav',
  extension: '.wav',
  // The rate folders FreeSWITCH looks in; it plays the best match for the call.
  sampleRates: [8000, 16000, 32000, 48000],
  channels: 1,
  name: ANY_FILE_NAME,
  layout: 'freeswitch',
  scenes: false,
  note: 'FreeSWITCH reads anything libsndfile reads: we write 16-bit PCM mono WAV, one file per rate folder.',
};

export const yeastar: ProfileSpec = {
  id: 'yeastar',
  title: 'Yeastar P-Series PBX',
  family: 'yeastar',
  codec: 'pcm16',
  container: 'wav',
  extension: '.wav',
  sampleRates: [8000],
  channels: 1,
  maxBytes: 8_000_000,
  name: { charset: '0-9A-Za-z\\-_.', charsetText: 'ASCII letters, digits and - _ .' },
  layout: 'flat',
  scenes: false,
  note: 'Yeastar takes 16-bit PCM, A-law or µ-law WAV at 8 kHz mono (also MP3, GSM): we write 16-bit PCM. It says only "no special characters" of names: we read that as ASCII letters, digits and - _ .',
};
