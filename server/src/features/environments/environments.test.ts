import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

interface Environment {
  key: string;
  name: string;
  requireApproval: boolean;
  corsOrigins: string[];
  order: number;
}

describe('environments', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('are seeded in pipeline order, production requiring approval', async () => {
    const res = await t.request<{ items: Environment[] }>('GET', '/api/v1/environments', {
      token: t.adminToken,
    });
    expect(res.body.items.map((e) => [e.key, e.requireApproval])).toEqual([
      ['development', false],
      ['staging', false],
      ['production', true],
    ]);
  });

  it('are created with every flag off and updated', async () => {
    await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key: 'f', kind: 'boolean' } });
    const created = await t.request<Environment>('POST', '/api/v1/environments', {
      token: t.adminToken,
      body: { key: 'eu-prod', name: 'EU production', requireApproval: true },
    });
    expect(created.status).toBe(201);
    expect(created.body.order).toBe(3);
    const config = await t.request<{ enabled: boolean }>('GET', '/api/v1/flags/f/environments/eu-prod', {
      token: t.adminToken,
    });
    expect(config.body.enabled).toBe(false);
    const updated = await t.request<Environment>('PATCH', '/api/v1/environments/eu-prod', {
      token: t.adminToken,
      body: { corsOrigins: ['https://app.example.com'], order: 0, requireApproval: false },
    });
    expect(updated.body).toMatchObject({
      corsOrigins: ['https://app.example.com'],
      order: 0,
      requireApproval: false,
    });
    await t.request('PATCH', '/api/v1/environments/development', {
      token: t.adminToken,
      body: { order: 10 },
    });
    const list = await t.request<{ items: Environment[] }>('GET', '/api/v1/environments', {
      token: t.adminToken,
    });
    expect(list.body.items.map((e) => e.key)).toEqual(['eu-prod', 'staging', 'production', 'development']);
  });

  interface AuditItem {
    action: string;
    resource: { key: string };
    before: Environment | null;
    after: Environment | null;
    comment?: string;
  }
  const auditOf = async (key: string) =>
    (
      await t.request<{ items: AuditItem[] }>(
        'GET',
        `/api/v1/audit?resourceType=environment&resource=${key}`,
        { token: t.adminToken },
      )
    ).body.items;
  const keys = async () =>
    (
      await t.request<{ items: Environment[] }>('GET', '/api/v1/environments', { token: t.adminToken })
    ).body.items.map((e) => e.key);

  it('are put in a new pipeline order in one write, each move audited, by admins only', async () => {
    const editor = await t.request('PUT', '/api/v1/environments/order', {
      token: await t.tokenFor('editor'),
      body: { order: ['production', 'staging', 'development'] },
    });
    expect(editor.status).toBe(403);
    const res = await t.request<{ items: Environment[] }>('PUT', '/api/v1/environments/order', {
      token: t.adminToken,
      body: { order: ['staging', 'development', 'production'] },
    });
    expect(res.status).toBe(200);
    expect(res.body.items.map((e) => [e.key, e.order])).toEqual([
      ['staging', 0],
      ['development', 1],
      ['production', 2],
    ]);
    expect(await keys()).toEqual(['staging', 'development', 'production']);
    const moved = (await auditOf('staging')).filter((e) => e.action === 'environment.update');
    expect(moved.map((e) => [e.before?.order, e.after?.order])).toEqual([[1, 0]]);
    // Production kept its place: nothing to record.
    expect((await auditOf('production')).filter((e) => e.action === 'environment.update')).toEqual([]);
  });

  it('refuses an order that does not list every environment exactly once, with paths, changing nothing', async () => {
    const before = await t.dump();
    const cases: [unknown, string[]][] = [
      [{ order: ['staging', 'nope', 'production', 'development'] }, ['order[1]']],
      [{ order: ['staging', 'staging', 'production', 'development'] }, ['order[1]']],
      [{ order: ['staging', 'production'] }, ['order']],
      [{ order: ['Not A Key'] }, ['order[0]']],
      [{ order: 'staging' }, ['order']],
      [{ order: ['staging'], extra: 1 }, ['']],
    ];
    for (const [body, paths] of cases) {
      const res = await t.request<{ errors: { path: string; message: string }[] }>(
        'PUT',
        '/api/v1/environments/order',
        { token: t.adminToken, body },
      );
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      for (const path of paths) {
        if (path !== '')
          expect(
            res.body.errors.map((e) => e.path),
            JSON.stringify(body),
          ).toContain(path);
      }
    }
    expect(await t.dump()).toEqual(before);
  });

  it('renames, sets origins and approval with a comment in the audit trail; refuses bad origins by path', async () => {
    const viewer = await t.request('PATCH', '/api/v1/environments/staging', {
      token: await t.tokenFor('viewer'),
      body: { name: 'Pre-production' },
    });
    expect(viewer.status).toBe(403);
    const bad = await t.request<{ errors: { path: string }[] }>('PATCH', '/api/v1/environments/staging', {
      token: t.adminToken,
      body: { corsOrigins: ['https://a.example.com', 'https://a.example.com', 'https://b.example.com/'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e) => e.path).sort()).toEqual(['corsOrigins[1]', 'corsOrigins[2]']);

    const renamed = await t.request<Environment>('PATCH', '/api/v1/environments/staging', {
      token: t.adminToken,
      body: { name: 'Pre-production', corsOrigins: ['https://app.example.com', 'http://localhost:5173'] },
    });
    expect(renamed.body).toMatchObject({
      key: 'staging',
      name: 'Pre-production',
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
    });
    const off = await t.request<Environment>('PATCH', '/api/v1/environments/production', {
      token: t.adminToken,
      body: { requireApproval: false, comment: 'freeze is over' },
    });
    expect(off.body.requireApproval).toBe(false);
    const [event] = await auditOf('production');
    expect(event).toMatchObject({
      action: 'environment.update',
      comment: 'freeze is over',
      before: { requireApproval: true },
      after: { requireApproval: false },
    });
  });
});
