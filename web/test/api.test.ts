import { describe, expect, it } from 'vitest';
import { Api, ApiError, CSRF_HEADER, needsCsrf } from '../src/api';

interface Sent {
  url: string;
  init: RequestInit;
}

/** An API client whose requests are recorded and answered with `status` and `body`. */
function recording(status = 200, body: unknown = {}): { api: Api; sent: Sent[] } {
  const sent: Sent[] = [];
  const api = new Api('', async (url, init) => {
    sent.push({ url, init });
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  });
  return { api, sent };
}

function headers(sent: Sent): Record<string, string> {
  return sent.init.headers as Record<string, string>;
}

describe('API client', () => {
  it('sends the anti-forgery token on every request that changes something, and never on reads', async () => {
    const { api, sent } = recording(200, { incident: null, events: [] });
    api.csrf = 'token-1';
    await api.command(7, { type: 'acknowledge' });
    await api.shelve('fumee', 'smoke-1', 60, 'travaux');
    await api.unshelve('fumee', 'smoke-1');
    await api.incidents({ status: 'open' });
    await api.me();
    expect(sent.map((request) => [request.init.method, headers(request)[CSRF_HEADER]])).toEqual([
      ['POST', 'token-1'],
      ['POST', 'token-1'],
      ['POST', 'token-1'],
      ['GET', undefined],
      ['GET', undefined],
    ]);
    expect(sent.every((request) => request.init.credentials === 'same-origin')).toBe(true);
    expect(sent.some((request) => 'x-vigie-operator' in headers(request))).toBe(false);
  });

  it('logs in with the credentials as JSON and logs out with the token, then forgets it', async () => {
    const { api, sent } = recording(204);
    await api.login('alice', 'secret phrase');
    expect(JSON.parse(String(sent[0]!.init.body))).toEqual({ login: 'alice', password: 'secret phrase' });
    expect(sent[0]!.url).toBe('/api/auth/login');
    api.csrf = 'token-2';
    await api.logout();
    expect(sent[1]!.url).toBe('/api/auth/logout');
    expect(headers(sent[1]!)[CSRF_HEADER]).toBe('token-2');
    expect(api.csrf).toBeNull();
  });

  it('tells that the session ended on a 401 outside the login, and not on a wrong password', async () => {
    const ended: ApiError[] = [];
    const { api } = recording(401, { code: 'unauthenticated', message: 'no session' });
    api.onUnauthenticated = (error) => ended.push(error);
    await expect(api.incidents()).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(ended.map((error) => error.code)).toEqual(['unauthenticated']);
    const wrong = recording(401, { code: 'bad_credentials' });
    wrong.api.onUnauthenticated = (error) => ended.push(error);
    await expect(wrong.api.login('alice', 'nope')).rejects.toMatchObject({ code: 'bad_credentials' });
    await expect(wrong.api.me()).rejects.toMatchObject({ status: 401 });
    expect(ended).toHaveLength(1);
  });

  it('keeps the whole error body, such as the end of an account lock', async () => {
    const { api } = recording(423, { code: 'account_locked', until: 1_900_000_000_000 });
    const error = (await api.login('alice', 'x').catch((caught: unknown) => caught)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.body.until).toBe(1_900_000_000_000);
  });

  it('knows which methods need the token', () => {
    expect(['GET', 'get', 'HEAD', 'OPTIONS'].map(needsCsrf)).toEqual([false, false, false, false]);
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].map(needsCsrf)).toEqual([true, true, true, true]);
  });

  it('names the snapshot image of an evidence', () => {
    expect(new Api().snapshotUrl('snap 1/2')).toBe('/api/snapshots/snap%201%2F2');
  });
});
