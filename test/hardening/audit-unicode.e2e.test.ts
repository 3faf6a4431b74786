/**
 * Class: a string that is not well-formed Unicode (a lone UTF-16 surrogate, which only a JSON escape
 * such as `\ud800` can carry) must never break the audit chain. SQLite stores UTF-8, so such a string
 * comes back with U+FFFD. Every surface refuses one at the edge with a 400 naming the field, and the
 * audit chain hashes exactly what it stores. Real server on a socket, real SQLite file.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '@ringflag/server';
import { createSdkKey, loginAsAdmin } from '@ringflag/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedEventHash } from '../../server/src/test-support/documented-audit-hash.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };
/** A login body as raw JSON text: the `\ud800` escape is sent as six characters, as an attacker would. */
const LONE_SURROGATE_LOGIN = '{"email":"x\\ud800@example.com","password":"wrong-password"}';

let dir: string;
let server: RunningServer;
let token: string;
let serverKey: string;
let clientKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringflag-audit-unicode-'));
  server = await startServer({ db: join(dir, 'ringflag.db'), admin: ADMIN, logLevel: 'silent' });
  token = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
  serverKey = await createSdkKey(server.url, token, 'development', 'server');
  clientKey = await createSdkKey(server.url, token, 'development', 'client');
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(method: string, path: string, raw: string | undefined, authorization?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization) headers.authorization = authorization;
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: raw,
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & {
      errors?: { path: string }[];
    },
  };
}

async function verify() {
  return (await send('GET', '/api/v1/audit/verify', undefined, `Bearer ${token}`)).body as {
    ok: boolean;
    count: number;
    reason?: string;
  };
}

describe('ill-formed Unicode from anyone', () => {
  it('refuses the anonymous failed login with a lone surrogate (400 naming the field) and the chain verifies', async () => {
    const before = await verify();
    const login = await send('POST', '/api/v1/auth/login', LONE_SURROGATE_LOGIN);
    expect(login.status).toBe(400);
    expect(login.type).toContain('application/problem+json');
    expect(login.body.errors?.map((e) => e.path)).toEqual(['email']);
    const after = await verify();
    expect(after).toMatchObject({ ok: true });
    // Refused at the edge: nothing was audited for it.
    expect(after.count).toBe(before.count);
  });

  it('accepts escaped surrogate PAIRS (well-formed): the failed login is audited and the chain verifies', async () => {
    const login = await send(
      'POST',
      '/api/v1/auth/login',
      '{"email":"x\\ud83d\\ude00@example.com","password":"nope"}',
    );
    expect(login.status).toBe(401);
    const export_ = await fetch(`${server.url}/api/v1/audit/export?action=auth.login_failed`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const keys = (await export_.text())
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { resource: { key: string } }).resource.key);
    expect(keys).toContain('x😀@example.com');
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('refuses a lone surrogate in any body of every route of every surface, naming the field', async () => {
    const auth: Record<string, string> = {
      '/api/': `Bearer ${token}`,
      '/sdk/': serverKey,
      '/client/': clientKey,
      '/ofrep/': `Bearer ${clientKey}`,
      '/relay/': serverKey,
    };
    const routes = server.app.routes.filter(
      (route) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method) && !route.path.includes('*'),
    );
    const distinct = [...new Map(routes.map((route) => [`${route.method} ${route.path}`, route])).values()];
    expect(distinct.length).toBeGreaterThan(30);
    const accepted: string[] = [];
    for (const route of distinct) {
      const prefix = Object.keys(auth).find((p) => route.path.startsWith(p));
      expect(prefix, `${route.method} ${route.path} is on a surface this test knows`).toBeDefined();
      const path = route.path.replace(/:[A-Za-z]+/g, 'x');
      const res = await send(
        route.method,
        path,
        '{"nested":[{"x\\udc00y":"ok"}],"value":"\\ud800"}',
        auth[prefix!],
      );
      const named = prefix === '/ofrep/' ? String(res.body?.errorDetails) : res.body?.errors?.[0]?.path;
      if (res.status !== 400 || !String(named).startsWith('nested[0].x')) {
        accepted.push(`${route.method} ${route.path} → ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    expect(accepted).toEqual([]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('refuses a lone surrogate in a browser stream context (base64url JSON in the query)', async () => {
    const context = Buffer.from('{"key":"user-\\udbff"}').toString('base64url');
    const res = await send('GET', `/client/v1/stream?context=${context}`, undefined, clientKey);
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.path)).toEqual(['query.context.key']);
  });

  it('every stored event hashes by the documented formula (recomputed from the export, not with the server code)', async () => {
    const response = await fetch(`${server.url}/api/v1/audit/export`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const events = (await response.text())
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as Record<string, unknown> & { hash: string; prevHash: string; id: number },
      );
    expect(events.length).toBeGreaterThan(5);
    let previous = '0'.repeat(64);
    for (const { hash, ...event } of events) {
      expect(event.prevHash, `event #${event.id} links to its predecessor`).toBe(previous);
      const recomputed = documentedEventHash(event.prevHash, event);
      expect(recomputed, `event #${event.id}`).toBe(hash);
      previous = hash;
    }
  });
});
