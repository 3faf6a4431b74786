import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../app.js';
import { ANY_VERSION, createTestApp, type TestApp } from '../../test-support/test-app.js';

const ENV = 'development';
type Success = {
  key: string;
  value: unknown;
  reason: string;
  variant: string;
  metadata: Record<string, unknown>;
};
type Failure = { key?: string; errorCode: string; errorDetails?: string };

describe('OFREP v1', () => {
  let t: TestApp;
  let serverKey: string;
  let clientKey: string;

  const admin = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await t.request(method, path, { token: t.adminToken, body, headers });
    expect(res.status, res.text).toBeLessThan(300);
    return res.body as { key: string };
  };
  const config = (flag: string, body: unknown) =>
    admin('PUT', `/api/v1/flags/${flag}/environments/${ENV}`, body, ANY_VERSION);
  const single = (
    flag: string,
    body: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${serverKey}` },
  ) => t.request<Success & Failure>('POST', `/ofrep/v1/evaluate/flags/${flag}`, { body, headers });
  const bulk = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${serverKey}` }) =>
    t.request<{ flags: (Success | Failure)[] } & Failure>('POST', '/ofrep/v1/evaluate/flags', {
      body,
      headers,
    });

  beforeEach(async () => {
    t = await createTestApp();
    serverKey = (await admin('POST', `/api/v1/environments/${ENV}/sdk-keys`, { type: 'server' })).key;
    clientKey = (await admin('POST', `/api/v1/environments/${ENV}/sdk-keys`, { type: 'client' })).key;
    await admin('POST', '/api/v1/flags', { key: 'targeted', kind: 'boolean', clientSide: true });
    await admin('POST', '/api/v1/flags', { key: 'static', kind: 'boolean' });
    await admin('POST', '/api/v1/flags', { key: 'off-flag', kind: 'boolean' });
    await admin('POST', '/api/v1/flags', {
      key: 'backend',
      kind: 'string',
      variations: [
        { id: 'blue', value: 'blue' },
        { id: 'green', value: 'green' },
      ],
    });
    await config('targeted', {
      enabled: true,
      offVariation: 'off',
      targets: [{ variation: 'on', keys: ['user-1'] }],
      rules: [
        {
          id: 'staff',
          clauses: [{ attribute: 'groups', op: 'in', values: ['staff'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: { variation: 'off' },
    });
    await config('static', { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } });
    await config('backend', {
      enabled: true,
      offVariation: 'blue',
      fallthrough: {
        rollout: {
          variations: [
            { variation: 'blue', weight: 50_000 },
            { variation: 'green', weight: 50_000 },
          ],
        },
      },
    });
  });
  afterEach(() => t.close());

  it('evaluates one flag with OpenFeature reasons, targetingKey as our key and the rule id in metadata', async () => {
    const target = await single('targeted', { context: { targetingKey: 'user-1' } });
    expect(target.status).toBe(200);
    expect(target.headers.get('content-type')).toMatch(/^application\/json/);
    expect(target.body).toEqual({
      key: 'targeted',
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
      metadata: {},
    });
    const rule = await single('targeted', { context: { targetingKey: 'user-9', groups: ['staff'] } });
    expect(rule.body).toMatchObject({
      reason: 'TARGETING_MATCH',
      variant: 'on',
      metadata: { ruleId: 'staff', ruleIndex: 0 },
    });
    const fallthrough = await single('targeted', { context: { targetingKey: 'user-9' } });
    expect(fallthrough.body).toMatchObject({ value: false, reason: 'DEFAULT', variant: 'off' });
    expect((await single('static', { context: {} })).body).toMatchObject({ value: true, reason: 'STATIC' });
    expect((await single('off-flag', {})).body).toMatchObject({
      value: false,
      reason: 'DISABLED',
      variant: 'off',
    });
    const split = await single('backend', { context: { targetingKey: 'user-1' } });
    expect(split.body).toMatchObject({ reason: 'SPLIT', metadata: { inRollout: true } });
    expect(['blue', 'green']).toContain(split.body.value);
    // No key to bucket by: outside the rollout, served the off variation.
    expect((await single('backend', { context: {} })).body).toMatchObject({
      value: 'blue',
      reason: 'DEFAULT',
      metadata: { inRollout: false },
    });
  });

  it('answers 404 FLAG_NOT_FOUND, and 400 PARSE_ERROR / INVALID_CONTEXT with the key', async () => {
    const missing = await single('nope', { context: {} });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ key: 'nope', errorCode: 'FLAG_NOT_FOUND' });
    const parse = await t.request<Failure>('POST', '/ofrep/v1/evaluate/flags/static', {
      raw: '{nope',
      headers: { authorization: `Bearer ${serverKey}` },
    });
    expect(parse.status).toBe(400);
    expect(parse.headers.get('content-type')).toMatch(/^application\/json/);
    expect(parse.body).toMatchObject({ key: 'static', errorCode: 'PARSE_ERROR' });
    const nested = await single('static', { context: { targetingKey: 'u', address: { city: 'Oslo' } } });
    expect(nested.status).toBe(400);
    expect(nested.body).toMatchObject({ key: 'static', errorCode: 'INVALID_CONTEXT' });
    expect(nested.body.errorDetails).toContain('context.address');
    const badKey = await single('static', { context: { targetingKey: 7 } });
    expect(badKey.body.errorCode).toBe('INVALID_CONTEXT');
    const bulkParse = await t.request<Failure>('POST', '/ofrep/v1/evaluate/flags', {
      raw: '[',
      headers: { authorization: `Bearer ${serverKey}` },
    });
    expect(bulkParse.status).toBe(400);
    expect(bulkParse.body.errorCode).toBe('PARSE_ERROR');
  });

  it('takes Bearer or X-API-Key; 401 without a body otherwise', async () => {
    expect((await single('static', {}, { 'x-api-key': serverKey })).status).toBe(200);
    const none = await single('static', {}, {});
    expect(none.status).toBe(401);
    expect(none.text).toBe('');
    const unknown = await single('static', {}, { authorization: 'Bearer rf_srv_unknown' });
    expect(unknown.status).toBe(401);
    expect(unknown.text).toBe('');
  });

  it('shows a client key only clientSide flags', async () => {
    const headers = { authorization: `Bearer ${clientKey}` };
    expect((await single('static', {}, headers)).status).toBe(404);
    expect((await single('targeted', { context: { targetingKey: 'user-1' } }, headers)).body.value).toBe(
      true,
    );
    const all = await bulk({ context: {} }, { 'x-api-key': clientKey });
    expect(all.body.flags.map((flag) => flag.key)).toEqual(['targeted']);
  });

  it('evaluates every flag in bulk, with an ETag and 304 until something changes', async () => {
    const first = await bulk({ context: { targetingKey: 'user-1' } });
    expect(first.status).toBe(200);
    expect(first.body.flags.map((flag) => flag.key).sort()).toEqual([
      'backend',
      'off-flag',
      'static',
      'targeted',
    ]);
    expect(first.body.flags.find((flag) => flag.key === 'targeted')).toEqual({
      key: 'targeted',
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
      metadata: {},
    });
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^".+"$/);
    const unchanged = await bulk(
      { context: { targetingKey: 'user-1' } },
      { authorization: `Bearer ${serverKey}`, 'if-none-match': etag },
    );
    expect(unchanged.status).toBe(304);
    // The same context through a client key sees other flags, so it has another tag.
    const client = await bulk(
      { context: { targetingKey: 'user-1' } },
      { authorization: clientKey, 'if-none-match': etag },
    );
    expect(client.status).toBe(200);
    await admin('POST', `/api/v1/flags/off-flag/environments/${ENV}/toggle`, { enabled: true });
    const changed = await bulk(
      { context: { targetingKey: 'user-1' } },
      { authorization: `Bearer ${serverKey}`, 'if-none-match': etag },
    );
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('answers 429 with Retry-After past the per-key rate limit, without a body', async () => {
    const app = createApp(t.deps, t.services, { ofrepRateLimit: { requestsPerSecond: 1, burst: 2 } });
    const call = () =>
      app.request('/ofrep/v1/evaluate/flags/static', {
        method: 'POST',
        headers: { authorization: `Bearer ${serverKey}`, 'content-type': 'application/json' },
        body: '{}',
      });
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    const limited = await call();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.text()).toBe('');
  });

  it('describes itself at /ofrep/v1/configuration', async () => {
    const res = await t.request<{ name: string }>('GET', '/ofrep/v1/configuration', {
      headers: { 'x-api-key': clientKey },
    });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('Ringflag');
  });
});
