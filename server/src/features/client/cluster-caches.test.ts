import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { findSdkKey } from '../sdk-keys/sdk-keys.service.js';
import { type ClientSurface, createClientSurface } from './client-surface.js';
import { ClusterCaches } from './cluster-caches.js';

const ENV = 'development';

/**
 * One replica's caches of keys and environments, while "another replica" changes the rows underneath
 * (a direct update: nothing is signalled or published here unless the test says so).
 */
describe('caches of keys and environments on a replica', () => {
  let t: TestApp;
  let now: number;
  let clusterCaches: ClusterCaches;
  let surface: ClientSurface;

  const createKey = async () => {
    const res = await t.request<{ id: number; key: string }>('POST', `/api/v1/environments/${ENV}/sdk-keys`, {
      token: t.adminToken,
      body: { type: 'client' },
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  const revokeElsewhere = (id: number) =>
    t.query('update sdk_keys set revoked_at = $1 where id = $2', [new Date().toISOString(), id]);
  const environmentId = async () => {
    const [row] = await t.query<{ id: number }>('select id from environments where key = $1', [ENV]);
    if (!row) throw new Error('no environment');
    return Number(row.id);
  };

  beforeEach(async () => {
    t = await createTestApp();
    now = 0;
    clusterCaches = new ClusterCaches();
    surface = createClientSurface({
      database: t.database,
      hub: t.deps.hub,
      payloads: t.deps.payloads,
      findSdkKey: (key) => findSdkKey(t.database, key),
      clusterCaches,
      now: () => now,
    });
  });
  afterEach(() => t.close());

  it('refuses a key revoked on another replica within a second, even when no signal arrives', async () => {
    const { id, key } = await createKey();
    expect(await surface.keys.lookup(key)).toMatchObject({ id, type: 'client', environment: ENV });
    await revokeElsewhere(id);
    // Within the second the key is trusted from memory; a stream (fresh) is refused at once.
    now = 999;
    expect(await surface.keys.lookup(key)).toMatchObject({ id });
    expect(await surface.keys.lookup(key, { fresh: true })).toBeUndefined();
    now = 1000;
    expect(await surface.keys.lookup(key)).toBeUndefined();
  });

  it('drops exactly the revoked key on its signal, and every key when keys change', async () => {
    const revoked = await createKey();
    const other = await createKey();
    expect(await surface.keys.lookup(revoked.key)).toBeDefined();
    expect(await surface.keys.lookup(other.key)).toBeDefined();
    await revokeElsewhere(revoked.id);
    await revokeElsewhere(other.id);
    clusterCaches.onClusterSignal({ type: 'sdk-key-revoked', keyId: revoked.id });
    expect(await surface.keys.lookup(revoked.key)).toBeUndefined();
    // Not named by the signal: still from memory.
    expect(await surface.keys.lookup(other.key)).toMatchObject({ id: other.id });
    clusterCaches.onClusterSignal({ type: 'sdk-keys-changed' });
    expect(await surface.keys.lookup(other.key)).toBeUndefined();
  });

  it('drops environment rows and allowed origins when environments change, or after a second', async () => {
    const id = await environmentId();
    const before = await surface.environments.byId(id);
    expect(before).toBeDefined();
    expect(await surface.origins.allowedAnywhere('https://new.example.com')).toBe(false);
    await t.query(`update environments set revision = revision + 1, cors_origins = $1 where key = $2`, [
      JSON.stringify(['https://new.example.com']),
      ENV,
    ]);
    expect((await surface.environments.byId(id))?.revision).toBe(before?.revision);
    expect(await surface.origins.allowedAnywhere('https://new.example.com')).toBe(false);

    clusterCaches.onClusterSignal({ type: 'environments-changed' });
    expect((await surface.environments.byId(id))?.revision).toBe((before?.revision ?? 0) + 1);
    expect(await surface.origins.allowedAnywhere('https://new.example.com')).toBe(true);
    expect(await surface.origins.headers('https://new.example.com', id)).toMatchObject({
      'access-control-allow-origin': 'https://new.example.com',
    });

    // Without a signal, a second bounds what is kept.
    await t.query(`update environments set revision = revision + 1, cors_origins = '[]' where key = $1`, [
      ENV,
    ]);
    now = 999;
    expect((await surface.environments.byId(id))?.revision).toBe((before?.revision ?? 0) + 1);
    expect(await surface.origins.allowedAnywhere('https://new.example.com')).toBe(true);
    now = 1000;
    expect((await surface.environments.byId(id))?.revision).toBe((before?.revision ?? 0) + 2);
    expect(await surface.origins.allowedAnywhere('https://new.example.com')).toBe(false);
  });

  it('drops an environment row the moment its environment publishes a change here', async () => {
    const id = await environmentId();
    const before = await surface.environments.byId(id);
    const created = await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'banner', kind: 'boolean', clientSide: true },
    });
    expect(created.status).toBe(201);
    const toggled = await t.request('POST', `/api/v1/flags/banner/environments/${ENV}/toggle`, {
      token: t.adminToken,
      body: { enabled: true },
    });
    expect(toggled.status, toggled.text).toBe(200);
    const after = await surface.environments.byId(id);
    expect(after?.revision).toBeGreaterThan(before?.revision ?? Number.POSITIVE_INFINITY);
    const payload = await surface.payloads.get(after ?? (before as NonNullable<typeof before>));
    expect(payload.revision).toBe(after?.revision);
    expect(JSON.parse(payload.json).flags.banner.enabled).toBe(true);
  });
});
