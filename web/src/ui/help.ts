// The keyboard shortcuts, as a dialog.

import { type Key, t } from '../i18n';
import { h } from './dom';

export const SHORTCUTS: [string, Key][] = [
  ['J', 'help.next'],
  ['K', 'help.prev'],
  ['A', 'help.ack'],
  ['F', 'help.focusMap'],
  ['S', 'help.sup'],
  ['M', 'help.mute'],
  ['T', 'help.theme'],
  ['L', 'help.lang'],
  ['?', 'help.help'],
  ['help.escKey', 'help.esc'],
];

export function showHelp(): HTMLDialogElement {
  const existing = document.querySelector<HTMLDialogElement>('dialog.help');
  if (existing) {
    existing.close();
    existing.remove();
  }
  const dialog = h(
    'dialog',
    { class: 'dialog help', 'aria-labelledby': 'help-title' },
    h('h2', { id: 'help-title' }, t('help.title')),
    h('table', { class: 'shortcuts' }, h('tbody', null, SHORTCUTS.map(([key, label]) => h('tr', null, h('th', { scope: 'row' }, h('kbd', null, key.startsWith('help.') ? t(key as Key) : key)), h('td', null, t(label)))))),
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-primary', onclick: () => dialog.close() }, t('help.close'))),
  );
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
