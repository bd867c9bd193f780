/** Platform file names: validation, and the valid name suggested for any source. */
import { describe, expect, it } from 'vitest';
import { disallowedCharacters, isValidFileName, suggestFileName, validateFileName } from '../src/file-name.js';
import { huaweiPrivateNumber as profile } from '../src/profile.js';
import { codes } from './helpers/findings.js';

const validate = (name: string): string[] => codes(validateFileName(name, profile));
const suggest = (name: string): string => suggestFileName(name, profile);
const HASHED = /^prompt-[0-9a-f]{8}\.wav$/;

describe('validateFileName', () => {
  it.each([
    ['wait_voice1.wav', []],
    ['A-z_0.9@x.wav', []],
    [`${'a'.repeat(124)}.wav`, []],
    [`${'a'.repeat(125)}.wav`, ['name-too-long']],
    ['wait voice.wav', ['name-charset']],
    ['提示音.wav', ['name-charset']],
    ['café.wav', ['name-charset']],
    ['x.WAV', ['extension']],
    ['x.mp3', ['extension']],
    ['x', ['extension']],
    ['x.wav.bak', ['extension']],
    ['.wav', ['name-empty']],
    ['.WAV', ['extension', 'name-empty']],
    ['', ['extension', 'name-empty']],
    [`${'é'.repeat(130)}.mp3`, ['extension', 'name-charset', 'name-too-long']],
  ])('%j → %j', (name, expected) => {
    expect(validate(name)).toEqual([...expected].sort());
    expect(isValidFileName(name, profile)).toBe(expected.length === 0);
  });

  it('names each offending character once, in order, spaces and controls in words', () => {
    const [f] = validateFileName('a b\tc+d b+.wav', profile);
    expect(f?.code).toBe('name-charset');
    expect(f?.message).toContain('contains space, control character U+0009, "+";');
    expect(f?.message).toContain('Huawei Cloud Privacy Protection Call (PrivateNumber) allows only digits, ASCII letters and - _ . @');
    expect(f?.message).toContain('Rename it, e.g. to "a_b_c_d_b_.wav"');
  });

  it('counts characters, not UTF-16 units, for the length', () => {
    // 120 emoji are 240 UTF-16 units but 124 characters with ".wav".
    const msgs = validateFileName(`${'🎵'.repeat(120)}.wav`, profile).map((f) => f.code);
    expect(msgs).toEqual(['name-charset']);
  });

  it('reports a lone extension as an empty name and suggests a visible one', () => {
    const [f] = validateFileName('.wav', profile);
    expect(f?.message).toMatch(/has nothing before the extension\. Rename it, e\.g\. to "prompt-[0-9a-f]{8}\.wav"/);
  });

  it('lists disallowed characters', () => {
    expect(disallowedCharacters('ok-name_1.@.wav', profile)).toEqual([]);
    expect(disallowedCharacters('a/b\\c:d*e', profile)).toEqual(['/', '\\', ':', '*']);
    expect(disallowedCharacters('語音語', profile)).toEqual(['語', '音']);
    expect(disallowedCharacters('🎵', profile)).toEqual(['🎵']);
  });
});

describe('suggestFileName', () => {
  it.each([
    ['wait voice.wav', 'wait_voice.wav'],
    ['wait   voice  1.wav', 'wait_voice_1.wav'],
    ['café crème.wav', 'cafe_creme.wav'],
    ['Ångström naïve.mp3', 'Angstrom_naive.wav'],
    ['ＡＢＣ１２３.wav', 'ABC123.wav'],
    ['x.WAV', 'x.wav'],
    ['song.mp3', 'song.wav'],
    ['take.final.flac', 'take.final.wav'],
    ['noext', 'noext.wav'],
    ['/music/in box/hello world.wav', 'hello_world.wav'],
    ['wait_voice1.wav', 'wait_voice1.wav'],
    ['🎵 intro.wav', '_intro.wav'],
    ['欢迎 welcome.wav', 'huanying_welcome.wav'],
    // Chinese: toneless pinyin, syllables of a word joined, words separated by `_`.
    ['欢迎语音.mp3', 'huanying_yuyin.wav'],
    ['提示音.wav', 'tishi_yin.wav'],
    ['欢迎光临.mp3', 'huanying_guanglin.wav'],
    // A polyphonic character read from its word: 行 in 银行 is hang, not xing.
    ['重庆银行.wav', 'chongqing_yinhang.wav'],
    // ASCII parts stay as they are; separators already there are kept, not doubled.
    ['请稍候Hold音乐v2.wav', 'qing_shaohou_Hold_yinyue_v2.wav'],
    ['等待音乐_new.flac', 'dengdai_yinyue_new.wav'],
    ['回铃音-01.wav', 'hui_ling_yin-01.wav'],
    ['您好，欢迎致电.m4a', 'ninhao_huanying_zhidian.wav'],
  ])('%j → %j', (source, expected) => {
    expect(suggest(source)).toBe(expected);
  });

  it.each([[''], ['.wav'], ['.WAV'], ['..wav'], ['___.wav'], ['🎵.wav'], ['/']])(
    'gives %j a hashed name (nothing meaningful survives)',
    (source) => {
      expect(suggest(source)).toMatch(HASHED);
    },
  );

  it('gives a hash only where nothing readable is left (a name of symbols or kana)', () => {
    expect(suggest('🎵.wav')).toMatch(HASHED);
    expect(suggest('ひらがな.wav')).toMatch(HASHED);
  });

  it('keeps distinct Chinese names distinct, and is deterministic', () => {
    expect(suggest('提示音.wav')).not.toBe(suggest('等待音.wav'));
    expect(suggest('提示音.wav')).toBe(suggest('提示音.wav'));
    expect(suggest('dir/提示音.wav')).toBe(suggest('提示音.wav'));
  });

  it('truncates an over-long name to exactly the limit, with a hash', () => {
    const long = `${'a'.repeat(200)}.wav`;
    const s = suggest(long);
    expect(s).toHaveLength(128);
    expect(s).toMatch(/^a+-[0-9a-f]{8}\.wav$/);
    // Two long names that differ only past the cut stay distinct.
    expect(suggest(`${'a'.repeat(200)}b.wav`)).not.toBe(s);
    expect(suggest(`${'a'.repeat(124)}.wav`)).toBe(`${'a'.repeat(124)}.wav`);
  });

  const corpus = [
    '',
    '.',
    '..',
    '/',
    '.wav',
    'a',
    'a.',
    '.hidden.wav',
    ' .wav',
    'x.WAV',
    'wait voice.wav',
    '提示音.wav',
    '中文-english 混合.mp3',
    'tab\there.wav',
    'new\nline.wav',
    'nul\u0000.wav',
    'q"uote\'s.wav',
    'a'.repeat(1000),
    `${'é'.repeat(300)}.wav`,
    `${'語'.repeat(300)}.wav`,
    `${'🎵'.repeat(100)}x.wav`,
    `${'.'.repeat(200)}`,
    `${'-'.repeat(200)}.wav`,
    'C:\\Users\\me\\prompt.wav',
  ];

  it.each(corpus.map((s) => [s]))('%j: never empty, always valid, stable when re-applied', (source) => {
    const s = suggest(source);
    expect(s.length).toBeGreaterThan('.wav'.length);
    expect(validateFileName(s, profile)).toEqual([]);
    expect(suggest(s)).toBe(s);
  });
});
