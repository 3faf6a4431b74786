/**
 * End to end, on a real socket: an API token never has more rights than its creator has now. A
 * disabled creator's tokens stop at once (and the revocation is audited); a demoted creator's tokens
 * act with the new role; a token minted by a token follows the user behind the first one.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/src/index.js';
import { adminRequest, loginAsAdmin } from '../../server/src/testing.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

interface AuditItem {
  action: string;
  actor: { type: string; id: string; name: string };
  resource: { type: string; key: string };
}

describe('API token rights follow their creator', () => {
  let server: RunningServer;
  let dir: string;
  let admin: string;
  let adminId: number;
  const call = <T = unknown>(token: string, method: string, path: string, body?: unknown) =>
    adminRequest<T>(server.url, token, method, path, body);

  /** A new admin user, logged in, with an admin API token of their own. */
  async function adminWithToken(email: string) {
    const user = await call<{ id: number }>(admin, 'POST', '/api/v1/users', {
      email,
      password: 'password-123',
      role: 'admin',
    });
    expect(user.status).toBe(201);
    const session = await loginAsAdmin(server.url, email, 'password-123');
    const token = await call<{ id: number; token: string }>(session, 'POST', '/api/v1/api-tokens', {
      name: `${email} pipeline`,
      role: 'admin',
    });
    expect(token.status).toBe(201);
    return { userId: user.body.id, session, tokenId: token.body.id, token: token.body.token };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-token-rights-'));
    server = await startServer({ db: join(dir, 'ringflag.db'), admin: ADMIN, logLevel: 'silent' });
    admin = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
    adminId = (await call<{ id: number }>(admin, 'GET', '/api/v1/me')).body.id;
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a disabled admin's token (401) and audits its revocation by whoever disabled them", async () => {
    const gone = await adminWithToken('gone@example.com');
    expect((await call(gone.token, 'GET', '/api/v1/users')).status).toBe(200);

    const disabled = await call(admin, 'PATCH', `/api/v1/users/${gone.userId}`, { disabled: true });
    expect(disabled.status).toBe(200);

    const newAdmin = await call(gone.token, 'POST', '/api/v1/users', {
      email: 'mallory@example.com',
      password: 'password-123',
      role: 'admin',
    });
    expect(newAdmin.status).toBe(401);
    const users = await call<{ items: { email: string }[] }>(admin, 'GET', '/api/v1/users');
    expect(users.body.items.map((u) => u.email)).not.toContain('mallory@example.com');

    const audit = await call<{ items: AuditItem[] }>(admin, 'GET', '/api/v1/audit?action=api_token.revoke');
    const revocation = audit.body.items.find((item) => item.resource.key === String(gone.tokenId));
    expect(revocation?.actor).toMatchObject({ type: 'user', id: `user:${adminId}` });
    const tokens = await call<{ items: { id: number; revokedAt: string | null }[] }>(
      admin,
      'GET',
      '/api/v1/api-tokens',
    );
    expect(tokens.body.items.find((t) => t.id === gone.tokenId)?.revokedAt).not.toBeNull();
  });

  it("makes a demoted admin's token act with the new role at once, and the old one when promoted back", async () => {
    const demoted = await adminWithToken('demoted@example.com');
    expect((await call(admin, 'PATCH', `/api/v1/users/${demoted.userId}`, { role: 'editor' })).status).toBe(
      200,
    );

    const me = await call<{ role: string }>(demoted.token, 'GET', '/api/v1/me');
    expect(me.body.role).toBe('editor');
    const flag = await call(demoted.token, 'POST', '/api/v1/flags', { key: 'by-demoted', kind: 'boolean' });
    expect(flag.status).toBe(201);
    const user = await call(demoted.token, 'POST', '/api/v1/users', {
      email: 'eve@example.com',
      password: 'password-123',
      role: 'admin',
    });
    expect(user.status).toBe(403);

    await call(admin, 'PATCH', `/api/v1/users/${demoted.userId}`, { role: 'viewer' });
    const asViewer = await call(demoted.token, 'POST', '/api/v1/flags', {
      key: 'by-viewer',
      kind: 'boolean',
    });
    expect(asViewer.status).toBe(403);

    await call(admin, 'PATCH', `/api/v1/users/${demoted.userId}`, { role: 'admin' });
    expect((await call<{ role: string }>(demoted.token, 'GET', '/api/v1/me')).body.role).toBe('admin');
  });

  it('limits a token minted by a token to the rights of the user behind the first one', async () => {
    const owner = await adminWithToken('owner@example.com');
    const minted = await call<{ id: number; token: string }>(owner.token, 'POST', '/api/v1/api-tokens', {
      name: 'minted',
      role: 'admin',
    });
    expect(minted.status).toBe(201);

    await call(admin, 'PATCH', `/api/v1/users/${owner.userId}`, { role: 'viewer' });
    expect((await call<{ role: string }>(minted.body.token, 'GET', '/api/v1/me')).body.role).toBe('viewer');
    const write = await call(minted.body.token, 'POST', '/api/v1/flags', {
      key: 'by-minted',
      kind: 'boolean',
    });
    expect(write.status).toBe(403);

    await call(admin, 'PATCH', `/api/v1/users/${owner.userId}`, { disabled: true });
    expect((await call(minted.body.token, 'GET', '/api/v1/me')).status).toBe(401);
    const audit = await call<{ items: AuditItem[] }>(admin, 'GET', '/api/v1/audit?action=api_token.revoke');
    const revoked = audit.body.items.map((item) => item.resource.key);
    expect(revoked).toEqual(expect.arrayContaining([String(owner.tokenId), String(minted.body.id)]));
  });

  it('counts refused API tokens in /metrics without their secret', async () => {
    const bogus = `rf_api_${'x'.repeat(43)}`;
    expect((await call(bogus, 'GET', '/api/v1/me')).status).toBe(401);
    const revoked = await call<{ id: number; token: string }>(admin, 'POST', '/api/v1/api-tokens', {
      name: 'to revoke',
      role: 'viewer',
    });
    await call(admin, 'DELETE', `/api/v1/api-tokens/${revoked.body.id}`);
    expect((await call(revoked.body.token, 'GET', '/api/v1/me')).status).toBe(401);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/ringflag_auth_refused_total\{kind="api_token",reason="unknown"\} [1-9]/);
    expect(metrics).toMatch(/ringflag_auth_refused_total\{kind="api_token",reason="revoked"\} [1-9]/);
    expect(metrics).not.toContain(bogus);
    expect(metrics).not.toContain(revoked.body.token);
  });
});
