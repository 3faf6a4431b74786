import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../errors/index.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import type { Principal } from '../auth/principal.js';
import { updateUser } from '../users/users.store.js';

async function rejectionOf(action: Promise<unknown>): Promise<unknown> {
  try {
    await action;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('API tokens', () => {
  let t: TestApp;
  let adminId: number;
  beforeEach(async () => {
    t = await createTestApp();
    adminId = (await t.request<{ id: number }>('GET', '/api/v1/me', { token: t.adminToken })).body.id;
  });
  afterEach(() => t.close());

  const creator = (role: Principal['role'], environments: string[] | null = null): Principal => ({
    kind: 'user',
    id: adminId,
    name: 'admin@example.com',
    role,
    orgAdmin: false,
    environments,
  });

  it('refuses a token with more rights than its creator has, naming the field', async () => {
    const tokens = t.services.apiTokens;
    const before = await t.dump();
    const above = () => tokens.create(creator('editor'), { name: 'x', role: 'approver' });
    await expect(above()).rejects.toThrow(ForbiddenError);
    await expect(above()).rejects.toThrow(/more rights than you/);
    const outside = await rejectionOf(
      tokens.create(creator('editor', ['staging']), {
        name: 'x',
        role: 'viewer',
        environments: ['production'],
      }),
    );
    expect(outside).toBeInstanceOf(ForbiddenError);
    expect((outside as ForbiddenError).errors).toEqual([
      { path: 'environments[0]', message: 'not one of yours' },
    ]);
    await expect(
      tokens.create(creator('editor', ['staging']), { name: 'x', role: 'viewer' }),
    ).rejects.toThrow(ForbiddenError);
    expect(await t.dump()).toEqual(before);
    expect(
      await tokens.create(creator('editor', ['staging']), {
        name: 'ok',
        role: 'editor',
        environments: ['staging'],
      }),
    ).toMatchObject({ role: 'editor', environments: ['staging'] });
  });

  it('refuses a token whose creator is disabled, even if the token was not revoked', async () => {
    const user = await t.request<{ id: number }>('POST', '/api/v1/users', {
      token: t.adminToken,
      body: { email: 'ci@example.com', password: 'password-1', role: 'admin' },
    });
    const tokens = t.services.apiTokens;
    const { token } = await tokens.create(
      { ...creator('admin'), id: user.body.id },
      { name: 'ci', role: 'editor' },
    );
    expect((await t.request('GET', '/api/v1/me', { token })).status).toBe(200);
    // Straight into the database, past the service that would revoke the token: the second line holds.
    await t.database.transaction((tx) => updateUser(tx, user.body.id, { disabled: true }));
    const refused = await t.request<{ detail: string }>('GET', '/api/v1/me', { token });
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/disabled/);
    const metrics = await t.request('GET', '/metrics');
    expect(metrics.text).toContain(
      'ringflag_auth_refused_total{kind="api_token",reason="creator_disabled"} 1',
    );
  });
});
