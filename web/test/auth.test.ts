import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/api';
import { type LoginState, errorNotice, groupSecret, initialLogin, loginReducer, normaliseCode, parseMe } from '../src/auth';
import { t } from '../src/i18n';
import { noticeText } from '../src/ui/login';

const SESSION = {
  step: 'session',
  login: 'operateur',
  display_name: 'Opérateur de démonstration',
  role: 'operator',
  scope: { posts: { only: ['securite-espace-public', 'police-municipale'] }, communes: 'all' },
  csrf_token: 'c5rf',
};

function failed(state: LoginState, status: number, code: string, body: Record<string, unknown> = {}): LoginState {
  return loginReducer(state, { type: 'failed', error: new ApiError(status, code, code, undefined, { code, ...body }) });
}

describe('login state machine', () => {
  it('goes from the password straight to the session when no second factor is asked', () => {
    let state = loginReducer(initialLogin(), { type: 'submit', login: 'operateur' });
    expect(state.busy).toBe(true);
    state = loginReducer(state, { type: 'answer', answer: SESSION });
    expect(state.busy).toBe(false);
    expect(state.view).toEqual({
      step: 'session',
      me: { login: 'operateur', display_name: 'Opérateur de démonstration', role: 'operator', scope: SESSION.scope, csrf_token: 'c5rf' },
    });
  });

  it('asks for a TOTP code, then opens the session', () => {
    let state = loginReducer(loginReducer(initialLogin(), { type: 'submit', login: 'alice' }), { type: 'answer', answer: { step: 'totp' } });
    expect(state.view).toEqual({ step: 'totp' });
    state = loginReducer(loginReducer(state, { type: 'submit' }), { type: 'answer', answer: { ...SESSION, login: 'alice' } });
    expect(state.view.step).toBe('session');
    expect(state.login).toBe('alice');
  });

  it('shows the secret and the link of an enrolment, then takes the first code', () => {
    const answer = { step: 'enrol', secret: 'JBSWY3DPEHPK3PXP', otpauth_uri: 'otpauth://totp/Vigie:alice?secret=JBSWY3DPEHPK3PXP&issuer=Vigie' };
    let state = loginReducer(initialLogin(), { type: 'answer', answer });
    expect(state.view).toEqual({ step: 'enrol', secret: answer.secret, uri: answer.otpauth_uri });
    // A wrong first code keeps the enrolment on screen, with the message.
    state = failed(state, 401, 'bad_totp_code');
    expect(state.view.step).toBe('enrol');
    expect(state.notice?.key).toBe('auth.error.badCode');
    state = loginReducer(state, { type: 'answer', answer: SESSION });
    expect(state.view.step).toBe('session');
    expect(state.notice).toBeNull();
  });

  it('stays on the password step after a wrong password, with the message and the login kept', () => {
    let state = loginReducer(initialLogin(), { type: 'submit', login: 'alice' });
    state = failed(state, 401, 'bad_credentials');
    expect(state).toEqual({ view: { step: 'credentials' }, busy: false, login: 'alice', notice: { key: 'auth.error.badCredentials', vars: undefined, tone: 'error' } });
  });

  it('keeps the code step for a wrong or reused code, and goes back to the password when the pending login ends', () => {
    const totp = loginReducer(initialLogin(), { type: 'answer', answer: { step: 'totp' } });
    expect(failed(totp, 401, 'totp_code_reused').view.step).toBe('totp');
    expect(failed(totp, 401, 'totp_code_reused').notice?.key).toBe('auth.error.codeReused');
    expect(failed(totp, 429, 'too_many_attempts').view.step).toBe('totp');
    for (const [status, code, key] of [
      [401, 'login_expired', 'auth.error.loginExpired'],
      [423, 'account_locked', 'auth.error.locked'],
      [401, 'unauthenticated', 'auth.error.sessionEnded'],
    ] as const) {
      const next = failed(totp, status, code, { until: 1_900_000_000_000 });
      expect(next.view.step, code).toBe('credentials');
      expect(next.notice?.key, code).toBe(key);
    }
  });

  it('keeps the step and says so when the network fails', () => {
    const totp = loginReducer(initialLogin(), { type: 'answer', answer: { step: 'totp' } });
    const next = loginReducer(totp, { type: 'failed', error: new ApiError(0, 'network', 'Failed to fetch') });
    expect(next.view.step).toBe('totp');
    expect(next.notice?.key).toBe('auth.error.network');
  });

  it('refuses an answer it does not understand instead of opening a broken session', () => {
    const noToken = loginReducer(initialLogin(), { type: 'answer', answer: { ...SESSION, csrf_token: undefined } });
    expect(noToken.view.step).toBe('credentials');
    expect(noToken.notice?.key).toBe('auth.error.unexpected');
    expect(loginReducer(initialLogin(), { type: 'answer', answer: { step: 'enrol' } }).view.step).toBe('credentials');
    expect(loginReducer(initialLogin(), { type: 'answer', answer: null }).notice?.key).toBe('auth.error.unexpected');
  });

  it('starts again from the password, keeping the login typed', () => {
    const totp = loginReducer(initialLogin(null, 'alice'), { type: 'answer', answer: { step: 'totp' } });
    const again = loginReducer(totp, { type: 'restart' });
    expect(again).toEqual(initialLogin(null, 'alice'));
  });
});

describe('login messages', () => {
  it('names the lock’s end and says when an account is locked', () => {
    const until = Date.UTC(2026, 10, 26, 7, 45);
    const notice = errorNotice(new ApiError(423, 'account_locked', 'locked', undefined, { code: 'account_locked', until }));
    expect(notice).toEqual({ key: 'auth.error.locked', until, tone: 'error' });
    expect(noticeText(notice)).toMatch(/^Compte verrouillé après trop d’échecs, jusqu’à \d\d\/11 \d\d:45:00\.$/);
    expect(errorNotice(new ApiError(423, 'account_locked', 'locked')).key).toBe('auth.error.lockedNoTime');
  });

  it('has a French and an English message for every code of the contract', () => {
    const codes: [number, string, string, string][] = [
      [401, 'bad_credentials', 'Identifiant ou mot de passe incorrect.', 'Wrong login or password.'],
      [429, 'too_many_attempts', 'Trop de tentatives : patientez une minute avant de réessayer.', 'Too many attempts: wait a minute before trying again.'],
      [401, 'totp_code_reused', 'Ce code a déjà servi : attendez le suivant (30 secondes au plus).', 'This code was already used: wait for the next one (30 seconds at most).'],
      [401, 'login_expired', 'La connexion a expiré : recommencez avec votre mot de passe.', 'The sign-in expired: start again with your password.'],
      [401, 'unauthenticated', 'Votre session a pris fin : reconnectez-vous.', 'Your session has ended: sign in again.'],
      [403, 'forbidden', 'Action non autorisée pour votre rôle.', 'Not allowed for your role.'],
      [403, 'out_of_scope', 'Hors de vos postes de commandement ou de vos communes.', 'Outside your command posts or communes.'],
    ];
    for (const [status, code, fr, en] of codes) {
      const notice = errorNotice(new ApiError(status, code, code));
      expect(t(notice.key, notice.vars, 'fr')).toBe(fr);
      expect(t(notice.key, notice.vars, 'en')).toBe(en);
    }
  });

  it('says how long to wait when the server tells, and words a malformed login like a wrong one', () => {
    const wait = errorNotice(new ApiError(429, 'too_many_attempts', 'slow down', undefined, { code: 'too_many_attempts', retry_after_s: 42.2 }));
    expect(t(wait.key, wait.vars, 'fr')).toBe('Trop de tentatives : réessayez dans 43 s.');
    expect(t(wait.key, wait.vars, 'en')).toBe('Too many attempts: try again in 43 s.');
    expect(errorNotice(new ApiError(422, 'invalid_login', 'bad login')).key).toBe('auth.error.badCredentials');
    expect(errorNotice(new ApiError(403, 'csrf_mismatch', 'missing')).key).toBe('auth.error.csrf');
  });

  it('falls back on the status, then on the server’s own words', () => {
    expect(errorNotice(new ApiError(403, 'http_403', 'Forbidden')).key).toBe('auth.error.forbidden');
    expect(errorNotice(new ApiError(429, 'http_429', 'Too Many Requests')).key).toBe('auth.error.tooMany');
    const other = errorNotice(new ApiError(500, 'internal', 'the store failed'));
    expect(t(other.key, other.vars, 'en')).toBe('Unexpected answer from the server (internal): the store failed');
  });
});

describe('login helpers', () => {
  it('groups a secret in fours', () => {
    expect(groupSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(groupSecret('jbsw y3dp-ehpk3')).toBe('JBSW Y3DP EHPK 3');
    expect(groupSecret('')).toBe('');
  });

  it('takes a code of six digits, with spaces, and nothing else', () => {
    expect(normaliseCode('123456')).toBe('123456');
    expect(normaliseCode(' 123 456 ')).toBe('123456');
    expect(normaliseCode('12345')).toBeNull();
    expect(normaliseCode('1234567')).toBeNull();
    expect(normaliseCode('12345a')).toBeNull();
  });

  it('reads a session and fills a missing display name with the login', () => {
    expect(parseMe({ ...SESSION, display_name: '' })?.display_name).toBe('operateur');
    expect(parseMe({ ...SESSION, scope: { posts: 'all', communes: { only: ['21231'] } } })?.scope).toEqual({ posts: 'all', communes: { only: ['21231'] } });
    expect(parseMe({ ...SESSION, scope: { posts: 'some' } })).toBeNull();
    expect(parseMe('operateur')).toBeNull();
  });
});
