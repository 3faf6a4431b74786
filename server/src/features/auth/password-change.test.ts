import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

interface AuditItem {
  action: string;
  actor: { id: string };
  resource: { type: string; key: string };
  after: unknown;
}

const ED = { email: 'ed@example.com', password: 'old-password-1' };

describe('changing your own password', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ loginMaxFailures: 3 });
    const created = await t.request('POST', '/api/v1/users', {
      token: t.adminToken,
      body: { ...ED, role: 'editor' },
    });
    expect(created.status).toBe(201);
  });
  afterEach(() => t.close());

  const login = (password: string) =>
    t.request<{ token: string }>('POST', '/api/v1/auth/login', { body: { email: ED.email, password } });
  const change = (token: string, body: unknown) =>
    t.request<{ errors: { path: string; message: string }[] }>('POST', '/api/v1/me/password', {
      token,
      body,
    });
  const audit = async (action: string) =>
    (
      await t.request<{ items: AuditItem[] }>('GET', `/api/v1/audit?action=${action}`, {
        token: t.adminToken,
      })
    ).body.items;

  it('sets the new password, keeps this session, ends the others, and is audited', async () => {
    const mine = (await login(ED.password)).body.token;
    const other = (await login(ED.password)).body.token;
    const res = await change(mine, { currentPassword: ED.password, newPassword: 'new-password-2' });
    expect(res.status).toBe(204);
    expect((await t.request('GET', '/api/v1/me', { token: mine })).status).toBe(200);
    expect((await t.request('GET', '/api/v1/me', { token: other })).status).toBe(401);
    expect((await login(ED.password)).status).toBe(401);
    expect((await login('new-password-2')).status).toBe(200);
    const [event] = await audit('user.password_change');
    expect(event).toMatchObject({ resource: { type: 'user', key: ED.email } });
    expect(event?.actor.id).toMatch(/^user:\d+$/);
    expect(JSON.stringify(event)).not.toMatch(/password-|scrypt/);
  });

  it('refuses a wrong current password and a too short or unchanged new one, by path', async () => {
    const token = (await login(ED.password)).body.token;
    const wrong = await change(token, { currentPassword: 'guess', newPassword: 'new-password-2' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([{ path: 'currentPassword', message: 'is not your current password' }]);
    const short = await change(token, { currentPassword: ED.password, newPassword: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.errors.map((e) => e.path)).toEqual(['newPassword']);
    const same = await change(token, { currentPassword: ED.password, newPassword: ED.password });
    expect(same.status).toBe(400);
    expect(same.body.errors.map((e) => e.path)).toEqual(['newPassword']);
    const extra = await change(token, {
      currentPassword: ED.password,
      newPassword: 'x'.repeat(9),
      role: 'admin',
    });
    expect(extra.status).toBe(400);
    expect((await login(ED.password)).status).toBe(200);
    const failed = await audit('auth.password_change_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.resource.key).toBe(ED.email);
  });

  it('counts wrong current passwords with failed logins: rate-limited with Retry-After, audited once', async () => {
    const token = (await login(ED.password)).body.token;
    for (let i = 0; i < 3; i++) {
      expect(
        (await change(token, { currentPassword: `guess-${i}`, newPassword: 'new-password-2' })).status,
      ).toBe(400);
    }
    const limited = await change(token, { currentPassword: ED.password, newPassword: 'new-password-2' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(
      (await change(token, { currentPassword: ED.password, newPassword: 'new-password-2' })).status,
    ).toBe(429);
    expect(await audit('auth.password_change_rate_limited')).toHaveLength(1);
    // The same limit holds for signing in as that user from this address.
    expect((await login(ED.password)).status).toBe(429);
  });

  it('is for signed-in users: an API token gets 403, no credentials 401', async () => {
    const created = await t.request<{ token: string }>('POST', '/api/v1/api-tokens', {
      token: t.adminToken,
      body: { name: 'ci', role: 'admin' },
    });
    const body = { currentPassword: 'admin-password-1', newPassword: 'new-password-2' };
    expect((await change(created.body.token, body)).status).toBe(403);
    expect((await t.request('POST', '/api/v1/me/password', { body })).status).toBe(401);
  });
});

describe('an admin resetting a password', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('sets it, ends the user’s sessions, is audited, and is for admins only', async () => {
    const created = await t.request<{ id: number }>('POST', '/api/v1/users', {
      token: t.adminToken,
      body: { ...ED, role: 'editor' },
    });
    const session = await t.request<{ token: string }>('POST', '/api/v1/auth/login', { body: ED });
    const approver = await t.tokenFor('approver');
    const refused = await t.request('PATCH', `/api/v1/users/${created.body.id}`, {
      token: approver,
      body: { password: 'reset-password-3' },
    });
    expect(refused.status).toBe(403);
    const reset = await t.request('PATCH', `/api/v1/users/${created.body.id}`, {
      token: t.adminToken,
      body: { password: 'reset-password-3' },
    });
    expect(reset.status).toBe(200);
    expect(reset.text).not.toContain('reset-password-3');
    expect((await t.request('GET', '/api/v1/me', { token: session.body.token })).status).toBe(401);
    const login = await t.request('POST', '/api/v1/auth/login', {
      body: { email: ED.email, password: 'reset-password-3' },
    });
    expect(login.status).toBe(200);
    const events = await t.request<{ items: AuditItem[] }>(
      'GET',
      '/api/v1/audit?action=user.password_reset',
      {
        token: t.adminToken,
      },
    );
    expect(events.body.items.map((e) => e.resource.key)).toEqual([ED.email]);
  });
});
