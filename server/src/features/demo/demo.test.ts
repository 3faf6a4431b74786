import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

let t: TestApp | undefined;
afterEach(() => t?.close());

const clientKeyOf = (html: string) => /"clientKey":"(rf_cli_[^"]+)"/.exec(html)?.[1];

describe('GET /demo', () => {
  it('serves the page with a client key for development when seeded in demo mode', async () => {
    t = await createTestApp({ demo: true });
    const page = await t.request<string>('GET', '/demo');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const key = clientKeyOf(page.text);
    expect(key).toBeDefined();
    // Rollouts are talked about in percentages, never in raw weights.
    expect(page.text).toContain('50% on, 50% off');
    expect(page.text).not.toMatch(/\b\d{1,3}[  ]000\b/);

    // The key is an ordinary client key of development: it sees demo-banner's value, nothing else.
    const values = await t.request<{ flags: Record<string, { value: unknown }> }>(
      'POST',
      '/client/v1/evaluate',
      {
        body: { context: { key: 'user-42' } },
        headers: { authorization: key ?? '' },
      },
    );
    expect(values.status).toBe(200);
    expect(values.body.flags['demo-banner']?.value).toBe(true);
    expect(values.body.flags['new-checkout']).toBeUndefined();
    const sdk = await t.request('GET', '/sdk/v1/flags', { headers: { authorization: key ?? '' } });
    expect(sdk.status).toBe(403);

    // The same key on every request, and only one key created.
    expect(clientKeyOf((await t.request<string>('GET', '/demo')).text)).toBe(key);
    const keys = await t.request<{ items: unknown[] }>('GET', '/api/v1/environments/development/sdk-keys', {
      token: t.adminToken,
    });
    expect(keys.body.items).toHaveLength(1);
  });

  it('serves the browser SDK as one ES module', async () => {
    t = await createTestApp({ demo: true });
    const script = await t.request<string>('GET', '/demo/ringflag.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/text\/javascript/);
    expect(script.text).toMatch(/export\{.*createClient/);
    expect(script.text).not.toMatch(/\bimport\b/);
  });

  it('is off without demo data, and once its key is revoked', async () => {
    t = await createTestApp();
    expect((await t.request('GET', '/demo')).status).toBe(404);
    expect((await t.request('GET', '/demo/ringflag.js')).status).toBe(404);
    await t.close();

    t = await createTestApp({ demo: true });
    const keys = await t.request<{ items: { id: number }[] }>(
      'GET',
      '/api/v1/environments/development/sdk-keys',
      {
        token: t.adminToken,
      },
    );
    const id = keys.body.items[0]?.id;
    const revoked = await t.request('DELETE', `/api/v1/environments/development/sdk-keys/${id}`, {
      token: t.adminToken,
    });
    expect(revoked.status).toBe(200);
    const page = await t.request<{ detail: string }>('GET', '/demo');
    expect(page.status).toBe(404);
    expect(page.body.detail).toMatch(/RINGFLAG_DEMO/);
  });
});
