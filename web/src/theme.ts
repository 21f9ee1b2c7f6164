// The two themes: the dark control-room theme (default) and a light one. The same palette
// feeds the CSS custom properties and the map's paint, and a unit test checks that every
// text colour meets WCAG AA contrast on the backgrounds it is drawn on.

export type ThemeName = 'dark' | 'light';

export interface Palette {
  bg: string;
  panel: string;
  panel2: string;
  border: string;
  text: string;
  muted: string;
  accent: string;
  accentText: string;
  focus: string;
  danger: string;
  ok: string;
  warn: string;
  /** Priority badges: background and the text drawn on it. */
  p1: string;
  p1Text: string;
  p2: string;
  p2Text: string;
  p3: string;
  p3Text: string;
  p4: string;
  p4Text: string;
  /** Map colours. */
  mapBg: string;
  communeFill: string;
  communeLine: string;
  zoneLine: string;
  river: string;
  fov: string;
  camera: string;
  sensorOk: string;
  sensorSilent: string;
  sensorNever: string;
  sensorAlarm: string;
  unit: string;
  unitBusy: string;
  cluster: string;
  markerStroke: string;
}

export const THEMES: Record<ThemeName, Palette> = {
  dark: {
    bg: '#0a0f14',
    panel: '#111a23',
    panel2: '#172330',
    border: '#2a3a4b',
    text: '#e8eef4',
    muted: '#a3b3c2',
    accent: '#5aa9ff',
    accentText: '#06121f',
    focus: '#ffd166',
    danger: '#ff6b6b',
    ok: '#4cd08a',
    warn: '#ffb454',
    p1: '#ff5a5f',
    p1Text: '#0a0f14',
    p2: '#ff9f43',
    p2Text: '#0a0f14',
    p3: '#f4d35e',
    p3Text: '#0a0f14',
    p4: '#7fb8ff',
    p4Text: '#0a0f14',
    mapBg: '#0d141b',
    communeFill: '#15212c',
    communeLine: '#3c5266',
    zoneLine: '#5b6f82',
    river: '#2f7fd1',
    fov: '#b388ff',
    camera: '#c7a6ff',
    sensorOk: '#4cd08a',
    sensorSilent: '#ffb454',
    sensorNever: '#7d8b99',
    sensorAlarm: '#ff5a5f',
    unit: '#5ad1e6',
    unitBusy: '#e070c8',
    cluster: '#3a5570',
    markerStroke: '#0a0f14',
  },
  light: {
    bg: '#eef2f6',
    panel: '#ffffff',
    panel2: '#f5f7fa',
    border: '#c5d0db',
    text: '#0f1720',
    muted: '#46525e',
    accent: '#0b5cad',
    accentText: '#ffffff',
    focus: '#b45309',
    danger: '#b42318',
    ok: '#1f7a45',
    warn: '#9a5b00',
    p1: '#b42318',
    p1Text: '#ffffff',
    p2: '#b54708',
    p2Text: '#ffffff',
    p3: '#8a6100',
    p3Text: '#ffffff',
    p4: '#1d4ed8',
    p4Text: '#ffffff',
    mapBg: '#e4eaf0',
    communeFill: '#f7f9fb',
    communeLine: '#8a9bb0',
    zoneLine: '#7a8897',
    river: '#3b82f6',
    fov: '#7c3aed',
    camera: '#6d28d9',
    sensorOk: '#1f9d55',
    sensorSilent: '#d97706',
    sensorNever: '#8794a1',
    sensorAlarm: '#dc2626',
    unit: '#0e7490',
    unitBusy: '#a21caf',
    cluster: '#5b7896',
    markerStroke: '#ffffff',
  },
};

/** Relative luminance of an sRGB colour `#rrggbb` (WCAG 2). */
export function luminance(hex: string): number {
  const value = hex.replace('#', '');
  const channels = [0, 2, 4].map((start) => parseInt(value.slice(start, start + 2), 16) / 255);
  const linear = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * (linear[0] ?? 0) + 0.7152 * (linear[1] ?? 0) + 0.0722 * (linear[2] ?? 0);
}

function channels(hex: string): [number, number, number] {
  const value = hex.replace('#', '');
  return [0, 2, 4].map((start) => parseInt(value.slice(start, start + 2), 16)) as [number, number, number];
}

/**
 * `color` painted at `opacity` over `under`, as the one opaque colour `#rrggbb` it gives (the
 * blend a browser does, in sRGB). The map draws its commune areas this way: the same pixels as
 * a translucent fill over the plain background, without blending every frame.
 */
export function over(color: string, under: string, opacity: number): string {
  const top = channels(color);
  const bottom = channels(under);
  const mixed = top.map((value, index) => Math.round(value * opacity + (bottom[index] ?? 0) * (1 - opacity)));
  return `#${mixed.map((value) => value.toString(16).padStart(2, '0')).join('')}`;
}

/** `#rrggbb` with an alpha, as `rgba(r, g, b, alpha)`. */
export function withAlpha(color: string, alpha: number): string {
  return `rgba(${channels(color).join(', ')}, ${alpha})`;
}

/** WCAG contrast ratio between two colours, 1 to 21. */
export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

function cssName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (part) => `-${part.toLowerCase()}`)}`;
}

/** Sets the theme's custom properties on the document and `data-theme` on `<html>`. */
export function applyTheme(name: ThemeName, root: HTMLElement = document.documentElement): void {
  const palette = THEMES[name];
  for (const [key, value] of Object.entries(palette)) root.style.setProperty(cssName(key), value);
  root.dataset.theme = name;
  root.style.colorScheme = name;
}
