import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FILTER,
  allStepsSettled,
  buildQueue,
  canResolve,
  compareQueue,
  countQueue,
  evolveIncident,
  incidentEventOf,
  priorityRank,
} from '../src/store/incidents';
import type { Incident, IncidentChange } from '../src/types';
import { created, incident, incidentEvent } from './fixtures';

function apply(start: Incident | undefined, change: IncidentChange, actor = 'operator:alice', time = 5_000): Incident | undefined {
  return evolveIncident(start, { time, incident_id: start?.id ?? 1, actor, change });
}

describe('queue order', () => {
  it('puts unacknowledged first, then priority, then oldest first', () => {
    const queue = [
      incident({ id: 1, status: 'acknowledged', priority: 'p1', created_at: 10 }),
      incident({ id: 2, status: 'open', priority: 'p3', created_at: 5 }),
      incident({ id: 3, status: 'open', priority: 'p1', created_at: 30 }),
      incident({ id: 4, status: 'open', priority: 'p1', created_at: 20 }),
      incident({ id: 5, status: 'on_hold', priority: 'p2', created_at: 1 }),
      incident({ id: 6, status: 'resolved', priority: 'p1', created_at: 1 }),
    ].sort(compareQueue);
    expect(queue.map((item) => item.id)).toEqual([4, 3, 2, 1, 5, 6]);
  });

  it('breaks ties by number', () => {
    const a = incident({ id: 7, created_at: 100 });
    const b = incident({ id: 3, created_at: 100 });
    expect([a, b].sort(compareQueue).map((item) => item.id)).toEqual([3, 7]);
  });

  it('ranks priorities p1 to p4', () => {
    expect(['p4', 'p1', 'p3', 'p2'].map((p) => priorityRank(p as 'p1'))).toEqual([4, 1, 3, 2]);
  });

  it('filters by post, commune, category and status', () => {
    const all = [
      incident({ id: 1, post: 'a', commune: 'x', category: 'fire' }),
      incident({ id: 2, post: 'b', commune: 'x', category: 'fire' }),
      incident({ id: 3, post: 'a', commune: 'y', category: 'flood' }),
      incident({ id: 4, post: 'a', commune: 'x', category: 'fire', status: 'closed' }),
    ];
    const ids = (filter: Partial<typeof DEFAULT_FILTER>) => buildQueue(all, { ...DEFAULT_FILTER, ...filter }).map((item) => item.id);
    expect(ids({})).toEqual([1, 2, 3]);
    expect(ids({ post: 'a' })).toEqual([1, 3]);
    expect(ids({ post: 'a', commune: 'x' })).toEqual([1]);
    expect(ids({ category: 'flood' })).toEqual([3]);
    expect(ids({ status: 'closed' })).toEqual([4]);
    expect(ids({ status: 'all', post: 'a' })).toEqual([1, 3, 4]);
  });

  it('counts unacknowledged, escalated and per priority', () => {
    const counts = countQueue([
      incident({ id: 1, priority: 'p1' }),
      incident({ id: 2, priority: 'p1', status: 'acknowledged', escalation_level: 2 }),
      incident({ id: 3, priority: 'p4' }),
    ]);
    expect(counts).toEqual({ total: 3, unacknowledged: 2, escalated: 1, byPriority: { p1: 2, p2: 0, p3: 0, p4: 1 } });
  });
});

describe('resolve gate', () => {
  it('needs the incident in hand and every step settled', () => {
    const open = incident();
    expect(canResolve(open)).toBe(false);
    const acknowledged = apply(open, 'acknowledged')!;
    expect(canResolve(acknowledged)).toBe(false);
    const oneDone = apply(acknowledged, { step_completed: { step: 'appeler-sdis' } })!;
    expect(allStepsSettled(oneDone)).toBe(false);
    expect(canResolve(oneDone)).toBe(false);
    const allSettled = apply(oneDone, { step_skipped: { step: 'evacuer', reason: 'vide' } })!;
    expect(allStepsSettled(allSettled)).toBe(true);
    expect(canResolve(allSettled)).toBe(true);
    const held = apply(allSettled, { held: { reason: 'attente' } })!;
    expect(canResolve(held)).toBe(true);
    expect(canResolve(apply(allSettled, { resolved: { outcome: 'confirmed' } })!)).toBe(false);
  });

  it('a category without playbook resolves once acknowledged', () => {
    expect(canResolve(incident({ status: 'acknowledged', steps: [] }))).toBe(true);
  });
});

describe('evolveIncident (the fold of incident events)', () => {
  it('creates an open incident from its playbook, once', () => {
    const event = incidentEventOf(created(3, 9, { priority: 'p1' }))!;
    const made = evolveIncident(undefined, event)!;
    expect(made).toMatchObject({ id: 9, status: 'open', priority: 'p1', escalation_level: 0, units: [], alarm_count: 0 });
    expect(made.created_at).toBe(event.time);
    expect(made.steps.map((step) => step.settlement)).toEqual([null, null]);
    expect(evolveIncident(made, event)).toBe(made);
  });

  it('ignores changes to an unknown incident', () => {
    expect(apply(undefined, 'acknowledged')).toBeUndefined();
  });

  it('follows the lifecycle and records who settled each step', () => {
    let current = apply(incident(), 'acknowledged', 'operator:alice', 10)!;
    expect(current).toMatchObject({ status: 'acknowledged', acknowledged_at: 10, updated_at: 10 });
    current = apply(current, { step_completed: { step: 'appeler-sdis' } }, 'operator:bob', 11)!;
    expect(current.steps[0]!.settlement).toEqual({ done: { by: 'operator:bob', at: 11 } });
    current = apply(current, { step_skipped: { step: 'evacuer', reason: 'vide' } }, 'operator:alice', 12)!;
    expect(current.steps[1]!.settlement).toEqual({ skipped: { by: 'operator:alice', at: 12, reason: 'vide' } });
    // A step settled twice keeps its first settlement.
    expect(apply(current, { step_completed: { step: 'evacuer' } })!.steps[1]!.settlement).toEqual(current.steps[1]!.settlement);
    current = apply(current, { held: { reason: 'attente' } })!;
    expect(current.status).toBe('on_hold');
    current = apply(current, 'resumed')!;
    expect(current.status).toBe('acknowledged');
    current = apply(current, { resolved: { outcome: 'false_alarm' } }, 'operator:alice', 20)!;
    expect(current).toMatchObject({ status: 'resolved', outcome: 'false_alarm', resolved_at: 20 });
    current = apply(current, 'closed', 'operator:alice', 21)!;
    expect(current).toMatchObject({ status: 'closed', closed_at: 21 });
    current = apply(current, { reopened: { reason: 'reprise' } })!;
    expect(current).toMatchObject({ status: 'acknowledged', outcome: null, resolved_at: null, closed_at: null, acknowledged_at: 10 });
  });

  it('assigns, dispatches, links, notes, escalates and attaches alarms', () => {
    let current = incident({ priority: 'p3' });
    current = apply(current, { assigned: { from: 'batiments-publics', to: 'cellule-crise' } })!;
    expect(current.post).toBe('cellule-crise');
    current = apply(current, { unit_dispatched: { unit: 'pm-1' } })!;
    current = apply(current, { unit_dispatched: { unit: 'pm-1' } })!;
    expect(current.units).toEqual(['pm-1']);
    current = apply(current, { camera_linked: { camera: 'cam-1' } })!;
    expect(current.cameras).toEqual(['cam-1']);
    current = apply(current, { note_added: { text: 'vu' } })!;
    expect(current.note_count).toBe(1);
    current = apply(current, { escalated: { level: 2, reason: 'r', automatic: true } })!;
    expect(current.escalation_level).toBe(2);
    current = apply(current, { alarm_attached: { rule: 'r', subject: 's', message: 'm', priority: 'p4' } })!;
    expect(current).toMatchObject({ alarm_count: 1, priority: 'p3' });
    current = apply(current, { alarm_attached: { rule: 'r', subject: 's', message: 'm', priority: 'p1' } })!;
    expect(current).toMatchObject({ alarm_count: 2, priority: 'p1' });
  });

  it('never changes the incident it is given', () => {
    const start = incident();
    const frozen = JSON.stringify(start);
    apply(start, 'acknowledged');
    apply(start, { step_completed: { step: 'evacuer' } });
    apply(start, { unit_dispatched: { unit: 'u' } });
    expect(JSON.stringify(start)).toBe(frozen);
  });

  it('reads incident events out of stream events only', () => {
    expect(incidentEventOf(incidentEvent(4, 2, 'acknowledged'))).toMatchObject({ incident_id: 2, change: 'acknowledged' });
    expect(incidentEventOf({ seq: 1, time: 1, source: 'x', body: { observation: { sensor_id: 's', time: 1, value: 1 } } })).toBeNull();
  });
});
