/**
 * End to end: the official OpenFeature SDKs and OFREP providers, used unchanged, against the real
 * server (in process, on 127.0.0.1, a real SQLite file), beside our own Node provider through
 * `OpenFeature.getClient()`. The web SDK runs in Node 20 without a DOM: it needs only global fetch
 * (its localStorage cache is turned off, as Node has no localStorage).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { ErrorCode, OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import { OpenFeature as WebOpenFeature, ProviderEvents as WebProviderEvents } from '@openfeature/web-sdk';
import { RingflagProvider } from '@ringflag/sdk-node/openfeature';
import { type RunningServer, startServer } from '@ringflag/server';
import { ANY_VERSION, adminRequest, createSdkKey, loginAsAdmin } from '@ringflag/server/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const ENV = 'development';
const quiet = { warn: () => {}, error: () => {} };

let server: RunningServer;
let dir: string;
let token: string;
let serverKey: string;
let clientKey: string;

const admin = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
  const res = await adminRequest(server.url, token, method, path, body, headers);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringflag-openfeature-'));
  server = await startServer({ db: join(dir, 'ringflag.db'), port: 0, admin: ADMIN, logLevel: 'silent' });
  token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
  serverKey = await createSdkKey(server.url, token, ENV, 'server');
  clientKey = await createSdkKey(server.url, token, ENV, 'client');
  await admin('POST', '/api/v1/flags', { key: 'new-checkout', kind: 'boolean', clientSide: true });
  await admin(
    'PUT',
    `/api/v1/flags/new-checkout/environments/${ENV}`,
    {
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
    },
    ANY_VERSION,
  );
  await admin('POST', '/api/v1/flags', { key: 'always-on', kind: 'boolean', clientSide: true });
  await admin(
    'PUT',
    `/api/v1/flags/always-on/environments/${ENV}`,
    {
      enabled: true,
      offVariation: 'off',
      fallthrough: { variation: 'on' },
    },
    ANY_VERSION,
  );
  await admin('POST', '/api/v1/flags', {
    key: 'checkout-backend',
    kind: 'string',
    variations: [
      { id: 'blue', value: 'blue' },
      { id: 'green', value: 'green' },
    ],
  });
  await admin(
    'PUT',
    `/api/v1/flags/checkout-backend/environments/${ENV}`,
    {
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
    },
    ANY_VERSION,
  );
});

afterAll(async () => {
  await OpenFeature.close();
  await WebOpenFeature.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OpenFeature against the real server', () => {
  it('official, OFREP and our own providers agree on values, variants and reasons, and see a toggle', async () => {
    // Server side: the official OFREP provider (one request per evaluation) and ours (local engine).
    await OpenFeature.setProviderAndWait(
      'ofrep',
      new OFREPProvider({ baseUrl: server.url, headers: [['Authorization', `Bearer ${serverKey}`]] }),
    );
    await OpenFeature.setProviderAndWait(
      'ringflag',
      new RingflagProvider({ sdkKey: serverKey, baseUrl: server.url, logger: quiet, sendEvents: false }),
    );
    const ofrep = OpenFeature.getClient('ofrep');
    const ours = OpenFeature.getClient('ringflag');

    // Browser side: the official web SDK with the OFREP web provider and a client key, polling.
    await WebOpenFeature.setContext({ targetingKey: 'user-1' });
    await WebOpenFeature.setProviderAndWait(
      new OFREPWebProvider({
        baseUrl: server.url,
        headers: [['X-API-Key', clientKey]],
        pollInterval: 100,
        cacheMode: 'disabled',
        changeDetection: 'polling',
      }),
    );
    const web = WebOpenFeature.getClient();

    const user1 = { targetingKey: 'user-1' };
    const staff = { targetingKey: 'user-9', groups: ['staff'] };
    for (const client of [ofrep, ours]) {
      expect(await client.getBooleanDetails('new-checkout', false, user1)).toMatchObject({
        value: true,
        variant: 'on',
        reason: 'TARGETING_MATCH',
      });
      expect(await client.getBooleanDetails('new-checkout', false, staff)).toMatchObject({
        value: true,
        variant: 'on',
        reason: 'TARGETING_MATCH',
        flagMetadata: { ruleId: 'staff', ruleIndex: 0 },
      });
      expect(await client.getBooleanDetails('new-checkout', true, { targetingKey: 'user-9' })).toMatchObject({
        value: false,
        variant: 'off',
        reason: 'DEFAULT',
      });
      expect(await client.getStringDetails('checkout-backend', 'none', user1)).toMatchObject({
        reason: 'SPLIT',
        flagMetadata: { inRollout: true },
      });
      expect(await client.getBooleanDetails('missing-flag', true, user1)).toMatchObject({
        value: true,
        reason: 'ERROR',
        errorCode: ErrorCode.FLAG_NOT_FOUND,
      });
    }
    // Both evaluate with the same engine and bucketing, so the same users land on the same side.
    for (const key of ['user-1', 'user-2', 'user-3', 'zoë@example.com']) {
      const context = { targetingKey: key };
      expect(await ofrep.getStringValue('checkout-backend', 'none', context)).toBe(
        await ours.getStringValue('checkout-backend', 'none', context),
      );
    }
    // OFREP knows the flag has no targeting at all; the Node provider reads only the result: DEFAULT.
    expect(await ofrep.getBooleanDetails('always-on', false, user1)).toMatchObject({
      value: true,
      reason: 'STATIC',
    });
    expect(await ours.getBooleanDetails('always-on', false, user1)).toMatchObject({
      value: true,
      reason: 'DEFAULT',
    });

    expect(web.getBooleanDetails('new-checkout', false)).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    expect(web.getBooleanDetails('always-on', false)).toMatchObject({ value: true, reason: 'STATIC' });
    // A client key sees clientSide flags only.
    expect(web.getStringDetails('checkout-backend', 'none')).toMatchObject({
      value: 'none',
      reason: 'ERROR',
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });

    const oursChanged: string[][] = [];
    const webChanged: string[][] = [];
    ours.addHandler(ProviderEvents.ConfigurationChanged, (details) =>
      oursChanged.push(details?.flagsChanged ?? []),
    );
    web.addHandler(WebProviderEvents.ConfigurationChanged, (details) =>
      webChanged.push(details?.flagsChanged ?? []),
    );

    await admin('POST', `/api/v1/flags/new-checkout/environments/${ENV}/toggle`, { enabled: false });

    expect(await ofrep.getBooleanDetails('new-checkout', true, user1)).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DISABLED',
    });
    await vi.waitFor(() => expect(oursChanged.flat()).toContain('new-checkout'), { timeout: 5_000 });
    expect(await ours.getBooleanDetails('new-checkout', true, user1)).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DISABLED',
    });
    await vi.waitFor(() => expect(webChanged.flat()).toContain('new-checkout'), { timeout: 5_000 });
    expect(web.getBooleanDetails('new-checkout', true)).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DISABLED',
    });
    // The web provider re-evaluates on a context change.
    await WebOpenFeature.setContext({ targetingKey: 'user-9', groups: ['staff'] });
    await admin('POST', `/api/v1/flags/new-checkout/environments/${ENV}/toggle`, { enabled: true });
    await vi.waitFor(() => expect(web.getBooleanValue('new-checkout', false)).toBe(true), { timeout: 5_000 });
    expect(web.getBooleanDetails('new-checkout', false).flagMetadata).toMatchObject({ ruleId: 'staff' });
  });

  it('maps a refused key to an error, not a value', async () => {
    await OpenFeature.setProviderAndWait(
      'bad-key',
      new OFREPProvider({ baseUrl: server.url, headers: [['Authorization', 'Bearer rf_srv_unknown']] }),
    );
    const details = await OpenFeature.getClient('bad-key').getBooleanDetails('new-checkout', true, {});
    expect(details).toMatchObject({ value: true, reason: 'ERROR' });
  });
});
