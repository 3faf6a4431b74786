import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, createTestApp, type TestApp } from '../../test-support/test-app.js';

function unsignedToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

describe('auth', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ loginMaxFailures: 3 });
  });
  afterEach(() => t.close());

  it('logs in with a JWT and an HttpOnly SameSite=Strict cookie; /me answers who', async () => {
    const res = await t.request<{ token: string; csrfToken: string }>('POST', '/api/v1/auth/login', {
      body: ADMIN,
    });
    expect(res.status).toBe(200);
    expect(res.body.token.split('.')).toHaveLength(3);
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('rf_session='));
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    const me = await t.request<{ name: string; role: string }>('GET', '/api/v1/me', {
      token: res.body.token,
    });
    expect(me.body).toMatchObject({ name: ADMIN.email, role: 'admin' });
  });

  it('needs the CSRF header for cookie-authenticated changes', async () => {
    const login = await t.request<{ token: string; csrfToken: string }>('POST', '/api/v1/auth/login', {
      body: ADMIN,
    });
    const cookie = `rf_session=${login.body.token}`;
    const read = await t.request('GET', '/api/v1/flags', { headers: { cookie } });
    expect(read.status).toBe(200);
    const body = { key: 'x', kind: 'boolean' };
    const without = await t.request('POST', '/api/v1/flags', { headers: { cookie }, body });
    expect(without.status).toBe(403);
    const wrong = await t.request('POST', '/api/v1/flags', {
      headers: { cookie, 'x-csrf-token': 'nope' },
      body,
    });
    expect(wrong.status).toBe(403);
    const right = await t.request('POST', '/api/v1/flags', {
      headers: { cookie, 'x-csrf-token': login.body.csrfToken },
      body,
    });
    expect(right.status).toBe(201);
  });

  it('logout ends the session', async () => {
    const login = await t.request<{ token: string }>('POST', '/api/v1/auth/login', { body: ADMIN });
    expect((await t.request('POST', '/api/v1/auth/logout', { token: login.body.token })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/me', { token: login.body.token })).status).toBe(401);
    expect((await t.request('GET', '/api/v1/me', { token: t.adminToken })).status).toBe(200);
  });

  it('rejects alg:none, expired, wrongly signed and malformed tokens', async () => {
    const payload = JSON.parse(Buffer.from(t.adminToken.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const none = unsignedToken(payload);
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ sid: payload.sid, csrf: payload.csrf })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(payload.sub))
      .setIssuer('ringflag')
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(t.deps.secret);
    const forged = await new SignJWT({ sid: payload.sid, csrf: payload.csrf })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(payload.sub))
      .setIssuer('ringflag')
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode('another-secret-another-secret-another'));
    for (const token of [none, expired, forged, 'not.a.jwt', 'garbage']) {
      const res = await t.request<{ status: number }>('GET', '/api/v1/me', { token });
      expect(res.status, token).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('rate-limits failed logins and audits them', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await t.request('POST', '/api/v1/auth/login', {
        body: { email: ADMIN.email, password: 'wrong' },
      });
      expect(res.status).toBe(401);
    }
    const limited = await t.request('POST', '/api/v1/auth/login', { body: ADMIN });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const audit = await t.request<{ items: { action: string; resource: { key: string } }[] }>(
      'GET',
      '/api/v1/audit?action=auth.login_failed',
      { token: t.adminToken },
    );
    expect(audit.body.items).toHaveLength(3);
    expect(audit.body.items[0]?.resource.key).toBe(ADMIN.email);
  });

  it('API tokens authenticate with their role and environment limits; revoked ones do not', async () => {
    const created = await t.request<{ id: number; token: string }>('POST', '/api/v1/api-tokens', {
      token: t.adminToken,
      body: { name: 'ci', role: 'editor', environments: ['staging'] },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^rf_api_/);
    const token = created.body.token;
    await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key: 'f', kind: 'boolean' } });
    const toggle = (env: string) =>
      t.request('POST', `/api/v1/flags/f/environments/${env}/toggle`, { token, body: { enabled: true } });
    expect((await toggle('staging')).status).toBe(200);
    expect((await toggle('production')).status).toBe(403);
    expect(
      (await t.request('POST', '/api/v1/flags', { token, body: { key: 'g', kind: 'boolean' } })).status,
    ).toBe(403);
    const listed = await t.request<{ items: Record<string, unknown>[] }>('GET', '/api/v1/api-tokens', {
      token: t.adminToken,
    });
    expect(JSON.stringify(listed.body)).not.toContain(token);
    await t.request('DELETE', `/api/v1/api-tokens/${created.body.id}`, { token: t.adminToken });
    expect((await toggle('staging')).status).toBe(401);
  });
});
