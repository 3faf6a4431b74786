import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANY_VERSION, createTestApp, type TestApp } from '../../test-support/test-app.js';

type Problem = { status: number; detail: string; errors: { path: string; message: string }[] };

// Staging applies writes at once; production's approvals are tested in change-requests.test.ts.
const PATH = '/api/v1/flags/new-checkout/environments/staging';
const PRODUCTION = '/api/v1/flags/new-checkout/environments/production';
const staffRule = {
  id: 'staff',
  clauses: [{ attribute: 'groups', op: 'in', values: ['staff'] }],
  serve: { variation: 'on' },
};

describe('flag configs', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'new-checkout', kind: 'boolean' },
    });
  });
  afterEach(() => t.close());

  /** Replaces staging's config; `If-Match: *` unless the test names a version. */
  const put = (body: unknown, headers: Record<string, string> = ANY_VERSION) =>
    t.request<Problem & { version: number; enabled: boolean }>('PUT', PATH, {
      token: t.adminToken,
      body,
      headers,
    });

  it('accepts a config without clientSide for a client-side flag, and refuses one that contradicts it', async () => {
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'banner', kind: 'boolean', clientSide: true },
    });
    const path = '/api/v1/flags/banner/environments/development';
    const body = { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } };
    const accepted = await t.request<{ clientSide: boolean }>('PUT', path, {
      token: t.adminToken,
      body,
      headers: ANY_VERSION,
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body.clientSide).toBe(true);
    const refused = await t.request<Problem>('PUT', path, {
      token: t.adminToken,
      body: { ...body, clientSide: false },
      headers: ANY_VERSION,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]?.path).toBe('clientSide');
  });

  it('replaces a config, with ETag = version and If-Match optimistic concurrency', async () => {
    const read = await t.request<{ version: number }>('GET', PATH, { token: t.adminToken });
    expect(read.headers.get('etag')).toBe('"1"');
    const body = {
      enabled: true,
      offVariation: 'off',
      rules: [staffRule],
      fallthrough: { variation: 'off' },
    };
    const first = await put(body, { 'if-match': '"1"' });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(2);
    expect(first.headers.get('etag')).toBe('"2"');
    const stale = await put(body, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');
    const staleBody = await put({ ...body, version: 1 }, {});
    expect(staleBody.status).toBe(412);
    const current = await put({ ...body, version: 2 }, {});
    expect(current.status).toBe(200);
    expect(current.body.version).toBe(3);
  });

  it('asks a replace which version it replaces: 428 for neither, * for whatever is there', async () => {
    const body = { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } };
    const before = await t.dump();
    const blind = await put(body, {});
    expect(blind.status).toBe(428);
    expect(blind.headers.get('content-type')).toContain('application/problem+json');
    expect(blind.body.errors.map((e) => e.path)).toEqual(['version']);
    expect(blind.body.detail).toContain('If-Match: *');
    expect(await t.dump()).toEqual(before);

    const any = await put(body, { 'if-match': '*' });
    expect(any.status).toBe(200);
    expect(any.body).toMatchObject({ version: 2, enabled: true });
    const stale = await put({ ...body, enabled: false }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    const current = await put({ ...body, enabled: false, version: 2 }, {});
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ version: 3, enabled: false });
  });

  it('answers evaluate with the engine', async () => {
    await put({ enabled: true, offVariation: 'off', rules: [staffRule], fallthrough: { variation: 'off' } });
    const res = await t.request<{ results: Record<string, { value: unknown; reason: { kind: string } }> }>(
      'POST',
      '/api/v1/environments/staging/evaluate',
      {
        token: t.adminToken,
        body: { context: { key: 'u1', groups: ['staff'] }, flags: ['new-checkout', 'nope'] },
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.results['new-checkout']).toMatchObject({
      value: true,
      variant: 'on',
      reason: { kind: 'RULE_MATCH' },
    });
    expect(res.body.results.nope?.reason).toEqual({ kind: 'ERROR', errorKind: 'FLAG_NOT_FOUND' });
  });

  it('rejects unknown segments, unknown variations, unsafe regexes and prerequisite cycles with paths', async () => {
    const segment = await put({
      enabled: true,
      offVariation: 'off',
      rules: [{ id: 'r', clauses: [{ op: 'inSegment', values: ['ghosts'] }], serve: { variation: 'on' } }],
      fallthrough: { variation: 'maybe' },
    });
    expect(segment.status).toBe(400);
    expect(segment.body.errors.map((e) => e.path).sort()).toEqual([
      'fallthrough.variation',
      'rules[0].clauses[0].values[0]',
    ]);
    const regex = await put({
      enabled: true,
      offVariation: 'off',
      rules: [
        {
          id: 'r',
          clauses: [{ attribute: 'email', op: 'matches', values: ['(?<=a)b'] }],
          serve: { variation: 'on' },
        },
      ],
      fallthrough: { variation: 'off' },
    });
    expect(regex.status).toBe(400);
    expect(regex.body.errors[0]?.path).toBe('rules[0].clauses[0].values[0]');

    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'other', kind: 'boolean' },
    });
    const withPrereq = await put({
      enabled: true,
      offVariation: 'off',
      prerequisites: [{ flag: 'other', variation: 'on' }],
      fallthrough: { variation: 'on' },
    });
    expect(withPrereq.status).toBe(200);
    const cycle = await t.request<Problem>('PUT', '/api/v1/flags/other/environments/staging', {
      token: t.adminToken,
      body: {
        enabled: true,
        offVariation: 'off',
        prerequisites: [{ flag: 'new-checkout', variation: 'on' }],
        fallthrough: { variation: 'on' },
      },
      headers: ANY_VERSION,
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.errors[0]).toMatchObject({ path: 'prerequisites' });
    expect(cycle.body.errors[0]?.message).toContain('cycle');
  });

  it('refuses flag-level fields that do not match the flag', async () => {
    const res = await put({
      key: 'other',
      kind: 'string',
      enabled: true,
      offVariation: 'off',
      fallthrough: { variation: 'off' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e) => e.path)).toEqual(['key', 'kind']);
  });

  it('toggles, and turning off is immediate even where approval is required', async () => {
    const staging = await t.request<{ enabled: boolean; version: number }>('POST', `${PATH}/toggle`, {
      token: t.adminToken,
      body: { enabled: true },
    });
    expect(staging.status).toBe(200);
    expect(staging.body).toMatchObject({ enabled: true, version: 2 });
    // Turning on in production is a change request; another person approves it.
    const requested = await t.request<{ id: number; state: string }>('POST', `${PRODUCTION}/toggle`, {
      token: t.adminToken,
      body: { enabled: true },
    });
    expect(requested.status).toBe(202);
    expect(requested.body.state).toBe('pending');
    const approved = await t.request('POST', `/api/v1/change-requests/${requested.body.id}/approve`, {
      token: await t.tokenFor('approver'),
      body: { comment: 'ok' },
    });
    expect(approved.status).toBe(200);
    const off = await t.request<{ enabled: boolean }>('POST', `${PRODUCTION}/toggle`, {
      token: await t.tokenFor('editor'),
      body: { enabled: false, comment: 'incident 42' },
    });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    const audit = await t.request<{ items: { action: string; comment?: string }[] }>(
      'GET',
      '/api/v1/audit?resource=new-checkout&environment=production',
      { token: t.adminToken },
    );
    expect(audit.body.items[0]).toMatchObject({ action: 'flag.config.disable', comment: 'incident 42' });
  });
});
