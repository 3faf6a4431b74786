/**
 * Class: a release plan removes only the rules it wrote. An approved production rule whose id merely
 * starts with "release-" must survive a plan's stages and its rollback, and rolling back a plan that
 * never served anything must not touch the config at all — otherwise an editor could remove an
 * approved rule (a blocklist) without a second person. Real server on a socket, real SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/src/index.js';
import { createSdkKey, loginAsAdmin } from '../../server/src/testing.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

let server: RunningServer;
let dir: string;
let admin: string;
let editor: string;
let approver: string;
let serverKey: string;

async function call<T = unknown>(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function user(email: string, role: string): Promise<string> {
  expect((await call(admin, 'POST', '/api/v1/users', { email, password: 'password-123', role })).status).toBe(
    201,
  );
  return loginAsAdmin(server.url, email, 'password-123');
}

/** Production's rules of a flag, as its server SDKs get them. */
async function servedRules(flag: string): Promise<string[]> {
  const response = await fetch(`${server.url}/sdk/v1/flags`, { headers: { authorization: serverKey } });
  const payload = (await response.json()) as { flags: Record<string, { rules: { id: string }[] }> };
  return (payload.flags[flag]?.rules ?? []).map((rule) => rule.id);
}

/** An approved production config with a hand-written rule named like a plan's rule. */
async function approvedConfigWithBlocklist(flag: string): Promise<void> {
  expect((await call(editor, 'POST', '/api/v1/flags', { key: flag, kind: 'boolean' })).status).toBe(201);
  const proposed = await call<{ id: number }>(
    editor,
    'PUT',
    `/api/v1/flags/${flag}/environments/production`,
    {
      version: 1,
      enabled: true,
      offVariation: 'off',
      rules: [
        {
          id: 'release-blocklist',
          clauses: [{ attribute: 'key', op: 'in', values: ['user-9'] }],
          serve: { variation: 'off' },
        },
        {
          id: 'beta',
          clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: { variation: 'off' },
    },
  );
  expect(proposed.status, JSON.stringify(proposed.body)).toBe(202);
  const approved = await call(approver, 'POST', `/api/v1/change-requests/${proposed.body.id}/approve`, {
    comment: 'blocklist user-9',
  });
  expect(approved.status).toBe(200);
  expect(await servedRules(flag)).toEqual(['release-blocklist', 'beta']);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringflag-release-rules-'));
  server = await startServer({ db: join(dir, 'ringflag.db'), admin: ADMIN, logLevel: 'silent' });
  admin = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
  editor = await user('editor@example.com', 'editor');
  approver = await user('approver@example.com', 'approver');
  serverKey = await createSdkKey(server.url, admin, 'production', 'server');
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a release plan touches only the rules it wrote', () => {
  it('leaves an approved config alone when a plan that never served is rolled back', async () => {
    await approvedConfigWithBlocklist('f-unserved');
    const path = '/api/v1/flags/f-unserved/environments/production/release';
    const plan = await call(editor, 'POST', path, {
      variation: 'on',
      stages: [{ name: 'all', percentage: 1 }],
    });
    expect(plan.status).toBe(201);
    expect((await call(editor, 'POST', `${path}/rollback`)).status).toBe(200);
    expect(await servedRules('f-unserved')).toEqual(['release-blocklist', 'beta']);
  });

  it('keeps hand-written rules through its stages and its rollback, removing only its own rings', async () => {
    await approvedConfigWithBlocklist('f-served');
    expect(
      (await call(admin, 'POST', '/api/v1/segments', { key: 'staff', included: ['user-1'] })).status,
    ).toBe(201);
    const path = '/api/v1/flags/f-served/environments/production/release';
    const stages = [
      { name: 'staff', segments: ['staff'], percentage: 0 },
      { name: 'all', percentage: 100 },
    ];
    expect((await call(editor, 'POST', path, { variation: 'on', stages })).status).toBe(201);
    expect((await call(approver, 'POST', `${path}/approve`, { comment: 'staff first' })).status).toBe(200);
    expect(await servedRules('f-served')).toEqual(['release-blocklist', 'beta', 'release-0']);
    expect((await call(editor, 'POST', `${path}/rollback`)).status).toBe(200);
    expect(await servedRules('f-served')).toEqual(['release-blocklist', 'beta']);
  });
});
