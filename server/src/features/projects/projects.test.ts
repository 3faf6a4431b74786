import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test-support/test-app.js';

type Payload = {
  revision: number;
  flags: Record<string, { enabled: boolean }>;
  segments: Record<string, unknown>;
};
type Problem = { status: number; detail: string; errors: { path: string; message: string }[] };

/** Two teams on one Ringflag: team A and team B, each with its own project, people and keys. */
describe('projects', () => {
  let t: TestApp;
  const people: Record<string, { id: number; token: string }> = {};
  const keys: Record<string, string> = {};

  const as = (who: string) => people[who]!.token;
  const a = (path: string) => `/api/v1/projects/team-a${path}`;
  const b = (path: string) => `/api/v1/projects/team-b${path}`;

  beforeAll(async () => {
    t = await createTestApp();
    const admin = t.adminToken;
    for (const [key, name] of [
      ['team-a', 'Team A'],
      ['team-b', 'Team B'],
    ]) {
      const created = await t.request('POST', '/api/v1/projects', { token: admin, body: { key, name } });
      expect(created.status).toBe(201);
    }
    // alice edits and carol approves in team A; bob edits and dave approves in team B.
    for (const [who, project, role] of [
      ['alice', 'team-a', 'editor'],
      ['carol', 'team-a', 'approver'],
      ['bob', 'team-b', 'editor'],
      ['dave', 'team-b', 'approver'],
    ] as const) {
      const email = `${who}@example.com`;
      const user = await t.request<{ id: number }>('POST', '/api/v1/users', {
        token: admin,
        body: { email, password: 'password-1' },
      });
      expect(user.status).toBe(201);
      const member = await t.request('PUT', `/api/v1/projects/${project}/members/${user.body.id}`, {
        token: admin,
        body: { role },
      });
      expect(member.status).toBe(200);
      const login = await t.request<{ token: string }>('POST', '/api/v1/auth/login', {
        body: { email, password: 'password-1' },
      });
      people[who] = { id: user.body.id, token: login.body.token };
    }
    // Both teams call their flag `checkout`: keys are unique within a project only.
    for (const [who, scoped] of [
      ['alice', a],
      ['bob', b],
    ] as const) {
      const flag = await t.request('POST', scoped('/flags'), {
        token: as(who),
        body: { key: 'checkout', kind: 'boolean', tags: [who] },
      });
      expect(flag.status).toBe(201);
      const key = await t.request<{ key: string }>('POST', scoped('/environments/staging/sdk-keys'), {
        token: admin,
        body: { type: 'server' },
      });
      keys[who] = key.body.key;
    }
    await t.request('POST', a('/flags'), { token: as('alice'), body: { key: 'only-in-a', kind: 'boolean' } });
  }, 60_000);
  afterAll(() => t.close());

  it('shows each person only the projects they have a role in; others are 404, not 403', async () => {
    const list = (who: string) =>
      t.request<{ items: { key: string; role: string }[] }>('GET', '/api/v1/projects', { token: as(who) });
    expect((await list('alice')).body.items).toEqual([
      expect.objectContaining({ key: 'team-a', role: 'editor' }),
    ]);
    expect((await list('dave')).body.items).toEqual([
      expect.objectContaining({ key: 'team-b', role: 'approver' }),
    ]);
    const all = await t.request<{ items: { key: string }[] }>('GET', '/api/v1/projects', {
      token: t.adminToken,
    });
    expect(all.body.items.map((p) => p.key)).toEqual(['default', 'team-a', 'team-b']);

    for (const path of ['/flags', '/flags/checkout', '/environments', '/audit', '/change-requests', '/me']) {
      const res = await t.request<Problem>('GET', b(path), { token: as('alice') });
      expect(res.status, path).toBe(404);
      expect(res.body.detail).toBe('No project "team-b"');
    }
    // A project that does not exist answers the same.
    expect((await t.request('GET', '/api/v1/projects/nowhere/flags', { token: as('alice') })).status).toBe(
      404,
    );
    // Nobody but its members (and org admins) is in the default project either.
    expect((await t.request('GET', '/api/v1/flags', { token: as('alice') })).status).toBe(404);
    // Anonymous callers learn nothing about which projects exist.
    expect((await t.request('GET', b('/flags'))).status).toBe(401);
    expect((await t.request('GET', '/api/v1/projects/nowhere/flags')).status).toBe(401);
  });

  it("keeps each project's flags, keys and payloads apart", async () => {
    const flagsOf = async (scoped: (path: string) => string, who: string) =>
      (
        await t.request<{ items: { key: string; tags: string[] }[] }>('GET', scoped('/flags'), {
          token: as(who),
        })
      ).body.items;
    expect(await flagsOf(a, 'alice')).toEqual([
      expect.objectContaining({ key: 'checkout', tags: ['alice'] }),
      expect.objectContaining({ key: 'only-in-a' }),
    ]);
    expect(await flagsOf(b, 'bob')).toEqual([expect.objectContaining({ key: 'checkout', tags: ['bob'] })]);

    const payload = (key: string) =>
      t.request<Payload>('GET', '/sdk/v1/flags', { headers: { authorization: key } });
    const before = { a: (await payload(keys.alice!)).body, b: (await payload(keys.bob!)).body };
    expect(Object.keys(before.a.flags).sort()).toEqual(['checkout', 'only-in-a']);
    expect(Object.keys(before.b.flags)).toEqual(['checkout']);

    // Switching team A's flag on changes team A's payload only.
    const toggled = await t.request('POST', a('/flags/checkout/environments/staging/toggle'), {
      token: as('alice'),
      body: { enabled: true },
    });
    expect(toggled.status).toBe(200);
    const after = { a: (await payload(keys.alice!)).body, b: (await payload(keys.bob!)).body };
    expect(after.a.flags.checkout?.enabled).toBe(true);
    expect(after.a.revision).toBe(before.a.revision + 1);
    expect(after.b).toEqual(before.b);
    expect(after.b.flags.checkout?.enabled).toBe(false);

    // Editors of one project cannot write to another: 404 for a project they have no role in.
    const foreign = await t.request('POST', b('/flags/checkout/environments/staging/toggle'), {
      token: as('alice'),
      body: { enabled: true },
    });
    expect(foreign.status).toBe(404);
    expect((await payload(keys.bob!)).body).toEqual(before.b);
  });

  it('holds four eyes per project: an approver of another project cannot approve', async () => {
    const requested = await t.request<{ id: number }>(
      'POST',
      a('/flags/checkout/environments/production/toggle'),
      { token: as('alice'), body: { enabled: true } },
    );
    expect(requested.status).toBe(202);
    const id = requested.body.id;
    expect(requested.headers.get('location')).toBe(`/api/v1/projects/team-a/change-requests/${id}`);
    // Team B sees neither the request nor, by its id, anything at all.
    expect((await t.request('GET', b(`/change-requests/${id}`), { token: as('dave') })).status).toBe(404);
    expect(
      (await t.request('POST', a(`/change-requests/${id}/approve`), { token: as('dave'), body: {} })).status,
    ).toBe(404);
    // The author cannot approve their own request; an approver of team A can.
    expect(
      (await t.request('POST', a(`/change-requests/${id}/approve`), { token: as('alice'), body: {} })).status,
    ).toBe(403);
    const approved = await t.request<{ state: string }>('POST', a(`/change-requests/${id}/approve`), {
      token: as('carol'),
      body: { comment: 'ok' },
    });
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('applied');
    const listed = await t.request<{ items: { id: number }[] }>('GET', b('/change-requests'), {
      token: as('dave'),
    });
    expect(listed.body.items.map((r) => r.id)).not.toContain(id);
  });

  it("records the project on every audit event and lists each project's events only", async () => {
    type Page = { items: { action: string; project?: string; resource: { key: string } }[] };
    const own = await t.request<Page>('GET', a('/audit?limit=500'), { token: as('alice') });
    expect(own.status).toBe(200);
    expect(own.body.items.length).toBeGreaterThan(0);
    expect(new Set(own.body.items.map((e) => e.project))).toEqual(new Set(['team-a']));
    expect(own.body.items.map((e) => e.action)).toContain('project.create');
    // Org admins read across projects, or one project at a time, from /api/v1/audit.
    const everything = await t.request<Page>('GET', '/api/v1/audit?limit=500', { token: t.adminToken });
    const projects = new Set(everything.body.items.map((e) => e.project ?? null));
    expect(projects).toEqual(new Set([null, 'default', 'team-a', 'team-b']));
    const onlyB = await t.request<Page>('GET', '/api/v1/audit?limit=500&project=team-b', {
      token: t.adminToken,
    });
    expect(new Set(onlyB.body.items.map((e) => e.project))).toEqual(new Set(['team-b']));
    // Anyone else may not widen their view with the query.
    const widened = await t.request<Problem>('GET', a('/audit?project=team-b'), { token: as('alice') });
    expect(widened.status).toBe(400);
    expect(widened.body.errors[0]?.path).toBe('query.project');
    // One chain across every project.
    const verified = await t.request<{ ok: boolean }>('GET', a('/audit/verify'), { token: as('alice') });
    expect(verified.body.ok).toBe(true);
  });

  it('lets a project admin manage members, and an org admin archive a project read-only', async () => {
    const admin = t.adminToken;
    const bobAdmin = await t.request('PUT', `/api/v1/projects/team-b/members/${people.bob!.id}`, {
      token: as('dave'),
      body: { role: 'admin' },
    });
    expect(bobAdmin.status).toBe(403);
    const promoted = await t.request('PUT', `/api/v1/projects/team-b/members/${people.bob!.id}`, {
      token: admin,
      body: { role: 'admin' },
    });
    expect(promoted.status).toBe(200);
    // bob, now admin of team B, manages team B's members but not team A's.
    const daveUp = await t.request<{ items: { userId: number; role: string }[] }>(
      'PUT',
      `/api/v1/projects/team-b/members/${people.dave!.id}`,
      { token: as('bob'), body: { role: 'editor' } },
    );
    expect(daveUp.body.items).toContainEqual(
      expect.objectContaining({ userId: people.dave!.id, role: 'editor' }),
    );
    expect(
      (
        await t.request('PUT', `/api/v1/projects/team-a/members/${people.bob!.id}`, {
          token: as('bob'),
          body: { role: 'admin' },
        })
      ).status,
    ).toBe(404);
    // Archiving needs an org admin; an archived project reads but takes no change until unarchived.
    expect(
      (await t.request('PATCH', '/api/v1/projects/team-b', { token: as('bob'), body: { archived: true } }))
        .status,
    ).toBe(403);
    expect(
      (await t.request('PATCH', '/api/v1/projects/team-b', { token: admin, body: { archived: true } }))
        .status,
    ).toBe(200);
    expect((await t.request('GET', b('/flags'), { token: as('bob') })).status).toBe(200);
    const refused = await t.request<Problem>('POST', b('/flags'), {
      token: as('bob'),
      body: { key: 'x', kind: 'boolean' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('archived');
    const listed = await t.request<{ items: { key: string }[] }>('GET', '/api/v1/projects', { token: admin });
    expect(listed.body.items.map((p) => p.key)).not.toContain('team-b');
    expect(
      (await t.request('PATCH', '/api/v1/projects/team-b', { token: admin, body: { archived: false } }))
        .status,
    ).toBe(200);
    expect(
      (await t.request('POST', b('/flags'), { token: as('bob'), body: { key: 'x', kind: 'boolean' } }))
        .status,
    ).toBe(201);
    // The default project stays: every URL without a project goes there.
    const defaultArchive = await t.request<Problem>('PATCH', '/api/v1/projects/default', {
      token: admin,
      body: { archived: true },
    });
    expect(defaultArchive.status).toBe(400);
  });

  it('limits an API token to the project it was created in', async () => {
    const token = await t.request<{ token: string }>('POST', a('/api-tokens'), {
      token: t.adminToken,
      body: { name: 'team-a pipeline', role: 'editor' },
    });
    expect(token.status).toBe(201);
    const pipeline = token.body.token;
    expect((await t.request('GET', a('/flags'), { token: pipeline })).status).toBe(200);
    expect((await t.request('GET', b('/flags'), { token: pipeline })).status).toBe(404);
    expect((await t.request('GET', '/api/v1/flags', { token: pipeline })).status).toBe(404);
    const me = await t.request<{ role: string; project: string }>('GET', a('/me'), { token: pipeline });
    expect(me.body).toMatchObject({ role: 'editor', project: 'team-a' });
    // A token created under team B by an admin lists only team B's tokens.
    const tokensOfB = await t.request<{ items: { name: string }[] }>('GET', b('/api-tokens'), {
      token: t.adminToken,
    });
    expect(tokensOfB.body.items.map((x) => x.name)).not.toContain('team-a pipeline');
  });

  it('refuses a bad project key and a taken one with field paths', async () => {
    const bad = await t.request<Problem>('POST', '/api/v1/projects', {
      token: t.adminToken,
      body: { key: 'Team A!', name: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]?.path).toBe('key');
    const taken = await t.request<Problem>('POST', '/api/v1/projects', {
      token: t.adminToken,
      body: { key: 'team-a', name: 'again' },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.errors[0]?.path).toBe('key');
    expect(
      (await t.request('POST', '/api/v1/projects', { token: as('alice'), body: { key: 'c', name: 'c' } }))
        .status,
    ).toBe(403);
  });
});
