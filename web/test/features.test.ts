import { describe, expect, it } from 'vitest';
import { bbox, cityLayer, incidentFeatures, sensorFeatures, sensorState, unitFeatures } from '../src/map/features';
import type { FeatureCollection, SensorEntry } from '../src/types';
import { incident, unit } from './fixtures';

function sensor(id: string, health: SensorEntry['health']): SensorEntry {
  return {
    sensor: { id, kind: 'smoke', unit: 'state', lon: 5, lat: 47, commune: '21231', criticality: 5, expected_period_s: 300 },
    last: null,
    health,
  };
}

describe('map features', () => {
  it('colours a sensor by alarm first, then health', () => {
    const alarmed = new Map([['s1', 'p1' as const]]);
    expect(sensorState(sensor('s1', 'ok'), alarmed)).toBe('alarm');
    expect(sensorState(sensor('s2', 'silent'), alarmed)).toBe('silent');
    const collection = sensorFeatures([sensor('s1', 'ok'), sensor('s2', 'never_seen')], alarmed);
    expect(collection.features.map((feature) => feature.properties.state)).toEqual(['alarm', 'never_seen']);
  });

  it('marks open incidents to pulse and skips those without a position', () => {
    const collection = incidentFeatures(
      [incident({ id: 1 }), incident({ id: 2, status: 'acknowledged', priority: 'p1' }), incident({ id: 3, position: null })],
      2,
    );
    expect(collection.features.map((feature) => feature.properties)).toEqual([
      { id: 1, priority: 'p2', status: 'open', unack: true, selected: false, order: 8 },
      { id: 2, priority: 'p1', status: 'acknowledged', unack: false, selected: true, order: 9 },
    ]);
  });

  it('places units at their last position, else at base', () => {
    const collection = unitFeatures([unit('a', 5, 47), unit('b', 5, 47, { lon: 6, lat: 48, incident: 2 })]);
    expect(collection.features.map((feature) => [feature.geometry.coordinates, feature.properties.available, feature.properties.reported])).toEqual([
      [[5, 47], true, false],
      [[6, 48], false, true],
    ]);
  });

  it('splits the city by layer and bounds it', () => {
    const city: FeatureCollection = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[4.9, 47.2], [5.2, 47.2], [5.2, 47.4], [4.9, 47.2]]] }, properties: { layer: 'commune', id: 'c' } },
        { type: 'Feature', geometry: { type: 'Point', coordinates: [5.0, 47.3] }, properties: { layer: 'camera', id: 'k' } },
      ],
    };
    expect(cityLayer(city, 'camera').features).toHaveLength(1);
    expect(bbox(cityLayer(city, 'commune'))).toEqual([4.9, 47.2, 5.2, 47.4]);
    expect(bbox({ type: 'FeatureCollection', features: [] })).toBeNull();
  });
});
