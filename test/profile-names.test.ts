/** Each profile's name rule, one passing and one failing name per rule it carries, and the mapping between rules. */
import { describe, expect, it } from 'vitest';
import { mapFileName, nameForProfile, suggestFileName, validateFileName, validateOutputName } from '../src/file-name.js';
import { getProfile, listProfiles } from '../src/profile.js';
import { codes } from './helpers/findings.js';

type Row = [profile: string, name: string, expected: string[]];

/** Per profile: a name every rule takes, then one name breaking each rule the profile carries. */
const table: Row[] = [
  ['huawei-privatenumber', 'wait_voice-1.v2@x.wav', []],
  ['huawei-privatenumber', 'wait voice.wav', ['name-charset']],
  ['huawei-privatenumber', `${'a'.repeat(124)}.wav`, []],
  ['huawei-privatenumber', `${'a'.repeat(125)}.wav`, ['name-too-long']],
  ['huawei-privatenumber', 'x.WAV', ['extension']],
  ['huawei-voicecall', 'wait_voice-1.v2@x.wav', []],
  ['huawei-voicecall', '提示音.wav', ['name-charset']],
  ['huawei-voicecall', `${'a'.repeat(125)}.wav`, ['name-too-long']],
  ['huawei-voicecall', 'x.mp3', ['extension']],
  ['huawei-cec', '欢迎Welcome01.wav', []],
  ['huawei-cec', 'welcome_01.wav', ['name-charset']],
  ['huawei-cec', `${'a'.repeat(50)}.wav`, []],
  ['huawei-cec', `${'语'.repeat(51)}.wav`, ['name-too-long']],
  ['huawei-cec', 'x.MP3', ['extension', 'name-charset']],
  ['amazon-connect', 'Welcome, caller (v2) ünïcode.wav', []],
  ['amazon-connect', `${'a'.repeat(127)}.wav`, []],
  ['amazon-connect', `${'a'.repeat(128)}.wav`, ['name-too-long']],
  ['amazon-connect', 'x.WAV', ['extension']],
  ['genesys-cloud', 'Welcome_01.wav', []],
  ['genesys-cloud', 'welcome-01.wav', ['name-charset']],
  ['genesys-cloud', '_welcome.wav', ['name-first']],
  ['genesys-cloud', '1welcome.wav', ['name-first']],
  ['genesys-cloud', `${'a'.repeat(200)}.wav`, []],
  ['genesys-cloud', `${'a'.repeat(201)}.wav`, ['name-too-long']],
  ['genesys-cloud', 'welcome.mp3', ['extension', 'name-charset']],
  ['twilio', 'welcome caller.wav', []],
  ['twilio', 'welcome.mp3', ['extension']],
  ['alibaba-vms', '欢迎 caller.wav', []],
  ['alibaba-vms', 'welcome', ['extension']],
  ['tencent-ccc', '欢迎 caller.wav', []],
  ['tencent-ccc', 'welcome.Wav', ['extension']],
  ['asterisk', 'welcome caller+1.wav', []],
  ['asterisk', 'hello&bye.wav', ['name-forbidden']],
  ['asterisk', 'welcome.WAV', ['extension']],
  ['asterisk', `${'語'.repeat(83)}.wav`, []],
  // No name limit from Asterisk: the file system's 255 bytes (UTF-8).
  ['asterisk', `${'語'.repeat(84)}.wav`, ['name-too-long']],
  ['asterisk-16k', 'welcome.wav16', []],
  ['asterisk-16k', 'welcome.wav', ['extension']],
  ['asterisk-16k', 'a&b.wav16', ['name-forbidden']],
  ['asterisk-16k', `${'a'.repeat(249)}.wav16`, []],
  ['asterisk-16k', `${'a'.repeat(250)}.wav16`, ['name-too-long']],
  ['freeswitch', 'welcome caller.wav', []],
  ['freeswitch', 'welcome.WAV', ['extension']],
  ['yeastar', 'Welcome-1_v2.wav', []],
  ['yeastar', 'welcome caller!.wav', ['name-charset']],
  ['yeastar', 'welcome.gsm', ['extension']],
];

describe('name rules per profile', () => {
  it.each(table)('%s: %j → %j', (id, name, expected) => {
    expect(codes(validateFileName(name, getProfile(id)))).toEqual([...expected].sort());
  });

  it('every profile has a passing and a failing name in the table', () => {
    for (const p of listProfiles()) {
      const rows = table.filter(([id]) => id === p.id);
      expect(rows.some(([, , e]) => e.length === 0), p.id).toBe(true);
      expect(rows.some(([, , e]) => e.length > 0), p.id).toBe(true);
    }
  });

  it('every rule a profile carries has a failing name in the table', () => {
    for (const p of listProfiles()) {
      const failed = new Set(table.filter(([id]) => id === p.id).flatMap(([, , e]) => e));
      const carried = ['extension', ...(p.name.maxLength !== undefined || p.family === 'asterisk' ? ['name-too-long'] : []), ...(p.name.first ? ['name-first'] : []), ...(p.name.forbidden ? ['name-forbidden'] : [])];
      if (!/any character/.test(p.name.charsetText)) carried.push('name-charset');
      for (const rule of carried) expect(failed.has(rule), `${p.id} ${rule}`).toBe(true);
    }
  });

  it('messages name the file, the platform and the rule', () => {
    const [first] = validateFileName('1st.wav', getProfile('genesys-cloud'));
    expect(first?.message).toBe(
      'The file name "1st.wav" starts with "1"; Genesys Cloud user prompts wants it to start with an ASCII letter. Rename it, e.g. to "p_1st.wav".',
    );
    const [amp] = validateFileName('a&b.wav', getProfile('asterisk'));
    expect(amp?.message).toContain('refuses & (Asterisk reads it as the separator between files to play)');
    const [ext] = validateFileName('a.WAV', getProfile('asterisk'));
    expect(ext?.message).toContain('expects ".wav", in exactly that case (Asterisk picks the format by the extension: ".WAV" is GSM');
    const [len] = validateFileName(`${'a'.repeat(201)}.wav`, getProfile('genesys-cloud'));
    expect(len?.message).toMatch(/^The file name is 201 characters long before "\.wav"; Genesys Cloud user prompts allows at most 200\./);
  });
});

describe('suggestFileName under each rule', () => {
  const sources = ['wait voice.wav', '1-welcome.v2.wav', '提示音.wav', 'a&b.wav', '.hidden.wav', '', `${'a'.repeat(300)}.wav`, `${'語'.repeat(300)}.wav`, '___', 'café crème.mp3'];
  const cases = listProfiles().flatMap((p) => sources.map((s) => [p.id, s] as const));
  it.each(cases)('%s: %j gets a valid name, stable when re-applied', (id, source) => {
    const profile = getProfile(id);
    const s = suggestFileName(source, profile);
    expect(validateOutputName(s, profile)).toEqual([]);
    expect(suggestFileName(s, profile)).toBe(s);
  });

  it('keeps what a rule takes: Chinese for CEC, accents for Asterisk', () => {
    expect(suggestFileName('提示 音.wav', getProfile('huawei-cec'))).toBe('提示音.wav');
    expect(suggestFileName('café&crème.wav', getProfile('asterisk'))).toBe('café_crème.wav');
    expect(suggestFileName('1-welcome.v2.wav', getProfile('genesys-cloud'))).toBe('p_1_welcome_v2.wav');
  });
});

describe('nameForProfile: one source name, each target its own', () => {
  it.each([
    ['huawei-privatenumber', 'welcome-1.v2.flac', { name: 'welcome-1.v2.wav', how: 'natural' }],
    ['genesys-cloud', 'welcome-1.v2.flac', { name: 'welcome_1_v2.wav', how: 'mapped' }],
    ['genesys-cloud', '2nd-call.wav', { name: 'p_2nd_call.wav', how: 'mapped' }],
    ['huawei-cec', 'welcome-1.wav', { name: 'welcome1.wav', how: 'mapped' }],
    ['asterisk', 'welcome-1.wav', { name: 'welcome-1.wav', how: 'natural' }],
    ['asterisk-16k', 'welcome-1.wav', { name: 'welcome-1.wav16', how: 'natural' }],
    ['yeastar', 'welcome@corp.wav', { name: 'welcome_corp.wav', how: 'mapped' }],
  ])('%s: %j → %j', (id, source, expected) => {
    expect(nameForProfile(source, getProfile(id))).toEqual(expected);
  });

  it('does not map a name that is not clean: that is a rename, asked for with --rename', () => {
    const out = nameForProfile('wait voice.wav', getProfile('genesys-cloud'));
    expect('errors' in out && codes(out.errors)).toEqual(['name-charset']);
    expect('errors' in out && out.errors[0]?.message).toMatch(/"wait voice\.wav" contains space; Genesys Cloud user prompts allows only ASCII letters, digits and _\. Rename it, e\.g\. to "wait_voice\.wav"\. \(profile genesys-cloud; convert with --rename/);
    expect(nameForProfile('wait voice.wav', getProfile('genesys-cloud'), { rename: true })).toEqual({ name: 'wait_voice.wav', how: 'renamed' });
  });

  it('reports a mapped name that is still too long instead of cutting it silently', () => {
    const out = nameForProfile(`${'a-'.repeat(101)}.wav`, getProfile('genesys-cloud'));
    expect('errors' in out && codes(out.errors)).toEqual(['name-charset', 'name-too-long']);
  });

  it('mapFileName leaves unclean names alone', () => {
    expect(mapFileName('a b.wav', getProfile('genesys-cloud'))).toBeNull();
    expect(mapFileName('提示.wav', getProfile('genesys-cloud'))).toBeNull();
  });
});
