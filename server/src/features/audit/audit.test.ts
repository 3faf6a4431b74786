import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { canonicalJson } from './canonical-json.js';

interface Event {
  id: number;
  action: string;
  hash: string;
  prevHash: string;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }], u: undefined })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(null)).toBe('null');
  });
});

describe('audit trail', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
    const token = t.adminToken;
    await t.request('POST', '/api/v1/flags', { token, body: { key: 'f', kind: 'boolean' } });
    await t.request('POST', '/api/v1/flags/f/environments/staging/toggle', {
      token,
      body: { enabled: true },
    });
    await t.request('POST', '/api/v1/segments', { token, body: { key: 's', included: ['u'] } });
    await t.request('PATCH', '/api/v1/flags/f', { token, body: { description: 'käse 🧀' } });
    await t.request('POST', '/api/v1/environments/production/sdk-keys', { token, body: { type: 'server' } });
    await t.request('POST', '/api/v1/auth/login', { body: { email: 'nobody@example.com', password: 'x' } });
  });
  afterEach(() => t.close());

  it('verifies after a run of mixed changes', async () => {
    const res = await t.request<{ ok: boolean; count: number }>('GET', '/api/v1/audit/verify', {
      token: t.adminToken,
    });
    expect(res.body.ok).toBe(true);
    // 3 environments + admin + admin login + 5 changes + failed login
    expect(res.body.count).toBe(11);
  });

  it('detects a tampered row', async () => {
    const [row] = await t.query<{ id: number }>("select id from audit_events where action = 'flag.update'");
    const updated = await t.query('update audit_events set after = $1 where id = $2 returning id', [
      JSON.stringify({ description: 'forged' }),
      row!.id,
    ]);
    expect(updated).toHaveLength(1);
    const res = await t.request<{ ok: boolean; firstBadId: number }>('GET', '/api/v1/audit/verify', {
      token: t.adminToken,
    });
    expect(res.body).toMatchObject({ ok: false, firstBadId: row!.id });
  });

  it('detects a deleted row', async () => {
    expect(await t.query('delete from audit_events where id = 5 returning id')).toHaveLength(1);
    const res = await t.request<{ ok: boolean; firstBadId: number }>('GET', '/api/v1/audit/verify', {
      token: t.adminToken,
    });
    expect(res.body).toMatchObject({ ok: false, firstBadId: 6 });
  });

  it('lists newest first with filters and cursor pages', async () => {
    const first = await t.request<{ items: Event[]; nextCursor: string }>('GET', '/api/v1/audit?limit=4', {
      token: t.adminToken,
    });
    expect(first.body.items.map((e) => e.id)).toEqual([11, 10, 9, 8]);
    const second = await t.request<{ items: Event[] }>(
      'GET',
      `/api/v1/audit?limit=4&cursor=${first.body.nextCursor}`,
      {
        token: t.adminToken,
      },
    );
    expect(second.body.items.map((e) => e.id)).toEqual([7, 6, 5, 4]);
    const filtered = await t.request<{ items: Event[] }>(
      'GET',
      '/api/v1/audit?resourceType=flag&resource=f',
      {
        token: t.adminToken,
      },
    );
    expect(filtered.body.items.map((e) => e.action)).toEqual([
      'flag.update',
      'flag.config.enable',
      'flag.create',
    ]);
    const bad = await t.request('GET', '/api/v1/audit?cursor=zzz', { token: t.adminToken });
    expect(bad.status).toBe(400);
  });

  it('exports NDJSON and CSV, oldest first', async () => {
    const ndjson = await t.request('GET', '/api/v1/audit/export', { token: t.adminToken });
    expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = ndjson.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);
    expect(lines).toHaveLength(11);
    expect(lines[1]?.prevHash).toBe(lines[0]?.hash);
    const csv = await t.request('GET', '/api/v1/audit/export?format=csv&resourceType=flag', {
      token: t.adminToken,
    });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = csv.text.trim().split('\n');
    expect(rows[0]).toMatch(/^id,at,actor_type/);
    expect(rows).toHaveLength(4);
    expect(csv.text).toContain('käse 🧀');
  });
});
