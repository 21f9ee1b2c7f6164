import { describe, expect, it } from 'vitest';
import { type EventSourceLike, LiveStream, STREAM_KINDS, streamUrl } from '../src/stream';
import type { VigieEvent } from '../src/types';

class FakeSource implements EventSourceLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }
  emit(kind: string, event: VigieEvent): void {
    for (const listener of this.listeners.get(kind) ?? []) listener({ data: JSON.stringify(event) } as MessageEvent);
  }
  fail(closed: boolean): void {
    this.readyState = closed ? 2 : 0;
    this.onerror?.({} as Event);
  }
}

function setup(startSeq: number) {
  const givenUp: number[] = [];
  const sources: FakeSource[] = [];
  const received: VigieEvent[] = [];
  const statuses: string[] = [];
  const timers: (() => void)[] = [];
  let lastSeq = startSeq;
  const stream = new LiveStream({
    lastSeq: () => lastSeq,
    onEvent: (event) => {
      received.push(event);
      lastSeq = event.seq;
    },
    onStatus: (status) => statuses.push(status),
    factory: (url) => {
      const source = new FakeSource(url);
      sources.push(source);
      return source;
    },
    setTimer: (fn) => timers.push(fn),
    onGiveUp: () => givenUp.push(sources.length),
  });
  return { stream, sources, received, statuses, timers, givenUp };
}

const event = (seq: number): VigieEvent => ({ seq, time: seq, source: 'x', body: { incident: { incident_id: 1, actor: 'operator:a', change: 'acknowledged' } } });

describe('live stream', () => {
  it('asks for incidents, alarms and units from the sequence after the snapshot', () => {
    expect(streamUrl(43)).toBe('/api/stream?from=43&kinds=incident%2Calarm%2Cunit');
    expect(streamUrl(0)).toContain('from=1');
    const { stream, sources } = setup(42);
    stream.start();
    expect(sources[0]!.url).toBe('/api/stream?from=43&kinds=incident%2Calarm%2Cunit');
  });

  it('listens to every named kind the server sends', () => {
    const { stream, sources } = setup(0);
    stream.start();
    for (const kind of STREAM_KINDS) expect(sources[0]!.listeners.has(kind)).toBe(true);
    expect(STREAM_KINDS.filter((kind) => kind.startsWith('incident.'))).toHaveLength(15);
  });

  it('delivers events and reports the connection', () => {
    const { stream, sources, received, statuses } = setup(0);
    stream.start();
    sources[0]!.open();
    sources[0]!.emit('incident.acknowledged', event(1));
    sources[0]!.emit('alarm.raised', event(2));
    expect(received.map((item) => item.seq)).toEqual([1, 2]);
    expect(statuses).toEqual(['live']);
    sources[0]!.listeners.get('unit.position')![0]!({ data: 'not json' } as MessageEvent);
    expect(received).toHaveLength(2);
  });

  it('lets the browser reconnect by itself (it sends Last-Event-ID)', () => {
    const { stream, sources, statuses, timers } = setup(0);
    stream.start();
    sources[0]!.open();
    sources[0]!.fail(false);
    expect(statuses).toEqual(['live', 'reconnecting']);
    expect(sources).toHaveLength(1);
    expect(timers).toHaveLength(0);
    sources[0]!.open();
    expect(statuses.at(-1)).toBe('live');
  });

  it('opens a new stream from the last event applied when the browser gives up', () => {
    const { stream, sources, received, timers } = setup(10);
    stream.start();
    sources[0]!.open();
    sources[0]!.emit('incident.acknowledged', event(11));
    sources[0]!.emit('incident.acknowledged', event(12));
    sources[0]!.fail(true);
    expect(sources[0]!.closed).toBe(true);
    expect(timers).toHaveLength(1);
    timers[0]!();
    expect(sources).toHaveLength(2);
    expect(sources[1]!.url).toContain('from=13');
    // Late events from the old source are dropped.
    sources[0]!.emit('incident.acknowledged', event(99));
    expect(received.map((item) => item.seq)).toEqual([11, 12]);
  });

  it('says when the browser gives up, so that an ended session can be noticed, and not while it retries', () => {
    const { stream, sources, givenUp } = setup(0);
    stream.start();
    sources[0]!.fail(false);
    expect(givenUp).toEqual([]);
    sources[0]!.fail(true);
    expect(givenUp).toEqual([1]);
  });

  it('stops for good', () => {
    const { stream, sources, timers } = setup(0);
    stream.start();
    stream.stop();
    expect(sources[0]!.closed).toBe(true);
    sources[0]!.fail(true);
    expect(timers).toHaveLength(0);
  });
});
