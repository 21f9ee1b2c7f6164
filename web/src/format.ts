// Formatting of durations, times, priorities, actors and values for people.

import { type Lang, lang as currentLang, t } from './i18n';
import type { Outcome, Priority } from './types';

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * A live timer: `m:ss` under an hour, `h:mm:ss` under a day, then `2 j 03 h` / `2 d 03 h`.
 * Negative durations (a clock slightly behind the server) read as zero.
 */
export function formatDuration(ms: number, inLang: Lang = currentLang()): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const seconds = total % 60;
  const minutes = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  if (hours >= 24) {
    return t('time.days', { d: Math.floor(hours / 24), h: pad(hours % 24) }, inLang);
  }
  if (hours > 0) return `${hours}:${pad(minutes)}:${pad(seconds)}`;
  return `${minutes}:${pad(seconds)}`;
}

/** A short duration in words: `42 s`, `12 min`, `1:02:03`. */
export function formatSeconds(seconds: number | null | undefined, inLang: Lang = currentLang()): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return t('time.seconds', { n: Math.round(seconds) }, inLang);
  if (seconds < 3600) return t('time.minutes', { n: Math.round(seconds / 60) }, inLang);
  return formatDuration(seconds * 1000, inLang);
}

/** Wall-clock time `HH:MM:SS` (24 h) in the browser's time zone. */
export function formatTime(ms: number, inLang: Lang = currentLang(), timeZone?: string): string {
  return new Intl.DateTimeFormat(inLang === 'fr' ? 'fr-FR' : 'en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone,
  }).format(new Date(ms));
}

/** Date and time, e.g. `26/11 08:03:12`. */
export function formatDateTime(ms: number, inLang: Lang = currentLang(), timeZone?: string): string {
  return new Intl.DateTimeFormat(inLang === 'fr' ? 'fr-FR' : 'en-GB', {
    day: '2-digit',
    month: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZone,
  }).format(new Date(ms));
}

/** Date with the year and time to the minute, e.g. `26/11/2026 08:03`: for expiries weeks away. */
export function formatDateYear(ms: number, inLang: Lang = currentLang(), timeZone?: string): string {
  return new Intl.DateTimeFormat(inLang === 'fr' ? 'fr-FR' : 'en-GB', {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZone,
  }).format(new Date(ms));
}

/** `P1`…`P4`. */
export function priorityShort(priority: Priority): string {
  return priority.toUpperCase();
}

/** `P1 — critique` / `P1 — critical`. */
export function priorityLabel(priority: Priority, inLang: Lang = currentLang()): string {
  switch (priority) {
    case 'p1':
      return t('priority.p1', undefined, inLang);
    case 'p2':
      return t('priority.p2', undefined, inLang);
    case 'p3':
      return t('priority.p3', undefined, inLang);
    case 'p4':
      return t('priority.p4', undefined, inLang);
    default:
      return String(priority).toUpperCase();
  }
}

/** `INC-000012`, as the API and the operators name incidents. */
export function incidentRef(id: number): string {
  return `INC-${String(id).padStart(6, '0')}`;
}

/** `operator:alice` → `alice`; `rule:x` → `règle x`; `system:escalation` → `système (escalation)`. */
export function formatActor(actor: string, inLang: Lang = currentLang()): string {
  const colon = actor.indexOf(':');
  if (colon < 0) return actor;
  const kind = actor.slice(0, colon);
  const name = actor.slice(colon + 1);
  if (kind === 'operator') return t('actor.operator', { name }, inLang);
  if (kind === 'rule') return t('actor.rule', { name }, inLang);
  if (kind === 'system') return t('actor.system', { name }, inLang);
  return actor;
}

export function formatOutcome(outcome: Outcome | null | undefined, inLang: Lang = currentLang()): string {
  if (!outcome) return '—';
  if (outcome === 'confirmed') return t('outcome.confirmed', undefined, inLang);
  if (outcome === 'false_alarm') return t('outcome.false_alarm', undefined, inLang);
  if (typeof outcome === 'object' && 'duplicate' in outcome) {
    return t('outcome.duplicate', { id: incidentRef(outcome.duplicate.of) }, inLang);
  }
  return String(outcome);
}

/** A measured value with its unit, with at most 2 decimals: `1.25 m`, `1 200 veh/h`. */
export function formatValue(value: number | null | undefined, unit: string, inLang: Lang = currentLang()): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const number = new Intl.NumberFormat(inLang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 2 }).format(value);
  return unit && unit !== 'state' ? `${number} ${unit}` : number;
}

/** Distance: `54 m` under a kilometre, else `1.2 km` / `1,2 km`. */
export function formatDistance(metres: number, inLang: Lang = currentLang()): string {
  if (metres < 1000) return t('cameras.distance', { m: Math.round(metres) }, inLang);
  const km = new Intl.NumberFormat(inLang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 1 }).format(metres / 1000);
  return t('units.distance', { km }, inLang);
}
