import { MESSAGES, SCENE_LABELS_ZH, STATE_LABELS, type Lang, type MessageKey } from '../i18n.js';

export type { Lang, MessageKey };

export function currentLang(): Lang {
  return document.documentElement.lang === 'zh-CN' ? 'zh-CN' : 'en';
}

/** Switch language: kept in a cookie so the server renders the page in it next time too. */
export function setLang(lang: Lang): void {
  document.cookie = `desk_lang=${lang}; path=/; SameSite=Strict; max-age=31536000`;
  document.documentElement.lang = lang;
}

export function t(lang: Lang, key: MessageKey): string {
  return MESSAGES[lang][key];
}

export function stateLabel(lang: Lang, state: string): string {
  return STATE_LABELS[lang][state] ?? state;
}

/** The binding parameter name (as the API spells it) and, in Chinese, the console's label. */
export function sceneLabel(lang: Lang, scene: string | null): string {
  if (!scene) return '—';
  return lang === 'zh-CN' && SCENE_LABELS_ZH[scene] ? `${SCENE_LABELS_ZH[scene]} (${scene})` : scene;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
