/**
 * End to end, on a real socket: no editor changes what an approval-required environment (production)
 * serves without a second person. A flag's variations, its clientSide exposure, archiving it, a
 * segment production depends on (its rules, a pending or scheduled change, a release plan's later stage),
 * and a prerequisite flag's variations each become a change request, and such a segment cannot be
 * deleted: production's SDK payload and browser evaluations stay as they were until someone else with the
 * approver role approves, the author cannot approve their own, and a request whose base moved
 * conflicts and changes nothing. Also: PATCH of a flag honours If-Match, so a lost update is a 412.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/src/index.js';
import { ANY_VERSION, createSdkKey, loginAsAdmin } from '../../server/src/testing.js';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

interface Response<T> {
  status: number;
  headers: Headers;
  body: T;
}
interface ChangeRequest {
  id: number;
  kind: string;
  state: string;
  flag: string | null;
  segment: string | null;
  environment: string | null;
  environments: string[];
  baseVersion: number;
  conflict: string | null;
}
interface SdkPayload {
  flags: Record<string, { variations: { id: string; value: unknown }[]; clientSide: boolean } | undefined>;
  segments: Record<string, { included: string[] } | undefined>;
}
type Evaluation = { flags: Record<string, { value: unknown } | undefined> };

describe('four eyes hold for every write that changes what production serves', () => {
  let server: RunningServer;
  let dir: string;
  let admin: string;
  let editor: string;
  let approver: string;
  let otherApprover: string;
  let serverKey: string;
  let clientKey: string;

  async function call<T = unknown>(
    token: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response<T>> {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  }

  async function user(email: string, role: string): Promise<string> {
    const created = await call(admin, 'POST', '/api/v1/users', { email, password: 'password-123', role });
    expect(created.status).toBe(201);
    return loginAsAdmin(server.url, email, 'password-123');
  }

  /** Production's server SDK payload. */
  async function production(): Promise<SdkPayload> {
    const response = await fetch(`${server.url}/sdk/v1/flags`, { headers: { authorization: serverKey } });
    expect(response.status).toBe(200);
    return (await response.json()) as SdkPayload;
  }

  /** What production's browser key serves this context. */
  async function browser(context: Record<string, unknown>): Promise<Evaluation['flags']> {
    const response = await fetch(`${server.url}/client/v1/evaluate`, {
      method: 'POST',
      headers: { authorization: clientKey, 'content-type': 'application/json' },
      body: JSON.stringify({ context }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as Evaluation).flags;
  }

  /** Runs `body` with production's approval switched off, for setting the scene as the admin. */
  async function withoutApproval(body: () => Promise<void>): Promise<void> {
    const off = await call(admin, 'PATCH', '/api/v1/environments/production', { requireApproval: false });
    expect(off.status).toBe(200);
    await body();
    const on = await call(admin, 'PATCH', '/api/v1/environments/production', { requireApproval: true });
    expect(on.status).toBe(200);
  }

  async function createFlag(body: Record<string, unknown>, production: Record<string, unknown>) {
    await withoutApproval(async () => {
      expect((await call(admin, 'POST', '/api/v1/flags', body)).status).toBe(201);
      const put = await call(
        admin,
        'PUT',
        `/api/v1/flags/${body.key}/environments/production`,
        production,
        ANY_VERSION,
      );
      expect(put.status).toBe(200);
    });
  }

  /** A write that must become a pending change request gated by production. */
  function expectRequest(response: Response<unknown>, kind: string): ChangeRequest {
    expect(response.status).toBe(202);
    const request = response.body as ChangeRequest;
    expect(request).toMatchObject({ kind, state: 'pending', environments: ['production'] });
    expect(response.headers.get('location')).toBe(`/api/v1/change-requests/${request.id}`);
    return request;
  }

  /** The editor cannot approve, an approver approves: the request is applied. */
  async function approve(request: ChangeRequest): Promise<void> {
    const byEditor = await call(editor, 'POST', `/api/v1/change-requests/${request.id}/approve`);
    expect(byEditor.status).toBe(403);
    const approved = await call<ChangeRequest>(
      approver,
      'POST',
      `/api/v1/change-requests/${request.id}/approve`,
      {
        comment: 'checked',
      },
    );
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('applied');
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ringflag-four-eyes-'));
    server = await startServer({ db: join(dir, 'ringflag.db'), admin: ADMIN, logLevel: 'silent' });
    admin = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
    editor = await user('editor@example.com', 'editor');
    approver = await user('approver@example.com', 'approver');
    otherApprover = await user('other-approver@example.com', 'approver');
    serverKey = await createSdkKey(server.url, admin, 'production', 'server');
    clientKey = await createSdkKey(server.url, admin, 'production', 'client');
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("holds an editor's change of a flag's variation values until an approver approves", async () => {
    await createFlag(
      {
        key: 'banner',
        kind: 'string',
        clientSide: true,
        variations: [
          { id: 'calm', value: 'blue' },
          { id: 'loud', value: 'green' },
        ],
      },
      { enabled: true, offVariation: 'calm', fallthrough: { variation: 'loud' } },
    );
    expect((await browser({ key: 'u1' })).banner?.value).toBe('green');

    const request = expectRequest(
      await call(editor, 'PATCH', '/api/v1/flags/banner', {
        variations: [
          { id: 'calm', value: 'blue' },
          { id: 'loud', value: 'red' },
        ],
      }),
      'flag',
    );
    expect(request).toMatchObject({ flag: 'banner', environment: null });
    expect((await production()).flags.banner?.variations[1]?.value).toBe('green');
    expect((await browser({ key: 'u1' })).banner?.value).toBe('green');
    // The inbox of production lists it.
    const inbox = await call<{ items: ChangeRequest[] }>(
      approver,
      'GET',
      '/api/v1/change-requests?state=pending&environment=production',
    );
    expect(inbox.body.items.map((item) => item.id)).toContain(request.id);

    await approve(request);
    expect((await production()).flags.banner?.variations[1]?.value).toBe('red');
    expect((await browser({ key: 'u1' })).banner?.value).toBe('red');
  });

  it('holds exposing a flag to browser keys (clientSide) until approved; hiding it is immediate', async () => {
    await createFlag(
      { key: 'internal-pricing', kind: 'boolean' },
      { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } },
    );
    const request = expectRequest(
      await call(editor, 'PATCH', '/api/v1/flags/internal-pricing', { clientSide: true }),
      'flag',
    );
    expect((await production()).flags['internal-pricing']?.clientSide).toBe(false);
    expect(await browser({ key: 'u1' })).not.toHaveProperty('internal-pricing');

    await approve(request);
    expect((await browser({ key: 'u1' }))['internal-pricing']?.value).toBe(true);

    // Taking it back from browsers is mitigation, like the kill switch: it never waits.
    const hidden = await call(editor, 'PATCH', '/api/v1/flags/internal-pricing', { clientSide: false });
    expect(hidden.status).toBe(200);
    expect(await browser({ key: 'u1' })).not.toHaveProperty('internal-pricing');
  });

  it('holds archiving a flag until approved', async () => {
    await createFlag(
      { key: 'old-checkout', kind: 'boolean' },
      { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } },
    );
    const request = expectRequest(
      await call(editor, 'POST', '/api/v1/flags/old-checkout/archive'),
      'archive',
    );
    expect((await production()).flags['old-checkout']).toBeDefined();
    const flag = await call<{ archived: boolean }>(editor, 'GET', '/api/v1/flags/old-checkout');
    expect(flag.body.archived).toBe(false);

    await approve(request);
    expect((await production()).flags['old-checkout']).toBeUndefined();
  });

  it("holds an edit of a segment production's rules use, and applies one nothing in production uses", async () => {
    for (const key of ['staff', 'unused']) {
      expect((await call(admin, 'POST', '/api/v1/segments', { key, included: ['u1'] })).status).toBe(201);
    }
    await createFlag(
      { key: 'staff-banner', kind: 'boolean', clientSide: true },
      {
        enabled: true,
        offVariation: 'off',
        rules: [
          { id: 'staff', clauses: [{ op: 'inSegment', values: ['staff'] }], serve: { variation: 'on' } },
        ],
        fallthrough: { variation: 'off' },
      },
    );
    expect((await browser({ key: 'u2' }))['staff-banner']?.value).toBe(false);

    const request = expectRequest(
      await call(editor, 'PUT', '/api/v1/segments/staff', { included: ['u1', 'u2'], version: 1 }),
      'segment',
    );
    expect(request).toMatchObject({ segment: 'staff', flag: null, environment: null });
    expect((await production()).segments.staff?.included).toEqual(['u1']);
    expect((await browser({ key: 'u2' }))['staff-banner']?.value).toBe(false);

    await approve(request);
    expect((await production()).segments.staff?.included).toEqual(['u1', 'u2']);
    expect((await browser({ key: 'u2' }))['staff-banner']?.value).toBe(true);

    const unused = await call(
      editor,
      'PUT',
      '/api/v1/segments/unused',
      { included: ['u1', 'u2'] },
      ANY_VERSION,
    );
    expect(unused.status).toBe(200);
  });

  describe('a segment production depends on in any way cannot change at once', () => {
    const inSegment = (segment: string) => ({
      enabled: true,
      offVariation: 'off',
      rules: [{ id: segment, clauses: [{ op: 'inSegment', values: [segment] }], serve: { variation: 'on' } }],
      fallthrough: { variation: 'off' },
    });
    const createSegment = async (key: string, included: string[]) => {
      expect((await call(admin, 'POST', '/api/v1/segments', { key, included })).status).toBe(201);
    };

    it('refuses to delete (and so to recreate) a segment an approved, scheduled change will use', async () => {
      await createSegment('h1-beta', ['u1']);
      await createFlag(
        { key: 'h1-promo', kind: 'boolean', clientSide: true },
        { enabled: true, offVariation: 'off', fallthrough: { variation: 'off' } },
      );
      const applyAt = new Date(Date.now() + 3_600_000).toISOString();
      const request = expectRequest(
        await call(
          editor,
          'PUT',
          '/api/v1/flags/h1-promo/environments/production',
          { ...inSegment('h1-beta'), applyAt },
          ANY_VERSION,
        ),
        'config',
      );
      const approved = await call<ChangeRequest>(
        approver,
        'POST',
        `/api/v1/change-requests/${request.id}/approve`,
        { comment: 'beta testers only' },
      );
      expect(approved.body.state).toBe('scheduled');

      const deleted = await call<{ detail: string }>(editor, 'DELETE', '/api/v1/segments/h1-beta');
      expect(deleted.status).toBe(409);
      expect(deleted.headers.get('content-type')).toContain('application/problem+json');
      expect(deleted.body.detail).toContain(`change request #${request.id}`);
      const recreated = await call(editor, 'POST', '/api/v1/segments', {
        key: 'h1-beta',
        included: ['u1', 'u2', 'u3', 'mallory'],
      });
      expect(recreated.status).toBe(409);
      const segment = await call<{ version: number; included: string[] }>(
        editor,
        'GET',
        '/api/v1/segments/h1-beta',
      );
      expect(segment.body).toMatchObject({ version: 1, included: ['u1'] });
      expect((await production()).segments['h1-beta']?.included).toEqual(['u1']);
      const still = await call<ChangeRequest>(editor, 'GET', `/api/v1/change-requests/${request.id}`);
      expect(still.body.state).toBe('scheduled');
    });

    it('holds an edit of a segment a later stage of an approved release plan names; advancing serves what was approved', async () => {
      await createSegment('h2-wave', ['u1']);
      await createFlag(
        { key: 'h2-launch', kind: 'boolean', clientSide: true },
        { enabled: true, offVariation: 'off', fallthrough: { variation: 'off' } },
      );
      const path = '/api/v1/flags/h2-launch/environments/production/release';
      const stages = [
        { name: 'nobody-yet', percentage: 0 },
        { name: 'wave', segments: ['h2-wave'], percentage: 0 },
      ];
      expect((await call(editor, 'POST', path, { variation: 'on', stages })).status).toBe(201);
      const planApproved = await call<{ currentStage: number }>(approver, 'POST', `${path}/approve`, {
        comment: 'the wave is u1',
      });
      expect(planApproved.status).toBe(200);
      expect(planApproved.body.currentStage).toBe(0);

      const request = expectRequest(
        await call(editor, 'PUT', '/api/v1/segments/h2-wave', { included: ['u1', 'mallory'], version: 1 }),
        'segment',
      );
      expect(request.segment).toBe('h2-wave');
      expect((await production()).segments['h2-wave']?.included).toEqual(['u1']);

      const advanced = await call<{ currentStage: number }>(editor, 'POST', `${path}/advance`);
      expect(advanced.status).toBe(200);
      expect(advanced.body.currentStage).toBe(1);
      expect((await browser({ key: 'u1' }))['h2-launch']?.value).toBe(true);
      expect((await browser({ key: 'mallory' }))['h2-launch']?.value).toBe(false);
      expect((await production()).segments['h2-wave']?.included).toEqual(['u1']);
    });

    it('holds an edit of a segment a pending change request uses: the approver approves what they saw', async () => {
      await createSegment('m2-testers', ['u1']);
      await createFlag(
        { key: 'm2-feature', kind: 'boolean', clientSide: true },
        { enabled: true, offVariation: 'off', fallthrough: { variation: 'off' } },
      );
      const config = expectRequest(
        await call(
          editor,
          'PUT',
          '/api/v1/flags/m2-feature/environments/production',
          inSegment('m2-testers'),
          ANY_VERSION,
        ),
        'config',
      );
      const edit = expectRequest(
        await call(editor, 'PUT', '/api/v1/segments/m2-testers', {
          included: ['u1', 'mallory'],
          version: 1,
        }),
        'segment',
      );
      expect(edit.segment).toBe('m2-testers');

      await approve(config);
      expect((await production()).segments['m2-testers']?.included).toEqual(['u1']);
      expect((await browser({ key: 'u1' }))['m2-feature']?.value).toBe(true);
      expect((await browser({ key: 'mallory' }))['m2-feature']?.value).toBe(false);
    });
  });

  it("holds a change of a prerequisite flag's variations until approved", async () => {
    await createFlag(
      {
        key: 'payments',
        kind: 'string',
        variations: [
          { id: 'legacy', value: 'stripe' },
          { id: 'v2', value: 'adyen' },
        ],
      },
      { enabled: true, offVariation: 'legacy', fallthrough: { variation: 'v2' } },
    );
    await createFlag(
      { key: 'checkout-v2', kind: 'boolean', clientSide: true },
      {
        enabled: true,
        offVariation: 'off',
        prerequisites: [{ flag: 'payments', variation: 'v2' }],
        fallthrough: { variation: 'on' },
      },
    );
    const request = expectRequest(
      await call(editor, 'PATCH', '/api/v1/flags/payments', {
        variations: [
          { id: 'legacy', value: 'stripe' },
          { id: 'v2', value: 'mollie' },
        ],
      }),
      'flag',
    );
    expect((await production()).flags.payments?.variations[1]?.value).toBe('adyen');
    expect((await browser({ key: 'u1' }))['checkout-v2']?.value).toBe(true);

    await approve(request);
    expect((await production()).flags.payments?.variations[1]?.value).toBe('mollie');
  });

  it('never lets the author approve their own request, even with the approver role', async () => {
    await createFlag(
      { key: 'theme', kind: 'string', variations: [{ id: 'a', value: 'light' }] },
      { enabled: true, offVariation: 'a', fallthrough: { variation: 'a' } },
    );
    const request = expectRequest(
      await call(approver, 'PATCH', '/api/v1/flags/theme', { variations: [{ id: 'a', value: 'dark' }] }),
      'flag',
    );
    const own = await call(approver, 'POST', `/api/v1/change-requests/${request.id}/approve`);
    expect(own.status).toBe(403);
    expect((await production()).flags.theme?.variations[0]?.value).toBe('light');
    const other = await call<ChangeRequest>(
      otherApprover,
      'POST',
      `/api/v1/change-requests/${request.id}/approve`,
    );
    expect(other.body.state).toBe('applied');
    expect((await production()).flags.theme?.variations[0]?.value).toBe('dark');
  });

  it('turns a request whose base moved into a conflict that changes nothing', async () => {
    await createFlag(
      { key: 'sale', kind: 'string', variations: [{ id: 'a', value: '10%' }] },
      { enabled: true, offVariation: 'a', fallthrough: { variation: 'a' } },
    );
    const flagRequest = expectRequest(
      await call(editor, 'PATCH', '/api/v1/flags/sale', { variations: [{ id: 'a', value: '90%' }] }),
      'flag',
    );
    // A descriptive change applies at once, and moves the flag past the request's base version.
    expect((await call(editor, 'PATCH', '/api/v1/flags/sale', { description: 'spring sale' })).status).toBe(
      200,
    );
    const conflict = await call<{ changeRequest: ChangeRequest }>(
      approver,
      'POST',
      `/api/v1/change-requests/${flagRequest.id}/approve`,
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.changeRequest.state).toBe('conflict');
    expect((await production()).flags.sale?.variations[0]?.value).toBe('10%');

    expect((await call(admin, 'POST', '/api/v1/segments', { key: 'vip', included: ['u1'] })).status).toBe(
      201,
    );
    await createFlag(
      { key: 'vip-lounge', kind: 'boolean' },
      {
        enabled: true,
        offVariation: 'off',
        rules: [{ id: 'vip', clauses: [{ op: 'inSegment', values: ['vip'] }], serve: { variation: 'on' } }],
        fallthrough: { variation: 'off' },
      },
    );
    const segmentRequest = expectRequest(
      await call(editor, 'PUT', '/api/v1/segments/vip', { included: ['u1', 'mallory'], version: 1 }),
      'segment',
    );
    expect(
      (await call(editor, 'PUT', '/api/v1/segments/vip', { included: ['u1'], name: 'VIPs', version: 1 }))
        .status,
    ).toBe(200);
    const segmentConflict = await call(
      approver,
      'POST',
      `/api/v1/change-requests/${segmentRequest.id}/approve`,
    );
    expect(segmentConflict.status).toBe(409);
    expect((await production()).segments.vip?.included).toEqual(['u1']);
  });

  it('keeps the kill switch immediate for an editor', async () => {
    await createFlag(
      { key: 'risky', kind: 'boolean', clientSide: true },
      { enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } },
    );
    const off = await call(editor, 'POST', '/api/v1/flags/risky/environments/production/toggle', {
      enabled: false,
    });
    expect(off.status).toBe(200);
    expect((await browser({ key: 'u1' })).risky?.value).toBe(false);
  });

  it('refuses a PATCH of a flag against a stale ETag (no lost update)', async () => {
    expect((await call(admin, 'POST', '/api/v1/flags', { key: 'shared', kind: 'boolean' })).status).toBe(201);
    const read = await call(editor, 'GET', '/api/v1/flags/shared');
    const etag = read.headers.get('etag');
    expect(etag).toMatch(/^"\d+"$/);
    const first = await call(
      editor,
      'PATCH',
      '/api/v1/flags/shared',
      { description: 'mine' },
      { 'if-match': etag ?? '' },
    );
    expect(first.status).toBe(200);
    const second = await call(
      approver,
      'PATCH',
      '/api/v1/flags/shared',
      { description: 'theirs' },
      {
        'if-match': etag ?? '',
      },
    );
    expect(second.status).toBe(412);
    expect(second.headers.get('content-type')).toContain('application/problem+json');
    const now = await call<{ description: string }>(editor, 'GET', '/api/v1/flags/shared');
    expect(now.body.description).toBe('mine');
  });
});
