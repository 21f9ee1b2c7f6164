// The incident queue of the account's command posts (every post for a whole-city scope; the
// server only sends incidents in scope): unacknowledged first, then priority, then age, with a
// live timer since each incident was raised.

import type { Ctx } from '../ctx';
import { formatDuration, incidentRef, priorityLabel, priorityShort } from '../format';
import { type Key, lang, t } from '../i18n';
import { type QueueFilter, STATUSES, buildQueue, countQueue } from '../store/incidents';
import type { Incident, IncidentStatus } from '../types';
import { h, replaceChildren } from './dom';

/** The most rows drawn at once; the counts always cover the whole queue. */
export const MAX_ROWS = 500;
/** Only the first rows' "new" dots blink: hundreds of running animations cost every frame. */
export const MAX_BLINKING = 12;

interface Row {
  li: HTMLLIElement;
  button: HTMLButtonElement;
  timer: HTMLElement;
  incident: Incident;
  lang: string;
  selected: boolean;
  blink: boolean;
}

export class QueueView {
  readonly element: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly countsEl: HTMLElement;
  private readonly filtersEl: HTMLElement;
  private readonly titleEl: HTMLElement;
  private readonly emptyEl: HTMLElement;
  private readonly moreEl: HTMLElement;
  private readonly rows = new Map<number, Row>();
  /** Rows on screen: only their timers tick. */
  private readonly visible = new Set<number>();
  private readonly observer: IntersectionObserver | null =
    typeof IntersectionObserver === 'undefined'
      ? null
      : new IntersectionObserver((entries) => {
          for (const entry of entries) {
            const id = Number((entry.target as HTMLElement).dataset.rowId);
            if (entry.isIntersecting) this.visible.add(id);
            else this.visible.delete(id);
          }
          this.tick();
        });
  /** The ids of the queue, in order (all of them, not only the drawn rows). */
  order: number[] = [];
  selected: number | null = null;
  filter: QueueFilter;

  constructor(
    private readonly ctx: Ctx,
    private readonly onFilterChange: (filter: QueueFilter) => void,
  ) {
    this.filter = { post: ctx.homePost, commune: null, category: null, status: 'active' };
    this.titleEl = h('h2', { id: 'queue-title', class: 'panel-title' });
    this.countsEl = h('p', { class: 'queue-counts', 'aria-live': 'polite', 'data-testid': 'queue-counts' });
    this.filtersEl = h('div', { class: 'filters', role: 'group', 'aria-label': t('queue.filters') });
    this.list = h('ol', { class: 'queue-list', 'aria-labelledby': 'queue-title', id: 'queue-list' });
    this.emptyEl = h('p', { class: 'empty', hidden: true });
    this.moreEl = h('p', { class: 'more', hidden: true });
    this.element = h('section', { class: 'queue', 'aria-labelledby': 'queue-title' }, this.titleEl, this.filtersEl, this.countsEl, this.list, this.emptyEl, this.moreEl);
    this.renderFilters();
  }

  private select<T extends string>(id: string, label: string, value: T | null, options: [T | '', string][], onChange: (value: T | null) => void): HTMLElement {
    const select = h(
      'select',
      { id, onchange: (event: Event) => onChange(((event.target as HTMLSelectElement).value || null) as T | null) },
      options.map(([optionValue, text]) => h('option', { value: optionValue, selected: (value ?? '') === optionValue }, text)),
    );
    return h('div', { class: 'field' }, h('label', { for: id }, label), select);
  }

  renderFilters(): void {
    const ctx = this.ctx;
    const communes = [...ctx.communes.entries()].sort((a, b) => a[1].localeCompare(b[1], lang()));
    const categories = [...ctx.categories.keys()].map((id) => [id, ctx.categoryLabel(id)] as [string, string]).sort((a, b) => a[1].localeCompare(b[1], lang()));
    const statusOptions: [string, string][] = [
      ['active', t('queue.active')],
      ...STATUSES.map((status) => [status, t(`status.${status}` as Key)] as [string, string]),
      ['all', t('queue.allStatuses')],
    ];
    const fields: HTMLElement[] = [];
    if (ctx.homePost === null) {
      const posts = ctx.scopePosts().map((id) => [id, ctx.postName(id)] as [string, string]);
      fields.push(
        this.select('filter-post', t('header.post'), this.filter.post, [['', t('queue.any')], ...posts], (value) => this.change({ post: value })),
      );
    }
    fields.push(
      this.select('filter-commune', t('queue.commune'), this.filter.commune, [['', t('queue.any')], ...communes], (value) => this.change({ commune: value })),
      this.select('filter-category', t('queue.category'), this.filter.category, [['', t('queue.any')], ...categories], (value) => this.change({ category: value })),
      this.select('filter-status', t('queue.status'), this.filter.status, statusOptions as [string, string][], (value) =>
        this.change({ status: (value ?? 'active') as QueueFilter['status'] }),
      ),
    );
    replaceChildren(this.filtersEl, fields);
    this.filtersEl.setAttribute('aria-label', t('queue.filters'));
  }

  private change(patch: Partial<QueueFilter>): void {
    this.filter = { ...this.filter, ...patch };
    this.onFilterChange(this.filter);
    this.render();
  }

  /** The incidents shown now, in queue order. */
  queue(): Incident[] {
    return buildQueue(this.ctx.state.incidents.values(), this.filter);
  }

  render(): void {
    const ctx = this.ctx;
    const scope = ctx.me.scope.posts;
    const postNames = scope === 'all' ? null : scope.only.map((id) => ctx.postName(id)).join(', ');
    this.titleEl.textContent = postNames ? `${t('queue.title')} — ${postNames}` : t('queue.titleAll');
    const queue = this.queue();
    this.order = queue.map((incident) => incident.id);
    const counts = countQueue(queue);
    replaceChildren(
      this.countsEl,
      h('span', null, t('queue.counts', { total: counts.total, unack: counts.unacknowledged, escalated: counts.escalated })),
      h(
        'span',
        { class: 'prio-counts' },
        (['p1', 'p2', 'p3', 'p4'] as const).map((priority) =>
          h('span', { class: `badge badge-${priority}`, title: priorityLabel(priority), 'data-count': counts.byPriority[priority] }, `${priorityShort(priority)} ${counts.byPriority[priority]}`),
        ),
      ),
    );
    const shown = queue.slice(0, MAX_ROWS);
    const keep = new Set(shown.map((incident) => incident.id));
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        this.observer?.unobserve(row.li);
        this.visible.delete(id);
        row.li.remove();
        this.rows.delete(id);
      }
    }
    const currentLang = lang();
    let previous: Element | null = null;
    shown.forEach((incident, index) => {
      let row = this.rows.get(incident.id);
      const selected = incident.id === this.selected;
      const blink = index < MAX_BLINKING;
      if (!row) {
        row = this.buildRow(incident, selected, blink);
        this.rows.set(incident.id, row);
        this.observer?.observe(row.li);
      } else if (row.incident !== incident || row.lang !== currentLang || row.selected !== selected || row.blink !== blink) {
        const rebuilt = this.buildRow(incident, selected, blink);
        const hadFocus = document.activeElement === row.button;
        this.observer?.unobserve(row.li);
        row.li.replaceWith(rebuilt.li);
        this.observer?.observe(rebuilt.li);
        row = rebuilt;
        this.rows.set(incident.id, row);
        if (hadFocus) row.button.focus();
      }
      // Keep DOM order equal to queue order, moving only what is out of place.
      const expected: Element | null = previous ? previous.nextElementSibling : this.list.firstElementChild;
      if (expected !== row.li) {
        if (previous) previous.after(row.li);
        else this.list.prepend(row.li);
      }
      previous = row.li;
    });
    this.emptyEl.hidden = queue.length > 0;
    this.emptyEl.textContent = t('queue.empty');
    this.moreEl.hidden = queue.length <= MAX_ROWS;
    this.moreEl.textContent = t('queue.more', { n: queue.length - MAX_ROWS });
    this.tick();
  }

  private buildRow(incident: Incident, selected: boolean, blink: boolean): Row {
    const ctx = this.ctx;
    const since = ctx.now() - incident.created_at;
    const timer = h('span', { class: 'row-timer', 'data-since': incident.created_at }, formatDuration(since));
    const meta: (string | HTMLElement)[] = [ctx.categoryLabel(incident.category)];
    if (incident.commune) meta.push(ctx.communeName(incident.commune));
    if (ctx.homePost === null) meta.push(ctx.postName(incident.post));
    const status = h('span', { class: `status status-${incident.status}` }, t(`status.${incident.status as IncidentStatus}` as Key));
    const button = h(
      'button',
      {
        type: 'button',
        class: `row prio-${incident.priority}${incident.status === 'open' ? ' unack' : ''}${selected ? ' selected' : ''}`,
        'data-incident-id': incident.id,
        'data-focus': `row-${incident.id}`,
        'aria-current': selected ? 'true' : undefined,
        onclick: () => ctx.openIncident(incident.id, { focusMap: true }),
      },
      h('span', { class: `badge badge-${incident.priority}`, title: priorityLabel(incident.priority) }, priorityShort(incident.priority)),
      h(
        'span',
        { class: 'row-main' },
        h('span', { class: 'row-title' }, incident.title),
        h(
          'span',
          { class: 'row-meta' },
          h('span', { class: 'ref' }, incidentRef(incident.id)),
          ' · ',
          meta.join(' · '),
          ' · ',
          status,
          incident.escalation_level > 0 ? h('span', { class: 'escalation' }, ` · ${t('queue.escalation', { level: incident.escalation_level })}`) : null,
        ),
      ),
      h('span', { class: 'row-side' }, incident.status === 'open' ? h('span', { class: blink ? 'new-dot blink' : 'new-dot' }, t('queue.new')) : null, timer),
    );
    const li = h('li', { class: 'queue-item', 'data-row-id': incident.id }, button);
    return { li, button, timer, incident, lang: lang(), selected, blink };
  }

  /** Updates the timers of the rows on screen (every second). */
  tick(): void {
    const now = this.ctx.now();
    const rows = this.observer ? [...this.visible].map((id) => this.rows.get(id)).filter((row): row is Row => row !== undefined) : this.rows.values();
    for (const row of rows) {
      const text = formatDuration(now - row.incident.created_at);
      if (row.timer.textContent !== text) {
        row.timer.textContent = text;
        row.timer.setAttribute('aria-label', t('queue.raisedFor', { duration: text }));
      }
    }
  }

  /** Moves the selection by `delta` in the queue (J/K); returns the new selection. */
  move(delta: number): number | null {
    if (this.order.length === 0) return null;
    const index = this.selected === null ? -1 : this.order.indexOf(this.selected);
    let next = index < 0 ? (delta > 0 ? 0 : this.order.length - 1) : index + delta;
    next = Math.max(0, Math.min(this.order.length - 1, next));
    return this.order[next] ?? null;
  }

  setSelected(id: number | null): void {
    this.selected = id;
    this.render();
    if (id !== null) this.rows.get(id)?.button.scrollIntoView({ block: 'nearest' });
  }

  focusRow(id: number): void {
    this.rows.get(id)?.button.focus();
  }
}
