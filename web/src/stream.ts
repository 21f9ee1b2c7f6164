// The live stream: `GET /api/stream` (Server-Sent Events). Each event names its kind
// (`incident.created`, `alarm.raised`, `unit.position`...) and carries its sequence number as
// `id`, so the browser resumes with `Last-Event-ID` after a reconnect. When the browser gives
// up (the server answered with an error), the stream is opened again from the last sequence
// number applied. The session cookie goes with the request like any other of the same origin.

import type { VigieEvent } from './types';

/** Every kind the console follows; `EventSource` only delivers named events it listens to. */
export const STREAM_KINDS = [
  'incident.created',
  'incident.acknowledged',
  'incident.assigned',
  'incident.unit_dispatched',
  'incident.note_added',
  'incident.alarm_attached',
  'incident.camera_linked',
  'incident.escalated',
  'incident.held',
  'incident.resumed',
  'incident.step_completed',
  'incident.step_skipped',
  'incident.resolved',
  'incident.closed',
  'incident.reopened',
  'alarm.raised',
  'alarm.cleared',
  'alarm.shelved',
  'alarm.unshelved',
  'unit.position',
] as const;

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export interface EventSourceLike {
  readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

export function streamUrl(from: number, kinds = 'incident,alarm,unit'): string {
  return `/api/stream?from=${Math.max(1, from)}&kinds=${encodeURIComponent(kinds)}`;
}

export interface LiveStreamOptions {
  /** The sequence number of the last event already applied; the stream starts after it. */
  lastSeq: () => number;
  onEvent: (event: VigieEvent) => void;
  onStatus: (status: StreamStatus) => void;
  factory?: EventSourceFactory;
  /** Called each time the browser gives up on the stream (the server refused it or went away). */
  onGiveUp?: () => void;
  /** Delay before opening again a stream the browser closed, in ms. */
  retryMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
}

const CLOSED = 2;

export class LiveStream {
  private source: EventSourceLike | null = null;
  private stopped = false;
  private retryTimer: unknown = null;
  status: StreamStatus = 'connecting';

  constructor(private readonly options: LiveStreamOptions) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer as ReturnType<typeof setTimeout>);
    this.retryTimer = null;
    this.source?.close();
    this.source = null;
  }

  private setStatus(status: StreamStatus): void {
    if (status === this.status) return;
    this.status = status;
    this.options.onStatus(status);
  }

  private open(): void {
    const factory = this.options.factory ?? ((url: string) => new EventSource(url) as unknown as EventSourceLike);
    const source = factory(streamUrl(this.options.lastSeq() + 1));
    this.source = source;
    source.onopen = () => this.setStatus('live');
    source.onerror = () => {
      if (this.stopped || this.source !== source) return;
      this.setStatus('reconnecting');
      if (source.readyState === CLOSED) {
        // The browser will not retry by itself: open a new stream from the last event applied.
        source.close();
        this.source = null;
        this.options.onGiveUp?.();
        const setTimer = this.options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
        this.retryTimer = setTimer(() => {
          this.retryTimer = null;
          if (!this.stopped) this.open();
        }, this.options.retryMs ?? 2000);
      }
    };
    const deliver = (message: MessageEvent) => {
      if (this.source !== source) return;
      let event: VigieEvent;
      try {
        event = JSON.parse(String(message.data)) as VigieEvent;
      } catch {
        return;
      }
      if (typeof event?.seq !== 'number') return;
      this.setStatus('live');
      this.options.onEvent(event);
    };
    for (const kind of STREAM_KINDS) source.addEventListener(kind, deliver);
    source.addEventListener('message', deliver);
  }
}
