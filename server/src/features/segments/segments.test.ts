import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ANY_VERSION, createTestApp, type TestApp } from '../../test-support/test-app.js';

interface Segment {
  key: string;
  version: number;
  included: string[];
}

describe('segments', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(() => t.close());

  it('creates, reads, updates (If-Match) and deletes a segment', async () => {
    const created = await t.request<Segment>('POST', '/api/v1/segments', {
      token: t.adminToken,
      body: { key: 'beta', name: 'Beta', included: ['u1'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'beta', version: 1, included: ['u1'] });
    const list = await t.request<{ items: Segment[] }>('GET', '/api/v1/segments', { token: t.adminToken });
    expect(list.body.items.map((s) => s.key)).toEqual(['beta']);
    const updated = await t.request<Segment>('PUT', '/api/v1/segments/beta', {
      token: t.adminToken,
      body: { included: ['u1', 'u2'] },
      headers: { 'if-match': '"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, included: ['u1', 'u2'] });
    const stale = await t.request('PUT', '/api/v1/segments/beta', {
      token: t.adminToken,
      body: { included: [] },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect((await t.request('DELETE', '/api/v1/segments/beta', { token: t.adminToken })).status).toBe(204);
    expect((await t.request('GET', '/api/v1/segments/beta', { token: t.adminToken })).status).toBe(404);
  });

  it('refuses to delete a segment a flag still uses', async () => {
    await t.request('POST', '/api/v1/segments', { token: t.adminToken, body: { key: 'staff' } });
    await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key: 'f', kind: 'boolean' } });
    const put = await t.request('PUT', '/api/v1/flags/f/environments/staging', {
      token: t.adminToken,
      body: {
        enabled: true,
        offVariation: 'off',
        rules: [{ id: 'r', clauses: [{ op: 'inSegment', values: ['staff'] }], serve: { variation: 'on' } }],
        fallthrough: { variation: 'off' },
      },
      headers: ANY_VERSION,
    });
    expect(put.status).toBe(200);
    const refused = await t.request<{ detail: string }>('DELETE', '/api/v1/segments/staff', {
      token: t.adminToken,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('f');
  });

  it('rejects a key both included and excluded, with its path', async () => {
    const res = await t.request<{ errors: { path: string }[] }>('POST', '/api/v1/segments', {
      token: t.adminToken,
      body: { key: 'x', included: ['a'], excluded: ['a'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]?.path).toBe('excluded[0]');
  });

  it('asks which version a replace is for: no If-Match or version is refused, If-Match: * replaces any', async () => {
    await t.request('POST', '/api/v1/segments', { token: t.adminToken, body: { key: 'beta' } });
    const before = await t.dump();
    const blind = await t.request<{ detail: string; errors: { path: string }[] }>(
      'PUT',
      '/api/v1/segments/beta',
      { token: t.adminToken, body: { included: ['u1'] } },
    );
    expect(blind.status).toBe(428);
    expect(blind.headers.get('content-type')).toContain('application/problem+json');
    expect(blind.body.detail).toContain('If-Match: *');
    expect(blind.body.errors.map((e) => e.path)).toEqual(['version']);
    expect(await t.dump()).toEqual(before);
    const any = await t.request<Segment>('PUT', '/api/v1/segments/beta', {
      token: t.adminToken,
      body: { included: ['u1'] },
      headers: ANY_VERSION,
    });
    expect(any.status).toBe(200);
    expect(any.body).toMatchObject({ version: 2, included: ['u1'] });
  });

  describe('used where approval is required', () => {
    type Request = {
      id: number;
      kind: string;
      state: string;
      segment: string | null;
      environments: string[];
    };
    const useInProduction = async () => {
      await t.request('POST', '/api/v1/segments', { token: t.adminToken, body: { key: 'staff' } });
      await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key: 'f', kind: 'boolean' } });
      const put = await t.request('PUT', '/api/v1/flags/f/environments/production', {
        token: t.adminToken,
        body: {
          enabled: true,
          offVariation: 'off',
          rules: [{ id: 'r', clauses: [{ op: 'inSegment', values: ['staff'] }], serve: { variation: 'on' } }],
          fallthrough: { variation: 'off' },
        },
        headers: ANY_VERSION,
      });
      expect(put.status).toBe(202);
      return put.body as { id: number };
    };

    it('is gated by an open change request that uses it (pending or scheduled), and listed for that environment', async () => {
      const config = await useInProduction();
      const editor = await t.tokenFor('editor');
      // Production's config does not use it yet, but a pending request does: the approver must
      // approve the segment they saw.
      const before = await t.request<Request>('PUT', '/api/v1/segments/staff', {
        token: editor,
        body: { included: ['u1'], version: 1 },
      });
      expect(before.status).toBe(202);
      expect(before.body).toMatchObject({ kind: 'segment', environments: ['production'] });
      await t.request('POST', `/api/v1/change-requests/${before.body.id}/withdraw`, { token: editor });
      // Approved (for later), production will use it: from now on it needs approval.
      const approver = await t.tokenFor('approver');
      const at = new Date(Date.now() + 3_600_000).toISOString();
      expect(
        (
          await t.request('PUT', '/api/v1/flags/f/environments/production', {
            token: editor,
            body: {
              enabled: true,
              offVariation: 'off',
              rules: [
                { id: 'r', clauses: [{ op: 'inSegment', values: ['staff'] }], serve: { variation: 'on' } },
              ],
              fallthrough: { variation: 'off' },
              applyAt: at,
            },
            headers: ANY_VERSION,
          })
        ).status,
      ).toBe(202);
      await t.request('POST', `/api/v1/change-requests/${config.id}/withdraw`, { token: t.adminToken });
      const waiting = await t.request<{ items: Request[] }>('GET', '/api/v1/change-requests?state=pending', {
        token: approver,
      });
      const pending = waiting.body.items.find((item) => item.kind === 'config');
      expect(pending).toBeDefined();
      expect(
        (await t.request('POST', `/api/v1/change-requests/${pending?.id}/approve`, { token: approver }))
          .status,
      ).toBe(200);
      const gated = await t.request<Request>('PUT', '/api/v1/segments/staff', {
        token: editor,
        body: { included: ['u1', 'u2'], version: 1 },
      });
      expect(gated.status).toBe(202);
      expect(gated.body).toMatchObject({ kind: 'segment', segment: 'staff', environments: ['production'] });
      const listed = await t.request<{ items: Request[] }>(
        'GET',
        '/api/v1/change-requests?environment=production&kind=segment&state=pending',
        { token: approver },
      );
      expect(listed.body.items.map((item) => item.id)).toEqual([gated.body.id]);
      const forStaging = await t.request<{ items: Request[] }>(
        'GET',
        '/api/v1/change-requests?environment=staging&kind=segment',
        { token: approver },
      );
      expect(forStaging.body.items).toEqual([]);
    });

    it('applies a new name at once, and lets an approver reject a member change (nothing changes)', async () => {
      await useInProduction();
      // The config request above is pending; approve it, so that production's config uses it.
      const approver = await t.tokenFor('approver');
      const open = await t.request<{ items: Request[] }>('GET', '/api/v1/change-requests?state=pending', {
        token: approver,
      });
      for (const item of open.body.items) {
        await t.request('POST', `/api/v1/change-requests/${item.id}/approve`, { token: approver });
      }
      const editor = await t.tokenFor('editor');
      const renamed = await t.request<Segment>('PUT', '/api/v1/segments/staff', {
        token: editor,
        body: { name: 'Staff', version: 1 },
      });
      expect(renamed.status).toBe(200);
      const proposed = await t.request<Request>('PUT', '/api/v1/segments/staff', {
        token: editor,
        body: { name: 'Staff', included: ['mallory'], version: 2 },
      });
      expect(proposed.status).toBe(202);
      const rejected = await t.request<Request>(
        'POST',
        `/api/v1/change-requests/${proposed.body.id}/reject`,
        {
          token: approver,
          body: { comment: 'no' },
        },
      );
      expect(rejected.body.state).toBe('rejected');
      const now = await t.request<Segment>('GET', '/api/v1/segments/staff', { token: editor });
      expect(now.body).toMatchObject({ version: 2, included: [] });
      const audit = await t.request<{ items: { action: string; changeRequestId?: string }[] }>(
        'GET',
        '/api/v1/audit?resource=staff',
        { token: t.adminToken },
      );
      expect(audit.body.items.map((item) => item.action)).toContain('change_request.reject');
    });

    it("is gated by an archived flag's production config, which also keeps it from being deleted", async () => {
      const config = await useInProduction();
      const approver = await t.tokenFor('approver');
      const approve = async (id: number) =>
        expect(
          (await t.request('POST', `/api/v1/change-requests/${id}/approve`, { token: approver })).status,
        ).toBe(200);
      await approve(config.id);
      const archive = await t.request<Request>('POST', '/api/v1/flags/f/archive', { token: t.adminToken });
      expect(archive.status).toBe(202);
      await approve(archive.body.id);
      const editor = await t.tokenFor('editor');
      // An unarchive would serve the segment again: its approver must see what it serves.
      const edit = await t.request<Request>('PUT', '/api/v1/segments/staff', {
        token: editor,
        body: { included: ['mallory'], version: 1 },
      });
      expect(edit.status).toBe(202);
      expect(edit.body.environments).toEqual(['production']);
      const refused = await t.request<{ detail: string }>('DELETE', '/api/v1/segments/staff', {
        token: t.adminToken,
      });
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('flag "f" in production');
    });

    it('keeps an applied segment request as history (segment null) once the segment is deleted', async () => {
      const config = await useInProduction();
      const editor = await t.tokenFor('editor');
      const approver = await t.tokenFor('approver');
      const edit = await t.request<Request>('PUT', '/api/v1/segments/staff', {
        token: editor,
        body: { included: ['u1'], version: 1 },
      });
      expect(edit.status).toBe(202);
      const applied = await t.request<Request>('POST', `/api/v1/change-requests/${edit.body.id}/approve`, {
        token: approver,
      });
      expect(applied.body.state).toBe('applied');
      // While the config request is open, it names the segment: no delete.
      const refused = await t.request<{ detail: string }>('DELETE', '/api/v1/segments/staff', {
        token: t.adminToken,
      });
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain(`change request #${config.id}`);
      const rejected = await t.request<Request>('POST', `/api/v1/change-requests/${config.id}/reject`, {
        token: approver,
        body: { comment: 'not now' },
      });
      expect(rejected.body.state).toBe('rejected');

      expect((await t.request('DELETE', '/api/v1/segments/staff', { token: t.adminToken })).status).toBe(204);
      const listed = await t.request<{ items: Request[] }>('GET', '/api/v1/change-requests?kind=segment', {
        token: approver,
      });
      expect(listed.status).toBe(200);
      expect(listed.body.items).toEqual([
        expect.objectContaining({ id: edit.body.id, state: 'applied', segment: null }),
      ]);
      const one = await t.request<Request>('GET', `/api/v1/change-requests/${edit.body.id}`, {
        token: approver,
      });
      expect(one.body).toMatchObject({ state: 'applied', segment: null, proposed: { key: 'staff' } });
    });
  });

  it('refuses to delete a segment a stage of an active release plan names, until the plan is over', async () => {
    await t.request('POST', '/api/v1/segments', { token: t.adminToken, body: { key: 'wave' } });
    await t.request('POST', '/api/v1/flags', { token: t.adminToken, body: { key: 'g', kind: 'boolean' } });
    const path = '/api/v1/flags/g/environments/staging/release';
    const plan = await t.request<{ id: number; currentStage: number }>('POST', path, {
      token: t.adminToken,
      body: {
        variation: 'on',
        stages: [
          { name: 'first', percentage: 0 },
          { name: 'wave', segments: ['wave'], percentage: 0 },
        ],
      },
    });
    expect(plan.status).toBe(201);
    expect(plan.body.currentStage).toBe(0);
    const refused = await t.request<{ detail: string }>('DELETE', '/api/v1/segments/wave', {
      token: t.adminToken,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain(`release plan #${plan.body.id}`);
    expect((await t.request('POST', `${path}/rollback`, { token: t.adminToken })).status).toBe(200);
    expect((await t.request('DELETE', '/api/v1/segments/wave', { token: t.adminToken })).status).toBe(204);
  });
});
