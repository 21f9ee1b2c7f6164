// The console's live state: a snapshot read from the API, then kept up to date by the
// stream's events, in log order. Pure: no IO, no DOM, no clock.

import type {
  AlarmsList,
  Incident,
  Priority,
  Shelf,
  StandingAlarm,
  UnitEntry,
  VigieEvent,
} from '../types';
import { evolveIncident, incidentEventOf, priorityRank } from './incidents';

export function alarmKey(rule: string, subject: string): string {
  return `${rule}\u0000${subject}`;
}

export interface StandingEntry {
  rule: string;
  subject: string;
  alarm: StandingAlarm;
}

export interface ShelfEntry {
  rule: string;
  subject: string;
  shelf: Shelf;
}

/** What applying one event did, for the views to react. */
export type Applied =
  | { kind: 'ignored' }
  | { kind: 'incident'; id: number; created: boolean; incident: Incident | undefined; previous: Incident | undefined; refetch: boolean }
  | { kind: 'alarm'; key: string; subject: string; incident: number | null }
  | { kind: 'unit'; id: string }
  | { kind: 'other' };

export class ConsoleState {
  /** The last sequence number applied (or read with the snapshot). */
  lastSeq = 0;
  readonly incidents = new Map<number, Incident>();
  readonly units = new Map<string, UnitEntry>();
  readonly standing = new Map<string, StandingEntry>();
  readonly shelved = new Map<string, ShelfEntry>();
  /**
   * For each incident, the sequence number of the last event known to be in it (from a
   * command's answer or the stream), so that an event is never folded twice.
   */
  private readonly incidentSeq = new Map<number, number>();
  /**
   * Events in `(snapshotFrom, snapshotTo]` may or may not be in the snapshot: the log moved
   * while it was read. Incident events there are not folded; the incident is re-read instead.
   */
  private snapshotFrom = 0;
  private snapshotTo = 0;

  /**
   * Loads a snapshot read between two reads of the log's last sequence number: `seqBefore`
   * (read before the snapshot) and `seqAfter` (read after it).
   */
  loadSnapshot(
    snapshot: { incidents: Incident[]; units: UnitEntry[]; alarms: AlarmsList },
    seqBefore: number,
    seqAfter: number,
  ): void {
    this.incidents.clear();
    this.incidentSeq.clear();
    for (const incident of snapshot.incidents) this.incidents.set(incident.id, incident);
    this.units.clear();
    for (const entry of snapshot.units) this.units.set(entry.unit.id, entry);
    this.standing.clear();
    for (const entry of snapshot.alarms.standing) {
      this.standing.set(alarmKey(entry.rule, entry.subject), { rule: entry.rule, subject: entry.subject, alarm: entry.alarm });
    }
    this.shelved.clear();
    for (const entry of snapshot.alarms.shelved) {
      this.shelved.set(alarmKey(entry.rule, entry.subject), entry);
    }
    this.lastSeq = seqBefore;
    this.snapshotFrom = seqBefore;
    this.snapshotTo = Math.max(seqBefore, seqAfter);
  }

  /** Adds or replaces incidents read later (another status filter, a re-read). */
  upsertIncident(incident: Incident, knownSeq = 0): void {
    this.incidents.set(incident.id, incident);
    if (knownSeq > 0) this.incidentSeq.set(incident.id, Math.max(knownSeq, this.incidentSeq.get(incident.id) ?? 0));
  }

  /** The state of an incident as a command answered it, with the events that command wrote. */
  applyCommandResult(incident: Incident | null, events: VigieEvent[]): void {
    if (!incident) return;
    const seq = events.reduce((max, event) => Math.max(max, event.seq), 0);
    const known = this.incidentSeq.get(incident.id) ?? 0;
    if (seq > 0 && seq < known) return; // the stream already brought something newer
    this.upsertIncident(incident, seq);
  }

  /** Applies one stream event. Events at or before `lastSeq` are ignored. */
  apply(event: VigieEvent): Applied {
    if (event.seq <= this.lastSeq) return { kind: 'ignored' };
    this.lastSeq = event.seq;
    const body = event.body;
    const incidentEvent = incidentEventOf(event);
    if (incidentEvent) {
      const id = incidentEvent.incident_id;
      const previous = this.incidents.get(id);
      const known = this.incidentSeq.get(id) ?? 0;
      const ambiguous = event.seq > this.snapshotFrom && event.seq <= this.snapshotTo;
      if (event.seq <= known) {
        return { kind: 'incident', id, created: false, incident: previous, previous, refetch: false };
      }
      if (ambiguous && previous) {
        return { kind: 'incident', id, created: false, incident: previous, previous, refetch: true };
      }
      const next = evolveIncident(previous, incidentEvent);
      if (next) {
        this.incidents.set(id, next);
        this.incidentSeq.set(id, event.seq);
      }
      const change = incidentEvent.change;
      if (typeof change === 'object' && 'unit_dispatched' in change) {
        this.setUnitIncident(change.unit_dispatched.unit, id);
      } else if (change === 'closed' || (typeof change === 'object' && 'resolved' in change)) {
        for (const [unitId, entry] of this.units) {
          if (entry.state.incident === id) this.setUnitIncident(unitId, null);
        }
      }
      const created = previous === undefined && next !== undefined;
      // An event about an incident the console never saw (e.g. resolved before the snapshot
      // and now reopened): re-read it.
      return { kind: 'incident', id, created, incident: next, previous, refetch: next === undefined };
    }
    if ('alarm' in body) {
      const { key, change, actor } = body.alarm;
      const mapKey = alarmKey(key.rule, key.subject);
      if (change === 'cleared') {
        this.standing.delete(mapKey);
      } else if ('raised' in change) {
        const raised = change.raised;
        this.standing.set(mapKey, {
          rule: key.rule,
          subject: key.subject,
          alarm: {
            raised_at: event.time,
            category: raised.category,
            priority: raised.priority,
            post: raised.post,
            incident: body.alarm.incident,
            value: raised.value ?? null,
          },
        });
      } else if ('shelved' in change) {
        this.shelved.set(mapKey, {
          rule: key.rule,
          subject: key.subject,
          shelf: { until: change.shelved.until, reason: change.shelved.reason, by: actor, since: event.time },
        });
      } else if ('unshelved' in change) {
        this.shelved.delete(mapKey);
      }
      return { kind: 'alarm', key: mapKey, subject: key.subject, incident: body.alarm.incident };
    }
    if ('unit_position' in body) {
      const position = body.unit_position;
      const entry = this.units.get(position.unit_id);
      if (!entry) return { kind: 'other' };
      this.units.set(position.unit_id, {
        ...entry,
        state: { ...entry.state, lon: position.lon, lat: position.lat, position_at: event.time },
      });
      return { kind: 'unit', id: position.unit_id };
    }
    return { kind: 'other' };
  }

  private setUnitIncident(unitId: string, incident: number | null): void {
    const entry = this.units.get(unitId);
    if (!entry) return;
    this.units.set(unitId, { ...entry, state: { ...entry.state, incident }, available: incident === null });
  }

  /** The standing alarms of a subject (a sensor id), most urgent first. */
  alarmsOf(subject: string): StandingEntry[] {
    const out: StandingEntry[] = [];
    for (const entry of this.standing.values()) if (entry.subject === subject) out.push(entry);
    return out.sort((a, b) => priorityRank(a.alarm.priority) - priorityRank(b.alarm.priority));
  }

  /** Subjects with a standing alarm that is not shelved, and the most urgent priority of each. */
  alarmedSubjects(): Map<string, Priority> {
    const out = new Map<string, Priority>();
    for (const [key, entry] of this.standing) {
      if (this.shelved.has(key)) continue;
      const known = out.get(entry.subject);
      if (!known || priorityRank(entry.alarm.priority) < priorityRank(known)) out.set(entry.subject, entry.alarm.priority);
    }
    return out;
  }
}

/** Distance in metres between two WGS 84 points (haversine). */
export function distanceM(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const radius = 6_371_008.8;
  const toRad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * toRad;
  const dLon = (b.lon - a.lon) * toRad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * toRad) * Math.cos(b.lat * toRad) * Math.sin(dLon / 2) ** 2;
  return 2 * radius * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Where a unit is: its last reported position, else its home base. */
export function unitPosition(entry: UnitEntry): { lon: number; lat: number; reported: boolean } {
  if (entry.state.lon !== null && entry.state.lat !== null) {
    return { lon: entry.state.lon, lat: entry.state.lat, reported: true };
  }
  return { lon: entry.unit.home[0], lat: entry.unit.home[1], reported: false };
}

/** The available units nearest to a point, nearest first. */
export function nearestAvailableUnits(
  units: Iterable<UnitEntry>,
  point: { lon: number; lat: number },
  limit = 5,
): { entry: UnitEntry; distance_m: number }[] {
  const out: { entry: UnitEntry; distance_m: number }[] = [];
  for (const entry of units) {
    if (!entry.available) continue;
    out.push({ entry, distance_m: distanceM(unitPosition(entry), point) });
  }
  return out.sort((a, b) => a.distance_m - b.distance_m || a.entry.unit.id.localeCompare(b.entry.unit.id)).slice(0, limit);
}
