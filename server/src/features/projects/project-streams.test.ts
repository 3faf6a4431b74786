/**
 * Projects over real streams: a server on 127.0.0.1 with a SQLite file, two projects that both have a
 * `checkout` flag and a `production` environment, the Node SDK with each project's key (directly and
 * through one relay that follows both keys), and changes made through the admin API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ringflag } from '@ringflag/sdk-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningRelay, startRelay } from '../../relay/relay-server.js';
import { type RunningServer, startServer } from '../../server.js';
import { adminRequest, loginAsAdmin } from '../../testing.js';

const ADMIN = { email: 'admin@example.com', password: 'projects-stream-password' };
const quiet = { warn: () => {}, error: () => {} };
const WAIT = { timeout: 8_000, interval: 50 };
const user = { key: 'user-1' };

describe('projects over streams', () => {
  let dir: string;
  let server: RunningServer;
  let relay: RunningRelay;
  let token: string;
  const sdks: Ringflag[] = [];
  const keys: Record<'a' | 'b', string> = { a: '', b: '' };

  const admin = async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await adminRequest<T>(server.url, token, method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const toggle = (project: string, flag: string, enabled: boolean) =>
    admin('POST', `/api/v1/projects/${project}/flags/${flag}/environments/production/toggle`, { enabled });
  const sdkOf = async (sdkKey: string, baseUrl: string) => {
    const sdk = new Ringflag({ sdkKey, baseUrl, logger: quiet, sendEvents: false });
    sdks.push(sdk);
    await sdk.ready({ timeoutMs: 5_000 });
    return sdk;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-project-streams-'));
    server = await startServer({ db: join(dir, 'ringflag.db'), port: 0, admin: ADMIN, logLevel: 'silent' });
    token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
    for (const project of ['a', 'b'] as const) {
      await admin('POST', '/api/v1/projects', { key: project, name: `Team ${project.toUpperCase()}` });
      // Production needs approval by default; these changes go straight through.
      await admin('PATCH', `/api/v1/projects/${project}/environments/production`, { requireApproval: false });
      await admin('POST', `/api/v1/projects/${project}/flags`, { key: 'checkout', kind: 'boolean' });
      await admin('POST', `/api/v1/projects/${project}/flags`, { key: `only-${project}`, kind: 'boolean' });
      const key = await admin<{ key: string }>(
        'POST',
        `/api/v1/projects/${project}/environments/production/sdk-keys`,
        {
          type: 'server',
        },
      );
      keys[project] = key.key;
    }
    relay = await startRelay({
      upstream: server.url,
      sdkKeys: [keys.a, keys.b],
      keyPollMs: 200,
      logLevel: 'silent',
    });
    await vi.waitFor(() => expect(relay.status().ok).toBe(true), WAIT);
  }, 60_000);

  afterAll(async () => {
    for (const sdk of sdks) await sdk.close();
    await relay?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("streams each project's changes to that project's SDKs only, directly and through a relay", async () => {
    const direct = { a: await sdkOf(keys.a, server.url), b: await sdkOf(keys.b, server.url) };
    const relayed = { a: await sdkOf(keys.a, relay.url), b: await sdkOf(keys.b, relay.url) };
    for (const [project, sdk] of [
      ['a', direct.a],
      ['b', direct.b],
      ['a', relayed.a],
      ['b', relayed.b],
    ] as const) {
      expect(Object.keys(sdk.allFlags(user)).sort()).toEqual(['checkout', `only-${project}`]);
    }

    await toggle('a', 'checkout', true);
    await vi.waitFor(() => {
      expect(direct.a.isEnabled('checkout', user)).toBe(true);
      expect(relayed.a.isEnabled('checkout', user)).toBe(true);
    }, WAIT);
    // A later change in project B reaching B's SDKs proves A's change has had its chance to leak.
    await toggle('b', 'only-b', true);
    await vi.waitFor(() => {
      expect(direct.b.isEnabled('only-b', user)).toBe(true);
      expect(relayed.b.isEnabled('only-b', user)).toBe(true);
    }, WAIT);
    expect(direct.b.isEnabled('checkout', user)).toBe(false);
    expect(relayed.b.isEnabled('checkout', user)).toBe(false);
    expect(direct.a.isEnabled('only-b', user)).toBe(false);
    // The relay names each project's production apart, in /readyz as in /metrics.
    expect(
      relay
        .status()
        .environments.map((state) => state.environment)
        .sort(),
    ).toEqual(['a/production', 'b/production']);
  });
});
