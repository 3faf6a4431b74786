import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANY_VERSION, createTestApp, type TestApp } from '../../test-support/test-app.js';

interface Flag {
  key: string;
  kind: string;
  variations: { id: string; value: unknown }[];
  archived: boolean;
  environments: Record<string, { enabled: boolean; version: number }>;
}

describe('flags', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('creates a boolean flag with off/on variations, off in every environment', async () => {
    const created = await t.request<Flag>('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'new-checkout', kind: 'boolean', name: 'New checkout' },
    });
    expect(created.status).toBe(201);
    expect(created.body.variations).toEqual([
      { id: 'off', value: false },
      { id: 'on', value: true },
    ]);
    const fetched = await t.request<Flag>('GET', '/api/v1/flags/new-checkout', { token: t.adminToken });
    expect(fetched.status).toBe(200);
    expect(fetched.body.environments).toEqual({
      development: { enabled: false, version: 1 },
      staging: { enabled: false, version: 1 },
      production: { enabled: false, version: 1 },
    });
    const config = await t.request<{ enabled: boolean; offVariation: string; fallthrough: unknown }>(
      'GET',
      '/api/v1/flags/new-checkout/environments/production',
      { token: t.adminToken },
    );
    expect(config.body).toMatchObject({
      enabled: false,
      offVariation: 'off',
      fallthrough: { variation: 'on' },
    });
  });

  it('refuses a duplicate key and a string flag without variations', async () => {
    const body = { key: 'dup', kind: 'boolean' };
    expect((await t.request('POST', '/api/v1/flags', { token: t.adminToken, body })).status).toBe(201);
    const again = await t.request('POST', '/api/v1/flags', { token: t.adminToken, body });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    const noVariations = await t.request<{ errors: { path: string }[] }>('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'banner', kind: 'string' },
    });
    expect(noVariations.status).toBe(400);
    expect(noVariations.body.errors[0]?.path).toBe('variations');
  });

  /** Lets writes apply at once; the four-eyes tests below keep production's approval. */
  const noApprovals = () =>
    t.request('PATCH', '/api/v1/environments/production', {
      token: t.adminToken,
      body: { requireApproval: false },
    });

  it('patches metadata and variations, bumping config versions when variations change', async () => {
    await noApprovals();
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'colour', kind: 'string', variations: [{ id: 'blue', value: 'blue' }] },
    });
    const patched = await t.request<Flag>('PATCH', '/api/v1/flags/colour', {
      token: t.adminToken,
      body: {
        name: 'Colour',
        variations: [
          { id: 'blue', value: 'blue' },
          { id: 'green', value: 'green' },
        ],
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.variations).toHaveLength(2);
    const fetched = await t.request<Flag>('GET', '/api/v1/flags/colour', { token: t.adminToken });
    expect(fetched.body.environments.production?.version).toBe(2);
    const dropped = await t.request('PATCH', '/api/v1/flags/colour', {
      token: t.adminToken,
      body: { variations: [{ id: 'green', value: 'green' }] },
    });
    // The configs still serve "blue" as their off variation.
    expect(dropped.status).toBe(400);
  });

  it('archives a flag out of the SDK payload and refuses archiving a prerequisite', async () => {
    await noApprovals();
    for (const key of ['base', 'child']) {
      await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key, kind: 'boolean' } });
    }
    const put = await t.request('PUT', '/api/v1/flags/child/environments/development', {
      token: t.adminToken,
      body: {
        enabled: true,
        offVariation: 'off',
        prerequisites: [{ flag: 'base', variation: 'on' }],
        fallthrough: { variation: 'on' },
      },
      headers: ANY_VERSION,
    });
    expect(put.status).toBe(200);
    expect((await t.request('POST', '/api/v1/flags/base/archive', { token: t.adminToken })).status).toBe(409);
    const archived = await t.request<Flag>('POST', '/api/v1/flags/child/archive', { token: t.adminToken });
    expect(archived.body.archived).toBe(true);
    const key = await t.request<{ key: string }>('POST', '/api/v1/environments/development/sdk-keys', {
      token: t.adminToken,
      body: { type: 'server' },
    });
    const payload = await t.request<{ flags: Record<string, unknown> }>('GET', '/sdk/v1/flags', {
      headers: { authorization: key.body.key },
    });
    expect(Object.keys(payload.body.flags)).toEqual(['base']);
    const restored = await t.request<Flag>('POST', '/api/v1/flags/child/unarchive', { token: t.adminToken });
    expect(restored.body.archived).toBe(false);
  });

  it('applies descriptive fields at once but makes served ones a change request where approval is required', async () => {
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'colour', kind: 'string', variations: [{ id: 'blue', value: 'blue' }] },
    });
    const editor = await t.tokenFor('editor');
    const described = await t.request<Flag & { version: number }>('PATCH', '/api/v1/flags/colour', {
      token: editor,
      body: { description: 'the checkout colour', variations: [{ id: 'blue', value: 'blue', name: 'Blue' }] },
    });
    expect(described.status).toBe(200);
    expect(described.body.version).toBe(2);
    const proposed = await t.request<{
      kind: string;
      state: string;
      flag: string;
      environment: string | null;
      environments: string[];
      baseVersion: number;
    }>('PATCH', '/api/v1/flags/colour', {
      token: editor,
      body: { name: 'Colour', variations: [{ id: 'blue', value: 'navy' }], comment: 'darker' },
    });
    expect(proposed.status).toBe(202);
    expect(proposed.body).toMatchObject({
      kind: 'flag',
      state: 'pending',
      flag: 'colour',
      environment: null,
      environments: ['production'],
      baseVersion: 2,
    });
    // Nothing of the PATCH applied, not even its name: the whole PATCH is the request.
    const unchanged = await t.request<Flag & { name: string }>('GET', '/api/v1/flags/colour', {
      token: editor,
    });
    expect(unchanged.body.name).toBe('colour');
    expect(unchanged.body.variations).toEqual([{ id: 'blue', value: 'blue', name: 'Blue' }]);
    // Variations that do not fit the configs are refused when proposed, not only when approved.
    const unfit = await t.request('PATCH', '/api/v1/flags/colour', {
      token: editor,
      body: { variations: [{ id: 'green', value: 'green' }] },
    });
    expect(unfit.status).toBe(400);
  });

  it('answers PATCH with an ETag and refuses a stale If-Match with 412', async () => {
    await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key: 'f', kind: 'boolean' } });
    const read = await t.request('GET', '/api/v1/flags/f', { token: t.adminToken });
    expect(read.headers.get('etag')).toBe('"1"');
    const first = await t.request('PATCH', '/api/v1/flags/f', {
      token: t.adminToken,
      body: { description: 'one' },
      headers: { 'if-match': '"1"' },
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe('"2"');
    const stale = await t.request<{ detail: string }>('PATCH', '/api/v1/flags/f', {
      token: t.adminToken,
      body: { description: 'two' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');
    const star = await t.request('PATCH', '/api/v1/flags/f', {
      token: t.adminToken,
      body: { description: 'three' },
      headers: { 'if-match': '*' },
    });
    expect(star.status).toBe(200);
    const garbage = await t.request('PATCH', '/api/v1/flags/f', {
      token: t.adminToken,
      body: { description: 'four' },
      headers: { 'if-match': 'yesterday' },
    });
    expect(garbage.status).toBe(412);
  });

  it('refuses archiving a prerequisite at once, also where archiving needs approval', async () => {
    for (const key of ['base', 'child']) {
      await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key, kind: 'boolean' } });
    }
    await t.request('PUT', '/api/v1/flags/child/environments/development', {
      token: t.adminToken,
      body: {
        enabled: true,
        offVariation: 'off',
        prerequisites: [{ flag: 'base', variation: 'on' }],
        fallthrough: { variation: 'on' },
      },
      headers: ANY_VERSION,
    });
    const refused = await t.request('POST', '/api/v1/flags/base/archive', { token: t.adminToken });
    expect(refused.status).toBe(409);
    const requested = await t.request<{ kind: string }>('POST', '/api/v1/flags/child/archive', {
      token: t.adminToken,
      body: { comment: 'done with it' },
    });
    expect(requested.status).toBe(202);
    expect(requested.body.kind).toBe('archive');
  });

  it('turns an approval whose variations no longer fit the configs into a conflict that changes nothing', async () => {
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: {
        key: 'colour',
        kind: 'string',
        variations: [
          { id: 'blue', value: 'blue' },
          { id: 'green', value: 'green' },
        ],
      },
    });
    const proposed = await t.request<{ id: number }>('PATCH', '/api/v1/flags/colour', {
      token: await t.tokenFor('editor'),
      body: { variations: [{ id: 'blue', value: 'blue' }] },
    });
    expect(proposed.status).toBe(202);
    // Meanwhile staging (no approval needed) starts serving the variation the request removes.
    const staging = await t.request('PUT', '/api/v1/flags/colour/environments/staging', {
      token: t.adminToken,
      body: { enabled: true, offVariation: 'blue', fallthrough: { variation: 'green' } },
      headers: ANY_VERSION,
    });
    expect(staging.status).toBe(200);
    const before = await t.dump();
    const approved = await t.request<{ changeRequest: { state: string; conflict: string } }>(
      'POST',
      `/api/v1/change-requests/${proposed.body.id}/approve`,
      { token: await t.tokenFor('approver') },
    );
    expect(approved.status).toBe(409);
    expect(approved.body.changeRequest.state).toBe('conflict');
    expect(approved.body.changeRequest.conflict).toContain('variations');
    const after = await t.dump();
    expect(after.flags).toEqual(before.flags);
    expect(after.flag_configs).toEqual(before.flag_configs);
    expect(after.environments).toEqual(before.environments);
  });

  it('lists flags in pages', async () => {
    for (const key of ['a', 'b', 'c']) {
      await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key, kind: 'boolean' } });
    }
    const first = await t.request<{ items: Flag[]; nextCursor: string }>('GET', '/api/v1/flags?limit=2', {
      token: t.adminToken,
    });
    expect(first.body.items.map((f) => f.key)).toEqual(['a', 'b']);
    const second = await t.request<{ items: Flag[]; nextCursor: string | null }>(
      'GET',
      `/api/v1/flags?limit=2&cursor=${first.body.nextCursor}`,
      { token: t.adminToken },
    );
    expect(second.body.items.map((f) => f.key)).toEqual(['c']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('keeps a boolean flag false when off: one false and one true variation, on create and on change', async () => {
    const before = await t.dump();
    const created = await t.request<{ errors: { path: string }[] }>('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: {
        key: 'paywall',
        kind: 'boolean',
        variations: [
          { id: 'off', value: true },
          { id: 'on', value: true },
        ],
      },
    });
    expect(created.status).toBe(400);
    expect(created.body.errors.map((error) => error.path)).toEqual(['variations']);
    expect(await t.dump()).toEqual(before);
    expect(
      (
        await t.request('POST', '/api/v1/flags', {
          token: t.adminToken,
          body: { key: 'paywall', kind: 'boolean' },
        })
      ).status,
    ).toBe(201);
    const changed = await t.request('PATCH', '/api/v1/flags/paywall', {
      token: t.adminToken,
      body: {
        variations: [
          { id: 'off', value: false },
          { id: 'on', value: false },
        ],
      },
    });
    expect(changed.status).toBe(400);
  });

  it('refuses removing a variation that a config, a prerequisite or a release plan uses, by path', async () => {
    await noApprovals();
    const colours = ['blue', 'green', 'red', 'yellow', 'purple'];
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'colour', kind: 'string', variations: colours.map((id) => ({ id, value: id })) },
    });
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'child', kind: 'boolean' },
    });
    const put = (flag: string, env: string, body: unknown) =>
      t.request(`PUT`, `/api/v1/flags/${flag}/environments/${env}`, {
        token: t.adminToken,
        body,
        headers: ANY_VERSION,
      });
    expect(
      (
        await put('colour', 'development', {
          enabled: true,
          offVariation: 'blue',
          rules: [
            {
              id: 'beta',
              name: 'Beta testers',
              clauses: [{ attribute: 'groups', op: 'in', values: ['beta'] }],
              serve: { variation: 'green' },
            },
          ],
          fallthrough: { variation: 'blue' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await put('child', 'staging', {
          enabled: true,
          offVariation: 'off',
          prerequisites: [{ flag: 'colour', variation: 'red' }],
          fallthrough: { variation: 'on' },
        })
      ).status,
    ).toBe(200);
    const plan = await t.request('POST', '/api/v1/flags/colour/environments/production/release', {
      token: t.adminToken,
      body: { variation: 'yellow', stages: [{ name: 'everyone', percentage: 100, holdMinutes: 60 }] },
    });
    expect(plan.status).toBe(201);

    const before = await t.dump();
    const refused = await t.request<{ title: string; errors: { path: string; message: string }[] }>(
      'PATCH',
      '/api/v1/flags/colour',
      { token: t.adminToken, body: { variations: [{ id: 'blue', value: 'blue' }] } },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.errors.every((error) => error.path === 'variations')).toBe(true);
    const messages = refused.body.errors.map((error) => error.message);
    expect(messages).toContain(
      'variation "green" is in use: rule 1 "Beta testers" in development; change that first',
    );
    expect(messages).toContain(
      'variation "red" is in use: flag "child" needs it as a prerequisite in staging; change that first',
    );
    expect(messages).toContain(
      'variation "yellow" is in use: the release plan in production releases it; change that first',
    );
    expect(messages.some((message) => message.includes('purple'))).toBe(false);
    expect(await t.dump()).toEqual(before);

    // An unused variation goes, and names change, at once.
    const kept = colours.filter((id) => id !== 'purple').map((id) => ({ id, value: id }));
    const renamed = await t.request<Flag>('PATCH', '/api/v1/flags/colour', {
      token: t.adminToken,
      body: { variations: kept.map((v) => (v.id === 'blue' ? { ...v, name: 'Navy' } : v)) },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.variations.map((v) => v.id)).toEqual(['blue', 'green', 'red', 'yellow']);
  });
});
