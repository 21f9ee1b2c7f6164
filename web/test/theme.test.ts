import { describe, expect, it } from 'vitest';
import { THEMES, contrast, over, withAlpha, type Palette } from '../src/theme';

// Text drawn on each background, and the smallest contrast WCAG 2.1 AA asks for it
// (4.5:1 for text, 3:1 for large bold text and graphical objects).
const TEXT_PAIRS: [keyof Palette, keyof Palette, number][] = [
  ['text', 'bg', 4.5],
  ['text', 'panel', 4.5],
  ['text', 'panel2', 4.5],
  ['muted', 'bg', 4.5],
  ['muted', 'panel', 4.5],
  ['muted', 'panel2', 4.5],
  ['accent', 'panel', 4.5],
  ['accentText', 'accent', 4.5],
  ['danger', 'panel', 4.5],
  ['danger', 'panel2', 4.5],
  ['ok', 'panel', 4.5],
  ['warn', 'panel', 4.5],
  ['warn', 'panel2', 4.5],
  ['p1Text', 'p1', 4.5],
  ['p2Text', 'p2', 4.5],
  ['p3Text', 'p3', 4.5],
  ['p4Text', 'p4', 4.5],
  ['focus', 'panel', 3],
  ['focus', 'bg', 3],
  ['border', 'panel', 1.2],
];

// Map markers against the map background (graphical objects: 3:1).
const MARKER_PAIRS: [keyof Palette, keyof Palette, number][] = [
  ['p1', 'mapBg', 3],
  ['p2', 'mapBg', 3],
  ['p4', 'mapBg', 3],
  ['sensorAlarm', 'communeFill', 3],
  ['sensorOk', 'communeFill', 2.5],
];

describe('contrast', () => {
  it('computes WCAG ratios', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#777777')).toBe(1);
    expect(contrast('#767676', '#ffffff')).toBeGreaterThan(4.5);
  });

  for (const [name, palette] of Object.entries(THEMES)) {
    it(`meets WCAG AA in the ${name} theme`, () => {
      const failures = [...TEXT_PAIRS, ...MARKER_PAIRS]
        .map(([fg, bg, min]) => ({ pair: `${fg} on ${bg}`, ratio: Math.round(contrast(palette[fg], palette[bg]) * 100) / 100, min }))
        .filter((item) => item.ratio < item.min);
      expect(failures).toEqual([]);
    });
  }
});

describe('colour blending', () => {
  it('gives the opaque colour of a translucent paint over another', () => {
    expect(over('#ffffff', '#000000', 0.5)).toBe('#808080');
    expect(over('#15212c', '#0d141b', 0.7)).toBe('#131d27');
    expect(over('#123456', '#abcdef', 1)).toBe('#123456');
    expect(over('#123456', '#abcdef', 0)).toBe('#abcdef');
  });

  it('writes a colour with an alpha', () => {
    expect(withAlpha('#b388ff', 0.14)).toBe('rgba(179, 136, 255, 0.14)');
  });

  for (const [name, palette] of Object.entries(THEMES)) {
    it(`keeps the markers readable on the communes as drawn in the ${name} theme`, () => {
      const communes = over(palette.communeFill, palette.mapBg, 0.7);
      expect(contrast(palette.sensorAlarm, communes)).toBeGreaterThanOrEqual(3);
      expect(contrast(palette.p1, communes)).toBeGreaterThanOrEqual(3);
    });
  }
});
