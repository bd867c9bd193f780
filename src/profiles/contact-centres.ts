import type { ProfileSpec } from '../profile-spec.js';
import { ANY_FILE_NAME } from './name-rules.js';

/** Hosted contact centres and voice APIs, from shared PLATFORM.md ("Other platforms"). MB = 10^6 bytes. */

export const amazonConnect: ProfileSpec = {
  id: 'amazon-connect',
  title: 'Amazon Connect prompts',
  family: 'amazon',
  // "otherwise the prompt won't play correctly"
  codec: 'mulaw',
  container: 'wav',
  extension: '.wav',
  sampleRates: [8000],
  channels: 1,
  maxBytes: 50_000_000,
  maxSeconds: 300,
  // The prompt's Name (1-127) is given at CreatePrompt; no character rule is published.
  name: { ...ANY_FILE_NAME, maxLength: 127 },
  layout: 'flat',
  scenes: false,
};

export const genesysCloud: ProfileSpec = {
  id: 'genesys-cloud',
  title: 'Genesys Cloud user prompts',
  family: 'genesys',
  codec: 'pcm16',
  container: 'wav',
  extension: '.wav',
  sampleRates: [8000],
  channels: 1,
  maxBytes: 25_000_000,
  name: { charset: '0-9A-Za-z_', charsetText: 'ASCII letters, digits and _', first: 'A-Za-z', firstText: 'an ASCII letter', maxLength: 200 },
  layout: 'flat',
  scenes: false,
  note: 'Genesys transcodes any WAV and publishes no rate: we write 16-bit PCM at 8 kHz mono, lossless input for its transcoder.',
};

export const twilio: ProfileSpec = {
  id: 'twilio',
  title: 'Twilio <Play> (served by URL or from Assets)',
  family: 'twilio',
  codec: 'mulaw',
  container: 'wav',
  extension: '.wav',
  sampleRates: [8000],
  channels: 1,
  // The Assets limit; a file served from elsewhere has none published.
  maxBytes: 25_000_000,
  name: ANY_FILE_NAME,
  layout: 'flat',
  scenes: false,
  note: 'Twilio plays MP3, WAV, AIFF, GSM or µ-law: we write µ-law 8 kHz mono WAV, what the phone network carries, so nothing is transcoded. The size limit is that of Twilio Assets.',
};

export const alibabaVms: ProfileSpec = {
  id: 'alibaba-vms',
  title: 'Alibaba Cloud VMS (语音服务)',
  family: 'alibaba',
  codec: 'pcm16',
  container: 'wav',
  extension: '.wav',
  sampleRates: [8000],
  channels: 1,
  maxBytes: 2_000_000,
  name: ANY_FILE_NAME,
  layout: 'flat',
  scenes: false,
  note: 'Alibaba takes WAV or MP3 and publishes no codec or rate: we write 16-bit PCM at 8 kHz mono WAV, which every WAV reader takes (about 125 s in 2 MB).',
};

export const tencentCcc: ProfileSpec = {
  id: 'tencent-ccc',
  title: 'Tencent Cloud CCC',
  family: 'tencent',
  codec: 'pcm16',
  container: 'wav',
  extension: '.wav',
  sampleRates: [8000],
  channels: 1,
  maxBytes: 5_000_000,
  // The platform assigns the file name; the alias a person gives may be anything.
  name: ANY_FILE_NAME,
  layout: 'flat',
  scenes: false,
  note: 'Tencent takes MP3 or WAV and publishes no codec or rate: we write 16-bit PCM at 8 kHz mono WAV, which every WAV reader takes.',
};
