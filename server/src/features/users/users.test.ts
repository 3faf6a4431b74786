import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

interface User {
  id: number;
  email: string;
  role: string;
  disabled: boolean;
}

describe('users', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('creates, lists, changes the role of and disables users', async () => {
    const created = await t.request<User>('POST', '/api/v1/users', {
      token: t.adminToken,
      body: { email: 'Ed@Example.com', password: 'password-1', role: 'editor' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'ed@example.com', role: 'editor', disabled: false });
    expect(created.text).not.toContain('password');
    const listed = await t.request<{ items: User[] }>('GET', '/api/v1/users', { token: t.adminToken });
    expect(listed.body.items.map((u) => u.email)).toEqual(['admin@example.com', 'ed@example.com']);

    const login = await t.request<{ token: string }>('POST', '/api/v1/auth/login', {
      body: { email: 'ed@example.com', password: 'password-1' },
    });
    const promoted = await t.request<User>('PATCH', `/api/v1/users/${created.body.id}`, {
      token: t.adminToken,
      body: { role: 'approver' },
    });
    expect(promoted.body.role).toBe('approver');
    const me = await t.request<{ role: string }>('GET', '/api/v1/me', { token: login.body.token });
    expect(me.body.role).toBe('approver');
    await t.request('PATCH', `/api/v1/users/${created.body.id}`, {
      token: t.adminToken,
      body: { disabled: true },
    });
    expect((await t.request('GET', '/api/v1/me', { token: login.body.token })).status).toBe(401);
    const again = await t.request('POST', '/api/v1/auth/login', {
      body: { email: 'ed@example.com', password: 'password-1' },
    });
    expect(again.status).toBe(401);
  });

  it('keeps at least one enabled organisation admin', async () => {
    const me = await t.request<{ id: number }>('GET', '/api/v1/me', { token: t.adminToken });
    const res = await t.request('PATCH', `/api/v1/users/${me.body.id}`, {
      token: t.adminToken,
      body: { orgAdmin: false },
    });
    expect(res.status).toBe(409);
    const disabled = await t.request('PATCH', `/api/v1/users/${me.body.id}`, {
      token: t.adminToken,
      body: { disabled: true },
    });
    expect(disabled.status).toBe(409);
    // As before projects, a lower role alone ends being an admin: refused for the last one.
    const demoted = await t.request('PATCH', `/api/v1/users/${me.body.id}`, {
      token: t.adminToken,
      body: { role: 'viewer' },
    });
    expect(demoted.status).toBe(409);
    // Said together, an org admin may have a lower role in the default project.
    const kept = await t.request<{ orgAdmin: boolean; role: string | null }>(
      'PATCH',
      `/api/v1/users/${me.body.id}`,
      { token: t.adminToken, body: { role: 'viewer', orgAdmin: true } },
    );
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ orgAdmin: true, role: 'viewer' });
  });
});
