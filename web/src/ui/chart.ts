// SVG charts drawn by hand: the 24-hour series of a sensor and the alarm-rate bars per post.

import type { SeriesPoint } from '../types';

const SVG = 'http://www.w3.org/2000/svg';

export interface ChartBox {
  width: number;
  height: number;
  /** Inner margins for the axes. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface SeriesGeometry {
  /** The mean per minute, with a break wherever minutes are missing. */
  mean: string;
  /** The min–max band, one closed polygon per run of consecutive minutes. */
  band: string;
  yMin: number;
  yMax: number;
  /** Hour ticks: x position and the time they stand for. */
  ticks: { x: number; at: number }[];
  points: number;
}

const MINUTE = 60_000;

/**
 * Geometry of a per-minute series over `[from, to]`. A gap of more than `maxGapMin` minutes
 * breaks the line rather than drawing a straight line across missing data.
 */
export function seriesGeometry(series: SeriesPoint[], from: number, to: number, box: ChartBox, maxGapMin = 2): SeriesGeometry {
  const points = series.filter((point) => point.minute >= from && point.minute <= to).sort((a, b) => a.minute - b.minute);
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const point of points) {
    yMin = Math.min(yMin, point.min);
    yMax = Math.max(yMax, point.max);
  }
  if (!Number.isFinite(yMin)) {
    yMin = 0;
    yMax = 1;
  }
  if (yMax === yMin) {
    const pad = Math.abs(yMax) * 0.1 || 1;
    yMin -= pad;
    yMax += pad;
  }
  const innerW = box.width - box.left - box.right;
  const innerH = box.height - box.top - box.bottom;
  const x = (time: number) => box.left + ((time - from) / Math.max(1, to - from)) * innerW;
  const y = (value: number) => box.top + (1 - (value - yMin) / (yMax - yMin)) * innerH;
  const round = (n: number) => Math.round(n * 10) / 10;

  const runs: SeriesPoint[][] = [];
  for (const point of points) {
    const run = runs[runs.length - 1];
    const previous = run?.[run.length - 1];
    if (run && previous && point.minute - previous.minute <= maxGapMin * MINUTE) run.push(point);
    else runs.push([point]);
  }
  let mean = '';
  let band = '';
  for (const run of runs) {
    run.forEach((point, index) => {
      mean += `${index === 0 ? 'M' : 'L'}${round(x(point.minute))},${round(y(point.mean))}`;
    });
    if (run.length === 1) {
      const point = run[0] as SeriesPoint;
      // A lone minute: a short horizontal stroke so that it shows.
      mean += `h2`;
      band += `M${round(x(point.minute))},${round(y(point.max))}V${round(y(point.min))}h2V${round(y(point.max))}Z`;
      continue;
    }
    const top = run.map((point, index) => `${index === 0 ? 'M' : 'L'}${round(x(point.minute))},${round(y(point.max))}`).join('');
    const bottom = [...run].reverse().map((point) => `L${round(x(point.minute))},${round(y(point.min))}`).join('');
    band += `${top}${bottom}Z`;
  }
  const ticks: { x: number; at: number }[] = [];
  const hour = 3_600_000;
  const step = to - from > 12 * hour ? 4 * hour : hour;
  for (let at = Math.ceil(from / step) * step; at <= to; at += step) ticks.push({ x: round(x(at)), at });
  return { mean, band, yMin, yMax, ticks, points: points.length };
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child);
  return element;
}

/** Bar geometry for values against a threshold: heights scaled to the larger of both. */
export function barGeometry(values: number[], threshold: number, height: number): { heights: number[]; thresholdY: number; max: number } {
  const max = Math.max(threshold, ...values, 1);
  return {
    heights: values.map((value) => (value / max) * height),
    thresholdY: height - (threshold / max) * height,
    max,
  };
}
