// The shapes of the Vigie JSON API, as the console reads them.

export type Priority = 'p1' | 'p2' | 'p3' | 'p4';
export type IncidentStatus = 'open' | 'acknowledged' | 'on_hold' | 'resolved' | 'closed';
export type Outcome = 'confirmed' | 'false_alarm' | { duplicate: { of: number } };
export type Health = 'ok' | 'silent' | 'never_seen';

export interface GeoPoint {
  lon: number;
  lat: number;
}

export interface PlaybookStep {
  id: string;
  title_fr: string;
  title_en: string;
}

export type StepSettlement =
  | { done: { by: string; at: number } }
  | { skipped: { by: string; at: number; reason: string } };

export interface StepState {
  step: PlaybookStep;
  settlement: StepSettlement | null;
}

export type Origin = 'manual' | { alarm: { rule: string; subject: string } } | Record<string, unknown>;

export interface Incident {
  id: number;
  category: string;
  title: string;
  priority: Priority;
  status: IncidentStatus;
  post: string;
  commune: string | null;
  zone: string | null;
  position: GeoPoint | null;
  origin?: Origin;
  created_at: number;
  acknowledged_at: number | null;
  resolved_at?: number | null;
  closed_at?: number | null;
  ack_delay_s?: number;
  escalation_level: number;
  steps: StepState[];
  units: string[];
  cameras: string[];
  note_count?: number;
  alarm_count: number;
  outcome?: Outcome | null;
  updated_at?: number;
}

export type IncidentChange =
  | {
      created: {
        category: string;
        priority: Priority;
        title: string;
        post: string;
        commune: string | null;
        zone: string | null;
        position: GeoPoint | null;
        origin: Origin;
        ack_delay_s: number;
        playbook: PlaybookStep[];
      };
    }
  | 'acknowledged'
  | 'resumed'
  | 'closed'
  | { assigned: { from: string; to: string } }
  | { unit_dispatched: { unit: string } }
  | { note_added: { text: string } }
  | { camera_linked: { camera: string } }
  | { alarm_attached: { rule: string; subject: string; message: string; priority?: Priority | null } }
  | { escalated: { level: number; reason: string; automatic: boolean } }
  | { held: { reason: string } }
  | { step_completed: { step: string } }
  | { step_skipped: { step: string; reason: string } }
  | { resolved: { outcome: Outcome } }
  | { reopened: { reason: string } };

export interface AlarmKey {
  rule: string;
  subject: string;
}

export interface RaisedAlarm {
  category: string;
  severity?: number;
  priority: Priority;
  value?: number | null;
  sensors?: string[];
  zone?: string | null;
  commune?: string | null;
  post: string;
  message_fr?: string;
  message_en?: string;
  disposition?: unknown;
}

export type AlarmChange =
  | { raised: RaisedAlarm }
  | 'cleared'
  | { shelved: { until: number; reason: string } }
  | { unshelved: { expired: boolean } };

export interface Observation {
  sensor_id: string;
  time: number;
  value: number;
  unit?: string;
}

export type EventBody =
  | { observation: Observation }
  | { incident: { incident_id: number; actor: string; change: IncidentChange } }
  | { alarm: { key: AlarmKey; incident: number | null; actor: string; change: AlarmChange } }
  | { unit_position: { unit_id: string; lon: number; lat: number } };

export interface VigieEvent {
  seq: number;
  time: number;
  source: string;
  body: EventBody;
}

export interface Post {
  id: string;
  name_fr: string;
  name_en: string;
  location?: [number, number];
}

export interface Category {
  category: string;
  label_fr: string;
  label_en: string;
  default_priority: Priority;
  ack_delay_s: number;
  playbook: PlaybookStep[];
}

export interface Sensor {
  id: string;
  name?: string;
  kind: string;
  unit: string;
  lon: number;
  lat: number;
  commune: string;
  zone?: string | null;
  criticality: number;
  expected_period_s: number;
}

export interface SensorLast {
  value: number;
  unit: string;
  observed_at: number;
  received_at: number;
  count: number;
}

export interface SensorEntry {
  sensor: Sensor;
  last: SensorLast | null;
  health: Health;
}

export interface SeriesPoint {
  minute: number;
  count: number;
  min: number;
  max: number;
  mean: number;
  last: number;
}

export interface SensorDetail extends SensorEntry {
  series: SeriesPoint[];
}

export interface Camera {
  id: string;
  name: string;
  lon: number;
  lat: number;
  heading_deg: number;
  fov_deg: number;
  range_m: number;
  commune: string;
  zone?: string | null;
  stream_url?: string | null;
  snapshot_url?: string | null;
}

export interface Unit {
  id: string;
  name: string;
  post: string;
  kind: string;
  home: [number, number];
}

export interface UnitState {
  incident: number | null;
  lon: number | null;
  lat: number | null;
  position_at: number | null;
}

export interface UnitEntry {
  unit: Unit;
  state: UnitState;
  available: boolean;
}

export interface StandingAlarm {
  raised_at: number;
  category: string;
  priority: Priority;
  post: string;
  incident: number | null;
  value: number | null;
}

export interface Shelf {
  until: number;
  reason: string;
  by: string;
  since: number;
}

export interface AlarmsList {
  standing: { rule: string; subject: string; alarm: StandingAlarm; shelved: boolean }[];
  shelved: { rule: string; subject: string; shelf: Shelf }[];
}

export interface PostKpi {
  post: string;
  alarms_last_10_min: number;
  flooded: boolean;
  alarms_per_10_min_last_24h: Record<string, number>;
  standing: number;
  unacknowledged_incidents: number;
  time_to_acknowledge_s: { count: number; median: number | null; p90: number | null; max: number | null };
}

export interface Kpis {
  at: number;
  flood_threshold: number;
  flood_window_s: number;
  posts: PostKpi[];
  standing: number;
  shelved: number;
  raised_total: number;
  cleared_total: number;
  top_chattering: { rule: string; subject: string; raises_last_10_min: number }[];
}

/** A redacted snapshot (faces and heads blurred) that video analytics kept as evidence. */
export interface Evidence {
  id: string;
  camera: string;
  sensor: string | null;
  taken_at: number;
  expires_at: number;
  data_class: string;
  bytes: number;
  stored_at?: number;
  kept_by?: string | null;
}

export interface IncidentDetail {
  incident: Incident;
  timeline: VigieEvent[];
  cameras: { camera: Camera; distance_m: number }[];
  /** The evidence snapshots of the incident's video alarms, newest first (absent from older servers). */
  evidence?: Evidence[];
}

export interface CommandResult {
  incident: Incident | null;
  events: VigieEvent[];
}

export type Command =
  | { type: 'acknowledge' }
  | { type: 'assign'; post: string }
  | { type: 'dispatch_unit'; unit: string }
  | { type: 'add_note'; text: string }
  | { type: 'link_camera'; camera: string }
  | { type: 'escalate'; reason: string }
  | { type: 'hold'; reason: string }
  | { type: 'resume' }
  | { type: 'complete_step'; step: string }
  | { type: 'skip_step'; step: string; reason: string }
  | { type: 'resolve'; outcome: Outcome }
  | { type: 'close' }
  | { type: 'reopen'; reason: string };

export interface GeoJsonFeature {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown };
  properties: Record<string, unknown> & { layer?: string; id?: string | number };
}

export interface FeatureCollection {
  type: 'FeatureCollection';
  features: GeoJsonFeature[];
}
