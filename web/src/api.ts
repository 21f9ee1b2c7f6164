// The HTTP client of the Vigie API (same origin). Commands carry the development header
// `X-Vigie-Operator` that names their author until operator accounts exist.

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

/** An error as the API returns it: `{code, message, path}`, with the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class Api {
  operator: string | null = null;

  constructor(private readonly base = '') {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.operator) headers['x-vigie-operator'] = this.operator;
    let response: Response;
    try {
      response = await fetch(this.base + path, {
        method,
        headers,
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
      const error = (json ?? {}) as { code?: string; message?: string; path?: string };
      throw new ApiError(response.status, error.code ?? `http_${response.status}`, error.message ?? response.statusText, error.path);
    }
    return json as T;
  }

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
  command(id: number, command: Command): Promise<CommandResult> {
    return this.request('POST', `/api/incidents/${id}/commands`, command);
  }
}
