import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

describe('server SDK surface', () => {
  let t: TestApp;
  let serverKey: string;
  let keyId: number;
  beforeEach(async () => {
    t = await createTestApp();
    // Writes here apply at once; production's approvals are tested in change-requests.test.ts.
    await t.request('PATCH', '/api/v1/environments/production', {
      token: t.adminToken,
      body: { requireApproval: false },
    });
    const key = await t.request<{ id: number; key: string }>(
      'POST',
      '/api/v1/environments/production/sdk-keys',
      {
        token: t.adminToken,
        body: { type: 'server' },
      },
    );
    expect(key.status).toBe(201);
    expect(key.body.key).toMatch(/^rf_srv_/);
    serverKey = key.body.key;
    keyId = key.body.id;
    await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key: 'f', kind: 'boolean' } });
  });
  afterEach(() => t.close());

  const flags = (headers: Record<string, string>) =>
    t.request<{ revision: number; flags: Record<string, { enabled: boolean }>; segments: object }>(
      'GET',
      '/sdk/v1/flags',
      { headers },
    );

  it('serves the payload with ETag = revision and 304 on If-None-Match', async () => {
    const first = await flags({ authorization: serverKey });
    expect(first.status).toBe(200);
    expect(first.body.flags.f?.enabled).toBe(false);
    const etag = first.headers.get('etag');
    expect(etag).toBe(`"${first.body.revision}"`);
    const bearer = await flags({ authorization: `Bearer ${serverKey}`, 'if-none-match': etag as string });
    expect(bearer.status).toBe(304);
    await t.request('POST', '/api/v1/flags/f/environments/production/toggle', {
      token: t.adminToken,
      body: { enabled: true },
    });
    const changed = await flags({ authorization: serverKey, 'if-none-match': etag as string });
    expect(changed.status).toBe(200);
    expect(changed.body.revision).toBe(first.body.revision + 1);
    expect(changed.body.flags.f?.enabled).toBe(true);
  });

  it('does not bump other environments for a change in one', async () => {
    const before = (await flags({ authorization: serverKey })).body.revision;
    await t.request('POST', '/api/v1/flags/f/environments/staging/toggle', {
      token: t.adminToken,
      body: { enabled: true },
    });
    expect((await flags({ authorization: serverKey })).body.revision).toBe(before);
  });

  it('refuses client keys (403), unknown and revoked keys and no key (401)', async () => {
    const client = await t.request<{ key: string }>('POST', '/api/v1/environments/production/sdk-keys', {
      token: t.adminToken,
      body: { type: 'client' },
    });
    expect(client.body.key).toMatch(/^rf_cli_/);
    expect((await flags({ authorization: client.body.key })).status).toBe(403);
    expect((await flags({ authorization: 'rf_srv_unknown' })).status).toBe(401);
    expect((await flags({})).status).toBe(401);
    const listed = await t.request('GET', '/api/v1/environments/production/sdk-keys', {
      token: t.adminToken,
    });
    expect(listed.text).not.toContain(serverKey);
    const revoked = await t.request('DELETE', `/api/v1/environments/production/sdk-keys/${keyId}`, {
      token: t.adminToken,
    });
    expect(revoked.status).toBe(200);
    expect((await flags({ authorization: serverKey })).status).toBe(401);
  });

  it('opens a stream with a put (under app.request, the initial events only)', async () => {
    const res = await t.request('GET', '/sdk/v1/stream', { headers: { authorization: serverKey } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const [event, id, data] = res.text.split('\n');
    expect(event).toBe('event: put');
    const payload = JSON.parse((data as string).slice('data: '.length)) as {
      revision: number;
      flags: object;
    };
    expect(id).toBe(`id: ${payload.revision}`);
    expect(Object.keys(payload.flags)).toEqual(['f']);
  });

  it('stores exposure and event counts per minute, within a few minutes of the server clock', async () => {
    const now = Math.floor(Date.now() / 60_000);
    const body = {
      exposures: [
        { flag: 'f', variant: 'on', count: 3, minute: now - 2 },
        { flag: 'f', variant: 'on', count: 2, minute: now - 2 },
        { flag: 'f', variant: 'off', count: 1 },
        // Far in the future or the past: filed under the nearest minute allowed.
        { flag: 'g', variant: 'on', count: 1, minute: 99_999_999 },
        { flag: 'g', variant: 'off', count: 1, minute: 100 },
      ],
      events: [{ event: 'checkout-error', context: { key: 'u1' } }],
    };
    const res = await t.request('POST', '/sdk/v1/events', { headers: { authorization: serverKey }, body });
    expect(res.status).toBe(202);
    const rows = await t.query<{ variant: string; minute: number; count: number }>(
      "select flag_key, variant, minute, cast(count as integer) as count from exposure_counts where flag_key = 'f' order by variant desc, minute",
    );
    expect(rows[0]).toMatchObject({ variant: 'on', minute: now - 2, count: 5 });
    expect(rows[1]).toMatchObject({ variant: 'off', count: 1 });
    const skewed = await t.query<{ variant: string; minute: number }>(
      "select variant, minute from exposure_counts where flag_key = 'g' order by variant",
    );
    expect(skewed[0]?.minute).toBeLessThanOrEqual(Math.floor(Date.now() / 60_000));
    expect(skewed[0]?.minute).toBeGreaterThanOrEqual(now - 5);
    expect(skewed[1]?.minute).toBeGreaterThanOrEqual(now - 5);
    expect(await t.query('select event, cast(count as integer) as count from event_counts')).toEqual([
      { event: 'checkout-error', count: 1 },
    ]);
    const bad = await t.request<{ errors: { path: string }[] }>('POST', '/sdk/v1/events', {
      headers: { authorization: serverKey },
      body: { exposures: [{ flag: 'f', variant: 'on', count: -1 }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]?.path).toBe('exposures[0].count');
  });
});
