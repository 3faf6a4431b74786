import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

interface Segment {
  key: string;
  version: number;
  included: string[];
}

describe('segments', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('creates, reads, updates (If-Match) and deletes a segment', async () => {
    const created = await t.request<Segment>('POST', '/api/v1/segments', {
      token: t.adminToken,
      body: { key: 'beta', name: 'Beta', included: ['u1'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'beta', version: 1, included: ['u1'] });
    const list = await t.request<{ items: Segment[] }>('GET', '/api/v1/segments', { token: t.adminToken });
    expect(list.body.items.map((s) => s.key)).toEqual(['beta']);
    const updated = await t.request<Segment>('PUT', '/api/v1/segments/beta', {
      token: t.adminToken,
      body: { included: ['u1', 'u2'] },
      headers: { 'if-match': '"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, included: ['u1', 'u2'] });
    const stale = await t.request('PUT', '/api/v1/segments/beta', {
      token: t.adminToken,
      body: { included: [] },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect((await t.request('DELETE', '/api/v1/segments/beta', { token: t.adminToken })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/segments/beta', { token: t.adminToken })).status).toBe(404);
  });

  it('refuses to delete a segment a flag still uses', async () => {
    await t.request('POST', '/api/v1/segments', { token: t.adminToken, body: { key: 'staff' } });
    await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key: 'f', kind: 'boolean' } });
    const put = await t.request('PUT', '/api/v1/flags/f/environments/staging', {
      token: t.adminToken,
      body: {
        enabled: true,
        offVariation: 'off',
        rules: [{ id: 'r', clauses: [{ op: 'inSegment', values: ['staff'] }], serve: { variation: 'on' } }],
        fallthrough: { variation: 'off' },
      },
    });
    expect(put.status).toBe(200);
    const refused = await t.request<{ detail: string }>('DELETE', '/api/v1/segments/staff', {
      token: t.adminToken,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('f');
  });

  it('rejects a key both included and excluded, with its path', async () => {
    const res = await t.request<{ errors: { path: string }[] }>('POST', '/api/v1/segments', {
      token: t.adminToken,
      body: { key: 'x', included: ['a'], excluded: ['a'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]?.path).toBe('excluded[0]');
  });
});
