// @vitest-environment happy-dom
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APIError, api, apiUrl, csrfToken, request } from './api';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  // biome-ignore lint/suspicious/noDocumentCookie: the CSRF cookie is what the client reads.
  document.cookie = 'rf_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/';
});
afterAll(() => server.close());

describe('api client', () => {
  it('sends the CSRF token from the cookie on unsafe methods only, with same-origin credentials', async () => {
    // biome-ignore lint/suspicious/noDocumentCookie: the CSRF cookie is what the client reads.
    document.cookie = 'rf_csrf=token-123; path=/';
    const seen: { method: string; csrf: string | null; body: unknown }[] = [];
    server.use(
      http.all('*/api/v1/flags', async ({ request }) => {
        seen.push({
          method: request.method,
          csrf: request.headers.get('x-csrf-token'),
          body: request.method === 'GET' ? null : await request.json(),
        });
        return HttpResponse.json({ items: [], nextCursor: null });
      }),
    );
    await api.get('/flags');
    await api.post('/flags', { key: 'x', kind: 'boolean' });
    expect(seen).toEqual([
      { method: 'GET', csrf: null, body: null },
      { method: 'POST', csrf: 'token-123', body: { key: 'x', kind: 'boolean' } },
    ]);
  });

  it('turns problem+json into one APIError with its field errors', async () => {
    server.use(
      http.put('*/api/v1/flags/f/environments/production', () =>
        HttpResponse.json(
          {
            type: 'https://ringflag.dev/problems/validation-failed',
            title: 'Validation failed',
            status: 400,
            detail: 'The config is invalid',
            errors: [{ path: 'rules[0].clauses[0].values[0]', message: 'nested repetition' }],
          },
          { status: 400, headers: { 'content-type': 'application/problem+json' } },
        ),
      ),
    );
    const error = await api.put('/flags/f/environments/production', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({
      status: 400,
      title: 'Validation failed',
      detail: 'The config is invalid',
      errors: [{ path: 'rules[0].clauses[0].values[0]', message: 'nested repetition' }],
    });
  });

  it('makes an APIError of non-JSON failures and of unreachable servers', async () => {
    server.use(
      http.get(
        '*/api/v1/me',
        () => new HttpResponse('upstream down', { status: 502, statusText: 'Bad Gateway' }),
      ),
      http.get('*/api/v1/environments', () => HttpResponse.error()),
    );
    await expect(api.get('/me')).rejects.toMatchObject({
      status: 502,
      title: 'Bad Gateway',
      detail: 'upstream down',
      errors: [],
    });
    await expect(api.get('/environments')).rejects.toMatchObject({
      status: 0,
      title: 'Cannot reach the server',
    });
  });

  it('returns the status and an empty body for 204', async () => {
    server.use(http.post('*/api/v1/auth/logout', () => new HttpResponse(null, { status: 204 })));
    const res = await request('POST', '/auth/logout', { body: {} });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
  });

  it('builds URLs without empty query values and reads the CSRF cookie', () => {
    expect(apiUrl('/audit', { resource: 'f', actor: '', cursor: undefined, limit: 50 })).toBe(
      '/api/v1/audit?resource=f&limit=50',
    );
    expect(csrfToken('a=1; rf_csrf=abc%3D; b=2')).toBe('abc=');
    expect(csrfToken('a=1')).toBeUndefined();
  });
});
