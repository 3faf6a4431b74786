/**
 * Single sign-on end to end at the server level: a real OpenID Connect provider (oidc-provider) and the
 * real Ringflag server, each on a socket, driven with fetch as a browser would (manual redirects,
 * cookies carried by hand).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from '../../../../test/support/oidc-provider.js';
import { freePort } from '../../../../test/support/ringflag-process.js';
import { type RunningServer, startServer } from '../../server.js';
import { ADMIN } from '../../test-support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../../test-support/test-database.js';
import { loginAsAdmin } from '../../testing.js';
import type { AuditEvent } from '../audit/audit-event.js';
import { LoginLimiter } from '../auth/login-limiter.js';
import { insertProject, listMemberships } from '../projects/projects.store.js';
import { findUserByEmail } from '../users/users.store.js';
import { OIDC_CALLBACK_PATH, type OidcSettings } from './oidc-settings.js';
import { createSsoService } from './sso.service.js';

const CLIENT = { clientId: 'ringflag', clientSecret: 'client-secret-123' };
const ROLES = {
  'team-a-devs': { 'team-a': 'editor' },
  'team-a-leads': { 'team-a': 'approver', 'team-b': 'viewer' },
  'team-b-devs': { 'team-b': 'editor', 'not-a-project': 'admin' },
  'ringflag-admins': 'org-admin',
} as const;

/** The cookies a response sets, by name ('' for a deleted one). */
function setCookies(response: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const [pair = ''] = line.split(';');
    const at = pair.indexOf('=');
    const deleted = /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line);
    out.set(pair.slice(0, at), deleted ? '' : pair.slice(at + 1));
  }
  return out;
}

describe('single sign-on with OpenID Connect', () => {
  let op: TestOidcProvider;
  let db: TestDatabase;
  let server: RunningServer;
  let settings: OidcSettings;
  let base: string;
  let adminToken: string;
  /** Each test signs in from its own client address (the server trusts loopback as a proxy). */
  let addressCount = 0;
  const nextAddress = () => `198.51.100.${++addressCount}`;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    op = await startOidcProvider({
      clients: [{ ...CLIENT, redirectUris: [`${base}${OIDC_CALLBACK_PATH}`] }],
      accounts: [
        {
          sub: 'ann-1',
          password: 'pw-ann',
          email: 'ann@example.com',
          emailVerified: true,
          name: 'Ann A',
          groups: ['team-a-devs'],
        },
        {
          sub: 'bob-1',
          password: 'pw-bob',
          email: 'bob@example.com',
          emailVerified: true,
          groups: ['ringflag-admins'],
        },
        {
          sub: 'cat-1',
          password: 'pw-cat',
          email: 'cat@example.com',
          emailVerified: true,
          groups: ['marketing'],
        },
        {
          sub: 'dan-1',
          password: 'pw-dan',
          email: 'dan@example.com',
          emailVerified: true,
          groups: ['team-b-devs'],
        },
        {
          sub: 'eve-1',
          password: 'pw-eve',
          email: 'eve@example.com',
          emailVerified: false,
          groups: ['team-a-devs'],
        },
        {
          sub: 'fay-1',
          password: 'pw-fay',
          email: 'fay@example.com',
          emailVerified: true,
          groups: ['team-a-devs'],
        },
      ],
    });
    settings = {
      issuer: op.issuer,
      ...CLIENT,
      redirectUrl: `${base}${OIDC_CALLBACK_PATH}`,
      groupsClaim: 'groups',
      roles: ROLES,
      scopes: ['openid', 'email', 'profile', 'groups'],
      passwordLogin: false,
    };
    db = await createTestDatabase();
    server = await startServer({
      db: db.location,
      port,
      auditKeyFile: `${db.dir}/audit-signing.pem`,
      admin: ADMIN,
      logLevel: 'silent',
      print: () => {},
      trustProxy: ['127.0.0.1'],
      loginMaxFailures: 3,
      app: { oidc: settings },
    });
    const now = new Date().toISOString();
    for (const key of ['team-a', 'team-b']) {
      await insertProject(server.deps.database, {
        key,
        name: key,
        archived: false,
        createdAt: now,
        updatedAt: now,
      });
    }
    adminToken = await loginAsAdmin(base, ADMIN.email, ADMIN.password);
  });
  afterAll(async () => {
    await server?.close();
    await op?.close();
    await db?.drop();
  });

  /** Starts a sign-in at Ringflag: the provider's URL and the state cookie. */
  async function start(address: string, next = '/flags') {
    const response = await fetch(`${base}/api/v1/auth/oidc/login?next=${encodeURIComponent(next)}`, {
      redirect: 'manual',
      headers: { 'x-forwarded-for': address },
    });
    expect(response.status, await response.clone().text()).toBe(302);
    const state = setCookies(response).get('rf_oidc');
    expect(state).toBeTruthy();
    return { location: response.headers.get('location')!, state: state! };
  }

  /** Brings the provider's answer back to Ringflag, as the browser would. */
  function callback(url: URL | string, address: string, state?: string, accept = 'application/json') {
    return fetch(url, {
      redirect: 'manual',
      headers: { 'x-forwarded-for': address, accept, ...(state ? { cookie: `rf_oidc=${state}` } : {}) },
    });
  }

  /** A whole sign-in as `login`: Ringflag's answer to the callback. */
  async function signIn(login: string, password: string, next?: string) {
    const address = nextAddress();
    const { location, state } = await start(address, next);
    const back = await op.signIn(location, login, password);
    const response = await callback(back, address, state);
    return { response, address, state, back };
  }

  async function audit(resource: string): Promise<AuditEvent[]> {
    const res = await fetch(`${base}/api/v1/audit?resource=${encodeURIComponent(resource)}&limit=500`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: AuditEvent[] }).items;
  }

  async function rolesOf(email: string) {
    const user = await findUserByEmail(server.deps.database, email);
    if (!user) return undefined;
    const memberships = await listMemberships(server.deps.database, user.id);
    return {
      orgAdmin: user.orgAdmin,
      projects: Object.fromEntries(memberships.map((m) => [m.projectKey, m.role])),
    };
  }

  it('says which sign-in methods there are', async () => {
    const res = await fetch(`${base}/api/v1/auth/methods`);
    expect(await res.json()).toEqual({ password: false, oidc: true });
  });

  it('sends the browser to the provider with code + PKCE S256, state and nonce, in an encrypted cookie', async () => {
    const address = nextAddress();
    const response = await fetch(`${base}/api/v1/auth/oidc/login?next=/flags`, {
      redirect: 'manual',
      headers: { 'x-forwarded-for': address },
    });
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin).toBe(op.issuer);
    const params = Object.fromEntries(location.searchParams);
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: CLIENT.clientId,
      redirect_uri: settings.redirectUrl,
      code_challenge_method: 'S256',
      scope: 'openid email profile groups',
    });
    expect(params.state).toMatch(/^[\w-]{20,}$/);
    expect(params.nonce).toMatch(/^[\w-]{20,}$/);
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('rf_oidc='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Max-Age=600/i);
    expect(cookie).toMatch(/Path=\/api\/v1\/auth\/oidc/i);
    // Encrypted: neither the state nor the nonce can be read from it.
    expect(cookie).not.toContain(params.state);
    expect(cookie.split('.').length).toBeGreaterThanOrEqual(5);
  });

  it('creates the user on the first sign-in, starts a session and goes to `next`', async () => {
    const { response } = await signIn('ann-1', 'pw-ann', '/flags?tab=1');
    expect(response.status, await response.clone().text()).toBe(302);
    expect(response.headers.get('location')).toBe('/flags?tab=1');
    const cookies = setCookies(response);
    expect(cookies.get('rf_oidc')).toBe('');
    const session = cookies.get('rf_session');
    const csrf = cookies.get('rf_csrf');
    expect(session && csrf).toBeTruthy();
    expect(response.headers.getSetCookie().find((line) => line.startsWith('rf_session='))).toMatch(
      /HttpOnly/i,
    );

    const me = await fetch(`${base}/api/v1/me`, {
      headers: { cookie: `rf_session=${session}; rf_csrf=${csrf}` },
    });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'user', name: 'ann@example.com' });

    const user = await findUserByEmail(server.deps.database, 'ann@example.com');
    expect(user).toMatchObject({
      name: 'Ann A',
      ssoIssuer: op.issuer,
      ssoSubject: 'ann-1',
      passwordHash: '',
    });
    expect(await rolesOf('ann@example.com')).toEqual({ orgAdmin: false, projects: { 'team-a': 'editor' } });

    const events = await audit('ann@example.com');
    const actions = events.map((event) => event.action).reverse();
    expect(actions).toEqual(['user.create', 'user.sso_roles', 'auth.login']);
    const login = events.find((event) => event.action === 'auth.login')!;
    expect(login.actor).toMatchObject({ type: 'user', id: `user:${user!.id}` });
    expect(login.after).toMatchObject({ method: 'sso' });
    const roles = events.find((event) => event.action === 'user.sso_roles')!;
    expect(roles.actor.type).toBe('system');
    expect(roles.onBehalfOf).toMatchObject({ id: `user:${user!.id}` });
    expect(roles.after).toEqual({ projects: { 'team-a': 'editor' } });
  });

  it('sets the roles to what the groups give at every sign-in: a removed group removes its role', async () => {
    const dan = op.accounts.get('dan-1')!;
    expect((await signIn('dan-1', 'pw-dan')).response.status).toBe(302);
    // `not-a-project` does not exist: skipped.
    expect(await rolesOf('dan@example.com')).toEqual({ orgAdmin: false, projects: { 'team-b': 'editor' } });

    dan.groups = ['team-b-devs', 'team-a-leads'];
    expect((await signIn('dan-1', 'pw-dan')).response.status).toBe(302);
    // The highest role per project over all groups.
    expect(await rolesOf('dan@example.com')).toEqual({
      orgAdmin: false,
      projects: { 'team-a': 'approver', 'team-b': 'editor' },
    });

    dan.groups = ['team-a-leads'];
    expect((await signIn('dan-1', 'pw-dan')).response.status).toBe(302);
    expect(await rolesOf('dan@example.com')).toEqual({
      orgAdmin: false,
      projects: { 'team-a': 'approver', 'team-b': 'viewer' },
    });

    const changes = (await audit('dan@example.com')).filter((event) => event.action === 'user.sso_roles');
    expect(changes.map((event) => [event.before, event.after]).reverse()).toEqual([
      [{ projects: {} }, { projects: { 'team-b': 'editor' } }],
      [{ projects: {} }, { projects: { 'team-a': 'approver' } }],
      [{ projects: { 'team-b': 'editor' } }, { projects: { 'team-b': 'viewer' } }],
    ]);
  });

  it('makes org admins from the org-admin mapping, and takes it back with the group', async () => {
    expect((await signIn('bob-1', 'pw-bob')).response.status).toBe(302);
    expect(await rolesOf('bob@example.com')).toEqual({ orgAdmin: true, projects: {} });
    op.accounts.get('bob-1')!.groups = ['ringflag-admins', 'team-a-devs'];
    expect((await signIn('bob-1', 'pw-bob')).response.status).toBe(302);
    op.accounts.get('bob-1')!.groups = ['team-a-devs'];
    expect((await signIn('bob-1', 'pw-bob')).response.status).toBe(302);
    expect(await rolesOf('bob@example.com')).toEqual({ orgAdmin: false, projects: { 'team-a': 'editor' } });
    const orgAdmin = (await audit('bob@example.com')).filter(
      (event) => event.action === 'user.sso_org_admin',
    );
    expect(orgAdmin.map((event) => event.after).reverse()).toEqual([{ orgAdmin: true }, { orgAdmin: false }]);
  });

  it('refuses someone without a mapped group: no user; an existing user loses every role and session', async () => {
    const { response } = await signIn('cat-1', 'pw-cat');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(((await response.json()) as { detail: string }).detail).toContain(
      'You have no access to Ringflag',
    );
    expect(await findUserByEmail(server.deps.database, 'cat@example.com')).toBeUndefined();
    expect((await audit('cat@example.com')).map((event) => [event.action, event.after])).toEqual([
      ['auth.login_failed', expect.objectContaining({ method: 'sso', reason: 'no mapped group' })],
    ]);

    const fay = op.accounts.get('fay-1')!;
    const first = await signIn('fay-1', 'pw-fay');
    expect(first.response.status).toBe(302);
    const session = setCookies(first.response).get('rf_session');
    fay.groups = ['marketing'];
    const refused = await signIn('fay-1', 'pw-fay');
    expect(refused.response.status).toBe(401);
    expect(await rolesOf('fay@example.com')).toEqual({ orgAdmin: false, projects: {} });
    const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${session}` } });
    expect(me.status).toBe(401);
    const actions = (await audit('fay@example.com')).map((event) => event.action);
    expect(actions.slice(0, 2)).toEqual(['auth.login_failed', 'user.sso_roles']);
  });

  it('sends a browser back to the sign-in page with the word for what went wrong', async () => {
    const address = nextAddress();
    const { location, state } = await start(address);
    const back = await op.signIn(location, 'cat-1', 'pw-cat');
    const response = await callback(back, address, state, 'text/html,application/xhtml+xml');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/login?sso_error=no_access');
    expect(setCookies(response).get('rf_oidc')).toBe('');
  });

  it('links an existing password user by email only when the provider says it is verified', async () => {
    const created = await fetch(`${base}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'eve@example.com', password: 'password-eve-1', role: 'viewer' }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const eve = op.accounts.get('eve-1')!;
    const unverified = await signIn('eve-1', 'pw-eve');
    expect(unverified.response.status).toBe(401);
    expect(((await unverified.response.json()) as { detail: string }).detail).toContain(
      'not say the address is verified',
    );
    expect((await findUserByEmail(server.deps.database, 'eve@example.com'))?.ssoSubject).toBeNull();

    eve.emailVerified = true;
    const linked = await signIn('eve-1', 'pw-eve');
    expect(linked.response.status).toBe(302);
    const user = await findUserByEmail(server.deps.database, 'eve@example.com');
    expect(user).toMatchObject({ ssoIssuer: op.issuer, ssoSubject: 'eve-1' });
    expect((await audit('eve@example.com')).map((event) => event.action)).toContain('user.sso_link');

    // RINGFLAG_OIDC_PASSWORD_LOGIN=off: their password no longer signs them in, and they are told why.
    const password = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': nextAddress() },
      body: JSON.stringify({ email: 'eve@example.com', password: 'password-eve-1' }),
    });
    expect(password.status).toBe(401);
    expect(((await password.json()) as { detail: string }).detail).toContain('Sign in with SSO');
    // A local user (never signed in through SSO) still can.
    expect(await loginAsAdmin(base, ADMIN.email, ADMIN.password)).toBeTruthy();
  });

  describe('refuses, as a 401 that is audited,', () => {
    /** Signs in with `tamper` on the provider's token endpoint; the refusal's audit event. */
    async function refusedWith(prepare: () => void, reason: RegExp) {
      prepare();
      try {
        const { response } = await signIn('ann-1', 'pw-ann');
        expect(response.status, await response.clone().text()).toBe(401);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      } finally {
        op.settings.tamper = undefined;
      }
      const [failed] = await audit('sso');
      expect(failed).toMatchObject({ action: 'auth.login_failed', after: { method: 'sso' } });
      expect(String((failed!.after as { reason: string }).reason)).toMatch(reason);
    }

    it('an ID token signed with a key the provider never published', () =>
      refusedWith(() => {
        op.settings.tamper = { key: 'other' };
      }, /signature verification failed/));

    it('an ID token with another nonce', () =>
      refusedWith(() => {
        op.settings.tamper = { claims: (claims) => ({ ...claims, nonce: 'not-the-nonce' }) };
      }, /"nonce"/));

    it('an ID token from another issuer', () =>
      refusedWith(() => {
        op.settings.tamper = { claims: (claims) => ({ ...claims, iss: 'http://127.0.0.1:1' }) };
      }, /"iss"/));

    it('an ID token for another client', () =>
      refusedWith(() => {
        op.settings.tamper = { claims: (claims) => ({ ...claims, aud: 'someone-else' }) };
      }, /"aud"/));

    it('an expired ID token', () =>
      refusedWith(() => {
        op.settings.tamper = {
          claims: (claims) => ({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 }),
        };
      }, /"exp"/));

    it('a callback whose state is not the one the cookie holds', async () => {
      const address = nextAddress();
      const { location, state } = await start(address);
      const back = await op.signIn(location, 'ann-1', 'pw-ann');
      back.searchParams.set('state', 'someone-elses-state');
      const response = await callback(back, address, state);
      expect(response.status).toBe(401);
      const [failed] = await audit('sso');
      expect(failed).toMatchObject({ action: 'auth.login_failed', after: { client: address } });
    });

    it('an expired code', async () => {
      op.settings.codeTtlSeconds = 1;
      const address = nextAddress();
      try {
        const { location, state } = await start(address);
        const back = await op.signIn(location, 'ann-1', 'pw-ann');
        const code = back.searchParams.get('code')!;
        // Until the provider itself no longer knows the code.
        await vi.waitFor(async () => expect(await op.codeExpired(code)).toBe(true), {
          timeout: 5000,
          interval: 100,
        });
        const response = await callback(back, address, state);
        expect(response.status).toBe(401);
      } finally {
        op.settings.codeTtlSeconds = 60;
      }
      const [failed] = await audit('sso');
      expect(failed).toMatchObject({
        after: { client: address, reason: expect.stringMatching(/invalid_grant/) },
      });
    });

    it('a code used a second time', async () => {
      const { response, address, state, back } = await signIn('ann-1', 'pw-ann');
      expect(response.status).toBe(302);
      const replay = await callback(back, address, state);
      expect(replay.status).toBe(401);
      const [failed] = await audit('sso');
      expect(failed).toMatchObject({
        after: { client: address, reason: expect.stringMatching(/invalid_grant/) },
      });
    });
  });

  it('counts callbacks without a valid state cookie, audits none of them, and bounds them per address', async () => {
    const before = (await audit('sso')).length;
    const address = nextAddress();
    const garbage = `${base}${OIDC_CALLBACK_PATH}?code=x&state=y`;
    const statuses: number[] = [];
    for (const cookie of [undefined, 'not-a-jwe', 'a.b.c.d.e']) {
      statuses.push((await callback(garbage, address, cookie)).status);
    }
    // loginMaxFailures is 3: the fourth from this address is refused before anything is looked at.
    const limited = await callback(garbage, address, undefined);
    expect([...statuses, limited.status]).toEqual([401, 401, 401, 429]);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // Every answer is in: the trail has nothing more.
    expect((await audit('sso')).length).toBe(before);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/sso_state/);
  });

  it('goes only to paths on this server after signing in', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const { response } = await signIn('ann-1', 'pw-ann', next);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/');
    }
  });

  it('lets someone whose session ended sign in again (the stale cookie is not in the way)', async () => {
    const address = nextAddress();
    const response = await fetch(`${base}/api/v1/auth/oidc/login`, {
      redirect: 'manual',
      headers: { 'x-forwarded-for': address, cookie: 'rf_session=an.ended.session' },
    });
    expect(response.status).toBe(302);
  });

  it('answers 503 while the provider cannot be reached, and 404 where single sign-on is off', async () => {
    const unreachable = createSsoService(
      { ...server.deps, sessions: server.services.auth, limiter: new LoginLimiter() },
      { ...settings, issuer: 'http://127.0.0.1:9' },
    );
    await expect(unreachable.begin('/')).rejects.toMatchObject({ status: 503 });
    // An issuer whose discovery document names another issuer is as good as unreachable.
    const mismatched = createSsoService(
      { ...server.deps, sessions: server.services.auth, limiter: new LoginLimiter() },
      { ...settings, issuer: `${op.issuer}/other` },
    );
    await expect(mismatched.begin('/')).rejects.toMatchObject({ status: 503 });
    const off = createSsoService(
      { ...server.deps, sessions: server.services.auth, limiter: new LoginLimiter() },
      undefined,
    );
    await expect(off.begin('/')).rejects.toMatchObject({ status: 404 });
    expect(off.methods()).toEqual({ password: true, oidc: false });
  });
});
