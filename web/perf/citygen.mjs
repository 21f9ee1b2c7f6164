// Makes a large city pack for the performance script: a copy of the demo metropolis with extra
// sensors and cameras spread uniformly inside the communes (deterministic: seeded).

import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A small seeded generator (mulberry32), so that every run measures the same city. */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ringContains(ring, [x, y]) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function polygonContains(polygon, point) {
  if (!ringContains(polygon[0], point)) return false;
  return !polygon.slice(1).some((hole) => ringContains(hole, point));
}

function polygons(geometry) {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
}

/** The communes with a sampler of points inside each, weighted by area of their bounding box. */
export function communeSampler(communesGeojson, rand) {
  const communes = communesGeojson.features.map((feature) => {
    const parts = polygons(feature.geometry);
    let west = Infinity;
    let south = Infinity;
    let east = -Infinity;
    let north = -Infinity;
    for (const polygon of parts) {
      for (const [lon, lat] of polygon[0]) {
        west = Math.min(west, lon);
        east = Math.max(east, lon);
        south = Math.min(south, lat);
        north = Math.max(north, lat);
      }
    }
    return { id: String(feature.properties.id), parts, box: [west, south, east, north], weight: (east - west) * (north - south) };
  });
  const total = communes.reduce((sum, commune) => sum + commune.weight, 0);
  return () => {
    let pick = rand() * total;
    let commune = communes[communes.length - 1];
    for (const candidate of communes) {
      pick -= candidate.weight;
      if (pick <= 0) {
        commune = candidate;
        break;
      }
    }
    const [west, south, east, north] = commune.box;
    for (let attempt = 0; attempt < 1000; attempt += 1) {
      const point = [west + rand() * (east - west), south + rand() * (north - south)];
      if (commune.parts.some((polygon) => polygonContains(polygon, point))) {
        return { commune: commune.id, lon: Math.round(point[0] * 1e6) / 1e6, lat: Math.round(point[1] * 1e6) / 1e6 };
      }
    }
    throw new Error(`no point found inside commune ${commune.id}`);
  };
}

function count(text, table) {
  return (text.match(new RegExp(`^\\[\\[${table}\\]\\]`, 'gm')) ?? []).length;
}

/** Reads the `key = value` lines of every `[[table]]` block (enough for the demo's flat blocks). */
function blocks(text, table) {
  const out = [];
  const parts = text.split(/^(?=\[)/m);
  for (const part of parts) {
    if (!part.startsWith(`[[${table}]]`)) continue;
    const entry = {};
    for (const line of part.split('\n').slice(1)) {
      const match = /^(\w+)\s*=\s*(.+)$/.exec(line.trim());
      if (match) entry[match[1]] = match[2];
    }
    out.push(entry);
  }
  return out;
}

/**
 * Copies `demoPack` to `outDir` and adds sensors and cameras up to the totals asked for.
 * Returns the totals and a sampler of positions inside the communes.
 */
export function makeBigCity(demoPack, outDir, { sensors = 10_000, cameras = 5_000, seed = 2026 } = {}) {
  cpSync(demoPack, outDir, { recursive: true });
  const cityPath = join(outDir, 'city.toml');
  let text = readFileSync(cityPath, 'utf8');
  const rand = random(seed);
  const sample = communeSampler(JSON.parse(readFileSync(join(outDir, 'communes.geojson'), 'utf8')), rand);
  const sensorTemplates = blocks(text, 'sensors');
  const cameraTemplates = blocks(text, 'cameras');
  const extraSensors = Math.max(0, sensors - count(text, 'sensors'));
  const extraCameras = Math.max(0, cameras - count(text, 'cameras'));
  const lines = ['', '# ---- generated for the performance script ----'];
  for (let i = 0; i < extraSensors; i += 1) {
    const template = sensorTemplates[Math.floor(rand() * sensorTemplates.length)];
    const place = sample();
    lines.push(
      '',
      '[[sensors]]',
      `id = "perf-sensor-${String(i).padStart(5, '0')}"`,
      `name = "Capteur de charge ${i}"`,
      `kind = ${template.kind}`,
      `unit = ${template.unit}`,
      `lon = ${place.lon}`,
      `lat = ${place.lat}`,
      `commune = "${place.commune}"`,
      `criticality = ${template.criticality}`,
      `expected_period_s = ${template.expected_period_s}`,
    );
  }
  for (let i = 0; i < extraCameras; i += 1) {
    const template = cameraTemplates[Math.floor(rand() * cameraTemplates.length)];
    const place = sample();
    const id = `perf-cam-${String(i).padStart(5, '0')}`;
    lines.push(
      '',
      '[[cameras]]',
      `id = "${id}"`,
      `name = "Caméra de charge ${i}"`,
      `lon = ${place.lon}`,
      `lat = ${place.lat}`,
      `heading_deg = ${Math.floor(rand() * 3600) / 10}`,
      `fov_deg = ${template.fov_deg}`,
      `range_m = ${template.range_m}`,
      `commune = "${place.commune}"`,
      `stream_url = "rtsp://vms.demo.invalid/cam/${id}"`,
    );
  }
  text += `${lines.join('\n')}\n`;
  writeFileSync(cityPath, text);
  return { sensors: count(text, 'sensors'), cameras: count(text, 'cameras'), sample };
}
