// One incident: what it is, the actions the lifecycle allows, the playbook checklist (Resolve
// stays disabled until every step is done or skipped), the evidence snapshots of its video
// alarms, the cameras that see it, the nearest available units, notes and the timeline with
// its authors. A role that may not command incidents sees all of it read-only.

import type { Ctx } from '../ctx';
import {
  formatActor,
  formatDateTime,
  formatDateYear,
  formatDistance,
  formatDuration,
  formatOutcome,
  formatTime,
  incidentRef,
  priorityLabel,
  priorityShort,
} from '../format';
import { type Key, lang, pick, t } from '../i18n';
import { allStepsSettled, canResolve, changeName, isActive } from '../store/incidents';
import { nearestAvailableUnits } from '../store/state';
import type { Evidence, Incident, IncidentDetail, StepState, VigieEvent } from '../types';
import { h, replaceChildren } from './dom';
import { askReason } from './modal';

/** The text of one timeline event, in the current language. */
export function describeEvent(event: VigieEvent, ctx: Pick<Ctx, 'postName' | 'unitName' | 'cameraName'>, stepTitle: (id: string) => string): string {
  const body = event.body;
  if ('incident' in body) {
    const change = body.incident.change;
    const name = changeName(change);
    if (typeof change === 'string') {
      if (change === 'acknowledged' || change === 'resumed' || change === 'closed') return t(`timeline.${change}`);
      return t('timeline.other', { kind: name });
    }
    if ('created' in change) return t('timeline.created', { title: change.created.title });
    if ('assigned' in change) return t('timeline.assigned', { from: ctx.postName(change.assigned.from), to: ctx.postName(change.assigned.to) });
    if ('unit_dispatched' in change) return t('timeline.unit_dispatched', { unit: ctx.unitName(change.unit_dispatched.unit) });
    if ('note_added' in change) return t('timeline.note_added', { text: change.note_added.text });
    if ('camera_linked' in change) return t('timeline.camera_linked', { camera: ctx.cameraName(change.camera_linked.camera) });
    if ('alarm_attached' in change) return t('timeline.alarm_attached', { message: change.alarm_attached.message });
    if ('escalated' in change) {
      const key = change.escalated.automatic ? 'timeline.escalatedAuto' : 'timeline.escalated';
      return t(key, { level: change.escalated.level, reason: change.escalated.reason });
    }
    if ('held' in change) return t('timeline.held', { reason: change.held.reason });
    if ('step_completed' in change) return t('timeline.step_completed', { step: stepTitle(change.step_completed.step) });
    if ('step_skipped' in change) return t('timeline.step_skipped', { step: stepTitle(change.step_skipped.step), reason: change.step_skipped.reason });
    if ('resolved' in change) return t('timeline.resolved', { outcome: formatOutcome(change.resolved.outcome) });
    if ('reopened' in change) return t('timeline.reopened', { reason: change.reopened.reason });
    return t('timeline.other', { kind: name });
  }
  if ('alarm' in body) {
    const change = body.alarm.change;
    if (change === 'cleared') return t('timeline.alarm.cleared', { rule: body.alarm.key.rule });
    if ('raised' in change) {
      const message = pick(change.raised as unknown as Record<string, unknown>, 'message') || body.alarm.key.rule;
      return t('timeline.alarm.raised', { message });
    }
    if ('shelved' in change) return t('timeline.alarm.shelved', { until: formatDateTime(change.shelved.until), reason: change.shelved.reason });
    if ('unshelved' in change) return t('timeline.alarm.unshelved');
  }
  return t('timeline.other', { kind: Object.keys(body)[0] ?? '?' });
}

/** Opens an evidence snapshot large, in a dialog (Escape or the button closes it). */
export function showEvidence(url: string, camera: string, evidence: Evidence): HTMLDialogElement {
  const taken = formatDateTime(evidence.taken_at);
  const image = h('img', { src: url, alt: t('evidence.alt', { camera, at: taken }), class: 'evidence-large', 'data-testid': 'evidence-large' });
  const gone = h('p', { class: 'muted', hidden: true }, t('evidence.gone'));
  image.addEventListener('error', () => {
    image.hidden = true;
    gone.hidden = false;
  });
  const dialog = h(
    'dialog',
    { class: 'dialog evidence-dialog', 'aria-labelledby': 'evidence-dialog-title' },
    h('h2', { id: 'evidence-dialog-title' }, `${camera} · ${taken}`),
    image,
    gone,
    h('p', { class: 'evidence-note' }, t('evidence.blurred'), ' · ', t('evidence.expires', { at: formatDateYear(evidence.expires_at) })),
    h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn btn-primary', onclick: () => dialog.close() }, t('evidence.close'))),
  );
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** The incident an event belongs to, if any. */
export function eventIncident(event: VigieEvent): number | null {
  if ('incident' in event.body) return event.body.incident.incident_id;
  if ('alarm' in event.body) return event.body.alarm.incident;
  return null;
}

function actorOf(event: VigieEvent): string {
  if ('incident' in event.body) return event.body.incident.actor;
  if ('alarm' in event.body) return event.body.alarm.actor;
  return event.source;
}

export class IncidentDetailView {
  readonly element: HTMLElement;
  private readonly header = h('div', { class: 'detail-header' });
  private readonly actions = h('div', { class: 'detail-actions', role: 'group' });
  private readonly playbook = h('section', { class: 'detail-section', 'aria-labelledby': 'playbook-title' });
  private readonly evidenceEl = h('section', { class: 'detail-section', 'aria-labelledby': 'evidence-title', 'data-testid': 'evidence', hidden: true });
  /** What the evidence section shows (language and ids): it is drawn again only when that changes, not to reload the images. */
  private evidenceDrawn = '';
  private reloadTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly camerasEl = h('section', { class: 'detail-section', 'aria-labelledby': 'cameras-title' });
  private readonly unitsEl = h('section', { class: 'detail-section', 'aria-labelledby': 'units-title' });
  private readonly notesEl: HTMLElement;
  private readonly timelineEl = h('section', { class: 'detail-section', 'aria-labelledby': 'timeline-title' });
  private readonly noteInput: HTMLTextAreaElement;
  private detail: IncidentDetail | null = null;
  private timeline: VigieEvent[] = [];
  private outcome: 'confirmed' | 'false_alarm' = 'confirmed';
  private assignTo = '';
  private busy = false;
  private loadError: string | null = null;

  constructor(
    private readonly ctx: Ctx,
    readonly id: number,
  ) {
    this.noteInput = h('textarea', { id: 'note-input', rows: 2, maxlength: 4000, class: 'note-input' });
    this.notesEl = h(
      'section',
      { class: 'detail-section', 'aria-labelledby': 'notes-title' },
      h('h3', { id: 'notes-title' }),
      h(
        'form',
        {
          class: 'note-form',
          onsubmit: (event: Event) => {
            event.preventDefault();
            void this.addNote();
          },
        },
        h('label', { for: 'note-input', id: 'note-label' }),
        this.noteInput,
        h('button', { type: 'submit', class: 'btn', id: 'note-submit' }),
      ),
    );
    this.element = h(
      'article',
      { class: 'detail', 'data-incident-id': id, 'aria-labelledby': 'detail-title' },
      this.header,
      this.actions,
      this.playbook,
      this.evidenceEl,
      this.camerasEl,
      this.unitsEl,
      this.notesEl,
      this.timelineEl,
    );
    this.render();
    void this.load();
  }

  async load(): Promise<void> {
    try {
      const detail = await this.ctx.api.incident(this.id);
      this.detail = detail;
      this.timeline = [...detail.timeline, ...this.timeline.filter((event) => !detail.timeline.some((other) => other.seq === event.seq))];
      this.timeline.sort((a, b) => a.seq - b.seq);
      if (!this.ctx.state.incidents.has(this.id)) this.ctx.state.upsertIncident(detail.incident);
      this.loadError = null;
    } catch (error) {
      this.loadError = error instanceof Error ? error.message : String(error);
    }
    this.render();
  }

  incident(): Incident | null {
    return this.ctx.state.incidents.get(this.id) ?? this.detail?.incident ?? null;
  }

  /** An event arrived: adds it to the timeline when it belongs to this incident (drawn at the next render). */
  onEvent(event: VigieEvent): void {
    if (eventIncident(event) !== this.id) return;
    // An alarm that joins may bring evidence: read the detail again, once for a burst.
    if ('alarm' in event.body && this.ctx.caps.imagery && this.reloadTimer === null) {
      this.reloadTimer = setTimeout(() => {
        this.reloadTimer = null;
        if (this.element.isConnected) void this.load();
      }, 1000);
    }
    if (!this.timeline.some((known) => known.seq === event.seq)) {
      this.timeline.push(event);
      this.timeline.sort((a, b) => a.seq - b.seq);
    }
  }

  private stepTitle = (id: string): string => {
    const step = this.incident()?.steps.find((state) => state.step.id === id)?.step;
    return step ? pick(step as unknown as Record<string, unknown>, 'title') : id;
  };

  private async run(command: Parameters<Ctx['command']>[1]): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.element.setAttribute('aria-busy', 'true');
    try {
      return await this.ctx.command(this.id, command);
    } finally {
      this.busy = false;
      this.element.removeAttribute('aria-busy');
      this.render();
    }
  }

  private async addNote(): Promise<void> {
    const text = this.noteInput.value.trim();
    if (!text) {
      this.noteInput.focus();
      return;
    }
    if (await this.run({ type: 'add_note', text })) this.noteInput.value = '';
  }

  acknowledge(): Promise<boolean> {
    const incident = this.incident();
    if (!incident || incident.status !== 'open') return Promise.resolve(false);
    return this.run({ type: 'acknowledge' });
  }

  render(): void {
    const incident = this.incident();
    if (!incident) {
      replaceChildren(this.header, h('p', { class: 'muted', id: 'detail-title' }, this.loadError ?? t('detail.loading')));
      return;
    }
    this.renderHeader(incident);
    this.renderActions(incident);
    this.renderPlaybook(incident);
    this.renderEvidence();
    this.renderCameras(incident);
    this.renderUnits(incident);
    this.renderNotes(incident);
    this.renderTimeline();
  }

  private renderHeader(incident: Incident): void {
    const ctx = this.ctx;
    const rows: [string, string | HTMLElement][] = [
      [t('detail.category'), ctx.categoryLabel(incident.category)],
      [t('detail.post'), ctx.postName(incident.post)],
      [t('detail.commune'), ctx.communeName(incident.commune)],
    ];
    if (incident.zone) rows.push([t('detail.zone'), ctx.zoneName(incident.zone)]);
    rows.push([
      t('detail.raised'),
      h('span', null, formatDateTime(incident.created_at), ' (', h('span', { class: 'row-timer', 'data-since': incident.created_at }, formatDuration(ctx.now() - incident.created_at)), ')'),
    ]);
    if (incident.acknowledged_at) rows.push([t('detail.acknowledgedAt'), formatDateTime(incident.acknowledged_at)]);
    if (incident.escalation_level > 0) rows.push([t('detail.escalation'), String(incident.escalation_level)]);
    if (incident.alarm_count > 0) rows.push([t('detail.alarms'), String(incident.alarm_count)]);
    replaceChildren(
      this.header,
      h(
        'div',
        { class: 'detail-title-row' },
        h('span', { class: `badge badge-${incident.priority}`, title: priorityLabel(incident.priority) }, priorityShort(incident.priority)),
        h('h2', { id: 'detail-title', tabindex: -1 }, h('span', { class: 'ref' }, incidentRef(incident.id)), ' ', incident.title),
        h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': t('detail.close'), title: t('detail.close'), onclick: () => this.ctx.closeDetail() }, '✕'),
      ),
      h(
        'p',
        { class: 'detail-status' },
        h('span', { class: `status status-${incident.status}`, 'data-testid': 'detail-status' }, t(`status.${incident.status}` as Key)),
        ' · ',
        priorityLabel(incident.priority),
        incident.outcome ? ` · ${formatOutcome(incident.outcome)}` : '',
      ),
      h('dl', { class: 'facts' }, rows.map(([label, value]) => [h('dt', null, label), h('dd', null, value)])),
    );
  }

  private renderActions(incident: Incident): void {
    const ctx = this.ctx;
    if (!ctx.caps.command) {
      // Read-only: no action is offered.
      replaceChildren(this.actions);
      this.actions.hidden = true;
      return;
    }
    const status = incident.status;
    const active = isActive(status);
    const buttons: HTMLElement[] = [];
    if (status === 'open') {
      buttons.push(
        h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'acknowledge', 'data-focus': 'ack', 'aria-keyshortcuts': 'A', onclick: () => void this.acknowledge() }, t('detail.acknowledge')),
      );
    }
    if (active) {
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            'data-action': 'escalate',
            'data-focus': 'escalate',
            disabled: incident.escalation_level >= 5,
            onclick: async () => {
              const reason = await askReason(t('detail.escalate'), t('detail.escalateReason'));
              if (reason) await this.run({ type: 'escalate', reason });
            },
          },
          t('detail.escalate'),
        ),
      );
    }
    if (status === 'acknowledged') {
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            'data-action': 'hold',
            'data-focus': 'hold',
            onclick: async () => {
              const reason = await askReason(t('detail.hold'), t('detail.holdReason'));
              if (reason) await this.run({ type: 'hold', reason });
            },
          },
          t('detail.hold'),
        ),
      );
    }
    if (status === 'on_hold') {
      buttons.push(h('button', { type: 'button', class: 'btn', 'data-action': 'resume', 'data-focus': 'resume', onclick: () => void this.run({ type: 'resume' }) }, t('detail.resume')));
    }
    if (status === 'resolved') {
      buttons.push(h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'close', 'data-focus': 'close', onclick: () => void this.run({ type: 'close' }) }, t('detail.close.incident')));
    }
    if (status === 'resolved' || status === 'closed') {
      buttons.push(
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            'data-action': 'reopen',
            'data-focus': 'reopen',
            onclick: async () => {
              const reason = await askReason(t('detail.reopen'), t('detail.reopenReason'));
              if (reason) await this.run({ type: 'reopen', reason });
            },
          },
          t('detail.reopen'),
        ),
      );
    }
    const groups: HTMLElement[] = [h('div', { class: 'btn-row' }, buttons)];

    if (active) {
      // Resolve: disabled until the incident is in hand and every playbook step is settled.
      const allowed = canResolve(incident);
      const unsettled = incident.steps.filter((step) => step.settlement === null).length;
      const why = status === 'open' ? t('detail.resolveNeedsAck') : unsettled > 0 ? t('detail.resolveBlocked', { n: unsettled }) : '';
      groups.push(
        h(
          'div',
          { class: 'inline-form' },
          h('label', { for: 'outcome-select' }, t('detail.outcome')),
          h(
            'select',
            {
              id: 'outcome-select',
              onchange: (event: Event) => (this.outcome = (event.target as HTMLSelectElement).value as 'confirmed' | 'false_alarm'),
            },
            h('option', { value: 'confirmed', selected: this.outcome === 'confirmed' }, t('outcome.confirmed')),
            h('option', { value: 'false_alarm', selected: this.outcome === 'false_alarm' }, t('outcome.false_alarm')),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-primary',
              'data-action': 'resolve',
              'data-focus': 'resolve',
              disabled: !allowed,
              'aria-describedby': why ? 'resolve-why' : undefined,
              onclick: () => void this.run({ type: 'resolve', outcome: this.outcome }),
            },
            t('detail.resolve'),
          ),
          why ? h('p', { id: 'resolve-why', class: 'hint' }, why) : null,
        ),
      );
    }
    if (status !== 'closed') {
      const others = [...ctx.posts.values()].filter((post) => post.id !== incident.post);
      if (!others.some((post) => post.id === this.assignTo)) this.assignTo = others[0]?.id ?? '';
      groups.push(
        h(
          'div',
          { class: 'inline-form' },
          h('label', { for: 'assign-select' }, t('detail.assignTo')),
          h(
            'select',
            { id: 'assign-select', onchange: (event: Event) => (this.assignTo = (event.target as HTMLSelectElement).value) },
            others.map((post) => h('option', { value: post.id, selected: post.id === this.assignTo }, ctx.postName(post.id))),
          ),
          h(
            'button',
            { type: 'button', class: 'btn', 'data-action': 'assign', 'data-focus': 'assign', disabled: !this.assignTo, onclick: () => void this.run({ type: 'assign', post: this.assignTo }) },
            t('detail.assign'),
          ),
        ),
      );
    }
    replaceChildren(this.actions, groups);
    this.actions.setAttribute('aria-label', t('detail.actions'));
  }

  private renderPlaybook(incident: Incident): void {
    const settled = incident.steps.filter((step) => step.settlement !== null).length;
    const editable = isActive(incident.status) && this.ctx.caps.command;
    const items = incident.steps.map((state, index) => this.renderStep(state, index, editable));
    replaceChildren(
      this.playbook,
      h('h3', { id: 'playbook-title' }, t('playbook.title')),
      h(
        'p',
        { class: `progress${allStepsSettled(incident) ? ' complete' : ''}` },
        h('progress', { max: Math.max(1, incident.steps.length), value: settled, 'aria-labelledby': 'playbook-title' }),
        ' ',
        t('playbook.progress', { done: settled, total: incident.steps.length }),
      ),
      incident.steps.length === 0 ? h('p', { class: 'muted' }, t('playbook.empty')) : h('ol', { class: 'steps' }, items),
    );
  }

  private renderStep(state: StepState, index: number, editable: boolean): HTMLElement {
    const title = pick(state.step as unknown as Record<string, unknown>, 'title');
    const settlement = state.settlement;
    let status: HTMLElement | null = null;
    let cls = 'step';
    if (settlement && 'done' in settlement) {
      cls += ' step-done';
      status = h('span', { class: 'step-status' }, '✓ ', t('playbook.doneBy', { by: formatActor(settlement.done.by), at: formatTime(settlement.done.at) }));
    } else if (settlement && 'skipped' in settlement) {
      cls += ' step-skipped';
      status = h(
        'span',
        { class: 'step-status' },
        '↷ ',
        t('playbook.skippedBy', { by: formatActor(settlement.skipped.by), at: formatTime(settlement.skipped.at), reason: settlement.skipped.reason }),
      );
    }
    const stepId = state.step.id;
    const labelId = `step-title-${index}`;
    const buttons =
      settlement === null && editable
        ? h(
            'span',
            { class: 'step-buttons' },
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-small',
                'data-step-action': 'done',
                'data-focus': `step-done-${stepId}`,
                'aria-describedby': labelId,
                onclick: () => void this.run({ type: 'complete_step', step: stepId }),
              },
              t('playbook.markDone'),
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-small',
                'data-step-action': 'skip',
                'data-focus': `step-skip-${stepId}`,
                'aria-describedby': labelId,
                onclick: async () => {
                  const reason = await askReason(`${t('playbook.skip')} — ${title}`, t('playbook.skipReason'));
                  if (reason) await this.run({ type: 'skip_step', step: stepId, reason });
                },
              },
              t('playbook.skip'),
            ),
          )
        : null;
    return h('li', { class: cls, 'data-step-id': stepId }, h('span', { class: 'step-title', id: labelId }, title), status, buttons);
  }

  private renderCameras(incident: Incident): void {
    const cameras = this.detail?.cameras ?? [];
    const active = isActive(incident.status) && this.ctx.caps.command;
    replaceChildren(
      this.camerasEl,
      h('h3', { id: 'cameras-title' }, t('cameras.title')),
      this.detail === null
        ? h('p', { class: 'muted' }, this.loadError ?? t('detail.loading'))
        : cameras.length === 0
          ? h('p', { class: 'muted' }, t('cameras.none'))
          : h(
              'ol',
              { class: 'cameras' },
              cameras.map(({ camera, distance_m }) => {
                const linked = incident.cameras.includes(camera.id);
                return h(
                  'li',
                  { 'data-camera-id': camera.id },
                  h('span', { class: 'cam-name' }, camera.name),
                  h('span', { class: 'muted' }, ` · ${formatDistance(distance_m)}`),
                  h(
                    'span',
                    { class: 'cam-links' },
                    camera.snapshot_url ? h('a', { href: camera.snapshot_url, target: '_blank', rel: 'noopener noreferrer' }, t('cameras.snapshot')) : null,
                    camera.stream_url ? h('a', { href: camera.stream_url, target: '_blank', rel: 'noopener noreferrer' }, t('cameras.stream')) : null,
                    linked
                      ? h('span', { class: 'tag' }, t('cameras.linked'))
                      : active
                        ? h(
                            'button',
                            { type: 'button', class: 'btn btn-small', 'data-focus': `cam-${camera.id}`, onclick: () => void this.run({ type: 'link_camera', camera: camera.id }) },
                            t('cameras.link'),
                          )
                        : null,
                  ),
                );
              }),
            ),
    );
  }

  private renderUnits(incident: Incident): void {
    const ctx = this.ctx;
    const active = isActive(incident.status) && ctx.caps.command;
    const dispatched = incident.units.map((id) => h('li', { 'data-unit-id': id }, ctx.unitName(id)));
    const nearest = incident.position ? nearestAvailableUnits(ctx.state.units.values(), incident.position, 5) : [];
    replaceChildren(
      this.unitsEl,
      h('h3', { id: 'units-title' }, t('units.title')),
      active
        ? nearest.length === 0
          ? h('p', { class: 'muted' }, t('units.none'))
          : h(
              'ol',
              { class: 'units' },
              nearest.map(({ entry, distance_m }) =>
                h(
                  'li',
                  { 'data-unit-id': entry.unit.id },
                  h('span', null, entry.unit.name),
                  h('span', { class: 'muted' }, ` · ${formatDistance(distance_m)}${entry.state.lon === null ? ` (${t('units.atHome')})` : ''} · ${ctx.postName(entry.unit.post)}`),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'btn btn-small',
                      'data-focus': `unit-${entry.unit.id}`,
                      onclick: () => void this.run({ type: 'dispatch_unit', unit: entry.unit.id }),
                    },
                    t('units.dispatch'),
                  ),
                ),
              ),
            )
        : null,
      h('h4', null, t('units.dispatched')),
      dispatched.length ? h('ul', { class: 'units-dispatched' }, dispatched) : h('p', { class: 'muted' }, t('units.noneDispatched')),
    );
  }

  /** The evidence snapshots: a thumbnail each, its camera, when it was taken and when it expires; nothing when there is none. */
  private renderEvidence(): void {
    const evidence = this.ctx.caps.imagery ? (this.detail?.evidence ?? []) : [];
    const drawn = `${lang()}|${evidence.map((item) => item.id).join(',')}`;
    if (drawn === this.evidenceDrawn) return;
    this.evidenceDrawn = drawn;
    this.evidenceEl.hidden = evidence.length === 0;
    if (evidence.length === 0) {
      replaceChildren(this.evidenceEl);
      return;
    }
    const ctx = this.ctx;
    replaceChildren(
      this.evidenceEl,
      h('h3', { id: 'evidence-title' }, t('evidence.title')),
      h('p', { class: 'evidence-note' }, t('evidence.blurred')),
      h(
        'ul',
        { class: 'evidence-list' },
        evidence.map((item) => {
          const camera = ctx.cameraName(item.camera);
          const taken = formatDateTime(item.taken_at);
          const url = ctx.api.snapshotUrl(item.id);
          const image = h('img', { src: url, alt: t('evidence.alt', { camera, at: taken }), loading: 'lazy', width: 160, height: 90, class: 'evidence-thumb' });
          const gone = h('span', { class: 'evidence-gone muted', hidden: true }, t('evidence.gone'));
          const open = h(
            'button',
            { type: 'button', class: 'evidence-open', 'data-focus': `evidence-${item.id}`, 'aria-label': t('evidence.open', { camera, at: taken }), onclick: () => showEvidence(url, camera, item) },
            image,
            gone,
          );
          image.addEventListener('error', () => {
            image.hidden = true;
            gone.hidden = false;
          });
          return h(
            'li',
            { 'data-evidence-id': item.id },
            open,
            h(
              'span',
              { class: 'evidence-meta' },
              h('strong', null, camera),
              h('span', null, t('evidence.taken', { at: taken })),
              h('span', { class: 'muted' }, t('evidence.expires', { at: formatDateYear(item.expires_at) })),
            ),
          );
        }),
      ),
    );
  }

  private renderNotes(incident: Incident): void {
    this.notesEl.hidden = !this.ctx.caps.command;
    const title = this.notesEl.querySelector('#notes-title');
    if (title) title.textContent = t('notes.title');
    const label = this.notesEl.querySelector('#note-label');
    if (label) label.textContent = t('notes.label');
    const submit = this.notesEl.querySelector<HTMLButtonElement>('#note-submit');
    if (submit) {
      submit.textContent = t('notes.add');
      submit.disabled = incident.status === 'closed';
    }
    this.noteInput.disabled = incident.status === 'closed';
  }

  private renderTimeline(): void {
    const ctx = this.ctx;
    const items = [...this.timeline].reverse().map((event) =>
      h(
        'li',
        { 'data-seq': event.seq },
        h('time', { datetime: new Date(event.time).toISOString() }, formatTime(event.time)),
        h('span', { class: 'actor' }, formatActor(actorOf(event))),
        h('span', { class: 'what' }, describeEvent(event, ctx, this.stepTitle)),
      ),
    );
    replaceChildren(
      this.timelineEl,
      h('h3', { id: 'timeline-title' }, t('timeline.title')),
      items.length ? h('ol', { class: 'timeline' }, items) : h('p', { class: 'muted' }, this.detail ? t('timeline.empty') : t('detail.loading')),
    );
  }
}
