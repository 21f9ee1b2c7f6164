// GeoJSON for the map's live layers, built from the console's state. Pure functions.

import type { FeatureCollection, GeoJsonFeature, Health, Incident, Priority, SensorEntry, UnitEntry } from '../types';
import { unitPosition } from '../store/state';

export type SensorState = Health | 'alarm';

/** A sensor's state on the map: in alarm (a standing, unshelved alarm), else its health. */
export function sensorState(entry: SensorEntry, alarmed: Map<string, Priority>): SensorState {
  return alarmed.has(entry.sensor.id) ? 'alarm' : entry.health;
}

export function sensorFeatures(entries: Iterable<SensorEntry>, alarmed: Map<string, Priority>): FeatureCollection {
  const features: GeoJsonFeature[] = [];
  for (const entry of entries) {
    const sensor = entry.sensor;
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [sensor.lon, sensor.lat] },
      properties: { id: sensor.id, kind: sensor.kind, state: sensorState(entry, alarmed) },
    });
  }
  return { type: 'FeatureCollection', features };
}

/** Incidents with a position. `unack` marks those still open (they pulse). */
export function incidentFeatures(incidents: Iterable<Incident>, selected: number | null): FeatureCollection {
  const features: GeoJsonFeature[] = [];
  for (const incident of incidents) {
    if (!incident.position) continue;
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [incident.position.lon, incident.position.lat] },
      properties: {
        id: incident.id,
        priority: incident.priority,
        status: incident.status,
        unack: incident.status === 'open',
        selected: incident.id === selected,
        // Most urgent drawn last (on top).
        order: 10 - Number(incident.priority.slice(1)),
      },
    });
  }
  return { type: 'FeatureCollection', features };
}

export function unitFeatures(units: Iterable<UnitEntry>): FeatureCollection {
  const features: GeoJsonFeature[] = [];
  for (const entry of units) {
    const position = unitPosition(entry);
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [position.lon, position.lat] },
      properties: { id: entry.unit.id, kind: entry.unit.kind, post: entry.unit.post, available: entry.available, reported: position.reported },
    });
  }
  return { type: 'FeatureCollection', features };
}

/** The features of the city GeoJSON whose `layer` property is one of `layers`. */
export function cityLayer(city: FeatureCollection, ...layers: string[]): FeatureCollection {
  return { type: 'FeatureCollection', features: city.features.filter((feature) => layers.includes(String(feature.properties.layer))) };
}

/** The bounding box `[west, south, east, north]` of every coordinate of the features. */
export function bbox(collection: FeatureCollection): [number, number, number, number] | null {
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  const visit = (coordinates: unknown): void => {
    if (!Array.isArray(coordinates)) return;
    if (typeof coordinates[0] === 'number' && typeof coordinates[1] === 'number') {
      const [lon, lat] = coordinates as [number, number];
      west = Math.min(west, lon);
      east = Math.max(east, lon);
      south = Math.min(south, lat);
      north = Math.max(north, lat);
      return;
    }
    for (const inner of coordinates) visit(inner);
  };
  for (const feature of collection.features) visit(feature.geometry.coordinates);
  return Number.isFinite(west) ? [west, south, east, north] : null;
}
