// Dialogs (a reason to give, the help) and toasts, accessible: native <dialog> with focus
// kept inside and Escape to cancel; toasts in a polite live region.

import { t } from '../i18n';
import { h } from './dom';

/** Asks for a reason (required). Resolves with the text, or null when cancelled. */
export function askReason(title: string, label: string, initial = ''): Promise<string | null> {
  return new Promise((resolve) => {
    const input = h('textarea', { id: 'reason-input', rows: 3, maxlength: 1000, required: true, class: 'reason-input' });
    input.value = initial;
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true }, t('detail.reasonRequired'));
    let settled = false;
    const finish = (value: string | null) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    const form = h(
      'form',
      {
        method: 'dialog',
        onsubmit: (event: Event) => {
          event.preventDefault();
          const text = input.value.trim();
          if (!text) {
            error.hidden = false;
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
          }
          finish(text);
        },
      },
      h('h2', { id: 'reason-title' }, title),
      h('label', { for: 'reason-input' }, label),
      input,
      error,
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => finish(null) }, t('detail.cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary', 'data-role': 'confirm' }, t('detail.confirm')),
      ),
    );
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'reason-title' }, form);
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(null);
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

/** The shelving durations offered, in minutes (the server takes 1 minute to 7 days). */
export const SHELVE_MINUTES = [15, 60, 240, 480, 1440, 10_080];

function durationLabel(minutes: number): string {
  if (minutes < 60) return t('sup.minutes', { n: minutes });
  if (minutes < 1440) return t('sup.hours', { n: minutes / 60 });
  return t('sup.days', { n: minutes / 1440 });
}

/** Asks for a shelving's duration and reason (required). Resolves with both, or null when cancelled. */
export function askShelve(title: string): Promise<{ minutes: number; reason: string } | null> {
  return new Promise((resolve) => {
    const duration = h(
      'select',
      { id: 'shelve-duration' },
      SHELVE_MINUTES.map((minutes) => h('option', { value: minutes, selected: minutes === 240 }, durationLabel(minutes))),
    );
    const input = h('textarea', { id: 'shelve-reason', rows: 3, maxlength: 1000, required: true, class: 'reason-input' });
    const error = h('p', { class: 'form-error', role: 'alert', hidden: true }, t('detail.reasonRequired'));
    let settled = false;
    const finish = (value: { minutes: number; reason: string } | null) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    const form = h(
      'form',
      {
        method: 'dialog',
        onsubmit: (event: Event) => {
          event.preventDefault();
          const reason = input.value.trim();
          if (!reason) {
            error.hidden = false;
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
          }
          finish({ minutes: Number(duration.value), reason });
        },
      },
      h('h2', { id: 'shelve-title' }, title),
      h('div', { class: 'field' }, h('label', { for: 'shelve-duration' }, t('sup.shelveDuration')), duration),
      h('label', { for: 'shelve-reason' }, t('sup.shelveReason')),
      input,
      error,
      h(
        'div',
        { class: 'dialog-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => finish(null) }, t('detail.cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary', 'data-role': 'confirm' }, t('sup.shelve')),
      ),
    );
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'shelve-title' }, form);
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(null);
    });
    document.body.append(dialog);
    dialog.showModal();
    duration.focus();
  });
}

let toastRegion: HTMLElement | null = null;

export function toast(message: string, kind: 'info' | 'error' | 'alert' = 'info', ms = 5000): void {
  if (!toastRegion) {
    toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastRegion);
  }
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'info' ? undefined : 'alert' }, message);
  toastRegion.append(item);
  setTimeout(() => item.remove(), ms);
}
