import { describe, expect, it } from 'vitest';
import { type ChartBox, barGeometry, seriesGeometry } from '../src/ui/chart';
import type { SeriesPoint } from '../src/types';

const BOX: ChartBox = { width: 200, height: 100, left: 0, right: 0, top: 0, bottom: 0 };
const MINUTE = 60_000;

function point(minute: number, mean: number, min = mean, max = mean): SeriesPoint {
  return { minute: minute * MINUTE, count: 1, min, max, mean, last: mean };
}

describe('sensor chart', () => {
  it('scales time on x and values on y', () => {
    const geometry = seriesGeometry([point(0, 0), point(1, 10)], 0, 2 * MINUTE, BOX);
    expect(geometry.points).toBe(2);
    expect(geometry.yMin).toBe(0);
    expect(geometry.yMax).toBe(10);
    expect(geometry.mean).toBe('M0,100L100,0');
  });

  it('breaks the line over missing minutes', () => {
    const geometry = seriesGeometry([point(0, 1), point(1, 2), point(10, 3), point(11, 4)], 0, 12 * MINUTE, BOX);
    expect(geometry.mean.match(/M/g)).toHaveLength(2);
    expect(geometry.band.match(/Z/g)).toHaveLength(2);
  });

  it('draws a lone minute and a flat series', () => {
    const geometry = seriesGeometry([point(5, 3)], 0, 10 * MINUTE, BOX);
    expect(geometry.points).toBe(1);
    expect(geometry.yMin).toBeLessThan(3);
    expect(geometry.yMax).toBeGreaterThan(3);
    expect(geometry.mean).toContain('h2');
  });

  it('keeps only the window and sorts by time', () => {
    const geometry = seriesGeometry([point(30, 9), point(2, 1), point(1, 0), point(-5, 100)], 0, 10 * MINUTE, BOX);
    expect(geometry.points).toBe(2);
    expect(geometry.yMax).toBe(1);
  });

  it('puts hour ticks on a 24-hour window every 4 hours', () => {
    const hour = 3_600_000;
    const geometry = seriesGeometry([], 0, 24 * hour, BOX);
    expect(geometry.points).toBe(0);
    expect(geometry.ticks.map((tick) => tick.at / hour)).toEqual([0, 4, 8, 12, 16, 20, 24]);
  });
});

describe('alarm-rate bars', () => {
  it('scales bars against the flood threshold', () => {
    const geometry = barGeometry([5, 0, 20], 10, 100);
    expect(geometry.max).toBe(20);
    expect(geometry.heights).toEqual([25, 0, 100]);
    expect(geometry.thresholdY).toBe(50);
    expect(barGeometry([0], 10, 100).max).toBe(10);
  });
});
