// Entry point: theme and language from the browser's memory, then the session: resumed with
// `GET /api/auth/me` when the cookie still holds one, otherwise the login screen. Once logged
// in, the console with its keyboard shortcuts; logging out, or a session that ends (any
// `401 unauthenticated`), brings the login screen back.

import { Api, ApiError } from './api';
import { ConsoleApp } from './app';
import { type Me, type Notice, errorNotice, parseMe } from './auth';
import { lang, onLangChange, setLang, t } from './i18n';
import { forgetDevelopmentSession, loadLang, loadTheme, saveLang } from './prefs';
import { applyTheme } from './theme';
import { showHelp } from './ui/help';
import { LoginScreen } from './ui/login';
import { h } from './ui/dom';
import './styles.css';

declare global {
  interface Window {
    /** The running console, for the end-to-end tests and the performance script. */
    vigie?: { app: ConsoleApp | null; ready: boolean };
  }
}

const root = document.getElementById('app') as HTMLElement;
const api = new Api();
let app: ConsoleApp | null = null;
window.vigie = { app: null, ready: false };

setLang(loadLang());
document.documentElement.lang = lang();
onLangChange(() => {
  document.documentElement.lang = lang();
});
applyTheme(loadTheme());
forgetDevelopmentSession();

function stopConsole(): void {
  app?.stop();
  app = null;
  window.vigie = { app: null, ready: false };
  for (const dialog of document.querySelectorAll('dialog')) dialog.remove();
}

function showLogin(notice: Notice | null = null): void {
  stopConsole();
  api.csrf = null;
  new LoginScreen(root, {
    api,
    notice,
    onLang: (next) => {
      saveLang(next);
      setLang(next);
    },
    onSession: (me) => void startConsole(me),
  });
}

async function startConsole(me: Me): Promise<void> {
  api.csrf = me.csrf_token;
  app = new ConsoleApp(root, api, me, loadTheme(), async () => {
    try {
      await api.logout();
    } catch {
      // The session is gone for this page either way.
    }
    showLogin({ key: 'login.loggedOut', tone: 'info' });
  });
  window.vigie = { app, ready: false };
  try {
    await app.start();
    window.vigie.ready = true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return; // `onUnauthenticated` shows the login
    console.error('console failed to start', error);
    root.prepend(h('p', { class: 'form-error', role: 'alert' }, String(error)));
  }
}

// A session that ends while the console runs (expired, revoked, the server forgot it).
api.onUnauthenticated = () => {
  if (app) showLogin({ key: 'auth.error.sessionEnded', tone: 'error' });
};

/** Resumes the session the cookie holds, or shows the login screen. */
async function boot(): Promise<void> {
  root.replaceChildren(h('main', { class: 'login', id: 'main' }, h('p', { class: 'muted', role: 'status' }, h('span', { class: 'brand' }, t('app.name')), ' — ', t('login.checking'))));
  try {
    const me = parseMe(await api.me());
    if (me) {
      void startConsole(me);
      return;
    }
    showLogin();
  } catch (error) {
    showLogin(error instanceof ApiError && error.status === 401 ? null : errorNotice(error));
  }
}

function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || !element.closest) return false;
  return Boolean(element.closest('input, textarea, select, [contenteditable="true"]'));
}

document.addEventListener('pointerdown', () => app?.alerter.unlock(), { capture: true });
document.addEventListener(
  'keydown',
  (event) => {
    app?.alerter.unlock();
    if (!app || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.querySelector('dialog[open]')) return; // a dialog handles its own keys
    if (event.key === 'Escape') {
      if (isTyping(event.target)) (event.target as HTMLElement).blur();
      else app.closeDetail();
      return;
    }
    if (isTyping(event.target)) return;
    switch (event.key) {
      case 'j':
      case 'J':
        event.preventDefault();
        app.moveSelection(1);
        break;
      case 'k':
      case 'K':
        event.preventDefault();
        app.moveSelection(-1);
        break;
      case 'a':
      case 'A':
        event.preventDefault();
        app.acknowledgeSelected();
        break;
      case 'm':
      case 'M':
        app.toggleMute();
        break;
      case 't':
      case 'T':
        app.toggleTheme();
        break;
      case 'l':
      case 'L':
        app.toggleLang();
        break;
      case 's':
      case 'S':
        if (app.caps.supervision) app.setTab(document.getElementById('tab-supervision')?.getAttribute('aria-selected') === 'true' ? 'queue' : 'supervision');
        break;
      case 'f':
      case 'F':
        app.focusSelectedOnMap();
        break;
      case '?':
        showHelp();
        break;
      default:
        break;
    }
  },
  { capture: false },
);

void boot();
