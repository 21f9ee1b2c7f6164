// Incidents as the console holds them: the fold of the stream's incident events over the
// snapshot from `GET /api/incidents`, and the order of the operator's queue.
//
// `evolveIncident` mirrors the server's own fold (vigie-core `incident::evolve`): the same
// event applied to the same incident gives the same incident.

import type { Incident, IncidentChange, IncidentStatus, Priority, StepState, VigieEvent } from '../types';

export const PRIORITIES: Priority[] = ['p1', 'p2', 'p3', 'p4'];
export const STATUSES: IncidentStatus[] = ['open', 'acknowledged', 'on_hold', 'resolved', 'closed'];
export const ACTIVE_STATUSES: IncidentStatus[] = ['open', 'acknowledged', 'on_hold'];

/** 1 for p1 (most urgent) to 4 for p4. */
export function priorityRank(priority: Priority): number {
  const rank = PRIORITIES.indexOf(priority);
  return rank < 0 ? PRIORITIES.length + 1 : rank + 1;
}

export function isActive(status: IncidentStatus): boolean {
  return ACTIVE_STATUSES.includes(status);
}

/** Unacknowledged first, then still in hand, then resolved, then closed. */
function statusRank(status: IncidentStatus): number {
  switch (status) {
    case 'open':
      return 0;
    case 'acknowledged':
    case 'on_hold':
      return 1;
    case 'resolved':
      return 2;
    case 'closed':
      return 3;
    default:
      return 4;
  }
}

/**
 * The queue's order: unacknowledged first, then by priority, then oldest first (the longest
 * wait at the top), then by number. The same order as `GET /api/incidents`.
 */
export function compareQueue(a: Incident, b: Incident): number {
  return (
    statusRank(a.status) - statusRank(b.status) ||
    priorityRank(a.priority) - priorityRank(b.priority) ||
    a.created_at - b.created_at ||
    a.id - b.id
  );
}

export interface QueueFilter {
  /** A command post, or null for every post (supervision). */
  post: string | null;
  commune: string | null;
  category: string | null;
  /** 'active' (open, acknowledged, on hold), 'all', or one status. */
  status: 'active' | 'all' | IncidentStatus;
}

export const DEFAULT_FILTER: QueueFilter = { post: null, commune: null, category: null, status: 'active' };

export function matchesFilter(incident: Incident, filter: QueueFilter): boolean {
  if (filter.post !== null && incident.post !== filter.post) return false;
  if (filter.commune !== null && incident.commune !== filter.commune) return false;
  if (filter.category !== null && incident.category !== filter.category) return false;
  if (filter.status === 'active') return isActive(incident.status);
  if (filter.status === 'all') return true;
  return incident.status === filter.status;
}

/** The incidents of the queue, in queue order. */
export function buildQueue(incidents: Iterable<Incident>, filter: QueueFilter): Incident[] {
  const out: Incident[] = [];
  for (const incident of incidents) {
    if (matchesFilter(incident, filter)) out.push(incident);
  }
  return out.sort(compareQueue);
}

export interface QueueCounts {
  total: number;
  unacknowledged: number;
  byPriority: Record<Priority, number>;
  escalated: number;
}

export function countQueue(queue: Incident[]): QueueCounts {
  const counts: QueueCounts = { total: queue.length, unacknowledged: 0, byPriority: { p1: 0, p2: 0, p3: 0, p4: 0 }, escalated: 0 };
  for (const incident of queue) {
    if (incident.status === 'open') counts.unacknowledged += 1;
    if (incident.priority in counts.byPriority) counts.byPriority[incident.priority] += 1;
    if (incident.escalation_level > 0) counts.escalated += 1;
  }
  return counts;
}

/** Tells whether every playbook step is done or skipped: the condition to resolve. */
export function allStepsSettled(incident: Incident): boolean {
  return incident.steps.every((step) => step.settlement !== null);
}

/** Tells whether `resolve` can be sent now: in hand (acknowledged or on hold), every step settled. */
export function canResolve(incident: Incident): boolean {
  return (incident.status === 'acknowledged' || incident.status === 'on_hold') && allStepsSettled(incident);
}

/** The name of an incident change, e.g. `acknowledged` or `step_completed`. */
export function changeName(change: IncidentChange): string {
  return typeof change === 'string' ? change : Object.keys(change)[0] ?? 'unknown';
}

function settleFirst(steps: StepState[], stepId: string, settle: (state: StepState) => StepState): StepState[] {
  let done = false;
  return steps.map((state) => {
    if (!done && state.step.id === stepId && state.settlement === null) {
      done = true;
      return settle(state);
    }
    return state;
  });
}

/**
 * Applies one incident event to the incident it names (`undefined` when not known yet).
 * Returns the new incident (a new object; the given one is not changed), or the given value
 * when the event does not apply.
 */
export function evolveIncident(
  incident: Incident | undefined,
  event: { time: number; incident_id: number; actor: string; change: IncidentChange },
): Incident | undefined {
  const { change, time: at, actor } = event;
  if (typeof change === 'object' && 'created' in change) {
    if (incident) return incident;
    const created = change.created;
    return {
      id: event.incident_id,
      category: created.category,
      title: created.title,
      priority: created.priority,
      status: 'open',
      post: created.post,
      commune: created.commune ?? null,
      zone: created.zone ?? null,
      position: created.position ?? null,
      origin: created.origin,
      created_at: at,
      acknowledged_at: null,
      resolved_at: null,
      closed_at: null,
      ack_delay_s: created.ack_delay_s,
      escalation_level: 0,
      steps: created.playbook.map((step) => ({ step, settlement: null })),
      units: [],
      cameras: [],
      note_count: 0,
      alarm_count: 0,
      outcome: null,
      updated_at: at,
    };
  }
  if (!incident) return incident;
  const next: Incident = { ...incident, updated_at: at };
  if (change === 'acknowledged') {
    next.status = 'acknowledged';
    next.acknowledged_at = at;
  } else if (change === 'resumed') {
    next.status = 'acknowledged';
  } else if (change === 'closed') {
    next.status = 'closed';
    next.closed_at = at;
  } else if ('assigned' in change) {
    next.post = change.assigned.to;
  } else if ('unit_dispatched' in change) {
    const unit = change.unit_dispatched.unit;
    if (!incident.units.includes(unit)) next.units = [...incident.units, unit];
  } else if ('note_added' in change) {
    next.note_count = (incident.note_count ?? 0) + 1;
  } else if ('camera_linked' in change) {
    const camera = change.camera_linked.camera;
    if (!incident.cameras.includes(camera)) next.cameras = [...incident.cameras, camera];
  } else if ('alarm_attached' in change) {
    next.alarm_count = (incident.alarm_count ?? 0) + 1;
    const priority = change.alarm_attached.priority;
    if (priority && priorityRank(priority) < priorityRank(incident.priority)) next.priority = priority;
  } else if ('escalated' in change) {
    next.escalation_level = change.escalated.level;
  } else if ('held' in change) {
    next.status = 'on_hold';
  } else if ('step_completed' in change) {
    next.steps = settleFirst(incident.steps, change.step_completed.step, (state) => ({
      step: state.step,
      settlement: { done: { by: actor, at } },
    }));
  } else if ('step_skipped' in change) {
    const reason = change.step_skipped.reason;
    next.steps = settleFirst(incident.steps, change.step_skipped.step, (state) => ({
      step: state.step,
      settlement: { skipped: { by: actor, at, reason } },
    }));
  } else if ('resolved' in change) {
    next.status = 'resolved';
    next.outcome = change.resolved.outcome;
    next.resolved_at = at;
  } else if ('reopened' in change) {
    next.status = 'acknowledged';
    next.outcome = null;
    next.resolved_at = null;
    next.closed_at = null;
  } else {
    return incident;
  }
  return next;
}

/** The incident event carried by a stream event, if it is one. */
export function incidentEventOf(event: VigieEvent) {
  if ('incident' in event.body) {
    const body = event.body.incident;
    return { time: event.time, incident_id: body.incident_id, actor: body.actor, change: body.change };
  }
  return null;
}
