// The HTTP client of the Vigie API (same origin). The session lives in an HttpOnly cookie
// that the browser sends by itself; every request that changes something (any method but
// GET) also carries the session's `X-CSRF-Token`. An answer `401 unauthenticated` means the
// session ended: the client tells `onUnauthenticated` once, so the console can go back to
// the login screen.

import type { LoginAnswer, Me } from './auth';
import type {
  AlarmsList,
  Category,
  Command,
  CommandResult,
  FeatureCollection,
  Incident,
  IncidentDetail,
  Kpis,
  Post,
  SensorDetail,
  SensorEntry,
  UnitEntry,
} from './types';

/** An error as the API returns it: `{code, message, path}`, with the HTTP status and the whole body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The header that carries the session's anti-forgery token. */
export const CSRF_HEADER = 'x-csrf-token';

/** Paths whose `401` answers belong to the login itself (a wrong password), not to an ended session. */
const AUTH_PATHS = ['/api/auth/login', '/api/auth/totp', '/api/auth/me', '/api/auth/logout'];

/** Tells whether a request with this method must carry the anti-forgery token. */
export function needsCsrf(method: string): boolean {
  const upper = method.toUpperCase();
  return upper !== 'GET' && upper !== 'HEAD' && upper !== 'OPTIONS';
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export class Api {
  /** The anti-forgery token of the current session, from the login answer or `GET /api/auth/me`. */
  csrf: string | null = null;
  /** Called when a request outside the login answers `401 unauthenticated`: the session ended. */
  onUnauthenticated: ((error: ApiError) => void) | null = null;

  constructor(
    private readonly base = '',
    private readonly fetcher: FetchLike = (input, init) => fetch(input, init),
  ) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (needsCsrf(method) && this.csrf) headers[CSRF_HEADER] = this.csrf;
    let response: Response;
    try {
      response = await this.fetcher(this.base + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, 'network', error instanceof Error ? error.message : String(error));
    }
    const text = await response.text();
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    if (!response.ok) {
      const answer = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
      const code = typeof answer.code === 'string' ? answer.code : `http_${response.status}`;
      const message = typeof answer.message === 'string' ? answer.message : response.statusText;
      const error = new ApiError(response.status, code, message, typeof answer.path === 'string' ? answer.path : undefined, answer);
      if (response.status === 401 && !AUTH_PATHS.some((auth) => path.startsWith(auth))) this.onUnauthenticated?.(error);
      throw error;
    }
    return json as T;
  }

  // ----- the session -----

  /** `POST /api/auth/login`: the first step; the answer says what comes next. */
  login(login: string, password: string): Promise<LoginAnswer> {
    return this.request('POST', '/api/auth/login', { login, password });
  }
  /** `POST /api/auth/totp`: the second factor (or the first code of an enrolment). */
  totp(code: string): Promise<LoginAnswer> {
    return this.request('POST', '/api/auth/totp', { code });
  }
  /** `GET /api/auth/me`: the session the cookie holds, if any (`401` otherwise). */
  me(): Promise<Me> {
    return this.request('GET', '/api/auth/me');
  }
  /** `POST /api/auth/logout`: ends the session; the token is forgotten whatever the answer. */
  async logout(): Promise<void> {
    try {
      await this.request('POST', '/api/auth/logout');
    } finally {
      this.csrf = null;
    }
  }

  // ----- reading -----

  health(): Promise<{ status: string; last_seq: number }> {
    return this.request('GET', '/health');
  }
  posts(): Promise<{ posts: Post[] }> {
    return this.request('GET', '/api/posts');
  }
  categories(): Promise<{ categories: Category[] }> {
    return this.request('GET', '/api/categories');
  }
  city(): Promise<FeatureCollection> {
    return this.request('GET', '/api/city');
  }
  sensors(): Promise<{ sensors: SensorEntry[] }> {
    return this.request('GET', '/api/sensors');
  }
  sensor(id: string, hours = 24): Promise<SensorDetail> {
    return this.request('GET', `/api/sensors/${encodeURIComponent(id)}?hours=${hours}`);
  }
  units(): Promise<{ units: UnitEntry[] }> {
    return this.request('GET', '/api/units');
  }
  alarms(): Promise<AlarmsList> {
    return this.request('GET', '/api/alarms');
  }
  kpis(): Promise<Kpis> {
    return this.request('GET', '/api/alarms/kpis');
  }
  incidents(query: Record<string, string | number | undefined> = {}): Promise<{ total: number; incidents: Incident[] }> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
    const suffix = params.toString();
    return this.request('GET', `/api/incidents${suffix ? `?${suffix}` : ''}`);
  }
  incident(id: number): Promise<IncidentDetail> {
    return this.request('GET', `/api/incidents/${id}`);
  }
  /** Where the browser loads an evidence snapshot (`image/jpeg`; `404` once its retention ended). */
  snapshotUrl(id: string): string {
    return `${this.base}/api/snapshots/${encodeURIComponent(id)}`;
  }

  // ----- commands -----

  command(id: number, command: Command): Promise<CommandResult> {
    return this.request('POST', `/api/incidents/${id}/commands`, command);
  }
  shelve(rule: string, subject: string, minutes: number, reason: string): Promise<{ events: unknown[] }> {
    return this.request('POST', '/api/alarms/shelve', { rule, subject, minutes, reason });
  }
  unshelve(rule: string, subject: string): Promise<{ events: unknown[] }> {
    return this.request('POST', '/api/alarms/unshelve', { rule, subject });
  }
}
