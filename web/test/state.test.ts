import { describe, expect, it } from 'vitest';
import { ConsoleState, alarmKey, distanceM, nearestAvailableUnits } from '../src/store/state';
import type { VigieEvent } from '../src/types';
import { created, incident, incidentEvent, unit } from './fixtures';

const EMPTY_ALARMS = { standing: [], shelved: [] };

function alarmEvent(seq: number, change: unknown, subject = 'smoke-1', incidentId: number | null = 1): VigieEvent {
  return {
    seq,
    time: 1000 + seq,
    source: 'rule:r',
    body: { alarm: { key: { rule: 'r', subject }, incident: incidentId, actor: 'rule:r', change } },
  } as VigieEvent;
}

describe('ConsoleState', () => {
  it('folds stream events in order and ignores those already seen', () => {
    const state = new ConsoleState();
    state.loadSnapshot({ incidents: [], units: [], alarms: EMPTY_ALARMS }, 10, 10);
    expect(state.apply(created(9, 1)).kind).toBe('ignored');
    const applied = state.apply(created(11, 1, { priority: 'p1' }));
    expect(applied).toMatchObject({ kind: 'incident', id: 1, created: true, refetch: false });
    expect(state.incidents.get(1)?.priority).toBe('p1');
    state.apply(incidentEvent(12, 1, 'acknowledged'));
    expect(state.incidents.get(1)?.status).toBe('acknowledged');
    // A replay of the same event (a reconnect that resent it) changes nothing.
    expect(state.apply(incidentEvent(12, 1, { note_added: { text: 'x' } })).kind).toBe('ignored');
    expect(state.lastSeq).toBe(12);
  });

  it('re-reads an incident whose events may already be in the snapshot', () => {
    const state = new ConsoleState();
    // The log moved from 10 to 14 while the snapshot was read.
    state.loadSnapshot({ incidents: [incident({ id: 1, note_count: 1 })], units: [], alarms: EMPTY_ALARMS }, 10, 14);
    const ambiguous = state.apply(incidentEvent(12, 1, { note_added: { text: 'x' } }));
    expect(ambiguous).toMatchObject({ kind: 'incident', refetch: true });
    expect(state.incidents.get(1)?.note_count).toBe(1);
    const later = state.apply(incidentEvent(15, 1, { note_added: { text: 'y' } }));
    expect(later).toMatchObject({ refetch: false });
    expect(state.incidents.get(1)?.note_count).toBe(2);
  });

  it('asks to re-read an incident it does not hold', () => {
    const state = new ConsoleState();
    state.loadSnapshot({ incidents: [], units: [], alarms: EMPTY_ALARMS }, 0, 0);
    expect(state.apply(incidentEvent(1, 42, { reopened: { reason: 'r' } }))).toMatchObject({ kind: 'incident', id: 42, refetch: true });
  });

  it('does not fold twice an event a command answer already brought', () => {
    const state = new ConsoleState();
    state.loadSnapshot({ incidents: [incident({ id: 1 })], units: [], alarms: EMPTY_ALARMS }, 5, 5);
    const noted = incident({ id: 1, note_count: 1 });
    state.applyCommandResult(noted, [incidentEvent(6, 1, { note_added: { text: 'x' } })]);
    expect(state.incidents.get(1)?.note_count).toBe(1);
    state.apply(incidentEvent(6, 1, { note_added: { text: 'x' } }));
    expect(state.incidents.get(1)?.note_count).toBe(1);
    state.apply(incidentEvent(7, 1, { note_added: { text: 'y' } }));
    expect(state.incidents.get(1)?.note_count).toBe(2);
  });

  it('keeps a newer state than a late command answer', () => {
    const state = new ConsoleState();
    state.loadSnapshot({ incidents: [incident({ id: 1 })], units: [], alarms: EMPTY_ALARMS }, 0, 0);
    state.apply(incidentEvent(1, 1, 'acknowledged'));
    state.apply(incidentEvent(2, 1, { step_completed: { step: 'evacuer' } }));
    state.applyCommandResult(incident({ id: 1, status: 'acknowledged' }), [incidentEvent(1, 1, 'acknowledged')]);
    expect(state.incidents.get(1)?.steps[1]?.settlement).not.toBeNull();
  });

  it('tracks standing and shelved alarms', () => {
    const state = new ConsoleState();
    state.loadSnapshot({ incidents: [], units: [], alarms: EMPTY_ALARMS }, 0, 0);
    state.apply(alarmEvent(1, { raised: { category: 'fire', priority: 'p2', post: 'bp', value: 1 } }));
    expect(state.standing.get(alarmKey('r', 'smoke-1'))?.alarm).toEqual({ raised_at: 1001, category: 'fire', priority: 'p2', post: 'bp', incident: 1, value: 1 });
    expect([...state.alarmedSubjects()]).toEqual([['smoke-1', 'p2']]);
    expect(state.alarmsOf('smoke-1')).toHaveLength(1);
    state.apply(alarmEvent(2, { shelved: { until: 9999, reason: 'travaux' } }));
    expect(state.shelved.get(alarmKey('r', 'smoke-1'))?.shelf).toEqual({ until: 9999, reason: 'travaux', by: 'rule:r', since: 1002 });
    expect(state.alarmedSubjects().size).toBe(0);
    state.apply(alarmEvent(3, { unshelved: { expired: true } }));
    expect(state.shelved.size).toBe(0);
    state.apply(alarmEvent(4, 'cleared'));
    expect(state.standing.size).toBe(0);
  });

  it('loads alarms from the snapshot', () => {
    const state = new ConsoleState();
    state.loadSnapshot(
      {
        incidents: [],
        units: [],
        alarms: {
          standing: [{ rule: 'r', subject: 's', shelved: false, alarm: { raised_at: 1, category: 'fire', priority: 'p1', post: 'bp', incident: null, value: null } }],
          shelved: [{ rule: 'q', subject: 's', shelf: { until: 2, reason: 'x', by: 'operator:a', since: 1 } }],
        },
      },
      0,
      0,
    );
    expect(state.standing.size).toBe(1);
    expect(state.shelved.size).toBe(1);
  });

  it('moves units and tracks their availability', () => {
    const state = new ConsoleState();
    state.loadSnapshot({ incidents: [incident({ id: 1 })], units: [unit('u1', 5, 47)], alarms: EMPTY_ALARMS }, 0, 0);
    expect(state.apply({ seq: 1, time: 50, source: 'http', body: { unit_position: { unit_id: 'u1', lon: 5.1, lat: 47.1 } } })).toEqual({ kind: 'unit', id: 'u1' });
    expect(state.units.get('u1')?.state).toMatchObject({ lon: 5.1, lat: 47.1, position_at: 50 });
    state.apply(incidentEvent(2, 1, { unit_dispatched: { unit: 'u1' } }));
    expect(state.units.get('u1')).toMatchObject({ available: false, state: { incident: 1 } });
    state.apply(incidentEvent(3, 1, { resolved: { outcome: 'confirmed' } }));
    expect(state.units.get('u1')).toMatchObject({ available: true, state: { incident: null } });
    expect(state.apply({ seq: 4, time: 60, source: 'http', body: { unit_position: { unit_id: 'nope', lon: 0, lat: 0 } } }).kind).toBe('other');
  });
});

describe('units near an incident', () => {
  it('measures distances on the sphere', () => {
    // One degree of latitude is about 111.2 km.
    expect(distanceM({ lon: 5, lat: 47 }, { lon: 5, lat: 48 })).toBeGreaterThan(111_000);
    expect(distanceM({ lon: 5, lat: 47 }, { lon: 5, lat: 48 })).toBeLessThan(111_400);
  });

  it('ranks available units by distance, from their last position or their base', () => {
    const units = [
      unit('far', 5.2, 47.3),
      unit('near-base', 5.05, 47.32),
      unit('reported', 5.9, 47.9, { lon: 5.041, lat: 47.321 }),
      unit('busy', 5.04, 47.32, { incident: 3 }),
    ];
    const nearest = nearestAvailableUnits(units, { lon: 5.04, lat: 47.32 }, 2);
    expect(nearest.map((item) => item.entry.unit.id)).toEqual(['reported', 'near-base']);
  });
});
