// One sensor: last value, state, standing alarms, and an SVG chart of the last 24 hours.

import type { Ctx } from '../ctx';
import { formatDateTime, formatSeconds, formatTime, formatValue, priorityShort } from '../format';
import { type Key, t } from '../i18n';
import { sensorState } from '../map/features';
import type { SensorDetail } from '../types';
import { type ChartBox, seriesGeometry, svg } from './chart';
import { h, replaceChildren } from './dom';

const BOX: ChartBox = { width: 380, height: 170, left: 44, right: 8, top: 10, bottom: 22 };

export class SensorDetailView {
  readonly element: HTMLElement;
  private detail: SensorDetail | null = null;
  private error: string | null = null;

  constructor(
    private readonly ctx: Ctx,
    readonly id: string,
  ) {
    this.element = h('article', { class: 'detail sensor-detail', 'data-sensor-id': id, 'aria-labelledby': 'detail-title' });
    this.render();
    void this.load();
  }

  async load(): Promise<void> {
    try {
      this.detail = await this.ctx.api.sensor(this.id, 24);
      this.error = null;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
    this.render();
  }

  render(): void {
    const ctx = this.ctx;
    const entry = this.detail ?? ctx.sensors.get(this.id);
    const close = h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': t('detail.close'), title: t('detail.close'), onclick: () => ctx.closeDetail() }, '✕');
    if (!entry) {
      replaceChildren(this.element, h('div', { class: 'detail-title-row' }, h('h2', { id: 'detail-title' }, this.id), close), h('p', { class: 'muted' }, this.error ?? t('detail.loading')));
      return;
    }
    const sensor = entry.sensor;
    const state = sensorState(entry, ctx.state.alarmedSubjects());
    const alarms = ctx.state.alarmsOf(sensor.id);
    const kindKey = `kind.${sensor.kind}` as Key;
    const facts: [string, string | HTMLElement][] = [
      [t('sensor.kind'), t(kindKey) === kindKey ? sensor.kind : t(kindKey)],
      [t('sensor.state'), h('span', { class: `health health-${state}`, 'data-testid': 'sensor-state' }, t(`health.${state}` as Key))],
      [t('sensor.last'), entry.last ? formatValue(entry.last.value, entry.last.unit) : t('sensor.none')],
    ];
    if (entry.last) facts.push([t('sensor.observedAt'), formatDateTime(entry.last.observed_at)]);
    facts.push([t('detail.commune'), ctx.communeName(sensor.commune)]);
    if (sensor.zone) facts.push([t('detail.zone'), ctx.zoneName(sensor.zone)]);
    facts.push([t('sensor.criticality'), `${sensor.criticality} / 5`], [t('sensor.period'), formatSeconds(sensor.expected_period_s)]);
    replaceChildren(
      this.element,
      h('div', { class: 'detail-title-row' }, h('h2', { id: 'detail-title', tabindex: -1 }, sensor.name ?? sensor.id), close),
      h('p', { class: 'muted ref' }, sensor.id),
      h('dl', { class: 'facts' }, facts.map(([label, value]) => [h('dt', null, label), h('dd', null, value)])),
      alarms.length
        ? h(
            'section',
            { class: 'detail-section' },
            h('h3', null, t('sensor.alarms')),
            h(
              'ul',
              null,
              alarms.map((alarm) =>
                h(
                  'li',
                  null,
                  h('span', { class: `badge badge-${alarm.alarm.priority}` }, priorityShort(alarm.alarm.priority)),
                  ` ${alarm.rule} · ${formatTime(alarm.alarm.raised_at)} `,
                  alarm.alarm.incident !== null
                    ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => ctx.openIncident(alarm.alarm.incident as number, { focusMap: true }) }, t('map.open'))
                    : null,
                ),
              ),
            ),
          )
        : null,
      h('section', { class: 'detail-section' }, h('h3', { id: 'chart-title' }, t('sensor.chart')), this.chart()),
    );
  }

  private chart(): HTMLElement | SVGElement {
    if (!this.detail) return h('p', { class: 'muted' }, this.error ?? t('detail.loading'));
    const to = this.ctx.now();
    const from = to - 24 * 3_600_000;
    const geometry = seriesGeometry(this.detail.series, from, to, BOX);
    if (geometry.points === 0) return h('p', { class: 'muted', 'data-testid': 'chart-empty' }, t('sensor.noData'));
    const unit = this.detail.sensor.unit;
    const innerBottom = BOX.height - BOX.bottom;
    const label = `${t('sensor.chart')} : ${formatValue(geometry.yMin, unit)} – ${formatValue(geometry.yMax, unit)}`;
    return svg(
      'svg',
      { viewBox: `0 0 ${BOX.width} ${BOX.height}`, class: 'chart', role: 'img', 'aria-label': label, 'data-points': geometry.points },
      svg('title', {}, label),
      svg('line', { x1: BOX.left, x2: BOX.width - BOX.right, y1: innerBottom, y2: innerBottom, class: 'axis' }),
      svg('line', { x1: BOX.left, x2: BOX.left, y1: BOX.top, y2: innerBottom, class: 'axis' }),
      svg('text', { x: BOX.left - 4, y: BOX.top + 8, 'text-anchor': 'end', class: 'tick' }, formatValue(geometry.yMax, '')),
      svg('text', { x: BOX.left - 4, y: innerBottom, 'text-anchor': 'end', class: 'tick' }, formatValue(geometry.yMin, '')),
      ...geometry.ticks.map((tick) =>
        svg('g', {}, svg('line', { x1: tick.x, x2: tick.x, y1: innerBottom, y2: innerBottom + 4, class: 'axis' }), svg('text', { x: tick.x, y: BOX.height - 4, 'text-anchor': 'middle', class: 'tick' }, formatTime(tick.at).slice(0, 5))),
      ),
      svg('path', { d: geometry.band, class: 'band' }),
      svg('path', { d: geometry.mean, class: 'mean' }),
    );
  }
}
