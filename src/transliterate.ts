import { createRequire } from 'node:module';

/**
 * Chinese characters in a name, as toneless pinyin: `欢迎语音` -> `huanying_yuyin`, so a
 * renamed prompt still says what it is (the platform allows only ASCII names, and most of
 * its users name their recordings in Chinese). Words come from ICU's dictionary-based
 * word breaker (Intl.Segmenter, built into Node), readings from pinyin-pro, which picks a
 * polyphonic character's reading from the words around it (`银行` -> `yinhang`). Syllables of
 * a word are joined, words are separated by `_`; everything else is left as it is.
 */

const HAN = /\p{Script=Han}/u;
const WORD_CHAR = /[\p{L}\p{N}]/u;

type PinyinPro = typeof import('pinyin-pro');
let pinyinPro: PinyinPro | null = null;

/** Loaded on first use only: most runs never meet a Chinese name, and its dictionary is 300 KB. */
function loadPinyinPro(): PinyinPro {
  pinyinPro ??= createRequire(import.meta.url)('pinyin-pro') as PinyinPro;
  return pinyinPro;
}

let segmenter: Intl.Segmenter | null = null;

export function hasHan(text: string): boolean {
  return HAN.test(text);
}

export function transliterateHan(text: string): string {
  if (!hasHan(text)) return text;
  // One reading per character (code point), chosen with the whole text as context.
  const readings = loadPinyinPro().pinyin(text, { toneType: 'none', type: 'all' });
  let next = 0;
  const tokens: { text: string; han: boolean }[] = [];
  segmenter ??= new Intl.Segmenter('zh', { granularity: 'word' });
  for (const { segment } of segmenter.segment(text)) {
    let out = '';
    let han = false;
    for (const ch of segment) {
      const r = readings[next++];
      if (r && r.origin === ch && r.isZh && r.pinyin) {
        out += r.pinyin;
        han = true;
      } else {
        out += ch;
      }
    }
    tokens.push({ text: out, han });
  }
  let result = '';
  let previous: { text: string; han: boolean } | null = null;
  for (const t of tokens) {
    // A `_` between a Chinese word and its neighbour, unless a separator is already there.
    if (previous && (previous.han || t.han) && WORD_CHAR.test(previous.text.slice(-1)) && WORD_CHAR.test(t.text.slice(0, 1))) {
      result += '_';
    }
    result += t.text;
    previous = t;
  }
  return result;
}
