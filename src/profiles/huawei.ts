import type { ProfileSpec } from '../profile-spec.js';
import { HUAWEI_FILE_NAME } from './name-rules.js';

/** Huawei Cloud, from shared PLATFORM.md. "2M" never defines its unit: read as 2,000,000 bytes (the strict reading). */

export const huaweiPrivateNumber: ProfileSpec = {
  id: 'huawei-privatenumber',
  title: 'Huawei Cloud Privacy Protection Call (PrivateNumber)',
  family: 'huawei',
  codec: 'alaw',
  container: 'wav',
  extension: '.wav',
  sampleRates: [8000],
  channels: 1,
  maxBytes: 2_000_000,
  name: HUAWEI_FILE_NAME,
  layout: 'flat',
  preCallMaxSeconds: 5,
  scenes: true,
  workingDays: 'china',
};

export const huaweiVoiceCall: ProfileSpec = {
  id: 'huawei-voicecall',
  title: 'Huawei Cloud VoiceCall (语音通话)',
  family: 'huawei',
  codec: 'alaw',
  container: 'wav',
  extension: '.wav',
  sampleRates: [8000],
  channels: 1,
  maxBytes: 2_000_000,
  name: HUAWEI_FILE_NAME,
  layout: 'flat',
  scenes: false,
  workingDays: 'china',
};

export const huaweiCec: ProfileSpec = {
  id: 'huawei-cec',
  title: 'Huawei Cloud CEC (contact centre)',
  family: 'huawei',
  codec: 'alaw',
  container: 'wav',
  extension: '.wav',
  sampleRates: [8000],
  channels: 1,
  // The 8 MB limit is on fileInfo, the Base64 of the file: 8,000,000 Base64 characters carry 6,000,000 bytes.
  maxBytes: 6_000_000,
  name: {
    // voiceFileName: "at most 50 characters: Chinese, letters, digits" (CJK ideographs, base block and extension A).
    charset: '0-9A-Za-z\\u{3400}-\\u{4DBF}\\u{4E00}-\\u{9FFF}',
    charsetText: 'Chinese characters, ASCII letters and digits',
    maxLength: 50,
  },
  layout: 'flat',
  scenes: false,
  workingDays: 'china',
  note: 'CEC takes wav or MP3 and publishes no codec or rate: we write A-law 8 kHz mono WAV, as the other Huawei platforms want. The 8 MB limit applies to the Base64 text, so a file holds at most 6,000,000 bytes.',
};
