import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from './features/auth/roles.js';
import { PROJECT_SCOPED_RESOURCES } from './features/projects/project-path.js';
import { ADMIN, ANY_VERSION, createTestApp, type TestApp } from './test-support/test-app.js';

type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: { path: string; message: string }[];
};

/**
 * What a route needs: a role in the project it acts in, nothing (`public`), any principal
 * (`signed-in`), or an organisation admin (`org-admin`).
 */
type Need = Role | 'public' | 'signed-in' | 'org-admin';

/** What the role matrix needs to know about one route: what it needs and a well-formed request. */
interface RouteEntry {
  need: Need;
  /**
   * A concrete path (the route's own path when it has no parameters). A project-scoped route's is its
   * URL in the default project; the matrix moves it under `/api/v1/projects/{project}` for others.
   */
  path?: string;
  body?: unknown;
  /** Ends the caller's session (logout): checked after every other route. */
  last?: boolean;
  /** Only for signed-in users: an API token, whatever its role, gets 403. */
  usersOnly?: boolean;
}

/** The two projects of the matrix: the default one, and one created through the API. */
const PROJECTS = ['default', 'team-b'] as const;
type ProjectKey = (typeof PROJECTS)[number];

/** Ids the matrix's requests name, as the project they run in has them. */
interface Fixture {
  project: ProjectKey;
  /** A user no principal of the matrix is (their name and memberships get changed). */
  user: number;
  /** An API token of the project, to revoke. */
  token: number;
  /** A server SDK key of the project's production environment, to revoke. */
  key: number;
}

/**
 * What every route under `/api/` needs, and a valid request, keyed by Hono's method and path, as
 * the project of `ids` has them. A route the app has and this table lacks fails the test by name,
 * so a new route cannot be forgotten. Ids that do not exist (999999) are fine: the role check runs
 * before the lookup.
 */
function routeTable(ids: Fixture): Record<string, RouteEntry> {
  const config = { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } };
  const release = '/api/v1/flags/f/environments/development/release';
  const noPlan = '/api/v1/flags/f/environments/staging/release';
  const project = `/api/v1/projects/${ids.project}`;
  return {
    'POST /api/v1/auth/login': { need: 'public', body: { email: ADMIN.email, password: ADMIN.password } },
    'POST /api/v1/auth/logout': { need: 'signed-in', last: true },
    // Single sign-on is not set up in the test app: a 404 problem, never a refusal.
    'GET /api/v1/auth/methods': { need: 'public' },
    'GET /api/v1/auth/oidc/login': { need: 'public' },
    'GET /api/v1/auth/oidc/callback': { need: 'public', path: '/api/v1/auth/oidc/callback?code=c&state=s' },
    'GET /api/v1/me': { need: 'signed-in' },
    // A wrong current password: refused (400) without changing anything.
    'POST /api/v1/me/password': {
      need: 'signed-in',
      usersOnly: true,
      body: { currentPassword: 'not-the-password', newPassword: 'password-new-1' },
    },
    'GET /api/v1/openapi.json': { need: 'public' },
    'GET /api/docs': { need: 'public' },
    'GET /api/v1/users': { need: 'org-admin' },
    'POST /api/v1/users': {
      need: 'org-admin',
      body: { email: 'n@example.com', password: 'password-9', role: 'viewer' },
    },
    'PATCH /api/v1/users/:id': {
      need: 'org-admin',
      path: `/api/v1/users/${ids.user}`,
      body: { name: 'Renamed' },
    },
    'GET /api/v1/projects': { need: 'signed-in' },
    'POST /api/v1/projects': { need: 'org-admin', body: { key: 'team-c', name: 'Team C' } },
    'GET /api/v1/projects/:project': { need: 'viewer', path: project },
    'PATCH /api/v1/projects/:project': { need: 'admin', path: project, body: { name: 'Renamed' } },
    'GET /api/v1/projects/:project/members': { need: 'viewer', path: `${project}/members` },
    'PUT /api/v1/projects/:project/members/:userId': {
      need: 'admin',
      path: `${project}/members/${ids.user}`,
      body: { role: 'viewer' },
    },
    'DELETE /api/v1/projects/:project/members/:userId': {
      need: 'admin',
      path: `${project}/members/${ids.user}`,
    },
    'GET /api/v1/api-tokens': { need: 'admin' },
    'POST /api/v1/api-tokens': { need: 'admin', body: { name: 'x', role: 'viewer' } },
    'DELETE /api/v1/api-tokens/:id': { need: 'admin', path: `/api/v1/api-tokens/${ids.token}` },
    'GET /api/v1/environments': { need: 'viewer' },
    'GET /api/v1/environments/:env': { need: 'viewer', path: '/api/v1/environments/production' },
    'POST /api/v1/environments': { need: 'admin', body: { key: 'qa', name: 'QA' } },
    'PUT /api/v1/environments/order': {
      need: 'admin',
      body: { order: ['development', 'staging', 'production'] },
    },
    'PATCH /api/v1/environments/:env': {
      need: 'admin',
      path: '/api/v1/environments/staging',
      body: { name: 'Staging 2' },
    },
    'GET /api/v1/flags': { need: 'viewer' },
    'POST /api/v1/flags': { need: 'editor', body: { key: 'g', kind: 'boolean' } },
    'GET /api/v1/flags/:key': { need: 'viewer', path: '/api/v1/flags/f' },
    'PATCH /api/v1/flags/:key': { need: 'editor', path: '/api/v1/flags/f', body: { description: 'd' } },
    'POST /api/v1/flags/:key/archive': { need: 'editor', path: '/api/v1/flags/g/archive' },
    'POST /api/v1/flags/:key/unarchive': { need: 'editor', path: '/api/v1/flags/g/unarchive' },
    'GET /api/v1/flags/:key/environments/:env': {
      need: 'viewer',
      path: '/api/v1/flags/f/environments/production',
    },
    'PUT /api/v1/flags/:key/environments/:env': {
      need: 'editor',
      path: '/api/v1/flags/f/environments/production',
      body: config,
    },
    'POST /api/v1/flags/:key/environments/:env/toggle': {
      need: 'editor',
      path: '/api/v1/flags/f/environments/production/toggle',
      body: { enabled: false },
    },
    'GET /api/v1/flags/:key/exposures': {
      need: 'viewer',
      path: '/api/v1/flags/f/exposures?environment=production',
    },
    'GET /api/v1/change-requests': { need: 'viewer' },
    'GET /api/v1/change-requests/:id': { need: 'viewer', path: '/api/v1/change-requests/999999' },
    'POST /api/v1/change-requests/:id/approve': {
      need: 'approver',
      path: '/api/v1/change-requests/999999/approve',
      body: { comment: 'ok' },
    },
    'POST /api/v1/change-requests/:id/reject': {
      need: 'approver',
      path: '/api/v1/change-requests/999999/reject',
      body: { comment: 'no' },
    },
    'POST /api/v1/change-requests/:id/withdraw': {
      need: 'viewer',
      path: '/api/v1/change-requests/999999/withdraw',
    },
    'POST /api/v1/change-requests/:id/cancel': {
      need: 'viewer',
      path: '/api/v1/change-requests/999999/cancel',
    },
    'GET /api/v1/flags/:key/environments/:env/release': { need: 'viewer', path: release },
    'POST /api/v1/flags/:key/environments/:env/release': {
      need: 'editor',
      path: release,
      body: { variation: 'on', stages: [{ name: 'everyone', percentage: 100 }] },
    },
    'POST /api/v1/flags/:key/environments/:env/release/preview': {
      need: 'viewer',
      path: `${noPlan}/preview`,
      body: { variation: 'on', stages: [{ name: 'everyone', percentage: 100 }] },
    },
    'GET /api/v1/release-approvals': { need: 'viewer' },
    'POST /api/v1/flags/:key/environments/:env/release/pause': { need: 'editor', path: `${release}/pause` },
    'POST /api/v1/flags/:key/environments/:env/release/advance': {
      need: 'editor',
      path: `${noPlan}/advance`,
    },
    'POST /api/v1/flags/:key/environments/:env/release/resume': { need: 'editor', path: `${noPlan}/resume` },
    'POST /api/v1/flags/:key/environments/:env/release/rollback': {
      need: 'editor',
      path: `${noPlan}/rollback`,
    },
    'POST /api/v1/flags/:key/environments/:env/release/approve': {
      need: 'approver',
      path: `${noPlan}/approve`,
      body: { comment: 'ok' },
    },
    'GET /api/v1/segments': { need: 'viewer' },
    'GET /api/v1/segments/:key': { need: 'viewer', path: '/api/v1/segments/s' },
    'POST /api/v1/segments': { need: 'editor', body: { key: 't' } },
    'PUT /api/v1/segments/:key': { need: 'editor', path: '/api/v1/segments/s', body: { included: ['a'] } },
    'DELETE /api/v1/segments/:key': { need: 'editor', path: '/api/v1/segments/t' },
    'GET /api/v1/segments/:key/usage': { need: 'viewer', path: '/api/v1/segments/s/usage' },
    'GET /api/v1/environments/:env/sdk-keys': {
      need: 'editor',
      path: '/api/v1/environments/production/sdk-keys',
    },
    'POST /api/v1/environments/:env/sdk-keys': {
      need: 'admin',
      path: '/api/v1/environments/production/sdk-keys',
      body: { type: 'server' },
    },
    'DELETE /api/v1/environments/:env/sdk-keys/:id': {
      need: 'admin',
      path: `/api/v1/environments/production/sdk-keys/${ids.key}`,
    },
    'POST /api/v1/environments/:env/evaluate': {
      need: 'viewer',
      path: '/api/v1/environments/production/evaluate',
      body: { context: { key: 'u' } },
    },
    'GET /api/v1/audit': { need: 'viewer' },
    'GET /api/v1/audit/verify': { need: 'viewer' },
    'GET /api/v1/audit/export': { need: 'viewer' },
    'GET /api/v1/audit/head': { need: 'viewer' },
    'GET /api/v1/audit/public-key': { need: 'viewer' },
    'GET /api/v1/insights/environments': { need: 'viewer' },
    'GET /api/v1/insights/flags': { need: 'viewer' },
  };
}

/** Every route of the app under `/api/` (the admin API, its document and docs page), as `METHOD path`. */
function apiRoutesOf(app: TestApp['app']): string[] {
  const routes = app.routes
    .filter((route) => route.method !== 'ALL' && route.path.startsWith('/api/'))
    .map((route) => `${route.method} ${route.path}`);
  return [...new Set(routes)];
}

const SCOPED_RESOURCES: readonly string[] = PROJECT_SCOPED_RESOURCES;

/** Whether a path (`/api/v1/flags/:key`) is a project-scoped route's, served in every project. */
function isProjectScoped(path: string): boolean {
  return SCOPED_RESOURCES.includes(path.split('/')[3] ?? '');
}

/** A project-scoped path (`/api/v1/flags/f`) as `project` serves it: as is for default. */
function inProjectPath(path: string, project: string): string {
  return project === 'default' ? path : `/api/v1/projects/${project}${path.slice('/api/v1'.length)}`;
}

/** The URL prefix of a project's project-scoped routes. */
function apiBase(project: ProjectKey): string {
  return inProjectPath('/api/v1', project);
}

const ORDER: Role[] = ['viewer', 'editor', 'approver', 'admin'];

/** A session or API token the matrix acts with, and what it may do. */
interface Caller {
  name: string;
  token: string;
  /** The role in each project; null: none there (the project is a 404 to it). */
  roles: Record<ProjectKey, Role | null>;
  orgAdmin: boolean;
  apiToken: boolean;
}

/**
 * What `caller` must get from a route needing `need`, in `project` (for a route of a project):
 * through the authorization checks, a 403, or the 404 of a project it has no role in.
 */
function expectedOutcome(
  need: Exclude<Need, 'public'>,
  project: ProjectKey | undefined,
  caller: Caller,
  usersOnly: boolean,
): 'allowed' | 403 | 404 {
  if (need === 'signed-in') return usersOnly && caller.apiToken ? 403 : 'allowed';
  if (need === 'org-admin') return caller.orgAdmin ? 'allowed' : 403;
  if (project === undefined) throw new Error(`a route needing the ${need} role outside a project`);
  const role = caller.roles[project];
  if (role === null) return 404;
  return ORDER.indexOf(role) >= ORDER.indexOf(need) ? 'allowed' : 403;
}

describe('the admin API', () => {
  let t: TestApp;
  /** The ids of each project's fixtures. */
  let fixtures: Record<ProjectKey, Fixture>;
  /** The default project's ids (for the tests that act only there). */
  let ids: Fixture;
  /** Credentials that must get 401 on every route that needs a principal. */
  let badCredentials: Record<string, string>;
  /**
   * Every caller of the matrix: per role, a user with it in default only and one with it in team-b
   * only, a session and an API token of each; the org admin's session and default-project admin
   * token; a demoted org admin's session and token.
   */
  let callers: Caller[];

  beforeAll(async () => {
    t = await createTestApp();
    const token = t.adminToken;
    const call = async <T>(method: string, path: string, body?: unknown, as = token) => {
      const res = await t.request<T>(method, path, { token: as, body });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
      return res.body;
    };
    const post = <T>(path: string, body: unknown, as = token) => call<T>('POST', path, body, as);
    const login = async (email: string, password = 'password-1') => {
      const res = await t.request<{ token: string }>('POST', '/api/v1/auth/login', {
        body: { email, password },
      });
      if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${res.text}`);
      return res.body.token;
    };
    const newUser = (email: string, fields: Record<string, unknown>) =>
      post<{ id: number }>('/api/v1/users', { email, password: 'password-1', ...fields });

    await post('/api/v1/projects', { key: 'team-b', name: 'Team B' });
    const target = await newUser('target@example.com', { role: 'viewer' });
    const made: Partial<Record<ProjectKey, Fixture>> = {};
    for (const project of PROJECTS) {
      const base = apiBase(project);
      await post(`${base}/flags`, { key: 'f', kind: 'boolean' });
      await post(`${base}/segments`, { key: 's' });
      const throwaway = await post<{ id: number }>(`${base}/api-tokens`, {
        name: 'throwaway',
        role: 'viewer',
      });
      const key = await post<{ id: number }>(`${base}/environments/production/sdk-keys`, { type: 'server' });
      made[project] = { project, user: target.id, token: throwaway.id, key: key.id };
    }
    fixtures = made as Record<ProjectKey, Fixture>;
    ids = fixtures.default;

    const caller = (name: string, token: string, roles: Caller['roles'], orgAdmin = false): Caller => ({
      name,
      token,
      roles,
      orgAdmin,
      apiToken: token.startsWith('rf_api_'),
    });
    /** The callers of one role: with it in default only, and in team-b only (made side by side). */
    const callersOf = async (role: Role): Promise<Caller[]> => {
      // Not an org admin: given admin without saying, a user would be one.
      await newUser(`${role}.default@example.com`, { role, orgAdmin: false });
      const session = await login(`${role}.default@example.com`);
      const inDefault = { default: role, 'team-b': null };
      // An admin token made by an org admin would act as one: the admin makes their own.
      const own = role === 'admin' ? session : token;
      const apiToken = await post<{ token: string }>('/api/v1/api-tokens', { name: role, role }, own);

      const member = await newUser(`${role}.team-b@example.com`, { orgAdmin: false });
      await call('PUT', `/api/v1/projects/team-b/members/${member.id}`, { role });
      const inTeamB = { default: null, 'team-b': role };
      // Made by the org admin, and an admin one too is no org admin's: it belongs to team-b.
      const teamBToken = await post<{ token: string }>('/api/v1/projects/team-b/api-tokens', {
        name: role,
        role,
      });
      return [
        caller(`${role} of default, session`, session, inDefault),
        caller(`${role} of default, API token`, apiToken.token, inDefault),
        caller(`${role} of team-b, session`, await login(`${role}.team-b@example.com`), inTeamB),
        caller(`${role} of team-b, API token`, teamBToken.token, inTeamB),
      ];
    };
    callers = (await Promise.all(ORDER.map(callersOf))).flat();
    const add = (...args: Parameters<typeof caller>) => callers.push(caller(...args));
    // A session of its own for the org admin: the matrix logs every session out at the end.
    const everywhere = { default: 'admin', 'team-b': 'admin' } as const;
    add('org admin session', await login(ADMIN.email, ADMIN.password), everywhere, true);
    const orgToken = await post<{ token: string }>('/api/v1/api-tokens', { name: 'org', role: 'admin' });
    add(
      'org admin default-project admin API token',
      orgToken.token,
      { default: 'admin', 'team-b': null },
      true,
    );

    const revoked = await post<{ id: number; token: string }>('/api/v1/api-tokens', {
      name: 'revoked',
      role: 'admin',
    });
    await call('DELETE', `/api/v1/api-tokens/${revoked.id}`);
    const client = await post<{ key: string }>('/api/v1/environments/production/sdk-keys', {
      type: 'client',
    });

    /** An org admin with a session and an API token of their own, then changed by another. */
    const adminThen = async (email: string, change: Record<string, unknown>) => {
      const created = await newUser(email, { role: 'admin' });
      const session = await login(email);
      const own = await post<{ token: string }>(
        '/api/v1/api-tokens',
        { name: email, role: 'admin' },
        session,
      );
      await call('PATCH', `/api/v1/users/${created.id}`, change);
      return { session, token: own.token };
    };
    const disabled = await adminThen('disabled@example.com', { disabled: true });
    const demoted = await adminThen('demoted@example.com', { orgAdmin: false, role: 'viewer' });
    const demotedRoles = { default: 'viewer', 'team-b': null } as const;
    add('demoted admin session', demoted.session, demotedRoles);
    add('demoted admin API token', demoted.token, demotedRoles);

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
      clientKey: client.key,
      unknownApiToken: `rf_api_${'A'.repeat(43)}`,
      revokedApiToken: revoked.token,
      disabledUserSession: disabled.session,
      disabledUserApiToken: disabled.token,
    };
    // Some 60 requests, two dozen of them hashing a password: more than the default hook timeout allows
    // on a busy machine.
  }, 60_000);
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

  it('documents in OpenAPI exactly the admin routes the app serves, each project-scoped one in both forms', async () => {
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
    const served = apiRoutesOf(t.app).filter((route) => !undocumented.includes(route));
    const scoped = served.filter((route) => isProjectScoped(route.split(' ')[1]!));
    const inProjectForm = scoped.map((route) => route.replace(' /api/v1/', ' /api/v1/projects/:project/'));
    expect(scoped).toContain('GET /api/v1/flags/:key');
    expect(
      [...scoped, ...inProjectForm].filter((route) => !documented.includes(route)),
      'project-scoped routes missing a form',
    ).toEqual([]);
    expect(documented.sort()).toEqual([...served, ...inProjectForm].sort());
  });

  it('enforces roles on every route, in every project, for sessions and API tokens, and refuses bad credentials (role matrix)', async () => {
    const failures: string[] = [];
    const routes = Object.entries(routeTable(ids)).sort(
      ([, a], [, b]) => Number(a.last ?? false) - Number(b.last ?? false),
    );
    for (const [route, defaultEntry] of routes) {
      const [method, routePath] = route.split(' ') as [string, string];
      const scoped = isProjectScoped(routePath);
      const ofProject = scoped || routePath.startsWith('/api/v1/projects/:project');
      for (const project of ofProject ? PROJECTS : [undefined]) {
        const entry = project === undefined ? defaultEntry : routeTable(fixtures[project])[route]!;
        const given = entry.path ?? routePath;
        const path = scoped && project !== undefined ? inProjectPath(given, project) : given;
        const label = `${route} ${path}`;
        const send = (token?: string) => t.request(method, path, { token, body: entry.body });
        const anonymous = await send();
        const { need } = entry;
        if (need === 'public') {
          if (anonymous.status === 401 || anonymous.status === 403 || anonymous.status >= 500)
            failures.push(`${label} anonymous → ${anonymous.status}`);
          continue;
        }
        if (anonymous.status !== 401) failures.push(`${label} anonymous → ${anonymous.status}`);
        for (const [name, token] of Object.entries(badCredentials)) {
          const res = await send(token);
          if (res.status !== 401) failures.push(`${label} ${name} → ${res.status}`);
        }
        // Reads change nothing: their callers may ask all at once.
        const reads = method === 'GET' ? await Promise.all(callers.map((caller) => send(caller.token))) : [];
        for (const [index, caller] of callers.entries()) {
          const res = reads[index] ?? (await send(caller.token));
          const expected = expectedOutcome(need, project, caller, entry.usersOnly ?? false);
          const ok =
            expected === 'allowed'
              ? res.status !== 401 &&
                res.status !== 403 &&
                res.status < 500 &&
                // Through to a handler: a path no route serves would pass for allowed.
                !(res.status === 404 && (res.body as Problem).detail.startsWith('No route'))
              : res.status === expected && res.headers.get('content-type') === 'application/problem+json';
          if (!ok)
            failures.push(
              `${label} ${caller.name}: expected ${expected}, got ${res.status} ${res.text.slice(0, 120)}`,
            );
          // Who the API says the caller is, in the project of the URL: the roles the matrix expects.
          if (route === 'GET /api/v1/me' && res.status === 200) {
            const me = res.body as { role: Role | null; orgAdmin: boolean; project: string };
            const want = { role: caller.roles[project!], orgAdmin: caller.orgAdmin, project };
            const got = { role: me.role, orgAdmin: me.orgAdmin, project: me.project };
            if (JSON.stringify(got) !== JSON.stringify(want))
              failures.push(
                `${label} ${caller.name}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
              );
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // Some 4,000 requests: seconds on SQLite, more on PostgreSQL or a busy machine.
  }, 120_000);

  it('takes no changes in an archived project but serves its reads, and unarchives (org admins)', async () => {
    const admin = { token: t.adminToken };
    const projectAdmin = callers.find((caller) => caller.name === 'admin of team-b, API token')!;
    const archive = (archived: boolean, token = t.adminToken) =>
      t.request<{ archived: boolean }>('PATCH', '/api/v1/projects/team-b', { token, body: { archived } });
    // Archiving is for org admins; the project's own admins may not.
    expect((await archive(true, projectAdmin.token)).status).toBe(403);
    const archived = await archive(true);
    expect(archived.status, archived.text).toBe(200);
    expect(archived.body.archived).toBe(true);
    try {
      const write = await t.request<Problem>('POST', '/api/v1/projects/team-b/flags', {
        ...admin,
        body: { key: 'h', kind: 'boolean' },
      });
      expect(write.status, write.text).toBe(409);
      expect(write.headers.get('content-type')).toBe('application/problem+json');
      const segment = await t.request('PUT', '/api/v1/projects/team-b/segments/s', {
        token: projectAdmin.token,
        body: { included: ['b'] },
        headers: ANY_VERSION,
      });
      expect(segment.status, segment.text).toBe(409);
      for (const path of [
        '/api/v1/projects/team-b/flags',
        '/api/v1/projects/team-b/flags/f',
        '/api/v1/projects/team-b',
      ]) {
        const read = await t.request('GET', path, { token: projectAdmin.token });
        expect(read.status, `${path}: ${read.text}`).toBe(200);
      }
      // The project itself (its name, its members) still takes changes.
      const renamed = await t.request('PATCH', '/api/v1/projects/team-b', {
        token: projectAdmin.token,
        body: { name: 'Team B (archived)' },
      });
      expect(renamed.status, renamed.text).toBe(200);
      const listed = await t.request<{ items: { key: string }[] }>(
        'GET',
        '/api/v1/projects?archived=true',
        admin,
      );
      expect(listed.body.items.map((p) => p.key)).toEqual(['team-b']);
      // The default project cannot be archived.
      const defaultProject = await t.request('PATCH', '/api/v1/projects/default', {
        ...admin,
        body: { archived: true },
      });
      expect(defaultProject.status, defaultProject.text).toBe(400);
    } finally {
      const unarchived = await archive(false);
      expect(unarchived.status, unarchived.text).toBe(200);
      expect(unarchived.body.archived).toBe(false);
    }
    const write = await t.request('POST', '/api/v1/projects/team-b/flags', {
      token: projectAdmin.token,
      body: { key: 'h', kind: 'boolean' },
    });
    expect(write.status, write.text).toBe(201);
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
