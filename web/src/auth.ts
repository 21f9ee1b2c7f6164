// Logging in, as a small state machine kept apart from the screen: the credentials, then a
// second factor (a TOTP code, or the enrolment of a new authenticator), then the session.
// The screen (`ui/login.ts`) draws a `LoginState` and feeds the API's answers back in; the
// error codes of the API become messages here, in French and English through `i18n.ts`.

import { ApiError } from './api';
import type { Key } from './i18n';

/** One of the account roles the server knows. */
export type Role = 'operator' | 'supervisor' | 'administrator' | 'auditor' | 'data_protection_officer' | 'integrator';

export const ROLES: Role[] = ['operator', 'supervisor', 'administrator', 'auditor', 'data_protection_officer', 'integrator'];

/** Which items of one kind an account may see: all, or only these. */
export type ScopeSet = 'all' | { only: string[] };

/** The part of the city an account works on. */
export interface Scope {
  posts: ScopeSet;
  communes: ScopeSet;
}

/** The signed-in account, as `GET /api/auth/me` and the login's last step give it. */
export interface Me {
  login: string;
  display_name: string;
  role: Role;
  scope: Scope;
  csrf_token: string;
}

/** What `POST /api/auth/login` and `POST /api/auth/totp` answer with status 200. */
export type LoginAnswer =
  | ({ step: 'session' } & Me)
  | { step: 'totp' }
  | { step: 'enrol'; secret: string; otpauth_uri: string };

/** A message of the login screen: a translation key, its values, and whether it is bad news. */
export interface Notice {
  key: Key;
  vars?: Record<string, string | number>;
  /** An instant (ms since the epoch) to show as `{until}`, formatted when drawn. */
  until?: number;
  tone: 'error' | 'info';
}

/** Where the login stands. */
export type LoginView =
  | { step: 'credentials' }
  | { step: 'totp' }
  | { step: 'enrol'; secret: string; uri: string }
  | { step: 'session'; me: Me };

export interface LoginState {
  view: LoginView;
  /** A request is in flight: the submit button waits. */
  busy: boolean;
  notice: Notice | null;
  /** The login typed last, kept when the screen is drawn again. */
  login: string;
}

export type LoginEvent =
  | { type: 'submit'; login?: string }
  | { type: 'answer'; answer: unknown }
  | { type: 'failed'; error: unknown }
  | { type: 'restart'; notice?: Notice | null };

export function initialLogin(notice: Notice | null = null, login = ''): LoginState {
  return { view: { step: 'credentials' }, busy: false, notice, login };
}

function isScopeSet(value: unknown): value is ScopeSet {
  if (value === 'all') return true;
  if (!value || typeof value !== 'object') return false;
  const only = (value as { only?: unknown }).only;
  return Array.isArray(only) && only.every((item) => typeof item === 'string');
}

/** Checks the shape of a session (`/api/auth/me`, or a login's `session` step); null when it is not one. */
export function parseMe(value: unknown): Me | null {
  if (!value || typeof value !== 'object') return null;
  const item = value as Record<string, unknown>;
  const scope = item.scope as Record<string, unknown> | undefined;
  if (typeof item.login !== 'string' || typeof item.role !== 'string' || typeof item.csrf_token !== 'string') return null;
  if (!scope || !isScopeSet(scope.posts) || !isScopeSet(scope.communes)) return null;
  return {
    login: item.login,
    display_name: typeof item.display_name === 'string' && item.display_name.trim() ? item.display_name : item.login,
    role: item.role as Role,
    scope: { posts: scope.posts, communes: scope.communes },
    csrf_token: item.csrf_token,
  };
}

function notice(key: Key, vars?: Record<string, string | number>): Notice {
  return { key, vars, tone: 'error' };
}

/** The message for an error of the API (or of the network), for the login screen or a toast. */
export function errorNotice(error: unknown): Notice {
  if (!(error instanceof ApiError)) return notice('auth.error.unexpected', { code: 'client', message: String(error) });
  if (error.status === 0) return notice('auth.error.network');
  switch (error.code) {
    case 'bad_credentials':
    case 'invalid_login':
      // A login that cannot exist is just as wrong as an unknown one: the same words.
      return notice('auth.error.badCredentials');
    case 'account_locked': {
      const until = Number(error.body.until);
      return Number.isFinite(until) && until > 0 ? { key: 'auth.error.locked', until, tone: 'error' } : notice('auth.error.lockedNoTime');
    }
    case 'too_many_attempts': {
      const seconds = Number(error.body.retry_after_s);
      return Number.isFinite(seconds) && seconds > 0 ? notice('auth.error.tooManyWait', { s: Math.ceil(seconds) }) : notice('auth.error.tooMany');
    }
    case 'bad_totp_code':
      return notice('auth.error.badCode');
    case 'totp_code_reused':
      return notice('auth.error.codeReused');
    case 'login_expired':
      return notice('auth.error.loginExpired');
    case 'unauthenticated':
      return notice('auth.error.sessionEnded');
    case 'forbidden':
      return notice('auth.error.forbidden');
    case 'out_of_scope':
      return notice('auth.error.outOfScope');
    case 'csrf_mismatch':
      return notice('auth.error.csrf');
    default:
      break;
  }
  if (error.status === 423) return notice('auth.error.lockedNoTime');
  if (error.status === 429) return notice('auth.error.tooMany');
  if (error.status === 403) return notice('auth.error.forbidden');
  return notice('auth.error.unexpected', { code: error.code, message: error.message });
}

/** Errors of the second step that end the pending login: the password must be given again. */
const ENDS_PENDING_LOGIN = new Set(['login_expired', 'account_locked', 'unauthenticated', 'bad_credentials']);

/** The next state of the login after `event`. */
export function loginReducer(state: LoginState, event: LoginEvent): LoginState {
  switch (event.type) {
    case 'submit':
      return { ...state, busy: true, login: event.login ?? state.login };
    case 'restart':
      return initialLogin(event.notice ?? null, state.login);
    case 'failed': {
      const message = errorNotice(event.error);
      const code = event.error instanceof ApiError ? event.error.code : '';
      if (state.view.step !== 'credentials' && ENDS_PENDING_LOGIN.has(code)) return initialLogin(message, state.login);
      return { ...state, busy: false, notice: message };
    }
    case 'answer': {
      const answer = event.answer as Partial<LoginAnswer> | null;
      const step = answer && typeof answer === 'object' ? answer.step : undefined;
      if (step === 'session') {
        const me = parseMe(answer);
        if (me) return { ...state, busy: false, notice: null, view: { step: 'session', me } };
      } else if (step === 'totp') {
        return { ...state, busy: false, notice: null, view: { step: 'totp' } };
      } else if (step === 'enrol') {
        const { secret, otpauth_uri: uri } = answer as { secret?: unknown; otpauth_uri?: unknown };
        if (typeof secret === 'string' && typeof uri === 'string') return { ...state, busy: false, notice: null, view: { step: 'enrol', secret, uri } };
      }
      return { ...state, busy: false, notice: notice('auth.error.unexpected', { code: String(step ?? '?'), message: JSON.stringify(answer) }) };
    }
    default:
      return state;
  }
}

/** `JBSWY3DPEHPK3PXP` → `JBSW Y3DP EHPK 3PXP`: a secret is copied by hand more easily in fours. */
export function groupSecret(secret: string): string {
  const clean = secret.replace(/[\s-]/g, '').toUpperCase();
  return (clean.match(/.{1,4}/g) ?? []).join(' ');
}

/** A code as typed (`123 456`) → `123456`, or null when it is not six digits. */
export function normaliseCode(text: string): string | null {
  const digits = text.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}
