import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../logger.js';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

const APP = 'https://app.example.com';
const STAGING_ONLY = 'https://staging.example.com';
const EVIL = 'https://evil.example.com';

describe('CORS of /client/v1 and /ofrep/v1', () => {
  let t: TestApp;
  let clientKey: string;

  const setOrigins = async (env: string, corsOrigins: string[]) => {
    const res = await t.request('PATCH', `/api/v1/environments/${env}`, {
      token: t.adminToken,
      body: { corsOrigins },
    });
    expect(res.status, res.text).toBe(200);
  };
  const preflight = (path: string, origin: string) =>
    t.request('OPTIONS', path, {
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, if-none-match',
      },
    });
  const evaluate = (origin: string, key = clientKey) =>
    t.request('POST', '/client/v1/evaluate', {
      headers: { origin, authorization: key },
      body: { context: {} },
    });

  beforeEach(async () => {
    t = await createTestApp();
    const key = await t.request<{ key: string }>('POST', '/api/v1/environments/development/sdk-keys', {
      token: t.adminToken,
      body: { type: 'client' },
    });
    clientKey = key.body.key;
    await setOrigins('development', [APP]);
    await setOrigins('staging', [STAGING_ONLY]);
  });
  afterEach(() => t.close());

  it('answers a preflight for an origin some environment allows, and not for others', async () => {
    for (const path of ['/client/v1/evaluate', '/ofrep/v1/evaluate/flags']) {
      const allowed = await preflight(path, APP);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
      expect(allowed.headers.get('access-control-allow-headers')).toMatch(
        /Authorization, Content-Type, If-None-Match, X-API-Key/,
      );
      expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
      const refused = await preflight(path, EVIL);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      expect(refused.headers.get('access-control-allow-headers')).toBeNull();
    }
  });

  it("echoes an origin on the actual request only when the key's environment allows it", async () => {
    const allowed = await evaluate(APP);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('access-control-expose-headers')).toBe('ETag');
    expect(allowed.headers.get('vary')).toContain('Origin');
    // Staging allows this origin, so its preflight passes; the development key's request does not.
    expect(
      (await preflight('/client/v1/evaluate', STAGING_ONLY)).headers.get('access-control-allow-origin'),
    ).toBe(STAGING_ONLY);
    const otherEnvironment = await evaluate(STAGING_ONLY);
    expect(otherEnvironment.headers.get('access-control-allow-origin')).toBeNull();
    expect((await evaluate(EVIL)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets "*" allow every origin, and stream responses carry the header too', async () => {
    await setOrigins('development', ['*']);
    const res = await evaluate(EVIL);
    expect(res.headers.get('access-control-allow-origin')).toBe(EVIL);
    const stream = await t.request('GET', `/client/v1/stream?key=${clientKey}`, {
      headers: { origin: EVIL },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('access-control-allow-origin')).toBe(EVIL);
    await setOrigins('development', [APP]);
    const refused = await t.request('GET', `/client/v1/stream?key=${clientKey}`, {
      headers: { origin: EVIL },
    });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets the browser read a 401 when the origin is allowed somewhere', async () => {
    const res = await evaluate(APP, 'rf_cli_unknown');
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect((await evaluate(EVIL, 'rf_cli_unknown')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('refused browser origins in the log', () => {
  let t: TestApp;
  let clientKey: string;
  let now = Date.parse('2026-03-02T10:00:00Z');
  const warnings: { message: string; fields?: LogFields }[] = [];
  const logger: Logger = {
    info() {},
    warn: (message, fields) => warnings.push({ message, fields }),
    error() {},
  };
  const refusals = () => warnings.filter((w) => w.message.startsWith('browser origin refused'));

  beforeEach(async () => {
    warnings.length = 0;
    t = await createTestApp({ logger, clock: () => new Date(now) });
    const key = await t.request<{ key: string }>('POST', '/api/v1/environments/development/sdk-keys', {
      token: t.adminToken,
      body: { type: 'client' },
    });
    clientKey = key.body.key;
    for (const [env, corsOrigins] of [
      ['development', [APP]],
      ['staging', [STAGING_ONLY]],
    ] as const) {
      const res = await t.request('PATCH', `/api/v1/environments/${env}`, {
        token: t.adminToken,
        body: { corsOrigins },
      });
      expect(res.status, res.text).toBe(200);
    }
  });
  afterEach(() => t.close());

  const evaluate = (origin: string) =>
    t.request('POST', '/client/v1/evaluate', {
      headers: { origin, authorization: clientKey },
      body: { context: {} },
    });

  it('warns once per origin and environment a minute, naming both, never the key', async () => {
    for (let i = 0; i < 3; i++) expect((await evaluate(EVIL)).status).toBe(200);
    const stream = await t.request('GET', `/client/v1/stream?key=${clientKey}`, {
      headers: { origin: EVIL },
    });
    expect(stream.headers.get('access-control-allow-origin')).toBeNull();
    await evaluate(STAGING_ONLY);
    await evaluate(APP);
    expect(refusals()).toEqual([
      {
        message: "browser origin refused: not among the environment's allowed origins",
        fields: { environment: 'development', origin: EVIL },
      },
      {
        message: "browser origin refused: not among the environment's allowed origins",
        fields: { environment: 'development', origin: STAGING_ONLY },
      },
    ]);

    now += 59_999;
    await evaluate(EVIL);
    expect(refusals()).toHaveLength(2);
    now += 1;
    await evaluate(EVIL);
    expect(refusals()).toHaveLength(3);
    expect(refusals()[2]?.fields).toEqual({ environment: 'development', origin: EVIL });
    expect(JSON.stringify(warnings)).not.toContain(clientKey);
  });

  it('warns about a preflight that no environment allows, once a minute per origin', async () => {
    const preflight = (origin: string) =>
      t.request('OPTIONS', '/client/v1/evaluate', {
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    await preflight(EVIL);
    await preflight(EVIL);
    await preflight(STAGING_ONLY); // allowed by staging: a preflight passes
    expect(refusals()).toEqual([
      {
        message: 'browser origin refused: no environment allows it (CORS preflight)',
        fields: { origin: EVIL },
      },
    ]);
  });
});
