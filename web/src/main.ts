// Entry point: theme and language from the browser's memory, the development login, then the
// console with its keyboard shortcuts.

import { Api } from './api';
import { ConsoleApp } from './app';
import { lang, onLangChange, setLang } from './i18n';
import { type Session, loadLang, loadSession, loadTheme, saveLang, saveSession } from './prefs';
import { applyTheme } from './theme';
import type { Post } from './types';
import { showHelp } from './ui/help';
import { renderLogin } from './ui/login';
import './styles.css';

declare global {
  interface Window {
    /** The running console, for the end-to-end tests and the performance script. */
    vigie?: { app: ConsoleApp | null; ready: boolean };
  }
}

const root = document.getElementById('app') as HTMLElement;
let app: ConsoleApp | null = null;
window.vigie = { app: null, ready: false };

setLang(loadLang());
document.documentElement.lang = lang();
applyTheme(loadTheme());

async function showLogin(): Promise<void> {
  let posts: Post[] | null = null;
  let error: string | null = null;
  try {
    posts = (await new Api().posts()).posts;
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
  }
  const draw = () =>
    renderLogin(
      root,
      posts,
      error,
      loadSession(),
      (next) => {
        saveLang(next);
        setLang(next);
      },
      (session) => {
        saveSession(session);
        unsubscribe();
        void startConsole(session);
      },
    );
  const unsubscribe = onLangChange(() => {
    document.documentElement.lang = lang();
    draw();
  });
  draw();
}

async function startConsole(session: Session): Promise<void> {
  app = new ConsoleApp(root, session, loadTheme(), () => {
    app?.stop();
    app = null;
    window.vigie = { app: null, ready: false };
    saveSession(null);
    void showLogin();
  });
  window.vigie = { app, ready: false };
  try {
    await app.start();
    window.vigie.ready = true;
  } catch (error) {
    console.error('console failed to start', error);
    root.prepend(Object.assign(document.createElement('p'), { className: 'form-error', role: 'alert', textContent: String(error) }));
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
        app.setTab(document.getElementById('tab-supervision')?.getAttribute('aria-selected') === 'true' ? 'queue' : 'supervision');
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

const session = loadSession();
if (session) void startConsole(session);
else void showLogin();
