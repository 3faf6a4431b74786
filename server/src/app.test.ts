import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from './features/auth/roles.js';
import { createTestApp, type TestApp } from './test-support/test-app.js';

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: { path: string; message: string }[];
};

interface RouteCase {
  method: string;
  path: string;
  role: Role;
  body?: unknown;
}

/** Every admin route with the least role it needs and a well-formed body. */
function adminRoutes(ids: { user: number; token: number; key: number }): RouteCase[] {
  const config = { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } };
  return [
    { method: 'GET', path: '/api/v1/me', role: 'viewer' },
    { method: 'GET', path: '/api/v1/users', role: 'admin' },
    {
      method: 'POST',
      path: '/api/v1/users',
      role: 'admin',
      body: { email: 'n@example.com', password: 'password-9', role: 'viewer' },
    },
    { method: 'PATCH', path: `/api/v1/users/${ids.user}`, role: 'admin', body: { name: 'Renamed' } },
    { method: 'GET', path: '/api/v1/api-tokens', role: 'admin' },
    { method: 'POST', path: '/api/v1/api-tokens', role: 'admin', body: { name: 'x', role: 'viewer' } },
    { method: 'DELETE', path: `/api/v1/api-tokens/${ids.token}`, role: 'admin' },
    { method: 'GET', path: '/api/v1/environments', role: 'viewer' },
    { method: 'GET', path: '/api/v1/environments/production', role: 'viewer' },
    { method: 'POST', path: '/api/v1/environments', role: 'admin', body: { key: 'qa', name: 'QA' } },
    { method: 'PATCH', path: '/api/v1/environments/staging', role: 'admin', body: { name: 'Staging 2' } },
    { method: 'GET', path: '/api/v1/flags', role: 'viewer' },
    { method: 'POST', path: '/api/v1/flags', role: 'editor', body: { key: 'g', kind: 'boolean' } },
    { method: 'GET', path: '/api/v1/flags/f', role: 'viewer' },
    { method: 'PATCH', path: '/api/v1/flags/f', role: 'editor', body: { description: 'd' } },
    { method: 'POST', path: '/api/v1/flags/g/archive', role: 'editor' },
    { method: 'POST', path: '/api/v1/flags/g/unarchive', role: 'editor' },
    { method: 'GET', path: '/api/v1/flags/f/environments/production', role: 'viewer' },
    { method: 'PUT', path: '/api/v1/flags/f/environments/production', role: 'editor', body: config },
    {
      method: 'POST',
      path: '/api/v1/flags/f/environments/production/toggle',
      role: 'editor',
      body: { enabled: false },
    },
    { method: 'GET', path: '/api/v1/segments', role: 'viewer' },
    { method: 'GET', path: '/api/v1/segments/s', role: 'viewer' },
    { method: 'POST', path: '/api/v1/segments', role: 'editor', body: { key: 't' } },
    { method: 'PUT', path: '/api/v1/segments/s', role: 'editor', body: { included: ['a'] } },
    { method: 'DELETE', path: '/api/v1/segments/t', role: 'editor' },
    { method: 'GET', path: '/api/v1/environments/production/sdk-keys', role: 'editor' },
    {
      method: 'POST',
      path: '/api/v1/environments/production/sdk-keys',
      role: 'admin',
      body: { type: 'server' },
    },
    { method: 'DELETE', path: `/api/v1/environments/production/sdk-keys/${ids.key}`, role: 'admin' },
    {
      method: 'POST',
      path: '/api/v1/environments/production/evaluate',
      role: 'viewer',
      body: { context: { key: 'u' } },
    },
    { method: 'GET', path: '/api/v1/audit', role: 'viewer' },
    { method: 'GET', path: '/api/v1/audit/verify', role: 'viewer' },
    { method: 'GET', path: '/api/v1/audit/export', role: 'viewer' },
    { method: 'GET', path: '/api/v1/change-requests', role: 'viewer' },
    { method: 'GET', path: '/api/v1/insights/environments', role: 'viewer' },
    { method: 'GET', path: '/api/v1/insights/flags', role: 'viewer' },
    { method: 'GET', path: '/api/v1/flags/f/exposures?environment=production', role: 'viewer' },
    { method: 'GET', path: '/api/v1/segments/s/usage', role: 'viewer' },
    { method: 'GET', path: '/api/v1/flags/f/environments/development/release', role: 'viewer' },
    {
      method: 'POST',
      path: '/api/v1/flags/f/environments/development/release',
      role: 'editor',
      body: { variation: 'on', stages: [{ name: 'everyone', percentage: 100 }] },
    },
    { method: 'POST', path: '/api/v1/flags/f/environments/development/release/pause', role: 'editor' },
  ];
}

const ORDER: Role[] = ['viewer', 'editor', 'approver', 'admin'];

describe('the admin API', () => {
  let t: TestApp;
  let ids: { user: number; token: number; key: number };
  let revokedToken: string;
  let clientKey: string;
  let badTokens: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp();
    const token = t.adminToken;
    await t.request('POST', '/api/v1/flags', { token, body: { key: 'f', kind: 'boolean' } });
    await t.request('POST', '/api/v1/segments', { token, body: { key: 's' } });
    for (const role of ORDER) await t.tokenFor(role);
    const user = await t.request<{ id: number }>('POST', '/api/v1/users', {
      token,
      body: { email: 'target@example.com', password: 'password-1', role: 'viewer' },
    });
    const apiToken = await t.request<{ id: number; token: string }>('POST', '/api/v1/api-tokens', {
      token,
      body: { name: 'revoked', role: 'admin' },
    });
    revokedToken = apiToken.body.token;
    await t.request('DELETE', `/api/v1/api-tokens/${apiToken.body.id}`, { token });
    const throwaway = await t.request<{ id: number }>('POST', '/api/v1/api-tokens', {
      token,
      body: { name: 'throwaway', role: 'viewer' },
    });
    const key = await t.request<{ id: number }>('POST', '/api/v1/environments/production/sdk-keys', {
      token,
      body: { type: 'server' },
    });
    const client = await t.request<{ key: string }>('POST', '/api/v1/environments/production/sdk-keys', {
      token,
      body: { type: 'client' },
    });
    clientKey = client.body.key;
    ids = { user: user.body.id, token: throwaway.body.id, key: key.body.id };

    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      string
    >;
    const now = Math.floor(Date.now() / 1000);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    badTokens = {
      malformed: 'abc.def.ghi',
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, exp: now + 3600 })}.`,
      expired: await new SignJWT({ sid: claims.sid, csrf: claims.csrf })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(claims.sub))
        .setIssuer('ringflag')
        .setExpirationTime(now - 10)
        .sign(t.deps.secret),
      clientKey,
      revokedApiToken: revokedToken,
    };
  });
  afterAll(() => t.close());

  it('enforces roles on every route (role matrix)', async () => {
    const failures: string[] = [];
    for (const route of adminRoutes(ids)) {
      const anonymous = await t.request(route.method, route.path, { body: route.body });
      if (anonymous.status !== 401)
        failures.push(`${route.method} ${route.path} anonymous → ${anonymous.status}`);
      for (const [name, token] of Object.entries(badTokens)) {
        const res = await t.request(route.method, route.path, { token, body: route.body });
        if (res.status !== 401) failures.push(`${route.method} ${route.path} ${name} → ${res.status}`);
      }
      for (const role of ORDER) {
        const res = await t.request(route.method, route.path, {
          token: await t.tokenFor(role),
          body: route.body,
        });
        const allowed = ORDER.indexOf(role) >= ORDER.indexOf(route.role);
        const ok = allowed
          ? res.status !== 401 && res.status !== 403 && res.status < 500
          : res.status === 403;
        if (!ok)
          failures.push(`${route.method} ${route.path} ${role} → ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('answers errors as problem+json', async () => {
    const res = await t.request<Problem>('GET', '/api/v1/flags/missing', { token: t.adminToken });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 404, title: 'Not found', errors: [] });
    const route = await t.request<Problem>('GET', '/api/v1/nothing-here', { token: t.adminToken });
    expect(route.status).toBe(404);
  });

  it('rejects malformed input on every write route with 400 problem+json, writing nothing', async () => {
    const cases: [string, string, RequestBody][] = [
      ['POST', '/api/v1/auth/login', { body: { email: 3 } }],
      ['POST', '/api/v1/users', { body: { email: 'not-an-email', password: 'short', role: 'king' } }],
      ['PATCH', `/api/v1/users/${ids.user}`, { body: { role: 'king' } }],
      ['PATCH', '/api/v1/users/abc', { body: { name: 'x' } }],
      ['POST', '/api/v1/api-tokens', { body: { name: '', role: 'viewer', environments: ['NOPE!'] } }],
      ['POST', '/api/v1/api-tokens', { body: { name: 'x', role: 'viewer', environments: ['nope'] } }],
      ['DELETE', '/api/v1/api-tokens/abc', {}],
      ['POST', '/api/v1/environments', { body: { key: 'Bad Key', name: 'x' } }],
      ['PATCH', '/api/v1/environments/staging', { body: { corsOrigins: ['ftp://x'] } }],
      ['POST', '/api/v1/flags', { body: { key: '-bad', kind: 'colour' } }],
      [
        'POST',
        '/api/v1/flags',
        { body: { key: 'b', kind: 'boolean', variations: [{ id: 'x', value: 'not a bool' }] } },
      ],
      ['POST', '/api/v1/flags', { body: { key: 'b', kind: 'boolean', unknownField: 1 } }],
      ['POST', '/api/v1/flags', { raw: '{"key": "b",' }],
      ['POST', '/api/v1/flags', { raw: '[]' }],
      ['PATCH', '/api/v1/flags/f', { body: { tags: 'x' } }],
      ['PUT', '/api/v1/flags/f/environments/production', { body: { enabled: 'yes' } }],
      [
        'PUT',
        '/api/v1/flags/f/environments/production',
        {
          body: {
            enabled: true,
            offVariation: 'off',
            fallthrough: { rollout: { variations: [{ variation: 'on', weight: 5 }] } },
          },
        },
      ],
      ['POST', '/api/v1/flags/f/environments/production/toggle', { body: { enabled: 1 } }],
      ['POST', '/api/v1/segments', { body: { key: 's2', rules: [{ clauses: [] }] } }],
      ['PUT', '/api/v1/segments/s', { body: { included: [1] } }],
      ['POST', '/api/v1/environments/production/sdk-keys', { body: { type: 'admin' } }],
      ['DELETE', '/api/v1/environments/production/sdk-keys/x', {}],
      ['POST', '/api/v1/environments/production/evaluate', { body: { context: { key: 5 } } }],
      ['GET', '/api/v1/flags?limit=0', {}],
      ['GET', '/api/v1/audit?since=yesterday', {}],
      [
        'PUT',
        '/api/v1/flags/f/environments/development',
        { body: { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' }, applyAt: 'soon' } },
      ],
      [
        'POST',
        '/api/v1/flags/f/environments/development/toggle',
        { body: { enabled: true, applyAt: '2001-01-01T00:00:00Z' } },
      ],
      ['GET', '/api/v1/change-requests?state=bogus', {}],
      ['POST', '/api/v1/change-requests/abc/approve', { body: { comment: 'x' } }],
      [
        'POST',
        '/api/v1/flags/f/environments/development/release',
        {
          body: {
            variation: 'on',
            stages: [
              { name: 'a', percentage: 50 },
              { name: 'b', percentage: 10 },
            ],
          },
        },
      ],
      [
        'POST',
        '/api/v1/flags/f/environments/development/release',
        {
          body: {
            variation: 'on',
            stages: [{ name: 'a', percentage: 10 }],
            guard: { event: 'e', maxRate: 2 },
          },
        },
      ],
    ];
    const before = t.dump();
    const failures: string[] = [];
    for (const [method, path, options] of cases) {
      const res = await t.request<Problem>(method, path, { token: t.adminToken, ...options });
      const syntaxError = options.raw === '{"key": "b",';
      const ok =
        res.status === 400 &&
        res.headers.get('content-type') === 'application/problem+json' &&
        (syntaxError ||
          (res.body.errors.length > 0 && res.body.errors.every((e) => typeof e.path === 'string')));
      if (!ok)
        failures.push(
          `${method} ${path} ${JSON.stringify(options)} → ${res.status} ${res.text.slice(0, 200)}`,
        );
    }
    expect(failures).toEqual([]);
    expect(t.dump()).toEqual(before);
  });

  it('names the fields of a rejected body', async () => {
    const res = await t.request<Problem>('POST', '/api/v1/users', {
      token: t.adminToken,
      body: { email: 'not-an-email', password: 'short', role: 'king' },
    });
    expect(res.body.errors.map((e) => e.path).sort()).toEqual(['email', 'password', 'role']);
    const params = await t.request<Problem>('DELETE', '/api/v1/api-tokens/abc', { token: t.adminToken });
    expect(params.body.errors[0]?.path).toBe('params.id');
  });

  it('rejects oversized bodies with 413 problem+json', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10);
    const res = await t.request<Problem>('POST', '/api/v1/flags', {
      token: t.adminToken,
      raw: JSON.stringify({ key: 'big', kind: 'boolean', description: big }),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.status).toBe(413);
  });

  it('serves health, readiness, metrics, the OpenAPI document and the docs page', async () => {
    expect((await t.request('GET', '/healthz')).body).toEqual({ ok: true });
    expect((await t.request('GET', '/readyz')).status).toBe(200);
    const metrics = await t.request('GET', '/metrics');
    expect(metrics.text).toContain(
      'ringflag_http_requests_total{method="GET",route="/api/v1/flags/:key",status="404"}',
    );
    expect(metrics.text).toMatch(/ringflag_environment_revision\{environment="production"\} \d+/);
    expect(metrics.text).toContain('ringflag_sse_connections{environment="production"} 0');
    const doc = await t.request<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      'GET',
      '/api/v1/openapi.json',
    );
    expect(doc.body.openapi).toBe('3.0.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/flags', '/api/v1/flags/{key}/environments/{env}', '/sdk/v1/stream']),
    );
    expect(doc.body.paths['/api/v1/flags']?.post).toHaveProperty('requestBody');
    const docs = await t.request('GET', '/api/docs');
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(docs.text).toContain('/api/v1/openapi.json');
    expect(docs.text).not.toMatch(/<script[^>]+src=/);
  });
});

type RequestBody = { body?: unknown; raw?: string };
