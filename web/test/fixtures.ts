import type { Incident, IncidentChange, UnitEntry, VigieEvent } from '../src/types';

export const FIRE_PLAYBOOK = [
  { id: 'appeler-sdis', title_fr: 'Appeler les sapeurs-pompiers', title_en: 'Call the fire brigade' },
  { id: 'evacuer', title_fr: 'Faire évacuer', title_en: 'Evacuate' },
];

export function incident(patch: Partial<Incident> = {}): Incident {
  return {
    id: 1,
    category: 'fire',
    title: 'Feu',
    priority: 'p2',
    status: 'open',
    post: 'batiments-publics',
    commune: '21231',
    zone: 'bibliotheque',
    position: { lon: 5.044, lat: 47.322 },
    created_at: 1_000_000,
    acknowledged_at: null,
    escalation_level: 0,
    steps: FIRE_PLAYBOOK.map((step) => ({ step, settlement: null })),
    units: [],
    cameras: [],
    note_count: 0,
    alarm_count: 0,
    ...patch,
  };
}

export function incidentEvent(seq: number, incidentId: number, change: IncidentChange, actor = 'operator:alice', time = 2_000_000 + seq): VigieEvent {
  return { seq, time, source: actor, body: { incident: { incident_id: incidentId, actor, change } } };
}

export function created(seq: number, id: number, patch: { priority?: 'p1' | 'p2' | 'p3' | 'p4'; post?: string } = {}): VigieEvent {
  return incidentEvent(
    seq,
    id,
    {
      created: {
        category: 'fire',
        priority: patch.priority ?? 'p2',
        title: `Incident ${id}`,
        post: patch.post ?? 'batiments-publics',
        commune: '21231',
        zone: null,
        position: { lon: 5.04, lat: 47.32 },
        origin: 'manual',
        ack_delay_s: 60,
        playbook: FIRE_PLAYBOOK,
      },
    },
    'rule:fumee-pre-alarme',
  );
}

export function unit(id: string, lon: number, lat: number, patch: Partial<UnitEntry['state']> = {}): UnitEntry {
  return {
    unit: { id, name: `Unit ${id}`, post: 'police-municipale', kind: 'police_patrol', home: [lon, lat] },
    state: { incident: null, lon: null, lat: null, position_at: null, ...patch },
    available: (patch.incident ?? null) === null,
  };
}
