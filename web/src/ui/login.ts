// The development login: an operator name and a command post (or supervision). Not an
// authentication: the name is only sent as `X-Vigie-Operator` to sign the actions.

import { type Lang, lang, t } from '../i18n';
import { LOGIN_PATTERN, type Session } from '../prefs';
import type { Post } from '../types';
import { h } from './dom';

export function renderLogin(
  root: HTMLElement,
  posts: Post[] | null,
  loadError: string | null,
  previous: Session | null,
  onLang: (lang: Lang) => void,
  onSubmit: (session: Session) => void,
): void {
  const login = h('input', {
    id: 'login-operator',
    name: 'operator',
    type: 'text',
    autocomplete: 'username',
    required: true,
    maxlength: 64,
    pattern: '[A-Za-z0-9._\\-]{1,64}',
    'aria-describedby': 'login-operator-hint',
    value: previous?.login ?? '',
  });
  const post = h(
    'select',
    { id: 'login-post', name: 'post' },
    h('option', { value: '' }, t('login.supervision')),
    (posts ?? []).map((item) => h('option', { value: item.id, selected: previous?.post === item.id }, lang() === 'en' ? item.name_en : item.name_fr)),
  );
  const langSelect = h(
    'select',
    { id: 'login-lang', onchange: (event: Event) => onLang((event.target as HTMLSelectElement).value as Lang) },
    h('option', { value: 'fr', selected: lang() === 'fr', lang: 'fr' }, 'Français'),
    h('option', { value: 'en', selected: lang() === 'en', lang: 'en' }, 'English'),
  );
  const error = h('p', { class: 'form-error', role: 'alert', id: 'login-error', hidden: !loadError }, loadError ? t('login.loadError', { message: loadError }) : '');
  const form = h(
    'form',
    {
      class: 'login-form',
      'aria-labelledby': 'login-title',
      novalidate: true,
      onsubmit: (event: Event) => {
        event.preventDefault();
        const name = login.value.trim();
        if (!LOGIN_PATTERN.test(name)) {
          error.hidden = false;
          error.textContent = t('login.invalid');
          login.setAttribute('aria-invalid', 'true');
          login.focus();
          return;
        }
        onSubmit({ login: name, post: post.value || null });
      },
    },
    h('h1', { id: 'login-title' }, h('span', { class: 'brand' }, t('app.name')), ' — ', t('login.title')),
    h('p', { class: 'muted' }, t('app.tagline')),
    h(
      'div',
      { class: 'dev-banner', role: 'note', 'data-testid': 'dev-login' },
      h('strong', null, `${t('login.dev')} / ${t('login.dev', undefined, lang() === 'fr' ? 'en' : 'fr')}`),
      h('p', null, t('login.devNote')),
    ),
    h('div', { class: 'field' }, h('label', { for: 'login-operator' }, t('login.operator')), login, h('small', { id: 'login-operator-hint', class: 'muted' }, t('login.operatorHint'))),
    h('div', { class: 'field' }, h('label', { for: 'login-post' }, t('login.post')), post),
    h('div', { class: 'field' }, h('label', { for: 'login-lang' }, t('login.language')), langSelect),
    error,
    h('button', { type: 'submit', class: 'btn btn-primary btn-wide' }, t('login.submit')),
  );
  root.replaceChildren(h('main', { class: 'login', id: 'main' }, form));
  login.focus();
}
