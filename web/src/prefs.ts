// What the console remembers in the browser: the language, the theme and the mute switch.
// The session itself is an HttpOnly cookie the page cannot read.

import type { Lang } from './i18n';
import type { ThemeName } from './theme';

const KEY = {
  /** The development login's session of earlier versions, removed at start. */
  oldSession: 'vigie.session',
  lang: 'vigie.lang',
  theme: 'vigie.theme',
  muted: 'vigie.muted',
} as const;

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Storage disabled: the preference lasts for this page only.
  }
}

/** Removes what the development login of earlier versions left in the browser. */
export function forgetDevelopmentSession(): void {
  write(KEY.oldSession, null);
}

export function loadLang(): Lang {
  const stored = read(KEY.lang);
  return stored === 'en' ? 'en' : 'fr';
}

export function saveLang(lang: Lang): void {
  write(KEY.lang, lang);
}

export function loadTheme(): ThemeName {
  return read(KEY.theme) === 'light' ? 'light' : 'dark';
}

export function saveTheme(theme: ThemeName): void {
  write(KEY.theme, theme);
}

export function loadMuted(): boolean {
  return read(KEY.muted) === '1';
}

export function saveMuted(muted: boolean): void {
  write(KEY.muted, muted ? '1' : '0');
}
