// What the console remembers in the browser: the development session, the language, the
// theme and the mute switch.

import type { Lang } from './i18n';
import type { ThemeName } from './theme';

export interface Session {
  /** The operator's login, sent as `X-Vigie-Operator`. */
  login: string;
  /** The command post, or null for supervision (every post). */
  post: string | null;
}

const KEY = {
  session: 'vigie.session',
  lang: 'vigie.lang',
  theme: 'vigie.theme',
  muted: 'vigie.muted',
} as const;

export const LOGIN_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

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

export function loadSession(): Session | null {
  const text = read(KEY.session);
  if (!text) return null;
  try {
    const session = JSON.parse(text) as Session;
    if (typeof session.login !== 'string' || !LOGIN_PATTERN.test(session.login)) return null;
    if (session.post !== null && typeof session.post !== 'string') return null;
    return { login: session.login, post: session.post };
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  write(KEY.session, session ? JSON.stringify(session) : null);
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
