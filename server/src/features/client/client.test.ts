import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANY_VERSION, createTestApp, type TestApp } from '../../test-support/test-app.js';

type Result = { value: unknown; variant: string | null; reason: { kind: string; ruleId?: string } };
type Evaluation = { revision: number; flags: Record<string, Result> };
type Problem = { status: number; errors: { path: string; message: string }[] };

const ENV = 'development';

describe('client API (/client/v1)', () => {
  let t: TestApp;
  let clientKey: string;
  let serverKey: string;

  const createKey = async (type: 'client' | 'server', env = ENV) => {
    const res = await t.request<{ key: string }>('POST', `/api/v1/environments/${env}/sdk-keys`, {
      token: t.adminToken,
      body: { type },
    });
    expect(res.status).toBe(201);
    return res.body.key;
  };
  const putConfig = async (flag: string, body: unknown) => {
    const res = await t.request('PUT', `/api/v1/flags/${flag}/environments/${ENV}`, {
      token: t.adminToken,
      body,
      headers: ANY_VERSION,
    });
    expect(res.status, res.text).toBe(200);
  };
  const toggle = async (flag: string, enabled: boolean) => {
    const res = await t.request('POST', `/api/v1/flags/${flag}/environments/${ENV}/toggle`, {
      token: t.adminToken,
      body: { enabled },
    });
    expect(res.status, res.text).toBe(200);
  };
  /** The recorded counts, as numbers on either dialect. */
  const counts = async () => ({
    exposures: await t.query<{ flag_key: string; variant: string; minute: number; count: number }>(
      'select flag_key, variant, minute, cast(count as integer) as count from exposure_counts order by flag_key, variant',
    ),
    events: await t.query<{ event: string; minute: number; count: number }>(
      'select event, minute, cast(count as integer) as count from event_counts order by event',
    ),
  });
  const evaluate = (body: unknown, headers: Record<string, string> = { authorization: clientKey }) =>
    t.request<Evaluation & Problem>('POST', '/client/v1/evaluate', { body, headers });

  beforeEach(async () => {
    t = await createTestApp();
    clientKey = await createKey('client');
    serverKey = await createKey('server');
    for (const [key, clientSide] of [
      ['banner', true],
      ['secret-rules', false],
    ] as const) {
      const res = await t.request('POST', '/api/v1/flags', {
        token: t.adminToken,
        body: { key, kind: 'boolean', clientSide },
      });
      expect(res.status).toBe(201);
    }
    await putConfig('banner', {
      enabled: true,
      offVariation: 'off',
      rules: [
        {
          id: 'staff',
          clauses: [{ attribute: 'groups', op: 'in', values: ['staff'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: { variation: 'off' },
    });
    await toggle('secret-rules', true);
  });
  afterEach(() => t.close());

  it('evaluates only clientSide flags, as values and reasons, never rules', async () => {
    const staff = await evaluate({ context: { key: 'user-1', groups: ['staff'] } });
    expect(staff.status).toBe(200);
    expect(staff.headers.get('content-type')).toContain('application/json');
    expect(Object.keys(staff.body.flags)).toEqual(['banner']);
    expect(staff.body.flags.banner).toEqual({
      value: true,
      variant: 'on',
      reason: { kind: 'RULE_MATCH', ruleId: 'staff', ruleIndex: 0 },
    });
    expect(staff.text).not.toContain('clauses');
    const other = await evaluate({ context: { key: 'user-2' } });
    expect(other.body.flags.banner).toEqual({
      value: false,
      variant: 'off',
      reason: { kind: 'FALLTHROUGH' },
    });
  });

  it('answers 304 while neither the revision nor the context changed', async () => {
    const first = await evaluate({ context: { key: 'user-1', plan: 'pro' } });
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(new RegExp(`^"${first.body.revision}-[A-Za-z0-9_-]+"$`));
    // The same context with its attributes in another order is the same context.
    const same = await evaluate(
      { context: { plan: 'pro', key: 'user-1' } },
      { authorization: `Bearer ${clientKey}`, 'if-none-match': etag },
    );
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe(etag);
    const otherContext = await evaluate(
      { context: { key: 'user-2' } },
      { authorization: clientKey, 'if-none-match': etag },
    );
    expect(otherContext.status).toBe(200);
    await toggle('banner', false);
    const changed = await evaluate(
      { context: { key: 'user-1', plan: 'pro' } },
      { authorization: clientKey, 'if-none-match': etag },
    );
    expect(changed.status).toBe(200);
    expect(changed.body.flags.banner?.reason.kind).toBe('OFF');
  });

  it('drops a flag that is archived or no longer clientSide', async () => {
    expect(Object.keys((await evaluate({ context: {} })).body.flags)).toEqual(['banner']);
    const patched = await t.request('PATCH', '/api/v1/flags/banner', {
      token: t.adminToken,
      body: { clientSide: false },
    });
    expect(patched.status, patched.text).toBe(200);
    expect((await evaluate({ context: {} })).body.flags).toEqual({});
  });

  it('refuses invalid contexts and oversized bodies', async () => {
    const nested = await evaluate({ context: { key: 'u', address: { city: 'Oslo' } } });
    expect(nested.status).toBe(400);
    expect(nested.body.errors[0]?.path).toMatch(/^context/);
    const tooMany = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, i]));
    expect((await evaluate({ context: tooMany })).status).toBe(400);
    expect((await evaluate({ context: { key: 'x'.repeat(1025) } })).status).toBe(400);
    expect((await evaluate({ context: {}, extra: 1 })).status).toBe(400);
    const huge = await evaluate({
      context: { key: 'u', groups: Array.from({ length: 100 }, () => 'g'.repeat(400)) },
    });
    expect(huge.status).toBe(413);
  });

  it('takes client keys only: server keys 403, unknown or missing 401', async () => {
    expect((await evaluate({ context: {} }, { authorization: serverKey })).status).toBe(403);
    expect((await evaluate({ context: {} }, { authorization: 'rf_cli_nope' })).status).toBe(401);
    expect((await evaluate({ context: {} }, {})).status).toBe(401);
  });

  it('keeps client keys out of the server SDK surface and the admin API', async () => {
    const headers = { authorization: clientKey };
    expect((await t.request('GET', '/sdk/v1/flags', { headers })).status).toBe(403);
    expect((await t.request('GET', '/sdk/v1/stream', { headers })).status).toBe(403);
    expect((await t.request('POST', '/sdk/v1/events', { headers, body: {} })).status).toBe(403);
    expect((await t.request('GET', '/api/v1/flags', { token: clientKey })).status).toBe(401);
    expect((await t.request('GET', '/api/v1/flags', { headers })).status).toBe(401);
  });

  it('streams a put with the evaluated values of the context from the query', async () => {
    const context = Buffer.from(JSON.stringify({ key: 'user-1', groups: ['staff'] })).toString('base64url');
    const res = await t.request('GET', `/client/v1/stream?key=${clientKey}&context=${context}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const [event, id, data] = res.text.split('\n');
    expect(event).toBe('event: put');
    const body = JSON.parse((data ?? '').slice('data: '.length)) as Evaluation;
    expect(id).toBe(`id: ${body.revision}`);
    expect(body.flags).toEqual({
      banner: { value: true, variant: 'on', reason: { kind: 'RULE_MATCH', ruleId: 'staff', ruleIndex: 0 } },
    });
    expect((await t.request('GET', `/client/v1/stream?key=${serverKey}`)).status).toBe(403);
    expect((await t.request('GET', `/client/v1/stream?key=${clientKey}&context=%%%`)).status).toBe(400);
    const notJson = Buffer.from('{nope').toString('base64url');
    expect((await t.request('GET', `/client/v1/stream?key=${clientKey}&context=${notJson}`)).status).toBe(
      400,
    );
  });

  it('records exposures and events from browsers in the same store as the server SDK', async () => {
    const minute = 29_000_000;
    const res = await t.request<{ exposures: number; events: number }>('POST', '/client/v1/events', {
      headers: { authorization: clientKey },
      body: {
        exposures: [{ flag: 'banner', variant: 'on', count: 3, minute }],
        events: [{ event: 'clicked-banner', context: { key: 'user-1' }, minute }],
      },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ exposures: 1, events: 1 });
    const rows = await counts();
    expect(rows.exposures).toEqual([
      expect.objectContaining({ flag_key: 'banner', variant: 'on', count: 3 }),
    ]);
    expect(rows.events).toEqual([expect.objectContaining({ event: 'clicked-banner', count: 1 })]);
    const invalid = await t.request('POST', '/client/v1/events', {
      headers: { authorization: clientKey },
      body: { exposures: [{ flag: 'banner' }] },
    });
    expect(invalid.status).toBe(400);
  });

  it('trusts no number a browser sends: server minutes, one per event, visible flags only, capped', async () => {
    const before = Math.floor(Date.now() / 60_000);
    const res = await t.request<{ exposures: number; events: number }>('POST', '/client/v1/events', {
      headers: { authorization: clientKey },
      body: {
        exposures: [
          { flag: 'banner', variant: 'on', count: 1_000_000_000, minute: 99_999_999 },
          { flag: 'secret-rules', variant: 'on', count: 5 },
          { flag: 'made-up', variant: 'on', count: 5 },
          { flag: 'banner', variant: 'nope', count: 5 },
        ],
        events: [
          { event: 'checkout-error', context: { key: 'u' }, count: 1_000_000_000, minute: 99_999_999 },
        ],
      },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ exposures: 1, events: 1 });
    const rows = await counts();
    expect(rows.exposures).toEqual([
      expect.objectContaining({ flag_key: 'banner', variant: 'on', count: 1000 }),
    ]);
    expect(rows.events).toEqual([expect.objectContaining({ event: 'checkout-error', count: 1 })]);
    for (const row of [...rows.exposures, ...rows.events]) {
      expect(row.minute).toBeGreaterThanOrEqual(before);
      expect(row.minute).toBeLessThanOrEqual(Math.floor(Date.now() / 60_000));
    }

    // Made-up event names add rows only up to the per-minute budget.
    const names = await t.request('POST', '/client/v1/events', {
      headers: { authorization: clientKey },
      body: { events: Array.from({ length: 300 }, (_, i) => ({ event: `made-up-${i}` })) },
    });
    expect(names.status).toBe(202);
    expect((await counts()).events.length).toBeLessThanOrEqual(100);
    const tooMany = await t.request('POST', '/client/v1/events', {
      headers: { authorization: clientKey },
      body: { events: Array.from({ length: 1001 }, () => ({ event: 'x' })) },
    });
    expect(tooMany.status).toBe(400);
  });
});
