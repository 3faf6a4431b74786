import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from './features/auth/roles.js';
import { ADMIN, ANY_VERSION, createTestApp, type TestApp } from './test-support/test-app.js';

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: { path: string; message: string }[];
};

/** What the role matrix needs to know about one route: the least role and a well-formed request. */
interface RouteEntry {
  /** `public`: no credentials needed. */
  role: Role | 'public';
  /** A concrete path (the route's own path when it has no parameters). */
  path?: string;
  body?: unknown;
  /** Ends the caller's session (logout): checked after every other route. */
  last?: boolean;
  /** Only for signed-in users: an API token, whatever its role, gets 403. */
  usersOnly?: boolean;
}

/**
 * The least role and a valid request of every route under `/api/`, keyed by Hono's method and path.
 * A route the app has and this table lacks fails the test by name, so a new route cannot be
 * forgotten. Ids that do not exist (999999) are fine: the role check runs before the lookup.
 */
function routeTable(ids: { user: number; token: number; key: number }): Record<string, RouteEntry> {
  const config = { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } };
  const release = '/api/v1/flags/f/environments/development/release';
  const noPlan = '/api/v1/flags/f/environments/staging/release';
  return {
    'POST /api/v1/auth/login': { role: 'public', body: { email: ADMIN.email, password: ADMIN.password } },
    'POST /api/v1/auth/logout': { role: 'viewer', last: true },
    'GET /api/v1/me': { role: 'viewer' },
    // A wrong current password: refused (400) without changing anything.
    'POST /api/v1/me/password': {
      role: 'viewer',
      usersOnly: true,
      body: { currentPassword: 'not-the-password', newPassword: 'password-new-1' },
    },
    'GET /api/v1/openapi.json': { role: 'public' },
    'GET /api/docs': { role: 'public' },
    'GET /api/v1/users': { role: 'admin' },
    'POST /api/v1/users': {
      role: 'admin',
      body: { email: 'n@example.com', password: 'password-9', role: 'viewer' },
    },
    'PATCH /api/v1/users/:id': {
      role: 'admin',
      path: `/api/v1/users/${ids.user}`,
      body: { name: 'Renamed' },
    },
    'GET /api/v1/api-tokens': { role: 'admin' },
    'POST /api/v1/api-tokens': { role: 'admin', body: { name: 'x', role: 'viewer' } },
    'DELETE /api/v1/api-tokens/:id': { role: 'admin', path: `/api/v1/api-tokens/${ids.token}` },
    'GET /api/v1/environments': { role: 'viewer' },
    'GET /api/v1/environments/:env': { role: 'viewer', path: '/api/v1/environments/production' },
    'POST /api/v1/environments': { role: 'admin', body: { key: 'qa', name: 'QA' } },
    'PUT /api/v1/environments/order': {
      role: 'admin',
      body: { order: ['development', 'staging', 'production'] },
    },
    'PATCH /api/v1/environments/:env': {
      role: 'admin',
      path: '/api/v1/environments/staging',
      body: { name: 'Staging 2' },
    },
    'GET /api/v1/flags': { role: 'viewer' },
    'POST /api/v1/flags': { role: 'editor', body: { key: 'g', kind: 'boolean' } },
    'GET /api/v1/flags/:key': { role: 'viewer', path: '/api/v1/flags/f' },
    'PATCH /api/v1/flags/:key': { role: 'editor', path: '/api/v1/flags/f', body: { description: 'd' } },
    'POST /api/v1/flags/:key/archive': { role: 'editor', path: '/api/v1/flags/g/archive' },
    'POST /api/v1/flags/:key/unarchive': { role: 'editor', path: '/api/v1/flags/g/unarchive' },
    'GET /api/v1/flags/:key/environments/:env': {
      role: 'viewer',
      path: '/api/v1/flags/f/environments/production',
    },
    'PUT /api/v1/flags/:key/environments/:env': {
      role: 'editor',
      path: '/api/v1/flags/f/environments/production',
      body: config,
    },
    'POST /api/v1/flags/:key/environments/:env/toggle': {
      role: 'editor',
      path: '/api/v1/flags/f/environments/production/toggle',
      body: { enabled: false },
    },
    'GET /api/v1/flags/:key/exposures': {
      role: 'viewer',
      path: '/api/v1/flags/f/exposures?environment=production',
    },
    'GET /api/v1/change-requests': { role: 'viewer' },
    'GET /api/v1/change-requests/:id': { role: 'viewer', path: '/api/v1/change-requests/999999' },
    'POST /api/v1/change-requests/:id/approve': {
      role: 'approver',
      path: '/api/v1/change-requests/999999/approve',
      body: { comment: 'ok' },
    },
    'POST /api/v1/change-requests/:id/reject': {
      role: 'approver',
      path: '/api/v1/change-requests/999999/reject',
      body: { comment: 'no' },
    },
    'POST /api/v1/change-requests/:id/withdraw': {
      role: 'viewer',
      path: '/api/v1/change-requests/999999/withdraw',
    },
    'POST /api/v1/change-requests/:id/cancel': {
      role: 'viewer',
      path: '/api/v1/change-requests/999999/cancel',
    },
    'GET /api/v1/flags/:key/environments/:env/release': { role: 'viewer', path: release },
    'POST /api/v1/flags/:key/environments/:env/release': {
      role: 'editor',
      path: release,
      body: { variation: 'on', stages: [{ name: 'everyone', percentage: 100 }] },
    },
    'POST /api/v1/flags/:key/environments/:env/release/preview': {
      role: 'viewer',
      path: `${noPlan}/preview`,
      body: { variation: 'on', stages: [{ name: 'everyone', percentage: 100 }] },
    },
    'GET /api/v1/release-approvals': { role: 'viewer' },
    'POST /api/v1/flags/:key/environments/:env/release/pause': { role: 'editor', path: `${release}/pause` },
    'POST /api/v1/flags/:key/environments/:env/release/advance': {
      role: 'editor',
      path: `${noPlan}/advance`,
    },
    'POST /api/v1/flags/:key/environments/:env/release/resume': { role: 'editor', path: `${noPlan}/resume` },
    'POST /api/v1/flags/:key/environments/:env/release/rollback': {
      role: 'editor',
      path: `${noPlan}/rollback`,
    },
    'POST /api/v1/flags/:key/environments/:env/release/approve': {
      role: 'approver',
      path: `${noPlan}/approve`,
      body: { comment: 'ok' },
    },
    'GET /api/v1/segments': { role: 'viewer' },
    'GET /api/v1/segments/:key': { role: 'viewer', path: '/api/v1/segments/s' },
    'POST /api/v1/segments': { role: 'editor', body: { key: 't' } },
    'PUT /api/v1/segments/:key': { role: 'editor', path: '/api/v1/segments/s', body: { included: ['a'] } },
    'DELETE /api/v1/segments/:key': { role: 'editor', path: '/api/v1/segments/t' },
    'GET /api/v1/segments/:key/usage': { role: 'viewer', path: '/api/v1/segments/s/usage' },
    'GET /api/v1/environments/:env/sdk-keys': {
      role: 'editor',
      path: '/api/v1/environments/production/sdk-keys',
    },
    'POST /api/v1/environments/:env/sdk-keys': {
      role: 'admin',
      path: '/api/v1/environments/production/sdk-keys',
      body: { type: 'server' },
    },
    'DELETE /api/v1/environments/:env/sdk-keys/:id': {
      role: 'admin',
      path: `/api/v1/environments/production/sdk-keys/${ids.key}`,
    },
    'POST /api/v1/environments/:env/evaluate': {
      role: 'viewer',
      path: '/api/v1/environments/production/evaluate',
      body: { context: { key: 'u' } },
    },
    'GET /api/v1/audit': { role: 'viewer' },
    'GET /api/v1/audit/verify': { role: 'viewer' },
    'GET /api/v1/audit/export': { role: 'viewer' },
    'GET /api/v1/audit/head': { role: 'viewer' },
    'GET /api/v1/audit/public-key': { role: 'viewer' },
    'GET /api/v1/insights/environments': { role: 'viewer' },
    'GET /api/v1/insights/flags': { role: 'viewer' },
  };
}

/** Every route of the app under `/api/` (the admin API, its document and docs page), as `METHOD path`. */
function apiRoutesOf(app: TestApp['app']): string[] {
  const routes = app.routes
    .filter((route) => route.method !== 'ALL' && route.path.startsWith('/api/'))
    .map((route) => `${route.method} ${route.path}`);
  return [...new Set(routes)];
}

const ORDER: Role[] = ['viewer', 'editor', 'approver', 'admin'];

describe('the admin API', () => {
  let t: TestApp;
  let ids: { user: number; token: number; key: number };
  /** Credentials that must get 401 on every route that needs a role. */
  let badCredentials: Record<string, string>;
  /** Principals acting with a role: sessions and API tokens of each role, and a demoted admin. */
  let principals: { name: string; role: Role; token: string }[];

  beforeAll(async () => {
    t = await createTestApp();
    const token = t.adminToken;
    const post = <T>(path: string, body: unknown, as = token) =>
      t.request<T>('POST', path, { token: as, body });
    await post('/api/v1/flags', { key: 'f', kind: 'boolean' });
    await post('/api/v1/segments', { key: 's' });
    principals = [];
    for (const role of ORDER) {
      // A session of its own for admin: the matrix logs every session out at the end.
      const session =
        role === 'admin'
          ? (await t.request<{ token: string }>('POST', '/api/v1/auth/login', { body: ADMIN })).body.token
          : await t.tokenFor(role);
      principals.push({ name: `${role} session`, role, token: session });
      const apiToken = await post<{ token: string }>('/api/v1/api-tokens', { name: role, role });
      principals.push({ name: `${role} API token`, role, token: apiToken.body.token });
    }
    const user = await post<{ id: number }>('/api/v1/users', {
      email: 'target@example.com',
      password: 'password-1',
      role: 'viewer',
    });
    const revoked = await post<{ id: number; token: string }>('/api/v1/api-tokens', {
      name: 'revoked',
      role: 'admin',
    });
    await t.request('DELETE', `/api/v1/api-tokens/${revoked.body.id}`, { token });
    const throwaway = await post<{ id: number }>('/api/v1/api-tokens', { name: 'throwaway', role: 'viewer' });
    const key = await post<{ id: number }>('/api/v1/environments/production/sdk-keys', { type: 'server' });
    const client = await post<{ key: string }>('/api/v1/environments/production/sdk-keys', {
      type: 'client',
    });
    ids = { user: user.body.id, token: throwaway.body.id, key: key.body.id };

    /** An admin with a session and an API token of their own, then changed by another admin. */
    const adminThen = async (email: string, change: Record<string, unknown>) => {
      const created = await post<{ id: number }>('/api/v1/users', {
        email,
        password: 'password-1',
        role: 'admin',
      });
      const session = await t.request<{ token: string }>('POST', '/api/v1/auth/login', {
        body: { email, password: 'password-1' },
      });
      const own = await post<{ token: string }>(
        '/api/v1/api-tokens',
        { name: email, role: 'admin' },
        session.body.token,
      );
      await t.request('PATCH', `/api/v1/users/${created.body.id}`, { token, body: change });
      return { session: session.body.token, token: own.body.token };
    };
    const disabled = await adminThen('disabled@example.com', { disabled: true });
    const demoted = await adminThen('demoted@example.com', { role: 'viewer' });
    principals.push({ name: 'demoted admin session', role: 'viewer', token: demoted.session });
    principals.push({ name: 'demoted admin API token', role: 'viewer', token: demoted.token });

    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      string
    >;
    const now = Math.floor(Date.now() / 1000);
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    badCredentials = {
      malformed: 'abc.def.ghi',
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, exp: now + 3600 })}.`,
      expired: await new SignJWT({ sid: claims.sid, csrf: claims.csrf })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(claims.sub))
        .setIssuer('ringflag')
        .setExpirationTime(now - 10)
        .sign(t.deps.secret),
      clientKey: client.body.key,
      unknownApiToken: `rf_api_${'A'.repeat(43)}`,
      revokedApiToken: revoked.body.token,
      disabledUserSession: disabled.session,
      disabledUserApiToken: disabled.token,
    };
  });
  afterAll(() => t.close());

  it('has a role-matrix entry for every route under /api/, and none for a route that is gone', () => {
    const table = routeTable(ids);
    const routes = apiRoutesOf(t.app);
    expect(
      routes.filter((route) => !(route in table)),
      'routes without a role-matrix entry',
    ).toEqual([]);
    expect(
      Object.keys(table).filter((route) => !routes.includes(route)),
      'entries without a route',
    ).toEqual([]);
  });

  it('documents in OpenAPI exactly the admin routes the app serves', async () => {
    const doc = await t.request<{ paths: Record<string, Record<string, unknown>> }>(
      'GET',
      '/api/v1/openapi.json',
    );
    const documented = Object.entries(doc.body.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, operations]) =>
        Object.keys(operations).map(
          (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
        ),
      );
    const undocumented = ['GET /api/v1/openapi.json', 'GET /api/docs'];
    expect(documented.sort()).toEqual(
      apiRoutesOf(t.app)
        .filter((r) => !undocumented.includes(r))
        .sort(),
    );
  });

  it('enforces roles on every route, for sessions and API tokens, and refuses bad credentials (role matrix)', async () => {
    const failures: string[] = [];
    const entries = Object.entries(routeTable(ids)).sort(
      ([, a], [, b]) => Number(a.last ?? false) - Number(b.last ?? false),
    );
    for (const [route, entry] of entries) {
      const method = route.split(' ')[0]!;
      const path = entry.path ?? route.split(' ')[1]!;
      const send = (token?: string) => t.request(method, path, { token, body: entry.body });
      const anonymous = await send();
      if (entry.role === 'public') {
        if (anonymous.status === 401 || anonymous.status === 403 || anonymous.status >= 500)
          failures.push(`${route} anonymous → ${anonymous.status}`);
        continue;
      }
      if (anonymous.status !== 401) failures.push(`${route} anonymous → ${anonymous.status}`);
      for (const [name, token] of Object.entries(badCredentials)) {
        const res = await send(token);
        if (res.status !== 401) failures.push(`${route} ${name} → ${res.status}`);
      }
      for (const principal of principals) {
        const res = await send(principal.token);
        const allowed =
          ORDER.indexOf(principal.role) >= ORDER.indexOf(entry.role) &&
          !(entry.usersOnly && principal.name.includes('API token'));
        const ok = allowed
          ? res.status !== 401 && res.status !== 403 && res.status < 500
          : res.status === 403;
        if (!ok) failures.push(`${route} ${principal.name} → ${res.status} ${res.text.slice(0, 120)}`);
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
      ['PUT', '/api/v1/environments/order', { body: { order: ['staging'] } }],
      ['POST', '/api/v1/me/password', { body: { currentPassword: '', newPassword: 'short' } }],
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
      ['PUT', '/api/v1/flags/f/environments/production', { body: { enabled: 'yes' }, headers: ANY_VERSION }],
      [
        'PUT',
        '/api/v1/flags/f/environments/production',
        {
          body: {
            enabled: true,
            offVariation: 'off',
            fallthrough: { rollout: { variations: [{ variation: 'on', weight: 5 }] } },
          },
          headers: ANY_VERSION,
        },
      ],
      ['POST', '/api/v1/flags/f/environments/production/toggle', { body: { enabled: 1 } }],
      ['POST', '/api/v1/segments', { body: { key: 's2', rules: [{ clauses: [] }] } }],
      ['PUT', '/api/v1/segments/s', { body: { included: [1] }, headers: ANY_VERSION }],
      ['POST', '/api/v1/environments/production/sdk-keys', { body: { type: 'admin' } }],
      ['DELETE', '/api/v1/environments/production/sdk-keys/x', {}],
      ['POST', '/api/v1/environments/production/evaluate', { body: { context: { key: 5 } } }],
      ['GET', '/api/v1/flags?limit=0', {}],
      ['GET', '/api/v1/audit?since=yesterday', {}],
      [
        'PUT',
        '/api/v1/flags/f/environments/development',
        {
          body: { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' }, applyAt: 'soon' },
          headers: ANY_VERSION,
        },
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
    const before = await t.dump();
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
    expect(await t.dump()).toEqual(before);
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
    // This replica among others: whether it leads (the cluster test checks who), not behind, hears changes.
    expect(metrics.text).toMatch(/\nringflag_leader [01]\n/);
    expect(metrics.text).toContain('\nringflag_change_log_lag 0\n');
    expect(metrics.text).toContain('\nringflag_change_feed_connected 1\n');
    if (t.database.dialect === 'postgres') expect(metrics.text).toMatch(/\nringflag_db_pool_size \d+\n/);
    else expect(metrics.text).not.toContain('ringflag_db_pool_size');
    const doc = await t.request<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      'GET',
      '/api/v1/openapi.json',
    );
    expect(doc.body.openapi).toBe('3.1.0');
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

type RequestBody = { body?: unknown; raw?: string; headers?: Record<string, string> };
