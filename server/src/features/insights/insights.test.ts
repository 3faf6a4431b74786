import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamConnection } from '../../stream/change-hub.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { DEFAULT_PROJECT, environmentRef } from '../projects/project-scope.js';

const NOW = new Date('2026-03-02T12:00:30.000Z');
const NOW_MINUTE = Math.floor(NOW.getTime() / 60_000);

describe('insights', () => {
  let t: TestApp;
  let serverKey: string;
  beforeEach(async () => {
    t = await createTestApp({ clock: () => NOW });
    // Writes here apply at once; production's approvals are tested in change-requests.test.ts.
    await t.request('PATCH', '/api/v1/environments/production', {
      token: t.adminToken,
      body: { requireApproval: false },
    });
    const key = await t.request<{ key: string }>('POST', '/api/v1/environments/production/sdk-keys', {
      token: t.adminToken,
      body: { type: 'server' },
    });
    serverKey = key.body.key;
    const created = await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'new-checkout', kind: 'boolean' },
    });
    expect(created.status).toBe(201);
  });
  afterEach(() => t.close());

  const report = (exposures: { flag: string; variant: string; count: number; minute?: number }[]) =>
    t.request('POST', '/sdk/v1/events', { headers: { authorization: serverKey }, body: { exposures } });

  it('reports per environment the revision, the open streams and the last patch sent', async () => {
    const before = await t.request<{
      items: { environment: string; revision: number; lastPublish: unknown }[];
    }>('GET', '/api/v1/insights/environments', { token: await t.tokenFor('viewer') });
    expect(before.status).toBe(200);
    expect(before.body.items.map((item) => item.environment)).toEqual([
      'development',
      'staging',
      'production',
    ]);
    const production = before.body.items.find((item) => item.environment === 'production');
    // The flag was created after the app was built, so its patch was recorded.
    expect(production?.lastPublish).toMatchObject({ revision: production?.revision, at: NOW.toISOString() });

    const sink = { write: () => true, writableLength: 0, destroyed: false, destroy: () => {} };
    const connection: StreamConnection = {
      environment: environmentRef(DEFAULT_PROJECT.key, 'production'),
      keyId: 1,
      sink,
    };
    t.deps.hub.subscribe(connection);
    const toggled = await t.request('POST', '/api/v1/flags/new-checkout/environments/production/toggle', {
      token: t.adminToken,
      body: { enabled: true },
    });
    expect(toggled.status).toBe(200);
    const after = await t.request<{
      items: {
        environment: string;
        revision: number;
        streams: number;
        lastPublish: { revision: number; streams: number };
      }[];
    }>('GET', '/api/v1/insights/environments', { token: t.adminToken });
    const now = after.body.items.find((item) => item.environment === 'production');
    expect(now?.streams).toBe(1);
    expect(now?.revision).toBe((production?.revision ?? 0) + 1);
    expect(now?.lastPublish).toMatchObject({ revision: now?.revision, streams: 1 });
    t.deps.hub.unsubscribe(connection);
  });

  it('lists each flag per environment with its config, last change and last evaluation', async () => {
    expect(
      (await report([{ flag: 'new-checkout', variant: 'on', count: 3, minute: NOW_MINUTE - 5 }])).status,
    ).toBe(202);
    const res = await t.request<{
      items: {
        key: string;
        environments: Record<
          string,
          { config: { enabled: boolean }; updatedAt: string; lastEvaluatedAt: string | null }
        >;
      }[];
    }>('GET', '/api/v1/insights/flags', { token: await t.tokenFor('viewer') });
    expect(res.status).toBe(200);
    const flag = res.body.items.find((item) => item.key === 'new-checkout');
    expect(Object.keys(flag?.environments ?? {}).sort()).toEqual(['development', 'production', 'staging']);
    expect(flag?.environments.production).toMatchObject({
      config: { enabled: false },
      updatedAt: NOW.toISOString(),
      lastEvaluatedAt: new Date((NOW_MINUTE - 5) * 60_000).toISOString(),
    });
    expect(flag?.environments.staging?.lastEvaluatedAt).toBeNull();
  });

  it('returns exposures per variant and minute within the range, with totals', async () => {
    await report([
      { flag: 'new-checkout', variant: 'on', count: 3, minute: NOW_MINUTE - 2 },
      { flag: 'new-checkout', variant: 'off', count: 7, minute: NOW_MINUTE - 2 },
      { flag: 'new-checkout', variant: 'on', count: 4, minute: NOW_MINUTE - 1 },
    ]);
    // SDKs may date counts only a few minutes back, so older history is written directly.
    await t.query(
      "insert into exposure_counts (environment_id, flag_key, variant, minute, count) values ((select id from environments where key = 'production'), 'new-checkout', 'on', $1, 100)",
      [NOW_MINUTE - 60 * 48],
    );
    await report([{ flag: 'new-checkout', variant: 'on', count: 1, minute: NOW_MINUTE - 1 }]);
    const res = await t.request<{
      variants: string[];
      minutes: { minute: number; counts: Record<string, number> }[];
      totals: Record<string, number>;
    }>('GET', '/api/v1/flags/new-checkout/exposures?environment=production', { token: t.adminToken });
    expect(res.status).toBe(200);
    expect(res.body.variants).toEqual(['off', 'on']);
    expect(res.body.minutes).toEqual([
      {
        minute: NOW_MINUTE - 2,
        at: new Date((NOW_MINUTE - 2) * 60_000).toISOString(),
        counts: { off: 7, on: 3 },
      },
      { minute: NOW_MINUTE - 1, at: new Date((NOW_MINUTE - 1) * 60_000).toISOString(), counts: { on: 5 } },
    ]);
    expect(res.body.totals).toEqual({ off: 7, on: 8 });

    const older = await t.request<{ totals: Record<string, number> }>(
      'GET',
      `/api/v1/flags/new-checkout/exposures?environment=production&since=${new Date(NOW.getTime() - 3 * 86_400_000).toISOString()}`,
      { token: t.adminToken },
    );
    expect(older.body.totals).toEqual({ off: 7, on: 108 });
    const staging = await t.request<{ minutes: unknown[] }>(
      'GET',
      '/api/v1/flags/new-checkout/exposures?environment=staging',
      { token: t.adminToken },
    );
    expect(staging.body.minutes).toEqual([]);
  });

  it('refuses bad ranges and unknown flags or environments', async () => {
    const tooLong = await t.request<{ errors: { path: string }[] }>(
      'GET',
      `/api/v1/flags/new-checkout/exposures?environment=production&since=2025-01-01T00:00:00Z`,
      { token: t.adminToken },
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors[0]?.path).toBe('query.since');
    const missing = await t.request('GET', '/api/v1/flags/nope/exposures?environment=production', {
      token: t.adminToken,
    });
    expect(missing.status).toBe(404);
    const noEnv = await t.request('GET', '/api/v1/flags/new-checkout/exposures?environment=moon', {
      token: t.adminToken,
    });
    expect(noEnv.status).toBe(404);
    expect((await t.request('GET', '/api/v1/insights/flags')).status).toBe(401);
  });

  it('lists the flag rules that use a segment', async () => {
    await t.request('POST', '/api/v1/segments', { token: t.adminToken, body: { key: 'beta-testers' } });
    const config = await t.request<{ version: number }>(
      'GET',
      '/api/v1/flags/new-checkout/environments/staging',
      {
        token: t.adminToken,
      },
    );
    const put = await t.request('PUT', '/api/v1/flags/new-checkout/environments/staging', {
      token: t.adminToken,
      body: {
        version: config.body.version,
        enabled: false,
        offVariation: 'off',
        rules: [
          {
            id: 'staff',
            clauses: [{ attribute: 'groups', op: 'in', values: ['staff'] }],
            serve: { variation: 'on' },
          },
          {
            id: 'beta',
            name: 'Beta',
            clauses: [{ op: 'inSegment', values: ['beta-testers'] }],
            serve: { variation: 'on' },
          },
        ],
        fallthrough: { variation: 'off' },
      },
    });
    expect(put.status).toBe(200);
    const usage = await t.request<{ items: unknown[] }>('GET', '/api/v1/segments/beta-testers/usage', {
      token: t.adminToken,
    });
    expect(usage.status).toBe(200);
    expect(usage.body.items).toEqual([
      { flag: 'new-checkout', environment: 'staging', rules: [{ index: 1, id: 'beta', name: 'Beta' }] },
    ]);
    expect((await t.request('GET', '/api/v1/segments/nope/usage', { token: t.adminToken })).status).toBe(404);
  });
});
