import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANY_VERSION, createTestApp, type TestApp } from '../../test-support/test-app.js';

const ENV = 'development';
type Reason = { kind: string; prerequisiteKey?: string };

/**
 * A client key sees client-side flags only: a reason that names a prerequisite the key cannot see
 * would tell a browser that server-only flag's key (and, by probing contexts, how it evaluates).
 */
describe('prerequisites a client key cannot see', () => {
  let t: TestApp;
  let clientKey: string;
  let serverKey: string;

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await t.request<{ key: string }>(method, path, {
      token: t.adminToken,
      body,
      headers: method === 'PUT' ? ANY_VERSION : {},
    });
    expect(res.status, res.text).toBeLessThan(300);
    return res.body;
  };
  const gatedBy = (prerequisite: string) => ({
    enabled: true,
    offVariation: 'off',
    prerequisites: [{ flag: prerequisite, variation: 'on' }],
    fallthrough: { variation: 'on' },
  });

  beforeEach(async () => {
    t = await createTestApp();
    clientKey = (await admin('POST', `/api/v1/environments/${ENV}/sdk-keys`, { type: 'client' })).key;
    serverKey = (await admin('POST', `/api/v1/environments/${ENV}/sdk-keys`, { type: 'server' })).key;
    await admin('POST', '/api/v1/flags', { key: 'secret-gate', kind: 'boolean' });
    await admin('POST', '/api/v1/flags', { key: 'public-gate', kind: 'boolean', clientSide: true });
    await admin('POST', '/api/v1/flags', { key: 'behind-secret', kind: 'boolean', clientSide: true });
    await admin('POST', '/api/v1/flags', { key: 'behind-public', kind: 'boolean', clientSide: true });
    await admin('PUT', `/api/v1/flags/behind-secret/environments/${ENV}`, gatedBy('secret-gate'));
    await admin('PUT', `/api/v1/flags/behind-public/environments/${ENV}`, gatedBy('public-gate'));
  });
  afterEach(() => t.close());

  it('leaves the key of a server-only prerequisite out of browser and OFREP reasons', async () => {
    const evaluated = await t.request<{ flags: Record<string, { reason: Reason }> }>(
      'POST',
      '/client/v1/evaluate',
      {
        body: { context: { key: 'user-1' } },
        headers: { authorization: clientKey },
      },
    );
    expect(evaluated.status).toBe(200);
    expect(evaluated.body.flags['behind-secret']?.reason).toEqual({ kind: 'PREREQUISITE_FAILED' });
    expect(evaluated.body.flags['behind-public']?.reason).toEqual({
      kind: 'PREREQUISITE_FAILED',
      prerequisiteKey: 'public-gate',
    });
    expect(evaluated.text).not.toContain('secret-gate');

    const ofrep = (key: string, sdkKey: string) =>
      t.request<{ reason: string; metadata?: Record<string, unknown> }>(
        'POST',
        `/ofrep/v1/evaluate/flags/${key}`,
        {
          body: { context: { targetingKey: 'user-1' } },
          headers: { authorization: `Bearer ${sdkKey}` },
        },
      );
    const forBrowser = await ofrep('behind-secret', clientKey);
    expect(forBrowser.status).toBe(200);
    expect(forBrowser.text).not.toContain('secret-gate');
    const forServer = await ofrep('behind-secret', serverKey);
    expect(forServer.body.metadata).toMatchObject({ prerequisiteKey: 'secret-gate' });
    const bulk = await t.request('POST', '/ofrep/v1/evaluate/flags', {
      body: { context: { targetingKey: 'user-1' } },
      headers: { authorization: `Bearer ${clientKey}` },
    });
    expect(bulk.status).toBe(200);
    expect(bulk.text).not.toContain('secret-gate');
  });
});
