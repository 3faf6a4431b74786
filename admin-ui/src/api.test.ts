// @vitest-environment happy-dom
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APIError, api, apiUrl, csrfToken, projectApiPath, request, setApiProject } from './api';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.resetHandlers();
  setApiProject(null);
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

  it('sends project-scoped calls to the current project, and organisation calls unprefixed', async () => {
    const seen: string[] = [];
    server.use(
      http.all('*/api/v1/*', ({ request }) => {
        const url = new URL(request.url);
        seen.push(`${request.method} ${url.pathname}${url.search}`);
        return HttpResponse.json({ items: [] });
      }),
    );
    setApiProject('payments');
    await api.get('/flags', { limit: 5 });
    await api.post('/flags/new-checkout/environments/production/toggle', { enabled: true });
    await api.get('/me');
    await api.get('/users');
    await api.get('/projects');
    await api.get('/auth/methods');
    // One call may name its project (null: unscoped, the server's default project).
    await request('GET', '/me', { project: null });
    await request('GET', '/segments', { project: 'search' });
    setApiProject(null);
    await api.get('/flags');
    expect(seen).toEqual([
      'GET /api/v1/projects/payments/flags?limit=5',
      'POST /api/v1/projects/payments/flags/new-checkout/environments/production/toggle',
      'GET /api/v1/projects/payments/me',
      'GET /api/v1/users',
      'GET /api/v1/projects',
      'GET /api/v1/auth/methods',
      'GET /api/v1/me',
      'GET /api/v1/projects/search/segments',
      'GET /api/v1/flags',
    ]);
  });

  it('prefixes exactly the resources the API answers in a project and without one', () => {
    // The API document lists both forms of each project-scoped route; `members` is only the project's.
    const document = readFileSync(join(import.meta.dirname, 'api.gen.ts'), 'utf8');
    const scoped = new Set(
      [...document.matchAll(/"\/api\/v1\/projects\/\{project\}\/([a-z-]+)/g)].map((match) => match[1]!),
    );
    const both = [...scoped].filter((resource) => document.includes(`"/api/v1/${resource}`));
    expect(both.sort()).toEqual([
      'api-tokens',
      'audit',
      'change-requests',
      'environments',
      'flags',
      'insights',
      'me',
      'release-approvals',
      'segments',
    ]);
    for (const resource of both) {
      expect(projectApiPath(`/${resource}`, 'p')).toBe(`/projects/p/${resource}`);
      expect(projectApiPath(`/${resource}/x/y`, 'p')).toBe(`/projects/p/${resource}/x/y`);
    }
    for (const path of [
      '/users',
      '/users/2',
      '/projects',
      '/projects/p/members',
      '/auth/login',
      '/flagship',
    ]) {
      expect(projectApiPath(path, 'p')).toBe(path);
    }
    expect(projectApiPath('/flags', null)).toBe('/flags');
    expect(projectApiPath('/flags', 'a b')).toBe('/projects/a%20b/flags');
    expect(apiUrl('/audit/export', { format: 'csv' }, 'payments')).toBe(
      '/api/v1/projects/payments/audit/export?format=csv',
    );
  });

  it('builds URLs without empty query values and reads the CSRF cookie', () => {
    expect(apiUrl('/audit', { resource: 'f', actor: '', cursor: undefined, limit: 50 })).toBe(
      '/api/v1/audit?resource=f&limit=50',
    );
    expect(csrfToken('a=1; rf_csrf=abc%3D; b=2')).toBe('abc=');
    expect(csrfToken('a=1')).toBeUndefined();
  });
});
