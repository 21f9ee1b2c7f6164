// The console once an account is signed in: loads the snapshot its role may read, follows the
// live stream (or reads the queue again every 30 s for roles without it), and keeps the map,
// the queue, the detail and the supervision views in step with the state. Actions the role
// lacks are not offered; refusals of the server still show as messages.

import { Alerter } from './alert';
import { type Api, ApiError } from './api';
import { type Me, errorNotice } from './auth';
import type { Ctx } from './ctx';
import { formatDateTime, formatDuration, formatTime, formatValue, incidentRef, priorityLabel, priorityShort } from './format';
import { type Key, type Lang, lang, onLangChange, pick, setLang, t } from './i18n';
import { cityLayer, incidentFeatures, sensorFeatures, sensorState, unitFeatures } from './map/features';
import type { CityMap } from './map/map';
import { loadMuted, saveLang, saveMuted, saveTheme } from './prefs';
import { type Capabilities, capabilities, homePost, inScope, scopePosts } from './roles';
import { ACTIVE_STATUSES, type QueueFilter, buildQueue } from './store/incidents';
import { type Applied, ConsoleState } from './store/state';
import { LiveStream, type StreamStatus } from './stream';
import { type ThemeName, applyTheme } from './theme';
import type { Camera, Category, Command, FeatureCollection, Incident, Kpis, Post, SensorEntry, VigieEvent } from './types';
import { IncidentDetailView } from './ui/detail';
import { noticeText } from './ui/login';
import { h, replaceChildren } from './ui/dom';
import { icon } from './ui/icons';
import { showHelp } from './ui/help';
import { toast } from './ui/modal';
import { QueueView } from './ui/queue';
import { SensorDetailView } from './ui/sensor';
import { SupervisionView } from './ui/supervision';

type Tab = 'queue' | 'supervision';

export interface Timings {
  /** ms since navigation start when the snapshot was in the state. */
  data?: number;
  /** ... when the queue was first drawn with it. */
  queue?: number;
  /** ... when the map first went idle with every layer's data. */
  map?: number;
}

/** How often the queue is read again when the role does not follow the live stream. */
const POLL_MS = 30_000;

export class ConsoleApp {
  readonly caps: Capabilities;
  readonly state = new ConsoleState();
  readonly alerter = new Alerter(loadMuted());
  readonly timings: Timings = {};
  readonly ctx: Ctx;
  map: CityMap | null = null;
  private readonly posts = new Map<string, Post>();
  private readonly categories = new Map<string, Category>();
  private readonly communes = new Map<string, string>();
  private readonly zones = new Map<string, string>();
  private readonly cameras = new Map<string, Camera>();
  private readonly sensors = new Map<string, SensorEntry>();
  private city: FeatureCollection | null = null;
  private queue!: QueueView;
  private supervision!: SupervisionView;
  private detail: IncidentDetailView | SensorDetailView | null = null;
  private stream: LiveStream | null = null;
  private clockOffset = 0;
  private tab: Tab = 'queue';
  private dirty = { queue: false, map: false, sensors: false, units: false, detail: false, supervision: false };
  private frame = 0;
  private kpiTimer: ReturnType<typeof setTimeout> | null = null;
  private sensorsTimer: ReturnType<typeof setTimeout> | null = null;
  private unsubscribeLang: (() => void) | null = null;
  private stopped = false;
  private readonly refetching = new Set<number>();
  private timers: ReturnType<typeof setInterval>[] = [];
  private els!: {
    header: HTMLElement;
    live: HTMLElement;
    clock: HTMLElement;
    tabs: HTMLElement;
    queuePanel: HTMLElement;
    supPanel: HTMLElement;
    mapEl: HTMLElement;
    mapTools: HTMLElement;
    detailPane: HTMLElement;
  };

  constructor(
    private readonly root: HTMLElement,
    readonly api: Api,
    readonly me: Me,
    private theme: ThemeName,
    private readonly onLogout: () => void,
  ) {
    this.caps = capabilities(me.role);
    const app = this;
    this.ctx = {
      api: this.api,
      state: this.state,
      me,
      caps: this.caps,
      homePost: homePost(me),
      posts: this.posts,
      categories: this.categories,
      communes: this.communes,
      zones: this.zones,
      cameras: this.cameras,
      sensors: this.sensors,
      now: () => Date.now() + app.clockOffset,
      scopePosts: () => scopePosts(me.scope, [...app.posts.keys()]),
      command: (id, command) => app.command(id, command),
      refused: (error) => app.refused(error),
      openIncident: (id, options) => app.openIncident(id, options),
      openSensor: (id) => app.openSensor(id),
      closeDetail: () => app.closeDetail(),
      focusMap: (position) => app.map?.focusOn(position),
      postName: (id) => {
        const post = app.posts.get(id);
        return post ? (lang() === 'en' ? post.name_en : post.name_fr) : id;
      },
      communeName: (id) => (id ? (app.communes.get(id) ?? id) : '—'),
      zoneName: (id) => (id ? (app.zones.get(id) ?? id) : '—'),
      categoryLabel: (id) => {
        const category = app.categories.get(id);
        return category ? pick(category as unknown as Record<string, unknown>, 'label') : id;
      },
      cameraName: (id) => app.cameras.get(id)?.name ?? id,
      unitName: (id) => app.state.units.get(id)?.unit.name ?? id,
    };
  }

  /** Draws the console and loads everything; resolves once the snapshot is in and live. */
  async start(): Promise<void> {
    this.renderShell();
    this.unsubscribeLang = onLangChange(() => this.onLang());
    // The city (the largest answer) and the snapshot load side by side.
    const [posts, categories, city] = await Promise.all([this.api.posts(), this.api.categories(), this.api.city(), this.loadSnapshot()]);
    for (const post of posts.posts) this.posts.set(post.id, post);
    for (const category of categories.categories) this.categories.set(category.category, category);
    this.city = city;
    for (const feature of city.features) {
      const props = feature.properties;
      if (props.layer === 'commune') this.communes.set(String(props.id), String(props.name ?? props.id));
      else if (props.layer === 'zone') this.zones.set(String(props.id), String(props.name ?? props.id));
      else if (props.layer === 'camera') {
        const [lon, lat] = feature.geometry.coordinates as [number, number];
        this.cameras.set(String(props.id), { ...(props as unknown as Camera), lon, lat });
      }
    }
    this.renderHeader();
    this.queue.renderFilters();
    this.timings.data = performance.now();
    if (this.caps.live) {
      this.stream = new LiveStream({
        lastSeq: () => this.state.lastSeq,
        onEvent: (event) => this.onEvent(event),
        onStatus: (status) => this.setLive(status),
        // The browser gave up on the stream: a session that ended shows the login screen.
        onGiveUp: () => void this.checkSession(),
      });
      this.stream.start();
    } else {
      this.setLive('off');
      if (this.caps.incidents) this.timers.push(setInterval(() => void this.pollIncidents(), POLL_MS));
    }
    this.mark('queue', 'map', 'units', 'supervision');
    this.flush();
    this.timings.queue = performance.now();
    void this.startMap();
    void this.loadSensors();
    void this.loadKpis();
    this.timers.push(setInterval(() => this.tick(), 1000));
    if (this.caps.sensors) this.timers.push(setInterval(() => void this.loadSensors(), 60_000));
    if (this.caps.supervision) this.timers.push(setInterval(() => void this.loadKpis(), 30_000));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribeLang?.();
    this.stream?.stop();
    for (const timer of this.timers) clearInterval(timer);
    if (this.kpiTimer) clearTimeout(this.kpiTimer);
    if (this.sensorsTimer) clearTimeout(this.sensorsTimer);
    if (this.frame) cancelAnimationFrame(this.frame);
    this.map?.map.remove();
  }

  /** Reads what the role may read: active incidents, units, alarms; between two readings of the log's head. */
  private async loadSnapshot(): Promise<void> {
    const before = await this.api.health();
    const empty = { incidents: [] as Incident[] };
    const [incidents, units, alarms] = await Promise.all([
      this.caps.incidents ? this.api.incidents({ status: ACTIVE_STATUSES.join(','), limit: 5000 }) : Promise.resolve(empty),
      this.api.units(),
      this.caps.supervision ? this.api.alarms() : Promise.resolve({ standing: [], shelved: [] }),
    ]);
    const after = await this.api.health();
    // Drawn by `start` once the city's names are in too.
    this.state.loadSnapshot({ incidents: incidents.incidents, units: units.units, alarms }, before.last_seq, after.last_seq);
  }

  /** Asks the server whether the session still stands; goes back to the login screen when it does not. */
  private async checkSession(): Promise<void> {
    try {
      await this.api.me();
    } catch (error) {
      if (!this.stopped && error instanceof ApiError && error.status === 401) this.api.onUnauthenticated?.(error);
    }
  }

  /** Without the live stream: reads the active incidents again. */
  private async pollIncidents(): Promise<void> {
    try {
      const { incidents } = await this.api.incidents({ status: ACTIVE_STATUSES.join(','), limit: 5000 });
      for (const incident of incidents) this.state.upsertIncident(incident);
      this.mark('queue', 'map', 'detail');
    } catch {
      // The next reading tries again; an ended session shows the login screen.
    }
  }

  private async loadSensors(): Promise<void> {
    if (!this.caps.sensors) return;
    try {
      const { sensors } = await this.api.sensors();
      this.sensors.clear();
      for (const entry of sensors) this.sensors.set(entry.sensor.id, entry);
      this.mark('sensors');
    } catch {
      // Kept as they were; the next refresh tries again.
    }
  }

  private async loadKpis(): Promise<void> {
    if (!this.caps.supervision || this.stopped) return;
    if (this.kpiTimer) {
      clearTimeout(this.kpiTimer);
      this.kpiTimer = null;
    }
    try {
      const sent = Date.now();
      const kpis: Kpis = await this.api.kpis();
      const received = Date.now();
      this.clockOffset = kpis.at - (sent + received) / 2;
      this.supervision.kpis = kpis;
      this.supervision.error = null;
    } catch (error) {
      this.supervision.error = error instanceof Error ? error.message : String(error);
    }
    this.mark('supervision');
  }

  /**
   * Sensor colours follow alarms, but the sensors' layer can hold tens of thousands of points:
   * redraw it at most twice a second.
   */
  private markSensorsSoon(): void {
    if (this.sensorsTimer) return;
    this.sensorsTimer = setTimeout(() => {
      this.sensorsTimer = null;
      this.mark('sensors');
    }, 500);
  }

  /** Alarm events change the rates: re-read the KPIs, at most every 3 seconds. */
  private scheduleKpis(): void {
    if (this.kpiTimer) return;
    this.kpiTimer = setTimeout(() => {
      this.kpiTimer = null;
      void this.loadKpis();
    }, 3000);
  }

  private async startMap(): Promise<void> {
    try {
      const { CityMap } = await import('./map/map');
      this.map = new CityMap(this.els.mapEl, this.theme, {
        onIncident: (id) => this.openIncident(id),
        popup: (kind, id) => this.popup(kind, id),
      });
      this.map.map.on('error', (event) => console.warn('map error', event.error?.message ?? event));
      if (this.city) this.map.setCity(this.city);
      this.mark('map', 'sensors', 'units');
      this.flush();
      await this.map.ready;
      await this.map.settled(['city', 'incidents', 'units']);
      this.timings.map = performance.now();
    } catch (error) {
      console.warn('map unavailable', error);
      this.map = null;
      replaceChildren(this.els.mapEl, h('p', { class: 'map-unavailable', role: 'note' }, t('map.unavailable')));
    }
  }

  // ----- the live stream -----

  private onEvent(event: VigieEvent): void {
    const applied = this.state.apply(event);
    this.react(applied, event);
  }

  private react(applied: Applied, event: VigieEvent): void {
    switch (applied.kind) {
      case 'incident': {
        if (applied.refetch) void this.refetch(applied.id);
        const incident = applied.incident;
        if (incident && this.inScope(incident)) {
          // A P1 still open that is new to this post: created, raised to P1, or assigned here.
          const arrived = applied.created || applied.previous?.priority !== 'p1' || (applied.previous !== undefined && applied.previous.post !== incident.post);
          if (incident.priority === 'p1' && incident.status === 'open' && arrived) {
            const sounded = this.alerter.beep();
            toast(t('toast.newP1', { title: incident.title }), 'alert', sounded ? 8000 : 6000);
          }
        }
        this.mark('queue', 'map');
        if (this.detail instanceof IncidentDetailView && this.detail.id === applied.id) {
          this.detail.onEvent(event);
          this.mark('detail');
        }
        if ('incident' in event.body) {
          const change = event.body.incident.change;
          const freesOrTakesUnits =
            change === 'closed' || (typeof change === 'object' && ('unit_dispatched' in change || 'resolved' in change));
          // Units change availability: the map, and the nearest units of the open detail.
          if (freesOrTakesUnits) this.mark('units', 'detail');
        }
        break;
      }
      case 'alarm':
        if (this.detail instanceof IncidentDetailView && this.detail.id === applied.incident) {
          this.detail.onEvent(event);
          this.mark('detail');
        }
        if (this.detail instanceof SensorDetailView && this.detail.id === applied.subject) this.mark('detail');
        this.mark('supervision');
        this.markSensorsSoon();
        this.scheduleKpis();
        break;
      case 'unit':
        this.mark('units', 'detail');
        break;
      default:
        break;
    }
  }

  private inScope(incident: Incident): boolean {
    return inScope(this.me.scope, incident.post, incident.commune);
  }

  private async refetch(id: number): Promise<void> {
    if (this.refetching.has(id)) return;
    this.refetching.add(id);
    try {
      const detail = await this.api.incident(id);
      this.state.upsertIncident(detail.incident);
      this.mark('queue', 'map', 'detail');
    } catch {
      // Gone or unreachable: the next event about it tries again.
    } finally {
      this.refetching.delete(id);
    }
  }

  private setLive(status: StreamStatus | 'off'): void {
    const live = this.els.live;
    live.dataset.state = status;
    if (status === 'off') {
      // Without the stream: the queue is read every 30 s, or there is no queue at all.
      live.textContent = t(this.caps.incidents ? 'live.off' : 'live.none');
      live.title = t(this.caps.incidents ? 'live.offTitle' : 'live.noneTitle');
      return;
    }
    live.textContent = t(status === 'live' ? 'live.live' : status === 'reconnecting' ? 'live.reconnecting' : 'live.connecting');
    live.title = t('live.lastSeq', { seq: this.state.lastSeq });
  }

  // ----- commands -----

  async command(id: number, command: Command): Promise<boolean> {
    try {
      const result = await this.api.command(id, command);
      this.state.applyCommandResult(result.incident, result.events);
      if (this.detail instanceof IncidentDetailView && this.detail.id === id) {
        for (const event of result.events) this.detail.onEvent(event);
      }
      if (command.type === 'dispatch_unit') this.mark('units');
      this.mark('queue', 'map', 'detail');
      return true;
    } catch (error) {
      this.refused(error);
      return false;
    }
  }

  /** Shows why a request failed: the role, the scope, the network, or the server's own words. */
  refused(error: unknown): void {
    if (!(error instanceof ApiError)) {
      toast(String(error), 'error');
      return;
    }
    // An ended session goes back to the login screen (`Api.onUnauthenticated`): no toast.
    if (error.status === 401 && error.code === 'unauthenticated') return;
    if (error.status === 0) {
      toast(t('toast.network'), 'error', 8000);
      return;
    }
    if (error.status === 403 || error.status === 423 || error.status === 429) {
      toast(noticeText(errorNotice(error)), 'error', 8000);
      return;
    }
    toast(t('toast.error', { code: error.code, message: error.message }), 'error', 8000);
  }

  // ----- rendering -----

  /** Marks parts of the screen to redraw at the next animation frame. */
  private mark(...parts: (keyof ConsoleApp['dirty'])[]): void {
    for (const part of parts) this.dirty[part] = true;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    const dirty = this.dirty;
    this.dirty = { queue: false, map: false, sensors: false, units: false, detail: false, supervision: false };
    if (dirty.queue) this.queue.render();
    if (dirty.detail) this.detail?.render();
    if (dirty.supervision && this.tab === 'supervision') this.supervision.render();
    const map = this.map;
    if (map) {
      if (dirty.map || dirty.queue) {
        map.setIncidents(incidentFeatures(buildQueue(this.state.incidents.values(), this.queue.filter), this.queue.selected));
      }
      if (dirty.sensors) map.setData('sensors', sensorFeatures(this.sensors.values(), this.state.alarmedSubjects()));
      if (dirty.units) map.setData('units', unitFeatures(this.state.units.values()));
    }
  }

  private tick(): void {
    const now = this.ctx.now();
    this.els.clock.textContent = formatTime(now);
    this.els.clock.setAttribute('datetime', new Date(now).toISOString());
    this.queue.tick();
    // Timers inside the detail.
    for (const timer of this.els.detailPane.querySelectorAll<HTMLElement>('.row-timer[data-since]')) {
      const since = Number(timer.dataset.since);
      timer.textContent = formatDuration(now - since);
    }
  }

  private renderShell(): void {
    this.queue = new QueueView(this.ctx, (filter) => this.onFilter(filter));
    this.supervision = new SupervisionView(this.ctx, () => void this.loadKpis());
    const live = h('span', { class: 'live', 'data-state': 'connecting', role: 'status', 'data-testid': 'live' }, t('live.connecting'));
    const clock = h('time', { class: 'clock', 'aria-label': t('header.clock') });
    const header = h('header', { class: 'topbar' });
    const tabs = h('div', { class: 'tabs', role: 'tablist' });
    const queuePanel = h(
      'div',
      { class: 'tab-panel', role: 'tabpanel', id: 'panel-queue', 'aria-labelledby': 'tab-queue' },
      this.caps.incidents ? this.queue.element : h('p', { class: 'access-note', role: 'note', 'data-testid': 'no-incidents' }, t('access.noIncidents', { role: this.roleLabel() })),
    );
    const supPanel = h('div', { class: 'tab-panel', role: 'tabpanel', id: 'panel-supervision', 'aria-labelledby': 'tab-supervision', hidden: true }, this.supervision.element);
    const mapEl = h('div', { id: 'map', class: 'map', role: 'region', 'aria-label': t('map.label') });
    const mapTools = h('div', { class: 'map-tools' });
    const detailPane = h('aside', { class: 'detail-pane', id: 'detail', hidden: true, 'aria-live': 'off' });
    this.els = { header, live, clock, tabs, queuePanel, supPanel, mapEl, mapTools, detailPane };
    this.root.replaceChildren(
      h('a', { class: 'skip-link', href: '#queue-list', id: 'skip-link' }, t('app.skip')),
      header,
      h(
        'main',
        { class: 'layout', id: 'main' },
        h('aside', { class: 'side', 'aria-label': t('tabs.queue') }, tabs, queuePanel, supPanel),
        h('section', { class: 'map-wrap', 'aria-label': t('map.label') }, mapEl, mapTools),
        detailPane,
      ),
    );
    this.renderHeader();
    this.renderTabs();
    this.renderMapTools();
    this.tick();
  }

  /** The role's name in the current language. */
  private roleLabel(): string {
    const key = `role.${this.me.role}` as Key;
    const label = t(key);
    return label === key ? this.me.role : label;
  }

  /** The command posts of the account's scope, by name, or "all posts". */
  private postsLabel(): string {
    if (this.me.scope.posts === 'all') return t('header.allPosts');
    return this.me.scope.posts.only.map((id) => this.ctx.postName(id)).join(', ') || '—';
  }

  /** The communes of a scope restricted to some, by name; null for all communes. */
  private communesLabel(): string | null {
    const communes = this.me.scope.communes;
    if (communes === 'all') return null;
    return communes.only.map((id) => this.ctx.communeName(id)).join(', ') || '—';
  }

  private renderHeader(): void {
    const me = this.me;
    const communes = this.communesLabel();
    const muted = this.alerter.muted;
    const single = this.me.scope.posts !== 'all' && this.me.scope.posts.only.length === 1;
    replaceChildren(
      this.els.header,
      h('span', { class: 'brand', 'aria-label': t('app.tagline') }, t('app.name')),
      h(
        'span',
        { class: 'who' },
        h('span', { class: 'muted' }, `${t('header.user')} `),
        h('strong', { 'data-testid': 'operator', title: me.login }, me.display_name),
        h('span', { class: 'muted' }, ` · ${t('header.role')} `),
        h('strong', { 'data-testid': 'role', 'data-role': me.role }, this.roleLabel()),
        h('span', { class: 'muted' }, ` · ${single ? t('header.post') : t('header.posts')} `),
        h('strong', { 'data-testid': 'post' }, this.postsLabel()),
        communes === null ? null : [h('span', { class: 'muted' }, ` · ${t('header.communes')} `), h('strong', { 'data-testid': 'communes' }, communes)],
        this.caps.readOnly ? h('span', { class: 'tag tag-readonly', 'data-testid': 'read-only', title: t('access.readOnly', { role: this.roleLabel() }) }, t('header.readOnly')) : null,
      ),
      this.els.live,
      this.els.clock,
      h(
        'span',
        { class: 'tools' },
        h(
          'button',
          {
            type: 'button',
            class: `btn btn-icon${muted ? ' active' : ''}`,
            id: 'mute-toggle',
            'data-focus': 'mute',
            'aria-pressed': muted ? 'true' : 'false',
            'aria-label': muted ? t('header.unmute') : t('header.mute'),
            title: muted ? t('header.unmute') : t('header.mute'),
            'aria-keyshortcuts': 'M',
            onclick: () => this.toggleMute(),
          },
          icon(muted ? 'muted' : 'sound'),
        ),
        h(
          'button',
          { type: 'button', class: 'btn btn-icon', id: 'theme-toggle', 'data-focus': 'theme', 'aria-label': t('header.theme'), title: t('header.theme'), 'aria-keyshortcuts': 'T', onclick: () => this.toggleTheme() },
          icon(this.theme === 'dark' ? 'sun' : 'moon'),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            id: 'lang-toggle',
            'data-focus': 'lang',
            lang: lang() === 'fr' ? 'en' : 'fr',
            'aria-label': t('header.languageLabel'),
            title: t('header.languageLabel'),
            'aria-keyshortcuts': 'L',
            onclick: () => this.toggleLang(),
          },
          t('header.language'),
        ),
        h('button', { type: 'button', class: 'btn btn-icon', id: 'help-toggle', 'data-focus': 'help', 'aria-label': t('header.help'), title: t('header.help'), 'aria-keyshortcuts': '?', onclick: () => showHelp() }, '?'),
        h('button', { type: 'button', class: 'btn', id: 'logout', 'data-focus': 'logout', onclick: () => this.onLogout() }, t('header.logout')),
      ),
    );
    this.setLive(this.caps.live ? (this.stream?.status ?? 'connecting') : 'off');
  }

  private renderTabs(): void {
    const make = (tab: Tab, label: string) =>
      h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `tab-${tab}`,
          'data-focus': `tab-${tab}`,
          'aria-controls': `panel-${tab}`,
          'aria-selected': this.tab === tab ? 'true' : 'false',
          tabindex: this.tab === tab ? 0 : -1,
          class: 'tab',
          onclick: () => this.setTab(tab),
          onkeydown: (event: KeyboardEvent) => {
            if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
              event.preventDefault();
              if (this.caps.supervision) this.setTab(this.tab === 'queue' ? 'supervision' : 'queue');
              document.getElementById(`tab-${this.tab}`)?.focus();
            }
          },
        },
        label,
      );
    replaceChildren(this.els.tabs, make('queue', t('tabs.queue')), this.caps.supervision ? make('supervision', t('tabs.supervision')) : null);
    this.els.queuePanel.hidden = this.tab !== 'queue';
    this.els.supPanel.hidden = this.tab !== 'supervision';
  }

  private renderMapTools(): void {
    const groups: ['sensors' | 'cameras' | 'units' | 'zones', Key][] = [
      ['sensors', 'map.layer.sensors'],
      ['cameras', 'map.layer.cameras'],
      ['units', 'map.layer.units'],
      ['zones', 'map.layer.zones'],
    ];
    const checked = (group: string) => this.els.mapTools.querySelector<HTMLInputElement>(`#layer-${group}`)?.checked ?? true;
    const state = Object.fromEntries(groups.map(([group]) => [group, checked(group)]));
    const legend: [string, Key | string][] = [
      ['var(--p1)', 'priority.p1'],
      ['var(--p2)', 'priority.p2'],
      ['var(--p3)', 'priority.p3'],
      ['var(--p4)', 'priority.p4'],
      ['var(--sensor-alarm)', 'health.alarm'],
      ['var(--sensor-ok)', 'health.ok'],
      ['var(--sensor-silent)', 'health.silent'],
      ['var(--sensor-never)', 'health.never_seen'],
      ['var(--camera)', 'map.camera'],
      ['var(--unit)', 'map.unit'],
    ];
    replaceChildren(
      this.els.mapTools,
      h(
        'details',
        { class: 'map-panel' },
        h('summary', null, `${t('map.layers')} / ${t('map.legend')}`),
        h(
          'fieldset',
          null,
          h('legend', null, t('map.layers')),
          groups.map(([group, label]) =>
            h(
              'label',
              { class: 'check' },
              h('input', {
                type: 'checkbox',
                id: `layer-${group}`,
                checked: state[group],
                onchange: (event: Event) => this.map?.setGroupVisible(group, (event.target as HTMLInputElement).checked),
              }),
              ` ${t(label)}`,
            ),
          ),
        ),
        h(
          'ul',
          { class: 'legend', 'aria-label': t('map.legend') },
          legend.map(([color, label]) => h('li', null, h('span', { class: 'dot', style: { background: color }, 'aria-hidden': 'true' }), ` ${t(label as Key)}`)),
        ),
      ),
    );
  }

  private popup(kind: 'sensor' | 'camera' | 'unit' | 'incident', id: string): HTMLElement | null {
    const ctx = this.ctx;
    if (kind === 'incident') {
      const incident = this.state.incidents.get(Number(id));
      if (!incident) return null;
      return h(
        'div',
        { class: 'popup' },
        h('p', null, h('span', { class: `badge badge-${incident.priority}` }, priorityShort(incident.priority)), ' ', h('strong', null, incidentRef(incident.id))),
        h('p', null, incident.title),
        h('p', { class: 'muted' }, `${priorityLabel(incident.priority)} · ${t(`status.${incident.status}` as Key)} · ${formatDateTime(incident.created_at)}`),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.openIncident(incident.id, { focusDetail: true }) }, t('map.open')),
      );
    }
    if (kind === 'sensor') {
      const entry = this.sensors.get(id);
      if (!entry) return null;
      const state = sensorState(entry, this.state.alarmedSubjects());
      const kindKey = `kind.${entry.sensor.kind}` as Key;
      return h(
        'div',
        { class: 'popup' },
        h('p', null, h('strong', null, entry.sensor.name ?? entry.sensor.id)),
        h('p', { class: 'muted' }, `${t(kindKey) === kindKey ? entry.sensor.kind : t(kindKey)} · ${ctx.communeName(entry.sensor.commune)}`),
        h('p', null, h('span', { class: `health health-${state}` }, t(`health.${state}` as Key)), ' · ', entry.last ? formatValue(entry.last.value, entry.last.unit) : t('sensor.none')),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.openSensor(id) }, t('sensor.open')),
      );
    }
    if (kind === 'camera') {
      const camera = this.cameras.get(id);
      if (!camera) return null;
      return h(
        'div',
        { class: 'popup' },
        h('p', null, h('strong', null, camera.name)),
        h('p', { class: 'muted' }, t('cameras.heading', { deg: Math.round(camera.heading_deg), fov: Math.round(camera.fov_deg), range: Math.round(camera.range_m) })),
        h(
          'p',
          { class: 'cam-links' },
          camera.snapshot_url ? h('a', { href: camera.snapshot_url, target: '_blank', rel: 'noopener noreferrer' }, t('cameras.snapshot')) : null,
          camera.stream_url ? h('a', { href: camera.stream_url, target: '_blank', rel: 'noopener noreferrer' }, t('cameras.stream')) : null,
        ),
      );
    }
    const entry = this.state.units.get(id);
    if (!entry) return null;
    return h(
      'div',
      { class: 'popup' },
      h('p', null, h('strong', null, entry.unit.name)),
      h('p', { class: 'muted' }, `${entry.unit.kind} · ${ctx.postName(entry.unit.post)}`),
      h('p', null, entry.available ? t('units.available') : t('units.busy', { id: incidentRef(entry.state.incident ?? 0) })),
      entry.state.position_at ? h('p', { class: 'muted' }, formatDateTime(entry.state.position_at)) : h('p', { class: 'muted' }, t('units.atHome')),
    );
  }

  // ----- navigation -----

  openIncident(id: number, options: { focusMap?: boolean; focusDetail?: boolean } = {}): void {
    this.setTab('queue');
    if (!(this.detail instanceof IncidentDetailView && this.detail.id === id)) {
      this.showDetail(new IncidentDetailView(this.ctx, id));
    }
    this.queue.setSelected(id);
    this.mark('map');
    const incident = this.state.incidents.get(id);
    if (options.focusMap && incident?.position) this.map?.focusOn(incident.position);
    if (options.focusDetail) document.getElementById('detail-title')?.focus();
  }

  openSensor(id: string): void {
    this.showDetail(new SensorDetailView(this.ctx, id));
    this.queue.setSelected(null);
    this.mark('map');
    this.map?.closePopup();
  }

  private showDetail(view: IncidentDetailView | SensorDetailView): void {
    const wasHidden = this.els.detailPane.hidden;
    this.detail = view;
    this.els.detailPane.replaceChildren(view.element);
    this.els.detailPane.hidden = false;
    // Resize now, so that centring on the incident uses the map's new size.
    if (wasHidden) this.map?.resize();
  }

  closeDetail(): void {
    const id = this.detail instanceof IncidentDetailView ? this.detail.id : null;
    this.detail = null;
    this.els.detailPane.replaceChildren();
    this.els.detailPane.hidden = true;
    this.queue.setSelected(null);
    this.mark('map');
    requestAnimationFrame(() => this.map?.resize());
    if (id !== null) this.queue.focusRow(id);
  }

  setTab(tab: Tab): void {
    if (this.tab === tab || (tab === 'supervision' && !this.caps.supervision)) return;
    this.tab = tab;
    this.renderTabs();
    if (tab === 'supervision') {
      this.supervision.render();
      void this.loadKpis();
    }
  }

  private onFilter(filter: QueueFilter): void {
    this.mark('map');
    // The snapshot holds the active incidents; past ones are read when asked for.
    if (filter.status !== 'active' && !ACTIVE_STATUSES.includes(filter.status as never)) {
      void this.api
        .incidents({ status: filter.status === 'all' ? undefined : filter.status, post: filter.post ?? undefined, limit: 5000 })
        .then(({ incidents }) => {
          for (const incident of incidents) if (!this.state.incidents.has(incident.id)) this.state.upsertIncident(incident);
          this.mark('queue', 'map');
        })
        .catch((error) => this.refused(error));
    }
  }

  /** Moves in the queue (J / K) and opens the incident. */
  moveSelection(delta: number): void {
    this.setTab('queue');
    const id = this.queue.move(delta);
    if (id === null) return;
    this.openIncident(id, { focusMap: true });
    this.queue.focusRow(id);
  }

  acknowledgeSelected(): void {
    if (!this.caps.command) return;
    if (this.detail instanceof IncidentDetailView) void this.detail.acknowledge();
    else if (this.queue.selected !== null) void this.command(this.queue.selected, { type: 'acknowledge' });
  }

  focusSelectedOnMap(): void {
    const id = this.detail instanceof IncidentDetailView ? this.detail.id : this.queue.selected;
    const incident = id !== null ? this.state.incidents.get(id) : undefined;
    if (incident?.position) this.map?.focusOn(incident.position);
  }

  toggleMute(): void {
    this.alerter.muted = !this.alerter.muted;
    saveMuted(this.alerter.muted);
    this.renderHeader();
    toast(this.alerter.muted ? t('toast.muted') : t('toast.unmuted'));
  }

  toggleTheme(): void {
    this.theme = this.theme === 'dark' ? 'light' : 'dark';
    applyTheme(this.theme);
    saveTheme(this.theme);
    this.map?.setTheme(this.theme);
    this.renderHeader();
  }

  toggleLang(): void {
    const next: Lang = lang() === 'fr' ? 'en' : 'fr';
    saveLang(next);
    setLang(next);
  }

  private onLang(): void {
    document.documentElement.lang = lang();
    this.renderHeader();
    this.renderTabs();
    this.renderMapTools();
    this.queue.renderFilters();
    this.els.mapEl.setAttribute('aria-label', t('map.label'));
    const note = this.els.queuePanel.querySelector('[data-testid="no-incidents"]');
    if (note) note.textContent = t('access.noIncidents', { role: this.roleLabel() });
    const skip = document.getElementById('skip-link');
    if (skip) skip.textContent = t('app.skip');
    this.map?.closePopup();
    this.mark('queue', 'detail', 'supervision');
    this.flush();
    this.supervision.render();
  }

  /** The ids of the incidents MapLibre holds (from its tiles), or from the data given to it. */
  mapIncidentIds(): number[] {
    if (!this.map) return [];
    const rendered = this.map.sourceFeatureIds('incidents');
    return rendered.map(Number).sort((a, b) => a - b);
  }

  cityLayerCount(layer: string): number {
    return this.city ? cityLayer(this.city, layer).features.length : 0;
  }
}
