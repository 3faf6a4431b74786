/**
 * End to end, on a real socket: JSON nested 10,000 levels deep is a 400 problem naming where it goes
 * too deep, on every surface that takes a body or an encoded context, never a 500. The server stays up
 * and answers the next request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/src/index.js';
import { createSdkKey, loginAsAdmin } from '../../server/src/testing.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
const DEPTH = 10_000;
const deepArray = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
const deepObject = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;

describe('deeply nested JSON is a 400 problem everywhere', () => {
  let server: RunningServer;
  let dir: string;
  let token: string;
  let serverKey: string;
  let clientKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-nested-'));
    server = await startServer({ db: join(dir, 'ringflag.db'), admin: ADMIN, logLevel: 'silent' });
    token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
    serverKey = await createSdkKey(server.url, token, 'production', 'server');
    clientKey = await createSdkKey(server.url, token, 'production', 'client');
    const flag = await fetch(`${server.url}/api/v1/flags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'existing', name: 'Existing', kind: 'boolean' }),
    });
    expect(flag.status, await flag.text()).toBe(201);
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admin = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  const cases = (): {
    name: string;
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: string;
  }[] => [
    {
      name: 'a JSON variation value',
      method: 'POST',
      path: '/api/v1/flags',
      headers: admin(),
      body: `{"key":"deep","name":"Deep","kind":"json","variations":[{"id":"a","value":${deepArray}},{"id":"b","value":1}]}`,
    },
    {
      name: 'a whole admin body',
      method: 'POST',
      path: '/api/v1/segments',
      headers: admin(),
      body: deepObject,
    },
    {
      name: 'a flag config',
      method: 'PUT',
      path: '/api/v1/flags/existing/environments/development',
      headers: admin(),
      body: `{"enabled":true,"rules":${deepArray}}`,
    },
    {
      name: 'a flag patch',
      method: 'PATCH',
      path: '/api/v1/flags/existing',
      headers: admin(),
      body: `{"name":${deepArray}}`,
    },
    {
      name: 'an evaluation context',
      method: 'POST',
      path: '/api/v1/environments/production/evaluate',
      headers: admin(),
      body: `{"context":${deepObject}}`,
    },
    {
      name: 'login',
      method: 'POST',
      path: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      body: `{"email":${deepArray}}`,
    },
    {
      name: 'server SDK events',
      method: 'POST',
      path: '/sdk/v1/events',
      headers: { authorization: serverKey, 'content-type': 'application/json' },
      body: `{"exposures":[],"events":[{"key":"e","context":${deepObject}}]}`,
    },
    {
      name: 'browser events',
      method: 'POST',
      path: '/client/v1/events',
      headers: { authorization: clientKey, 'content-type': 'application/json' },
      body: `{"exposures":${deepArray},"events":[]}`,
    },
    {
      name: 'a browser evaluation (sent as text/plain, as browsers may)',
      method: 'POST',
      path: '/client/v1/evaluate',
      headers: { authorization: clientKey, 'content-type': 'text/plain' },
      body: `{"context":{"key":"u","x":${deepArray}}}`,
    },
    {
      name: 'a browser stream context',
      method: 'GET',
      path: `/client/v1/stream?key=${clientKey}&context=${Buffer.from(`{"key":"u","x":${'['.repeat(5000)}${']'.repeat(5000)}}`).toString('base64url')}`,
      headers: {},
    },
  ];

  for (const [index, name] of cases()
    .map((c) => c.name)
    .entries()) {
    it(`answers 400 with a problem for ${name}`, async () => {
      const c = cases()[index]!;
      const response = await fetch(`${server.url}${c.path}`, {
        method: c.method,
        headers: c.headers,
        body: c.body,
      });
      const text = await response.text();
      expect(response.status, text.slice(0, 300)).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const problem = JSON.parse(text) as { errors: { path: string; message: string }[] };
      expect(problem.errors.length, text.slice(0, 300)).toBeGreaterThan(0);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    });
  }

  it('names where the JSON goes too deep', async () => {
    const response = await fetch(`${server.url}/api/v1/flags`, {
      method: 'POST',
      headers: admin(),
      body: cases()[0]!.body,
    });
    const problem = (await response.json()) as { errors: { path: string; message: string }[] };
    expect(problem.errors[0]?.path).toMatch(/^variations\[0\]\.value(\[0\])+$/);
    expect(problem.errors[0]?.message).toMatch(/nested deeper than/);
  });

  it('answers OFREP in its own error format with 400', async () => {
    const response = await fetch(`${server.url}/ofrep/v1/evaluate/flags`, {
      method: 'POST',
      headers: { authorization: clientKey, 'content-type': 'application/json' },
      body: `{"context":{"targetingKey":"u","x":${deepArray}}}`,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errorCode: expect.any(String) });
  });
});
