// The live map (MapLibre GL). No online tiles, fonts or sprites: the basemap is the city's own
// GeoJSON (communes, zones) on a plain background, and every marker is a circle or an icon
// drawn here, so no glyphs are needed.

import maplibregl, {
  type GeoJSONSource,
  type MapGeoJSONFeature,
  type MapLayerMouseEvent,
  type StyleSpecification,
} from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { t } from '../i18n';
import { THEMES, over, withAlpha, type Palette, type ThemeName } from '../theme';
import type { FeatureCollection } from '../types';
import { bbox, cityLayer } from './features';
import { MotionResolution, type MotionResolutionOptions } from './resolution';

export interface MapCallbacks {
  onIncident: (id: number) => void;
  /** Builds the popup's content for a clicked feature. */
  popup: (layer: 'sensor' | 'camera' | 'unit' | 'incident', id: string) => HTMLElement | null;
}

type LayerGroup = 'sensors' | 'cameras' | 'units' | 'zones';

const GROUP_LAYERS: Record<LayerGroup, string[]> = {
  sensors: ['sensors-cluster', 'sensors-point'],
  cameras: ['fov', 'cameras-cluster', 'cameras-point'],
  units: ['units-symbol'],
  zones: ['zones-fill', 'zones-line'],
};

/** At most this many unacknowledged incidents pulse at once; the others keep a still ring. */
export const MAX_PULSES = 50;

/**
 * How long a map drawn at reduced resolution waits, once still, before it draws sharp again: a
 * pan made of several drags, or a move that follows another, goes on at the reduced
 * resolution instead of paying a full-resolution frame in between.
 */
export const SHARPEN_AFTER_MS = 250;

/** The MapLibre internals `drawAt` resizes the canvas with (maplibre-gl 5). */
interface MapInternals {
  _overridePixelRatio?: number | null;
  _resizeInternal?: (constrainTransform?: boolean) => void;
}

const EMPTY: FeatureCollection = { type: 'FeatureCollection', features: [] };

/**
 * The paint of the layers drawn as areas with an outline. Drawn in software (no graphics card),
 * each layer costs its own pass over the screen, so each area is one fill layer whose outline
 * is the fill's own one-pixel edge rather than a line layer of its own, and the communes, which
 * lie on the plain background alone, are painted opaque in the colour their translucent fill
 * would give: the same colours, with a seventh to a third more frames a second while the
 * large city moves in software (BENCHMARKS.md).
 */
function areaPaint(p: Palette): [string, string, unknown][] {
  return [
    ['communes', 'fill-color', over(p.communeFill, p.mapBg, 0.7)],
    ['communes', 'fill-outline-color', p.communeLine],
    ['fov', 'fill-color', withAlpha(p.fov, 0.14)],
    ['fov', 'fill-outline-color', withAlpha(p.fov, 0.5)],
  ];
}

function priorityColor(palette: Palette): maplibregl.ExpressionSpecification {
  return ['match', ['get', 'priority'], 'p1', palette.p1, 'p2', palette.p2, 'p3', palette.p3, palette.p4];
}

/** A diamond, as a signed-distance-field-free alpha mask tinted by `icon-color`. */
function diamondIcon(size = 22): ImageData {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const context = canvas.getContext('2d');
  if (!context) return new ImageData(size, size);
  const half = size / 2;
  context.fillStyle = '#000';
  context.beginPath();
  context.moveTo(half, 1);
  context.lineTo(size - 1, half);
  context.lineTo(half, size - 1);
  context.lineTo(1, half);
  context.closePath();
  context.fill();
  return context.getImageData(0, 0, size, size);
}

export class CityMap {
  readonly map: maplibregl.Map;
  private palette: Palette;
  private loaded = false;
  private readonly pending = new Map<string, FeatureCollection>();
  private readonly data = new Map<string, FeatureCollection>();
  /** DOM markers that pulse (CSS) over the unacknowledged incidents, by incident id. */
  private readonly pulses = new Map<number, maplibregl.Marker>();
  private popup: maplibregl.Popup | null = null;
  private resolution = new MotionResolution();
  /** The fraction of the screen's pixel ratio the map draws at now (1 unless moving slowly). */
  drawingScale = 1;
  private sharpen: ReturnType<typeof setTimeout> | null = null;
  private fitted = false;
  readonly ready: Promise<void>;

  constructor(
    container: HTMLElement,
    theme: ThemeName,
    private readonly callbacks: MapCallbacks,
    center: [number, number] = [5.0415, 47.3215],
  ) {
    this.palette = THEMES[theme];
    const style: StyleSpecification = {
      version: 8,
      sources: {},
      layers: [{ id: 'background', type: 'background', paint: { 'background-color': this.palette.mapBg } }],
    };
    this.map = new maplibregl.Map({
      container,
      style,
      center,
      zoom: 11,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      maxPitch: 0,
      fadeDuration: 0,
    });
    this.map.touchZoomRotate.disableRotation();
    // While the map moves, the pulsing markers hide (the still ring stays): moving them with
    // the map every frame costs more than they tell.
    this.map.on('movestart', () => {
      container.classList.add('map-moving');
      this.cancelSharpen();
      const scale = this.resolution.moveStart(performance.now());
      if (scale !== this.drawingScale) this.drawAt(scale);
    });
    // Frames slower than the budget while moving: draw the rest of the move at a lower
    // resolution (see resolution.ts); the still map is always drawn at full resolution.
    this.map.on('render', () => {
      const scale = this.resolution.frame(performance.now());
      if (scale !== null) this.drawAt(scale);
    });
    this.map.on('moveend', () => {
      container.classList.remove('map-moving');
      this.resolution.moveEnd();
      if (this.drawingScale === 1) return;
      this.sharpen = setTimeout(() => {
        this.sharpen = null;
        if (!this.map.isMoving() && this.drawingScale !== 1) this.drawAt(1);
      }, SHARPEN_AFTER_MS);
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
    this.ready = new Promise((resolve) => {
      this.map.on('load', () => {
        this.setup();
        this.loaded = true;
        for (const [id, collection] of this.pending) this.source(id)?.setData(collection as GeoJSON.FeatureCollection);
        this.pending.clear();
        resolve();
      });
    });
  }

  /**
   * Draws at `scale` times the screen's pixel ratio. MapLibre's public `setPixelRatio` fires
   * move events and stops a drag in progress, so the canvas is resized through the internals
   * it uses itself; if a MapLibre version lacks them, the map simply stays at full resolution.
   */
  private drawAt(scale: number): void {
    const internals = this.map as unknown as MapInternals;
    if (typeof internals._resizeInternal !== 'function') return;
    internals._overridePixelRatio = scale === 1 ? null : window.devicePixelRatio * scale;
    internals._resizeInternal(false);
    this.drawingScale = scale;
    this.map.triggerRepaint();
  }

  private cancelSharpen(): void {
    if (this.sharpen === null) return;
    clearTimeout(this.sharpen);
    this.sharpen = null;
  }

  /** Replaces the dynamic resolution's settings (tests, measurements). */
  tuneMotionResolution(options: Partial<MotionResolutionOptions>): void {
    this.resolution = new MotionResolution(options);
    if (this.drawingScale !== 1) this.drawAt(1);
  }

  /** Turns the reduced resolution of a slow moving map on or off (off: always full). */
  setMotionResolution(enabled: boolean): void {
    this.resolution.setEnabled(enabled);
    if (!enabled && this.drawingScale !== 1) this.drawAt(1);
  }

  private source(id: string): GeoJSONSource | undefined {
    return this.map.getSource(id) as GeoJSONSource | undefined;
  }

  private setup(): void {
    const map = this.map;
    const p = this.palette;
    map.addImage('vigie-unit', diamondIcon(), { sdf: true });
    map.addSource('city', { type: 'geojson', data: EMPTY as GeoJSON.FeatureCollection });
    map.addSource('fov', { type: 'geojson', data: EMPTY as GeoJSON.FeatureCollection });
    map.addSource('cameras', {
      type: 'geojson',
      data: EMPTY as GeoJSON.FeatureCollection,
      cluster: true,
      clusterRadius: 40,
      clusterMaxZoom: 14,
    });
    map.addSource('sensors', {
      type: 'geojson',
      data: EMPTY as GeoJSON.FeatureCollection,
      cluster: true,
      clusterRadius: 40,
      clusterMaxZoom: 14,
      clusterProperties: { alarm: ['+', ['case', ['==', ['get', 'state'], 'alarm'], 1, 0]] },
    });
    map.addSource('units', { type: 'geojson', data: EMPTY as GeoJSON.FeatureCollection });
    map.addSource('incidents', { type: 'geojson', data: EMPTY as GeoJSON.FeatureCollection });

    map.addLayer({ id: 'communes', type: 'fill', source: 'city', filter: ['==', ['get', 'layer'], 'commune'] });
    map.addLayer({
      id: 'zones-fill',
      type: 'fill',
      source: 'city',
      filter: ['all', ['==', ['get', 'layer'], 'zone'], ['==', ['geometry-type'], 'Polygon']],
      paint: { 'fill-color': p.zoneLine, 'fill-opacity': 0.12 },
    });
    map.addLayer({
      id: 'zones-line',
      type: 'line',
      source: 'city',
      filter: ['==', ['get', 'layer'], 'zone'],
      paint: {
        'line-color': ['match', ['get', 'kind'], 'river', p.river, p.zoneLine],
        'line-width': ['match', ['get', 'kind'], 'river', 4, 'riverside_road', 2, 'main_road', 2, 1],
        'line-dasharray': [2, 1],
      },
    });
    map.addLayer({ id: 'fov', type: 'fill', source: 'fov', minzoom: 13.5 });
    for (const [layer, property, value] of areaPaint(p)) map.setPaintProperty(layer, property, value);
    map.addLayer({
      id: 'posts',
      type: 'circle',
      source: 'city',
      filter: ['==', ['get', 'layer'], 'post'],
      paint: { 'circle-radius': 5, 'circle-color': p.accent, 'circle-stroke-color': p.markerStroke, 'circle-stroke-width': 2 },
    });
    map.addLayer({
      id: 'cameras-cluster',
      type: 'circle',
      source: 'cameras',
      filter: ['has', 'point_count'],
      paint: {
        'circle-color': p.camera,
        'circle-opacity': 0.55,
        'circle-radius': ['step', ['get', 'point_count'], 7, 10, 10, 50, 14, 200, 18],
        'circle-stroke-color': p.camera,
        'circle-stroke-width': 1,
      },
    });
    map.addLayer({
      id: 'cameras-point',
      type: 'circle',
      source: 'cameras',
      filter: ['!', ['has', 'point_count']],
      paint: { 'circle-color': p.camera, 'circle-radius': 4, 'circle-stroke-color': p.markerStroke, 'circle-stroke-width': 1 },
    });
    map.addLayer({
      id: 'sensors-cluster',
      type: 'circle',
      source: 'sensors',
      filter: ['has', 'point_count'],
      paint: {
        'circle-color': ['case', ['>', ['get', 'alarm'], 0], p.sensorAlarm, p.cluster],
        'circle-opacity': 0.85,
        'circle-radius': ['step', ['get', 'point_count'], 8, 10, 11, 50, 15, 200, 20],
        'circle-stroke-color': p.markerStroke,
        'circle-stroke-width': 1.5,
      },
    });
    map.addLayer({
      id: 'sensors-point',
      type: 'circle',
      source: 'sensors',
      filter: ['!', ['has', 'point_count']],
      paint: {
        'circle-color': ['match', ['get', 'state'], 'alarm', p.sensorAlarm, 'ok', p.sensorOk, 'silent', p.sensorSilent, p.sensorNever],
        'circle-radius': ['match', ['get', 'state'], 'alarm', 7, 5],
        'circle-stroke-color': p.markerStroke,
        'circle-stroke-width': 1.5,
      },
    });
    map.addLayer({
      id: 'units-symbol',
      type: 'symbol',
      source: 'units',
      layout: { 'icon-image': 'vigie-unit', 'icon-allow-overlap': true, 'icon-ignore-placement': true, 'icon-size': 0.8 },
      paint: { 'icon-color': ['case', ['get', 'available'], p.unit, p.unitBusy], 'icon-halo-color': p.markerStroke, 'icon-halo-width': 1 },
    });
    map.addLayer({
      id: 'incidents-halo',
      type: 'circle',
      source: 'incidents',
      filter: ['==', ['get', 'unack'], true],
      paint: {
        'circle-color': priorityColor(p),
        'circle-opacity': 0.18,
        'circle-radius': 15,
        'circle-stroke-color': priorityColor(p),
        'circle-stroke-width': 2,
        'circle-stroke-opacity': 0.9,
      },
    });
    map.addLayer({
      id: 'incidents-circle',
      type: 'circle',
      source: 'incidents',
      layout: { 'circle-sort-key': ['get', 'order'] },
      paint: {
        'circle-color': priorityColor(p),
        'circle-radius': ['match', ['get', 'priority'], 'p1', 10, 'p2', 9, 8],
        'circle-stroke-color': p.markerStroke,
        'circle-stroke-width': 2,
        'circle-opacity': ['match', ['get', 'status'], 'resolved', 0.45, 'closed', 0.3, 1],
      },
    });
    map.addLayer({
      id: 'incidents-selected',
      type: 'circle',
      source: 'incidents',
      filter: ['==', ['get', 'selected'], true],
      paint: { 'circle-radius': 15, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': p.focus, 'circle-stroke-width': 3 },
    });

    // Clusters draw no count (no fonts are loaded): hovering tells it, clicking zooms in.
    const hint = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'vigie-hint', offset: 12 });
    for (const layer of ['sensors-cluster', 'cameras-cluster']) {
      map.on('click', layer, (event) => void this.zoomCluster(event, layer === 'sensors-cluster' ? 'sensors' : 'cameras'));
      map.on('mousemove', layer, (event) => {
        const count = Number(event.features?.[0]?.properties?.point_count ?? 0);
        hint.setLngLat(event.lngLat).setText(CityMap.clusterLabel(count)).addTo(map);
      });
      map.on('mouseleave', layer, () => hint.remove());
    }
    const clickable: [string, 'sensor' | 'camera' | 'unit' | 'incident'][] = [
      ['incidents-circle', 'incident'],
      ['units-symbol', 'unit'],
      ['sensors-point', 'sensor'],
      ['cameras-point', 'camera'],
    ];
    for (const [layer] of [...clickable, ['sensors-cluster'], ['cameras-cluster']]) {
      map.on('mouseenter', layer as string, () => (map.getCanvas().style.cursor = 'pointer'));
      map.on('mouseleave', layer as string, () => (map.getCanvas().style.cursor = ''));
    }
    // One handler for every clickable layer, so the topmost feature wins.
    map.on('click', (event) => {
      const layers = clickable.map(([layer]) => layer).filter((layer) => map.getLayer(layer));
      const features = map.queryRenderedFeatures(event.point, { layers });
      const top = features[0];
      if (!top) return;
      const kind = clickable.find(([layer]) => layer === top.layer.id)?.[1];
      if (!kind) return;
      const id = String(top.properties?.id ?? '');
      if (kind === 'incident') this.callbacks.onIncident(Number(id));
      this.openPopup(kind, id, (top.geometry as GeoJSON.Point).coordinates as [number, number]);
    });
  }

  private async zoomCluster(event: MapLayerMouseEvent, sourceId: string): Promise<void> {
    const feature = event.features?.[0] as MapGeoJSONFeature | undefined;
    if (!feature) return;
    const clusterId = feature.properties?.cluster_id as number | undefined;
    if (clusterId === undefined) return;
    const zoom = await this.source(sourceId)?.getClusterExpansionZoom(clusterId);
    if (zoom === undefined) return;
    this.map.easeTo({ center: (feature.geometry as GeoJSON.Point).coordinates as [number, number], zoom: zoom + 0.2 });
  }

  openPopup(kind: 'sensor' | 'camera' | 'unit' | 'incident', id: string, at: [number, number]): void {
    const content = this.callbacks.popup(kind, id);
    if (!content) return;
    this.popup?.remove();
    this.popup = new maplibregl.Popup({ closeButton: true, closeOnClick: true, maxWidth: '320px', className: 'vigie-popup' })
      .setLngLat(at)
      .setDOMContent(content)
      .addTo(this.map);
  }

  closePopup(): void {
    this.popup?.remove();
    this.popup = null;
  }

  setData(id: 'sensors' | 'cameras' | 'units' | 'incidents' | 'fov' | 'city', collection: FeatureCollection): void {
    this.data.set(id, collection);
    if (!this.loaded) {
      this.pending.set(id, collection);
      return;
    }
    this.source(id)?.setData(collection as GeoJSON.FeatureCollection);
  }

  /** The city's static layers: communes, zones, posts, cameras and their fields of view. */
  setCity(city: FeatureCollection): void {
    this.setData('city', cityLayer(city, 'commune', 'zone', 'post'));
    this.setData('fov', cityLayer(city, 'camera_fov'));
    this.setData('cameras', cityLayer(city, 'camera'));
    if (!this.fitted) {
      const box = bbox(cityLayer(city, 'commune'));
      if (box) {
        this.fitted = true;
        this.map.fitBounds(box, { padding: 20, animate: false });
      }
    }
  }

  /**
   * Incidents as circles coloured by priority, with a ring around the unacknowledged ones.
   * The first `MAX_PULSES` unacknowledged (in queue order: most urgent, longest waiting) also
   * pulse: a DOM marker animated by CSS, so that the pulse costs no map repaint.
   */
  setIncidents(collection: FeatureCollection): void {
    this.setData('incidents', collection);
    const wanted = new Map<number, { priority: string; at: [number, number] }>();
    for (const feature of collection.features) {
      if (feature.properties.unack !== true) continue;
      if (wanted.size >= MAX_PULSES) break;
      wanted.set(Number(feature.properties.id), {
        priority: String(feature.properties.priority),
        at: feature.geometry.coordinates as [number, number],
      });
    }
    for (const [id, marker] of this.pulses) {
      if (!wanted.has(id)) {
        marker.remove();
        this.pulses.delete(id);
      }
    }
    for (const [id, { priority, at }] of wanted) {
      const existing = this.pulses.get(id);
      if (existing) {
        existing.setLngLat(at);
        existing.getElement().dataset.priority = priority;
        continue;
      }
      // MapLibre positions the marker with `transform`; the ring inside is what animates.
      const element = document.createElement('div');
      element.className = 'pulse-marker';
      element.dataset.priority = priority;
      element.dataset.incidentId = String(id);
      element.setAttribute('aria-hidden', 'true');
      element.append(Object.assign(document.createElement('div'), { className: 'pulse-ring' }));
      this.pulses.set(id, new maplibregl.Marker({ element, anchor: 'center' }).setLngLat(at).addTo(this.map));
    }
  }

  /** The incidents that pulse now (DOM markers). */
  pulsingIds(): number[] {
    return [...this.pulses.keys()];
  }

  setGroupVisible(group: LayerGroup, visible: boolean): void {
    const apply = () => {
      for (const layer of GROUP_LAYERS[group]) {
        if (this.map.getLayer(layer)) this.map.setLayoutProperty(layer, 'visibility', visible ? 'visible' : 'none');
      }
    };
    if (this.loaded) apply();
    else void this.ready.then(apply);
  }

  setTheme(theme: ThemeName): void {
    this.palette = THEMES[theme];
    if (!this.loaded) return;
    const p = this.palette;
    const paint: [string, string, unknown][] = [
      ['background', 'background-color', p.mapBg],
      ...areaPaint(p),
      ['zones-fill', 'fill-color', p.zoneLine],
      ['zones-line', 'line-color', ['match', ['get', 'kind'], 'river', p.river, p.zoneLine]],
      ['posts', 'circle-color', p.accent],
      ['posts', 'circle-stroke-color', p.markerStroke],
      ['cameras-cluster', 'circle-color', p.camera],
      ['cameras-cluster', 'circle-stroke-color', p.camera],
      ['cameras-point', 'circle-color', p.camera],
      ['cameras-point', 'circle-stroke-color', p.markerStroke],
      ['sensors-cluster', 'circle-color', ['case', ['>', ['get', 'alarm'], 0], p.sensorAlarm, p.cluster]],
      ['sensors-cluster', 'circle-stroke-color', p.markerStroke],
      ['sensors-point', 'circle-color', ['match', ['get', 'state'], 'alarm', p.sensorAlarm, 'ok', p.sensorOk, 'silent', p.sensorSilent, p.sensorNever]],
      ['sensors-point', 'circle-stroke-color', p.markerStroke],
      ['units-symbol', 'icon-color', ['case', ['get', 'available'], p.unit, p.unitBusy]],
      ['units-symbol', 'icon-halo-color', p.markerStroke],
      ['incidents-halo', 'circle-color', priorityColor(p)],
      ['incidents-halo', 'circle-stroke-color', priorityColor(p)],
      ['incidents-circle', 'circle-color', priorityColor(p)],
      ['incidents-circle', 'circle-stroke-color', p.markerStroke],
      ['incidents-selected', 'circle-stroke-color', p.focus],
    ];
    for (const [layer, property, value] of paint) {
      if (this.map.getLayer(layer)) this.map.setPaintProperty(layer, property, value);
    }
  }

  focusOn(position: { lon: number; lat: number }, minZoom = 15): void {
    this.map.easeTo({ center: [position.lon, position.lat], zoom: Math.max(this.map.getZoom(), minZoom), duration: 600 });
  }

  /**
   * Resolves at the first frame drawn once the style and every tile of every source is
   * loaded, with data given for `sources`.
   */
  settled(sources: string[]): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.loaded && this.map.loaded() && sources.every((id) => this.data.has(id) && this.map.isSourceLoaded(id))) {
          this.map.off('render', check);
          resolve();
        }
      };
      this.map.on('render', check);
      this.map.triggerRepaint();
    });
  }

  /** Resizes after the layout changed (detail panel opened or closed). */
  resize(): void {
    this.map.resize();
  }

  /** The ids of the features MapLibre holds in a source's loaded tiles (for tests and checks). */
  sourceFeatureIds(sourceId: string): string[] {
    if (!this.loaded || !this.map.getSource(sourceId)) return [];
    const ids = new Set<string>();
    for (const feature of this.map.querySourceFeatures(sourceId)) {
      if (feature.properties?.id !== undefined) ids.add(String(feature.properties.id));
    }
    return [...ids];
  }

  /** The last data given for a source. */
  dataOf(sourceId: string): FeatureCollection | undefined {
    return this.data.get(sourceId);
  }

  static clusterLabel(count: number): string {
    return t('map.cluster', { n: count });
  }
}
