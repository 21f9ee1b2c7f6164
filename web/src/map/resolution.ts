// Dynamic resolution while the map moves. A console without a graphics card (a thin client, a
// virtual desktop, a browser drawing WebGL in software) spends most of each frame filling
// pixels, and pans at a few frames a second at full resolution. When the frames of a move
// come slower than the budget, the map draws the rest of that move, and the next ones, at a
// lower pixel ratio — half, then a third, then a quarter of the full one, one step each time
// the frames are still too slow — and at full resolution again once it stops: the still
// map, the one an operator reads, stays sharp. With a graphics card the frames stay within
// budget and nothing changes.

export interface MotionResolutionOptions {
  /** The frame interval above which a move counts as slow, in milliseconds. */
  budgetMs: number;
  /** The fractions of the full pixel ratio tried in turn while a slow map moves. */
  steps: number[];
  /** How many frame intervals are measured before deciding. */
  samples: number;
  /** After this long at reduced resolution, the next move is measured at full resolution again. */
  probeAfterMs: number;
}

export const DEFAULT_MOTION_RESOLUTION: MotionResolutionOptions = {
  budgetMs: 1000 / 30,
  steps: [0.5, 0.35, 0.25],
  samples: 6,
  probeAfterMs: 60_000,
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Decides, move by move and frame by frame, the fraction of the full pixel ratio the map draws
 * at. Pure: the caller gives the times and applies the answers.
 */
export class MotionResolution {
  private readonly options: MotionResolutionOptions;
  private moving = false;
  private frames: number[] = [];
  /** How many steps down moves draw at (0: full resolution), and since when. */
  private level = 0;
  private since = 0;
  private enabled = true;

  constructor(options: Partial<MotionResolutionOptions> = {}) {
    this.options = { ...DEFAULT_MOTION_RESOLUTION, ...options };
  }

  /** The fraction of the full pixel ratio to draw at now. */
  get scale(): number {
    if (!this.enabled || !this.moving || this.level === 0) return 1;
    return this.options.steps[this.level - 1];
  }

  /** Turns dynamic resolution on or off (off: always full resolution). */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) this.level = 0;
  }

  /** A move starts at `now`. Returns the scale of its first frame. */
  moveStart(now: number): number {
    this.moving = true;
    this.frames = [];
    // Measure again from time to time: the window may be smaller, the machine less busy.
    if (this.level > 0 && now - this.since >= this.options.probeAfterMs) this.level = 0;
    return this.scale;
  }

  /**
   * A frame was drawn at `now` during a move. Returns the new scale when the frames are too
   * slow at the current one and a lower step is left, else null.
   */
  frame(now: number): number | null {
    if (!this.enabled || !this.moving || this.level >= this.options.steps.length) return null;
    this.frames.push(now);
    if (this.frames.length <= this.options.samples) return null;
    const intervals = this.frames.slice(1).map((time, index) => time - this.frames[index]);
    this.frames = this.frames.slice(-1);
    if (median(intervals) <= this.options.budgetMs) return null;
    this.level += 1;
    this.since = now;
    return this.scale;
  }

  /** The move ended: the map draws at full resolution again. */
  moveEnd(): void {
    this.moving = false;
    this.frames = [];
  }
}
