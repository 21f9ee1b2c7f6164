// Supervision: the alarm rate of each command post against the flood threshold (ISA-18.2 /
// EEMUA 191), unacknowledged incidents and time to acknowledge per post, standing and shelved
// alarms, the most chattering alarms. Supervisors shelve and unshelve alarms from here; other
// roles see no such buttons.

import type { Ctx } from '../ctx';
import { formatDateTime, formatSeconds, formatTime, priorityShort } from '../format';
import { t } from '../i18n';
import { priorityRank } from '../store/incidents';
import type { Kpis } from '../types';
import { barGeometry, svg } from './chart';
import { h, replaceChildren } from './dom';
import { askShelve, toast } from './modal';

export class SupervisionView {
  readonly element: HTMLElement;
  kpis: Kpis | null = null;
  error: string | null = null;

  constructor(
    private readonly ctx: Ctx,
    private readonly refresh: () => void,
  ) {
    this.element = h('section', { class: 'supervision', 'aria-labelledby': 'sup-title' });
  }

  render(): void {
    const ctx = this.ctx;
    const kpis = this.kpis;
    const standing = [...ctx.state.standing.entries()]
      .map(([key, entry]) => ({ key, ...entry, shelved: ctx.state.shelved.has(key) }))
      .sort((a, b) => priorityRank(a.alarm.priority) - priorityRank(b.alarm.priority) || a.alarm.raised_at - b.alarm.raised_at);
    const shelved = [...ctx.state.shelved.values()];
    replaceChildren(
      this.element,
      h(
        'div',
        { class: 'panel-title-row' },
        h('h2', { id: 'sup-title', class: 'panel-title' }, t('sup.title')),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.refresh() }, t('sup.refresh')),
      ),
      this.error ? h('p', { class: 'form-error', role: 'alert' }, this.error) : null,
      kpis ? this.rateChart(kpis) : h('p', { class: 'muted' }, t('detail.loading')),
      kpis ? this.postTable(kpis) : null,
      kpis ? h('p', { class: 'muted' }, t('sup.totals', { raised: kpis.raised_total, cleared: kpis.cleared_total })) : null,
      h('h3', null, `${t('sup.standing')} (${standing.length})`),
      standing.length
        ? h(
            'ul',
            { class: 'alarm-list', 'data-testid': 'standing-alarms' },
            standing.slice(0, 200).map((entry) =>
              h(
                'li',
                null,
                h('span', { class: `badge badge-${entry.alarm.priority}` }, priorityShort(entry.alarm.priority)),
                ' ',
                h('span', { class: 'alarm-rule' }, entry.rule),
                ' · ',
                entry.subject,
                ' · ',
                ctx.postName(entry.alarm.post),
                ' · ',
                formatTime(entry.alarm.raised_at),
                entry.shelved ? h('span', { class: 'tag' }, ` ${t('sup.shelvedFlag')}`) : null,
                entry.alarm.incident !== null
                  ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => ctx.openIncident(entry.alarm.incident as number, { focusMap: true }) }, t('map.open'))
                  : null,
                ctx.caps.shelve && !entry.shelved
                  ? h(
                      'button',
                      { type: 'button', class: 'btn btn-small', 'data-action': 'shelve', 'data-focus': `shelve-${entry.key}`, onclick: () => void this.shelve(entry.rule, entry.subject) },
                      t('sup.shelve'),
                    )
                  : null,
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('sup.noneStanding')),
      h('h3', null, `${t('sup.shelved')} (${shelved.length})`),
      shelved.length
        ? h(
            'ul',
            { class: 'alarm-list' },
            shelved.map((entry) =>
              h(
                'li',
                null,
                h('span', { class: 'alarm-rule' }, entry.rule),
                ' · ',
                entry.subject,
                ' — ',
                t('sup.shelfUntil', { until: formatDateTime(entry.shelf.until), by: entry.shelf.by, reason: entry.shelf.reason }),
                ctx.caps.shelve
                  ? h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'unshelve', onclick: () => void this.unshelve(entry.rule, entry.subject) }, t('sup.unshelve'))
                  : null,
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('sup.noneShelved')),
      kpis && kpis.top_chattering.length
        ? [
            h('h3', null, t('sup.chattering')),
            h('ul', { class: 'alarm-list' }, kpis.top_chattering.map((entry) => h('li', null, `${entry.rule} · ${entry.subject} · ${entry.raises_last_10_min}`))),
          ]
        : null,
    );
  }

  private async shelve(rule: string, subject: string): Promise<void> {
    const answer = await askShelve(t('sup.shelveTitle', { rule, subject }));
    if (!answer) return;
    try {
      await this.ctx.api.shelve(rule, subject, answer.minutes, answer.reason);
      toast(t('toast.done'));
    } catch (error) {
      this.ctx.refused(error);
    }
  }

  private async unshelve(rule: string, subject: string): Promise<void> {
    try {
      await this.ctx.api.unshelve(rule, subject);
      toast(t('toast.done'));
    } catch (error) {
      this.ctx.refused(error);
    }
  }

  private rateChart(kpis: Kpis): HTMLElement {
    const ctx = this.ctx;
    const width = 340;
    const rowH = 22;
    const label = 120;
    const values = kpis.posts.map((post) => post.alarms_last_10_min);
    const geometry = barGeometry(values, kpis.flood_threshold, width - label - 36);
    const height = kpis.posts.length * rowH + 18;
    const thresholdX = label + (kpis.flood_threshold / geometry.max) * (width - label - 36);
    const chart = svg(
      'svg',
      {
        viewBox: `0 0 ${width} ${height}`,
        class: 'chart bars',
        role: 'img',
        'aria-label': t('sup.rateChart', { threshold: kpis.flood_threshold }),
        'data-testid': 'rate-chart',
      },
      svg('title', {}, t('sup.rateChart', { threshold: kpis.flood_threshold })),
      ...kpis.posts.map((post, index) => {
        const y = index * rowH + 4;
        const name = ctx.postName(post.post);
        return svg(
          'g',
          { 'data-post': post.post },
          svg('text', { x: label - 6, y: y + 13, 'text-anchor': 'end', class: 'tick' }, name.length > 20 ? `${name.slice(0, 19)}…` : name),
          svg('rect', { x: label, y, width: Math.max(1, geometry.heights[index] ?? 0), height: rowH - 8, class: post.flooded ? 'bar bar-flooded' : 'bar' }),
          svg('text', { x: label + (geometry.heights[index] ?? 0) + 4, y: y + 13, class: 'tick' }, String(post.alarms_last_10_min)),
        );
      }),
      svg('line', { x1: thresholdX, x2: thresholdX, y1: 0, y2: height - 14, class: 'threshold' }),
      svg('text', { x: thresholdX, y: height - 2, 'text-anchor': 'middle', class: 'tick' }, t('sup.threshold', { n: kpis.flood_threshold })),
    );
    return h('figure', { class: 'rate' }, h('figcaption', null, t('sup.rate')), chart);
  }

  private postTable(kpis: Kpis): HTMLElement {
    const ctx = this.ctx;
    return h(
      'table',
      { class: 'kpi-table' },
      h(
        'thead',
        null,
        h('tr', null, h('th', { scope: 'col' }, t('sup.post')), h('th', { scope: 'col' }, t('sup.alarms10')), h('th', { scope: 'col' }, t('sup.unack')), h('th', { scope: 'col' }, t('sup.standingCol')), h('th', { scope: 'col' }, t('sup.tta'))),
      ),
      h(
        'tbody',
        null,
        kpis.posts.map((post) =>
          h(
            'tr',
            { class: post.flooded ? 'flooded' : undefined },
            h('th', { scope: 'row' }, ctx.postName(post.post), post.flooded ? h('span', { class: 'tag tag-danger' }, ` ${t('sup.flooded')}`) : null),
            h('td', null, String(post.alarms_last_10_min)),
            h('td', null, String(post.unacknowledged_incidents)),
            h('td', null, String(post.standing)),
            h('td', null, formatSeconds(post.time_to_acknowledge_s.median)),
          ),
        ),
      ),
    );
  }
}
