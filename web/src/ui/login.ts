// The login screen: login and password, then a 6-digit TOTP code, or, at an account's first
// login, the enrolment of an authenticator app (the secret in groups of four, the otpauth
// link as text and as a QR code, then the first code). The steps follow `auth.ts`'s state
// machine; this file only draws them and sends the requests.

import type { Api } from '../api';
import { type LoginEvent, type LoginState, type Me, type Notice, groupSecret, initialLogin, loginReducer, normaliseCode } from '../auth';
import { formatDateTime } from '../format';
import { type Lang, lang, onLangChange, t } from '../i18n';
import { encodeQr, qrPath } from '../qr';
import { svg } from './chart';
import { h } from './dom';

export interface LoginScreenOptions {
  api: Api;
  /** Shown above the form at first: "logged out", "your session has ended"... */
  notice?: Notice | null;
  onLang: (lang: Lang) => void;
  /** The login is complete: the console can start with this session. */
  onSession: (me: Me) => void;
}

/** The text of a notice in the current language. */
export function noticeText(notice: Notice): string {
  const vars = { ...notice.vars };
  if (notice.until !== undefined) vars.until = formatDateTime(notice.until);
  return t(notice.key, vars);
}

/** Draws the QR code of `text` as an SVG image, dark on light whatever the theme; null when too long. */
export function qrImage(text: string, label: string): SVGSVGElement | null {
  let matrix;
  try {
    matrix = encodeQr(text);
  } catch {
    return null;
  }
  const side = matrix.size + 8;
  return svg(
    'svg',
    { viewBox: `0 0 ${side} ${side}`, class: 'qr', role: 'img', 'aria-label': label, 'data-testid': 'otpauth-qr', 'shape-rendering': 'crispEdges' },
    svg('title', {}, label),
    svg('rect', { x: 0, y: 0, width: side, height: side, fill: '#ffffff' }),
    svg('path', { d: qrPath(matrix), fill: '#000000' }),
  );
}

export class LoginScreen {
  state: LoginState;
  private readonly unsubscribe: () => void;
  private done = false;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: LoginScreenOptions,
  ) {
    this.state = initialLogin(options.notice ?? null);
    this.unsubscribe = onLangChange(() => this.render({ focusFirst: false }));
    this.render();
  }

  /** Stops following the language (the console takes over the page). */
  destroy(): void {
    this.done = true;
    this.unsubscribe();
  }

  private dispatch(event: LoginEvent): void {
    const before = this.state;
    this.state = loginReducer(this.state, event);
    if (this.state.view.step === 'session') {
      const me = this.state.view.me;
      this.options.api.csrf = me.csrf_token;
      this.destroy();
      this.options.onSession(me);
      return;
    }
    if (this.done) return;
    const failed = event.type === 'failed';
    this.render({ focusFirst: before.view.step !== this.state.view.step || failed, clear: failed });
  }

  private async send(request: () => Promise<unknown>, login?: string): Promise<void> {
    if (this.state.busy) return;
    this.dispatch({ type: 'submit', login });
    try {
      this.dispatch({ type: 'answer', answer: await request() });
    } catch (error) {
      this.dispatch({ type: 'failed', error });
    }
  }

  /** Shows a message found before any request (an empty field, a code of 5 digits). */
  private complain(key: 'login.required' | 'login.codeFormat', field: HTMLInputElement): void {
    this.state = { ...this.state, notice: { key, tone: 'error' } };
    this.render({ focusFirst: false });
    const again = this.root.querySelector<HTMLInputElement>(`#${field.id}`);
    again?.setAttribute('aria-invalid', 'true');
    again?.focus();
  }

  /**
   * Draws the current step. `focusFirst` moves the focus to the step's first field (else it
   * stays where it was); `clear` empties the secrets typed (after a refusal).
   */
  render({ focusFirst = true, clear = false }: { focusFirst?: boolean; clear?: boolean } = {}): void {
    const view = this.state.view;
    // Keep what was typed across a redraw (the language changed, a message appeared).
    const typed = new Map<string, string>();
    for (const input of this.root.querySelectorAll<HTMLInputElement>('.login-form input')) typed.set(input.id, input.value);
    // Each step gives its fields, then its buttons; the message goes between them.
    let body: [HTMLElement[], HTMLElement[]];
    let focusId: string;
    if (view.step === 'totp') {
      body = this.totpStep();
      focusId = 'login-code';
    } else if (view.step === 'enrol') {
      body = this.enrolStep(view.secret, view.uri);
      focusId = 'login-code';
    } else {
      body = this.credentialsStep();
      focusId = this.state.login ? 'login-password' : 'login-name';
    }
    const notice = this.state.notice;
    const message = h(
      'p',
      {
        id: 'login-message',
        class: notice?.tone === 'info' ? 'form-info' : 'form-error',
        role: notice?.tone === 'info' ? 'status' : 'alert',
        'data-testid': 'login-message',
        hidden: !notice,
      },
      notice ? noticeText(notice) : '',
    );
    const langSelect = h(
      'select',
      { id: 'login-lang', onchange: (event: Event) => this.options.onLang((event.target as HTMLSelectElement).value as Lang) },
      h('option', { value: 'fr', selected: lang() === 'fr', lang: 'fr' }, 'Français'),
      h('option', { value: 'en', selected: lang() === 'en', lang: 'en' }, 'English'),
    );
    const form = h(
      'form',
      {
        class: `login-form login-${view.step}`,
        'aria-labelledby': 'login-title',
        'aria-busy': this.state.busy ? 'true' : undefined,
        'data-step': view.step,
        novalidate: true,
        onsubmit: (event: Event) => {
          event.preventDefault();
          this.submit();
        },
      },
      h('h1', { id: 'login-title' }, h('span', { class: 'brand' }, t('app.name')), ' — ', t('login.title')),
      h('p', { class: 'muted' }, t('app.tagline')),
      body[0],
      message,
      body[1],
      h('div', { class: 'field field-lang' }, h('label', { for: 'login-lang' }, t('login.language')), langSelect),
    );
    const previousFocus = document.activeElement?.id;
    this.root.replaceChildren(h('main', { class: 'login', id: 'main' }, form));
    for (const [id, value] of typed) {
      const input = this.root.querySelector<HTMLInputElement>(`#${id}`);
      const secret = id === 'login-password' || id === 'login-code';
      if (input && !(clear && secret)) input.value = value;
    }
    const name = this.root.querySelector<HTMLInputElement>('#login-name');
    if (name && !name.value) name.value = this.state.login;
    const target = focusFirst ? focusId : (previousFocus ?? focusId);
    this.root.querySelector<HTMLElement>(`#${target}`)?.focus();
  }

  private submitButton(label: string): HTMLElement {
    return h('button', { type: 'submit', class: 'btn btn-primary btn-wide', id: 'login-submit', disabled: this.state.busy }, this.state.busy ? t('login.busy') : label);
  }

  private restartButton(): HTMLElement {
    return h('button', { type: 'button', class: 'btn btn-link', id: 'login-restart', onclick: () => this.dispatch({ type: 'restart' }) }, t('login.restart'));
  }

  private codeField(label: string): HTMLElement {
    return h(
      'div',
      { class: 'field' },
      h('label', { for: 'login-code' }, label),
      h('input', {
        id: 'login-code',
        name: 'code',
        type: 'text',
        inputmode: 'numeric',
        autocomplete: 'one-time-code',
        pattern: '[0-9]{6}',
        maxlength: 7,
        required: true,
        class: 'code-input',
        'aria-describedby': 'login-code-hint login-message',
      }),
      h('small', { id: 'login-code-hint', class: 'muted' }, t('login.codeHint')),
    );
  }

  private credentialsStep(): [HTMLElement[], HTMLElement[]] {
    const fields = [
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'login-name' }, t('login.name')),
        h('input', { id: 'login-name', name: 'username', type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true, maxlength: 64, 'aria-describedby': 'login-message' }),
      ),
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'login-password' }, t('login.password')),
        h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'aria-describedby': 'login-message' }),
      ),
    ];
    return [fields, [this.submitButton(t('login.submit'))]];
  }

  private totpStep(): [HTMLElement[], HTMLElement[]] {
    return [
      [h('h2', { class: 'login-step' }, t('login.totpTitle')), h('p', null, t('login.totpIntro')), this.codeField(t('login.code'))],
      [this.submitButton(t('login.verify')), this.restartButton()],
    ];
  }

  private enrolStep(secret: string, uri: string): [HTMLElement[], HTMLElement[]] {
    const qr = qrImage(uri, t('login.qr'));
    const fields = [
      h('h2', { class: 'login-step' }, t('login.enrolTitle')),
      h('p', null, t('login.enrolIntro')),
      qr ? h('figure', { class: 'qr-figure' }, qr) : null,
      h(
        'dl',
        { class: 'enrol-facts' },
        h('dt', null, t('login.secret')),
        h('dd', null, h('code', { class: 'secret', 'data-testid': 'totp-secret', 'data-secret': secret.replace(/\s/g, '') }, groupSecret(secret)), h('small', { class: 'muted' }, t('login.secretNote'))),
        h('dt', null, t('login.uri')),
        h('dd', null, h('code', { class: 'otpauth-uri', 'data-testid': 'otpauth-uri' }, uri)),
      ),
      this.codeField(t('login.firstCode')),
    ].filter((item): item is HTMLElement => item !== null);
    return [fields, [this.submitButton(t('login.verify')), this.restartButton()]];
  }

  private submit(): void {
    const api = this.options.api;
    if (this.state.view.step === 'credentials') {
      const name = this.root.querySelector<HTMLInputElement>('#login-name')!;
      const password = this.root.querySelector<HTMLInputElement>('#login-password')!;
      const login = name.value.trim();
      if (!login) return this.complain('login.required', name);
      if (!password.value) return this.complain('login.required', password);
      void this.send(() => api.login(login, password.value), login);
      return;
    }
    const field = this.root.querySelector<HTMLInputElement>('#login-code')!;
    const code = normaliseCode(field.value);
    if (code === null) return this.complain('login.codeFormat', field);
    void this.send(() => api.totp(code));
  }
}
