import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

interface Environment {
  key: string;
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
});
