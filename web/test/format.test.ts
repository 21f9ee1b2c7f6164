import { describe, expect, it } from 'vitest';
import {
  formatActor,
  formatDistance,
  formatDuration,
  formatOutcome,
  formatSeconds,
  formatTime,
  formatValue,
  incidentRef,
  priorityLabel,
  priorityShort,
} from '../src/format';

describe('durations', () => {
  it('reads as a timer under a day', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(999)).toBe('0:00');
    expect(formatDuration(42_000)).toBe('0:42');
    expect(formatDuration(12 * 60_000 + 5_000)).toBe('12:05');
    expect(formatDuration(3_600_000 + 2 * 60_000 + 3_000)).toBe('1:02:03');
    expect(formatDuration(23 * 3_600_000 + 59 * 60_000 + 59_000)).toBe('23:59:59');
  });

  it('counts days past 24 hours, in each language', () => {
    const ms = (2 * 24 + 3) * 3_600_000 + 5 * 60_000;
    expect(formatDuration(ms, 'fr')).toBe('2 j 03 h');
    expect(formatDuration(ms, 'en')).toBe('2 d 03 h');
  });

  it('reads a clock slightly ahead of the server as zero', () => {
    expect(formatDuration(-1500)).toBe('0:00');
  });

  it('writes short durations in words', () => {
    expect(formatSeconds(null)).toBe('—');
    expect(formatSeconds(42.4, 'en')).toBe('42 s');
    expect(formatSeconds(600, 'fr')).toBe('10 min');
    expect(formatSeconds(3723, 'fr')).toBe('1:02:03');
  });
});

describe('priorities and references', () => {
  it('labels priorities in both languages', () => {
    expect(priorityShort('p1')).toBe('P1');
    expect(priorityLabel('p1', 'fr')).toBe('P1 — critique');
    expect(priorityLabel('p1', 'en')).toBe('P1 — critical');
    expect(priorityLabel('p4', 'fr')).toBe('P4 — basse');
    expect(priorityLabel('p3', 'en')).toBe('P3 — medium');
  });

  it('names incidents as the API does', () => {
    expect(incidentRef(12)).toBe('INC-000012');
    expect(incidentRef(1234567)).toBe('INC-1234567');
  });

  it('names authors', () => {
    expect(formatActor('operator:alice', 'fr')).toBe('alice');
    expect(formatActor('rule:fumee-pre-alarme', 'fr')).toBe('règle fumee-pre-alarme');
    expect(formatActor('rule:fumee-pre-alarme', 'en')).toBe('rule fumee-pre-alarme');
    expect(formatActor('system:escalation', 'en')).toBe('system (escalation)');
    expect(formatActor('anonymous')).toBe('anonymous');
  });

  it('names outcomes', () => {
    expect(formatOutcome('confirmed', 'fr')).toBe('Confirmé');
    expect(formatOutcome('false_alarm', 'en')).toBe('False alarm');
    expect(formatOutcome({ duplicate: { of: 7 } }, 'en')).toBe('Duplicate of INC-000007');
    expect(formatOutcome(null)).toBe('—');
  });
});

describe('values, distances and times', () => {
  it('writes values with their unit', () => {
    expect(formatValue(1.256, 'm', 'en')).toBe('1.26 m');
    expect(formatValue(1.5, 'm', 'fr')).toBe('1,5 m');
    expect(formatValue(1, 'state', 'en')).toBe('1');
    expect(formatValue(null, 'm')).toBe('—');
    expect(formatValue(Number.NaN, 'm')).toBe('—');
  });

  it('writes distances in metres, then kilometres', () => {
    expect(formatDistance(54.5, 'fr')).toBe('55 m');
    expect(formatDistance(1234, 'en')).toBe('1.2 km');
    expect(formatDistance(1234, 'fr')).toBe('1,2 km');
  });

  it('writes wall-clock time on 24 hours', () => {
    // 2026-11-26T08:03:09Z is 09:03:09 in Paris.
    expect(formatTime(Date.UTC(2026, 10, 26, 8, 3, 9), 'fr', 'Europe/Paris')).toBe('09:03:09');
    expect(formatTime(Date.UTC(2026, 10, 26, 20, 3, 9), 'en', 'UTC')).toBe('20:03:09');
  });
});
