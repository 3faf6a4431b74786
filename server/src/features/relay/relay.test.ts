import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';
import { RELAY_BATCH_LIMITS, relayKeysSchema } from './relay-wire.js';

type Problem = { status: number; errors: { path: string; message: string }[] };
type Keys = { environment: { id: number; key: string; corsOrigins: string[] }; keys: object[] };
type Accepted = { exposures: number; events: number; contexts: number };

const ENV = 'development';
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

describe('relay surface (/relay/v1)', () => {
  let t: TestApp;
  let serverKey: string;

  const createKey = async (type: 'client' | 'server', env = ENV) => {
    const res = await t.request<{ id: number; key: string }>('POST', `/api/v1/environments/${env}/sdk-keys`, {
      token: t.adminToken,
      body: { type },
    });
    expect(res.status, res.text).toBe(201);
    return res.body;
  };
  const revoke = async (id: number, env = ENV) => {
    const res = await t.request('DELETE', `/api/v1/environments/${env}/sdk-keys/${id}`, {
      token: t.adminToken,
    });
    expect(res.status, res.text).toBe(200);
  };
  const keys = (headers: Record<string, string>) =>
    t.request<Keys & Problem>('GET', '/relay/v1/keys', { headers });
  const send = (body: unknown, headers: Record<string, string> = { authorization: serverKey }) =>
    t.request<Accepted & Problem>('POST', '/relay/v1/events', { body, headers });
  /** The recorded counts, as numbers on either dialect. */
  const counts = async () => ({
    exposures: await t.query<{ flag_key: string; variant: string; count: number }>(
      'select flag_key, variant, cast(sum(count) as integer) as count from exposure_counts group by flag_key, variant order by flag_key, variant',
    ),
    events: await t.query<{ event: string; count: number }>(
      'select event, cast(sum(count) as integer) as count from event_counts group by event order by event',
    ),
  });

  beforeEach(async () => {
    t = await createTestApp();
    serverKey = (await createKey('server')).key;
    for (const [key, clientSide] of [
      ['banner', true],
      ['secret-rules', false],
    ] as const) {
      const res = await t.request('POST', '/api/v1/flags', {
        token: t.adminToken,
        body: { key, kind: 'boolean', clientSide },
      });
      expect(res.status, res.text).toBe(201);
    }
  });
  afterEach(() => t.close());

  it("lists the environment's live keys as sha256 hex, oldest first, with its origins", async () => {
    const origins = await t.request('PATCH', `/api/v1/environments/${ENV}`, {
      token: t.adminToken,
      body: { corsOrigins: ['https://app.example.com'] },
    });
    expect(origins.status, origins.text).toBe(200);
    const client = await createKey('client');
    const revoked = await createKey('server');
    await revoke(revoked.id);
    const elsewhere = await createKey('server', 'production');

    const res = await keys({ authorization: `Bearer ${serverKey}` });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(relayKeysSchema.safeParse(res.body).error).toBeUndefined();
    expect(res.body.environment).toMatchObject({ key: ENV, corsOrigins: ['https://app.example.com'] });
    expect(res.body.keys).toEqual([
      { id: expect.any(Number), type: 'server', hash: sha256(serverKey) },
      { id: client.id, type: 'client', hash: sha256(client.key) },
    ]);
    expect(res.text).not.toContain(sha256(revoked.key));
    expect(res.text).not.toContain(sha256(elsewhere.key));
    expect(res.text).not.toContain(serverKey);

    // The other environment's key sees its own environment only.
    const other = await keys({ authorization: elsewhere.key });
    expect(other.body.environment.key).toBe('production');
    expect(other.body.keys).toEqual([{ id: elsewhere.id, type: 'server', hash: sha256(elsewhere.key) }]);
  });

  it('tags the answer with a strong ETag and answers 304 until a key changes', async () => {
    const first = await keys({ authorization: serverKey });
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"k-[A-Za-z0-9_-]{22}"$/);
    const same = await keys({ authorization: serverKey, 'if-none-match': etag });
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe(etag);
    expect(same.text).toBe('');

    const added = await createKey('client');
    const changed = await keys({ authorization: serverKey, 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.body.keys).toHaveLength(2);

    await revoke(added.id);
    const back = await keys({ authorization: serverKey, 'if-none-match': etag });
    expect(back.status).toBe(304);
  });

  it('takes server keys only: client keys 403, unknown, revoked or missing 401', async () => {
    const client = await createKey('client');
    const revoked = await createKey('server');
    await revoke(revoked.id);
    for (const [headers, status] of [
      [{ authorization: client.key }, 403],
      [{ authorization: 'rf_srv_unknown' }, 401],
      [{ authorization: revoked.key }, 401],
      [{}, 401],
    ] as const) {
      const listed = await keys(headers);
      expect(listed.status).toBe(status);
      expect(listed.headers.get('content-type')).toContain('application/problem+json');
      expect((await send({ reports: [], contexts: [] }, headers)).status).toBe(status);
    }
  });

  it("counts a server report as /sdk/v1/events does and a browser's as /client/v1/events does", async () => {
    const res = await send({
      reports: [
        {
          source: 'server',
          body: {
            exposures: [
              { flag: 'secret-rules', variant: 'on', count: 40 },
              { flag: 'banner', variant: 'off', count: 2 },
            ],
            events: [{ event: 'checkout-error', context: { key: 'u1' }, count: 3 }],
          },
        },
        {
          source: 'browser',
          address: '203.0.113.7',
          body: {
            exposures: [
              // Capped like a browser's; a flag a client key cannot see is not kept.
              { flag: 'banner', variant: 'on', count: 1_000_000_000 },
              { flag: 'secret-rules', variant: 'on', count: 5 },
              { flag: 'made-up', variant: 'on', count: 5 },
            ],
            // A browser's event counts once, whatever it says.
            events: [{ event: 'clicked-banner', context: { key: 'u2' }, count: 50 }],
          },
        },
      ],
      contexts: [],
    });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ exposures: 3, events: 2, contexts: 0 });
    const rows = await counts();
    expect(rows.exposures).toEqual([
      { flag_key: 'banner', variant: 'off', count: 2 },
      { flag_key: 'banner', variant: 'on', count: 1000 },
      { flag_key: 'secret-rules', variant: 'on', count: 40 },
    ]);
    expect(rows.events).toEqual([
      { event: 'checkout-error', count: 3 },
      { event: 'clicked-banner', count: 1 },
    ]);
  });

  it('lets the release guards count relayed browser contexts per reported address', async () => {
    const started = await t.request('POST', `/api/v1/flags/banner/environments/${ENV}/release`, {
      token: t.adminToken,
      body: {
        variation: 'on',
        stages: [{ name: 'everyone', percentage: 100 }],
        guard: { event: 'checkout-error', maxRate: 0.5, minExposures: 1000 },
      },
    });
    expect(started.status, started.text).toBe(201);
    // One address brings at most 20 new contexts a minute (the default), another its own 20.
    const contexts = [
      ...Array.from({ length: 25 }, (_, i) => ({ address: '203.0.113.7', context: { key: `user-${i}` } })),
      { address: '198.51.100.1', context: { key: 'user-other-1' } },
      { address: '198.51.100.1', context: { key: 'user-other-2', plan: 'pro' } },
      // The same context again in the minute is not a new exposure.
      { address: '198.51.100.1', context: { key: 'user-other-1' } },
    ];
    const res = await send({ contexts });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toEqual({ exposures: 0, events: 0, contexts: contexts.length });
    await vi.waitFor(
      async () => {
        const rows = await t.query<{ variant: string; count: number | string }>(
          "select variant, count from guard_exposure_counts where flag_key = 'banner'",
        );
        expect(rows.every((row) => row.variant === 'on')).toBe(true);
        expect(rows.reduce((sum, row) => sum + Number(row.count), 0)).toBe(22);
      },
      { timeout: 3000 },
    );
  });

  it('refuses batches over the limits and invalid entries with field paths, oversize bodies with 413', async () => {
    const before = await counts();
    const tooManyReports = await send({
      reports: Array.from({ length: RELAY_BATCH_LIMITS.reports + 1 }, () => ({ source: 'server', body: {} })),
    });
    expect(tooManyReports.status).toBe(400);
    expect(tooManyReports.body.errors[0]?.path).toBe('reports');
    const tooManyContexts = await send({
      contexts: Array.from({ length: RELAY_BATCH_LIMITS.contexts + 1 }, () => ({
        address: 'a',
        context: {},
      })),
    });
    expect(tooManyContexts.status).toBe(400);
    expect(tooManyContexts.body.errors[0]?.path).toBe('contexts');

    for (const [body, path] of [
      [
        { reports: [{ source: 'server', body: { exposures: [{ flag: 'f', variant: 'on', count: -1 }] } }] },
        'reports[0].body.exposures[0].count',
      ],
      [{ reports: [{ source: 'browser', body: {} }] }, 'reports[0].address'],
      [{ reports: [{ source: 'browser', address: 'x'.repeat(65), body: {} }] }, 'reports[0].address'],
      [
        {
          reports: [
            {
              source: 'browser',
              address: 'a',
              body: { events: Array.from({ length: 1001 }, () => ({ event: 'x' })) },
            },
          ],
        },
        'reports[0].body.events',
      ],
      [{ reports: [{ source: 'elsewhere', body: {} }] }, 'reports[0].source'],
      [
        { contexts: [{ address: 'a', context: { key: 'u', address: { city: 'Oslo' } } }] },
        'contexts[0].context.address',
      ],
      [{ contexts: [{ address: 'a'.repeat(65), context: {} }] }, 'contexts[0].address'],
    ] as const) {
      const res = await send(body);
      expect(res.status, JSON.stringify(body).slice(0, 200)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((error) => error.path)).toContain(path);
    }
    const unknownMember = await send({ reports: [], extra: 1 });
    expect(unknownMember.status).toBe(400);
    expect(unknownMember.body.errors[0]?.message).toContain('extra');

    const lone = await t.request<Problem>('POST', '/relay/v1/events', {
      headers: { authorization: serverKey },
      raw: '{"contexts":[{"address":"a","context":{"key":"\\ud800"}}]}',
    });
    expect(lone.status).toBe(400);
    expect(lone.body.errors[0]?.path).toBe('contexts[0].context.key');
    const malformed = await t.request('POST', '/relay/v1/events', {
      headers: { authorization: serverKey },
      raw: '{"reports":',
    });
    expect(malformed.status).toBe(400);

    // Larger than the admin API's 1 MiB, within the relay's 4 MiB.
    const large = await send({
      contexts: Array.from({ length: RELAY_BATCH_LIMITS.contexts }, (_, i) => ({
        address: '203.0.113.7',
        context: { key: `user-${i}`, note: 'n'.repeat(400) },
      })),
    });
    expect(large.status, large.text).toBe(202);
    expect(large.body.contexts).toBe(RELAY_BATCH_LIMITS.contexts);
    const oversize = await t.request('POST', '/relay/v1/events', {
      headers: { authorization: serverKey },
      raw: JSON.stringify({ reports: [], padding: 'x'.repeat(RELAY_BATCH_LIMITS.bodyBytes) }),
    });
    expect(oversize.status).toBe(413);
    expect(oversize.headers.get('content-type')).toContain('application/problem+json');
    expect(await counts()).toEqual(before);
  });
});
