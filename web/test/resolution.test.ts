import { describe, expect, it } from 'vitest';
import { MotionResolution } from '../src/map/resolution';

/** Feeds `count` frames `interval` ms apart from `start`; returns the time after the last and
 * the scales asked for, in order. */
function frames(resolution: MotionResolution, start: number, count: number, interval: number): [number, number[]] {
  const asked: number[] = [];
  let now = start;
  for (let index = 0; index < count; index += 1) {
    now += interval;
    const scale = resolution.frame(now);
    if (scale !== null) asked.push(scale);
  }
  return [now, asked];
}

describe('dynamic resolution while the map moves', () => {
  it('stays at full resolution while frames keep to the budget', () => {
    const resolution = new MotionResolution();
    expect(resolution.moveStart(0)).toBe(1);
    const [, asked] = frames(resolution, 0, 120, 16);
    expect(asked).toEqual([]);
    expect(resolution.scale).toBe(1);
  });

  it('steps a slow move down after the measured frames, and back to full when it stops', () => {
    const resolution = new MotionResolution({ samples: 6 });
    resolution.moveStart(0);
    // Six intervals are needed before deciding: five frames after the first are not enough.
    const [now] = frames(resolution, 0, 6, 80);
    expect(resolution.scale).toBe(1);
    expect(resolution.frame(now + 80)).toBe(0.5);
    expect(resolution.scale).toBe(0.5);
    // Fast enough at half resolution: it stays there.
    const [, asked] = frames(resolution, now + 80, 30, 20);
    expect(asked).toEqual([]);
    expect(resolution.scale).toBe(0.5);
    resolution.moveEnd();
    expect(resolution.scale).toBe(1);
  });

  it('goes down one step at a time while still too slow, never below the last step', () => {
    const resolution = new MotionResolution({ samples: 3, steps: [0.5, 0.35, 0.25] });
    resolution.moveStart(0);
    const [, asked] = frames(resolution, 0, 40, 100);
    expect(asked).toEqual([0.5, 0.35, 0.25]);
    expect(resolution.scale).toBe(0.25);
  });

  it('starts the next moves at the step reached, and measures at full resolution again after a while', () => {
    const resolution = new MotionResolution({ samples: 4, probeAfterMs: 10_000 });
    resolution.moveStart(0);
    frames(resolution, 0, 5, 100);
    resolution.moveEnd();
    expect(resolution.moveStart(1_000)).toBe(0.5);
    resolution.moveEnd();
    // Past the probe delay the move starts at full resolution; fast frames keep it there.
    expect(resolution.moveStart(20_000)).toBe(1);
    const [, asked] = frames(resolution, 20_000, 30, 10);
    expect(asked).toEqual([]);
    resolution.moveEnd();
    expect(resolution.moveStart(21_000)).toBe(1);
  });

  it('ignores one slow frame among fast ones (the median decides)', () => {
    const resolution = new MotionResolution({ samples: 6 });
    resolution.moveStart(0);
    let now = 0;
    for (const interval of [16, 16, 250, 16, 16, 16, 16]) {
      now += interval;
      expect(resolution.frame(now)).toBeNull();
    }
    expect(resolution.scale).toBe(1);
  });

  it('does nothing when turned off, nor outside a move', () => {
    const resolution = new MotionResolution({ samples: 2 });
    expect(frames(resolution, 0, 10, 200)[1]).toEqual([]);
    resolution.setEnabled(false);
    resolution.moveStart(0);
    expect(frames(resolution, 0, 10, 200)[1]).toEqual([]);
    expect(resolution.scale).toBe(1);
  });
});
