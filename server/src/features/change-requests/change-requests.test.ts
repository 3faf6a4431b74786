import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  configTables,
  createReviewApp,
  flagAudit,
  NEW_CHECKOUT_PRODUCTION as PRODUCTION,
  START,
} from '../../test-support/change-requests.js';
import { ANY_VERSION, type TestApp } from '../../test-support/test-app.js';
import type { Actor } from '../audit/audit-event.js';
import type { ChangeRequest } from './change-request.js';
import { createChangeRequestService } from './change-requests.service.js';
import { updateChangeRequestFrom } from './change-requests.store.js';
import { createChangeScheduler } from './change-scheduler.js';

type Problem = { status: number; detail: string; errors: { path: string }[]; changeRequest?: ChangeRequest };
type Config = { version: number; enabled: boolean; rules: { id: string }[] };
interface AuditItem {
  action: string;
  actor: Actor;
  comment?: string;
  changeRequestId?: string;
  onBehalfOf?: Actor;
}

const STAGING = '/api/v1/flags/new-checkout/environments/staging';
const staffConfig = {
  enabled: true,
  offVariation: 'off',
  rules: [
    {
      id: 'staff',
      clauses: [{ attribute: 'groups', op: 'in', values: ['staff'] }],
      serve: { variation: 'on' },
    },
  ],
  fallthrough: { variation: 'off' },
};

describe('change requests (four eyes)', () => {
  let t: TestApp;
  let now: Date;
  let approver: string;
  let editor: string;
  let viewer: string;

  beforeEach(async () => {
    now = START;
    ({ t, approver, editor } = await createReviewApp({ clock: () => now }));
    viewer = await t.tokenFor('viewer');
  });
  afterEach(() => t.close());

  const config = async (path = PRODUCTION) =>
    (await t.request<Config>('GET', path, { token: t.adminToken })).body;
  const post = <T = ChangeRequest & Problem>(path: string, token: string, body?: unknown) =>
    t.request<T>('POST', path, { token, body });
  const act = (id: number, action: string, token: string, body?: unknown) =>
    post(`/api/v1/change-requests/${id}/${action}`, token, body);
  const propose = async (token: string, body: object = staffConfig, path = PRODUCTION) => {
    const res = await t.request<ChangeRequest>('PUT', path, { token, body, headers: ANY_VERSION });
    expect(res.status).toBe(202);
    return res.body;
  };
  const audit = () => flagAudit<AuditItem>(t);

  it('turns a production write into a pending request that only another approver can approve', async () => {
    const created = await t.request<ChangeRequest>('PUT', PRODUCTION, {
      token: t.adminToken,
      body: { ...staffConfig, comment: 'staff first' },
      headers: { 'if-match': '"1"' },
    });
    expect(created.status).toBe(202);
    expect(created.headers.get('location')).toBe(`/api/v1/change-requests/${created.body.id}`);
    expect(created.body).toMatchObject({
      state: 'pending',
      flag: 'new-checkout',
      environment: 'production',
      kind: 'config',
      baseVersion: 1,
      author: { type: 'user', name: 'admin@example.com' },
      comment: 'staff first',
      applyAt: null,
      reviewer: null,
      appliedAt: null,
      conflict: null,
      createdAt: START.toISOString(),
    });
    expect(created.body.proposed).toMatchObject({
      key: 'new-checkout',
      version: 2,
      enabled: true,
      rules: [{ id: 'staff' }],
    });
    expect(await config()).toMatchObject({ version: 1, enabled: false });

    // An approver API token the author made stands for the author.
    const ownToken = await post<{ token: string }>('/api/v1/api-tokens', t.adminToken, {
      name: 'admin pipeline',
      role: 'approver',
    });
    const before = await t.dump();
    for (const token of [viewer, editor, t.adminToken, ownToken.body.token]) {
      const refused = await act(created.body.id, 'approve', token, { comment: 'me' });
      expect(refused.status).toBe(403);
      expect((await act(created.body.id, 'reject', token)).status).toBe(403);
    }
    expect(await t.dump()).toEqual(before);

    const approved = await act(created.body.id, 'approve', approver, { comment: 'LGTM' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({
      state: 'applied',
      reviewer: { type: 'user', name: 'approver@example.com' },
      reviewComment: 'LGTM',
      reviewedAt: START.toISOString(),
      appliedAt: START.toISOString(),
    });
    expect(await config()).toMatchObject({ version: 2, enabled: true, rules: [{ id: 'staff' }] });
    const got = await t.request<ChangeRequest>('GET', `/api/v1/change-requests/${created.body.id}`, {
      token: viewer,
    });
    expect(got.body).toEqual(approved.body);

    const events = await audit();
    const id = String(created.body.id);
    expect(events.slice(0, 3).map((e) => [e.action, e.changeRequestId, e.actor.name, e.comment])).toEqual([
      ['flag.config.update', id, 'approver@example.com', 'staff first'],
      ['change_request.approve', id, 'approver@example.com', 'LGTM'],
      ['change_request.create', id, 'admin@example.com', 'staff first'],
    ]);
    const chain = await t.request<{ ok: boolean }>('GET', '/api/v1/audit/verify', { token: t.adminToken });
    expect(chain.body.ok).toBe(true);
  });

  it('lets another approver reject, and only the author withdraw', async () => {
    const first = await propose(editor);
    expect((await act(first.id, 'reject', viewer)).status).toBe(403);
    const rejected = await act(first.id, 'reject', approver, { comment: 'not yet' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ state: 'rejected', reviewComment: 'not yet' });
    const late = await act(first.id, 'approve', t.adminToken);
    expect(late.status).toBe(409);

    const second = await propose(editor);
    expect((await act(second.id, 'withdraw', approver)).status).toBe(403);
    const withdrawn = await act(second.id, 'withdraw', editor);
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.state).toBe('withdrawn');
    expect(await config()).toMatchObject({ version: 1, enabled: false });
    const actions = (await audit()).map((e) => e.action);
    expect(actions.slice(0, 4)).toEqual([
      'change_request.withdraw',
      'change_request.create',
      'change_request.reject',
      'change_request.create',
    ]);
  });

  it('marks a request whose rule moved underneath it as conflict, changes nothing else, and answers 409', async () => {
    const stale = await propose(editor);
    // Someone else adds a different rule with the same id first.
    const otherStaff = { ...staffConfig.rules[0], serve: { variation: 'off' } };
    const fresh = await propose(t.adminToken, { ...staffConfig, enabled: false, rules: [otherStaff] });
    expect(fresh.id).not.toBe(stale.id);
    expect((await act(fresh.id, 'approve', approver)).status).toBe(200);
    const before = await configTables(t);
    const conflict = await act(stale.id, 'approve', approver, { comment: 'ok' });
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toContain('application/problem+json');
    expect(conflict.body.changeRequest).toMatchObject({
      id: stale.id,
      state: 'conflict',
      conflicts: [{ path: 'rules.staff', message: expect.any(String) }],
    });
    expect(conflict.body.changeRequest?.conflict).toMatch(/rules\.staff/);
    expect(await configTables(t)).toEqual(before);
    const stored = await t.request<ChangeRequest>('GET', `/api/v1/change-requests/${stale.id}`, {
      token: viewer,
    });
    expect(stored.body.state).toBe('conflict');
    expect((await audit())[0]).toMatchObject({
      action: 'change_request.conflict',
      changeRequestId: String(stale.id),
    });
  });

  it('undoes a flag change that no longer fits when approved, and records the conflict', async () => {
    const variations = [
      { id: 'calm', value: 'blue' },
      { id: 'loud', value: 'green' },
      { id: 'extra', value: 'pink' },
    ];
    await post('/api/v1/flags', t.adminToken, { key: 'banner', kind: 'string', variations });
    const proposed = await t.request<ChangeRequest>('PATCH', '/api/v1/flags/banner', {
      token: editor,
      body: { variations: [variations[0], { id: 'loud', value: 'red' }] },
    });
    expect(proposed.status).toBe(202);
    // Staging (no approval needed) starts serving the variation the proposal drops.
    const staging = await t.request('PUT', '/api/v1/flags/banner/environments/staging', {
      token: editor,
      body: { enabled: true, offVariation: 'calm', fallthrough: { variation: 'extra' } },
      headers: ANY_VERSION,
    });
    expect(staging.status).toBe(200);
    const flagBefore = (await t.request('GET', '/api/v1/flags/banner', { token: viewer })).body;

    const approved = await act(proposed.body.id, 'approve', approver);
    expect(approved.status).toBe(409);
    expect(approved.body.changeRequest).toMatchObject({ state: 'conflict' });
    expect(approved.body.changeRequest?.conflict).toMatch(/no longer valid/);
    // The flag row the application had already written is back as it was.
    expect((await t.request('GET', '/api/v1/flags/banner', { token: viewer })).body).toEqual(flagBefore);
    const events = (
      await t.request<{ items: AuditItem[] }>('GET', '/api/v1/audit?resource=banner', { token: t.adminToken })
    ).body.items;
    expect(events.slice(0, 2).map((e) => e.action)).toEqual([
      'change_request.conflict',
      'change_request.approve',
    ]);
    expect(events.map((e) => e.action)).not.toContain('flag.update');
    const chain = await t.request<{ ok: boolean }>('GET', '/api/v1/audit/verify', { token: t.adminToken });
    expect(chain.body.ok).toBe(true);
  });

  it('turns a flag off at once for an editor, even with a request pending (kill switch)', async () => {
    const on = await post(`${PRODUCTION}/toggle`, editor, { enabled: true });
    expect(on.status).toBe(202);
    expect(on.body).toMatchObject({
      kind: 'toggle',
      state: 'pending',
      proposed: { enabled: true, version: 2 },
    });
    expect((await act(on.body.id, 'approve', approver)).body.state).toBe('applied');
    expect(await config()).toMatchObject({ enabled: true, version: 2 });

    const pending = await propose(editor);
    const off = await post<Config>(`${PRODUCTION}/toggle`, editor, { enabled: false, comment: 'incident' });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ enabled: false, version: 3 });
    const stillPending = await t.request<ChangeRequest>('GET', `/api/v1/change-requests/${pending.id}`, {
      token: editor,
    });
    expect(stillPending.body.state).toBe('pending');
    // A config write whose only change is switching off is the kill switch too.
    const proposedOn = await propose(editor);
    expect((await act(proposedOn.id, 'withdraw', editor)).status).toBe(200);
  });

  it('applies a config PUT that only turns the flag off at once', async () => {
    const on = await post(`${PRODUCTION}/toggle`, editor, { enabled: true });
    await act(on.body.id, 'approve', approver);
    const current = await config();
    const off = await t.request<Config>('PUT', PRODUCTION, {
      token: editor,
      body: { ...current, enabled: false },
    });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ enabled: false, version: 3 });
  });

  it('lists requests newest first, filtered by state, flag and environment', async () => {
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'other', kind: 'boolean' },
    });
    const a = await propose(editor);
    const b = await propose(editor, staffConfig, '/api/v1/flags/other/environments/production');
    const c = await propose(t.adminToken);
    await act(c.id, 'withdraw', t.adminToken);
    const list = (query: string) =>
      t.request<{ items: ChangeRequest[] }>('GET', `/api/v1/change-requests${query}`, { token: viewer });
    expect((await list('')).body.items.map((r) => r.id)).toEqual([c.id, b.id, a.id]);
    expect((await list('?state=pending')).body.items.map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await list('?state=pending,withdrawn&flag=new-checkout')).body.items.map((r) => r.id)).toEqual([
      c.id,
      a.id,
    ]);
    expect((await list('?environment=staging')).body.items).toEqual([]);
    expect((await list('?state=open')).status).toBe(400);
    expect((await t.request('GET', '/api/v1/change-requests/999', { token: viewer })).status).toBe(404);
  });

  it('keeps a token limited to other environments from reviewing', async () => {
    const pending = await propose(editor);
    const staging = await post<{ token: string }>('/api/v1/api-tokens', t.adminToken, {
      name: 'staging approver',
      role: 'approver',
      environments: ['staging'],
    });
    expect((await act(pending.id, 'approve', staging.body.token)).status).toBe(403);
  });

  it('refuses a token made by another token from approving its maker’s change', async () => {
    const pipeline = await post<{ token: string }>('/api/v1/api-tokens', t.adminToken, {
      name: 'pipeline',
      role: 'admin',
    });
    const minted = await post<{ token: string }>('/api/v1/api-tokens', pipeline.body.token, {
      name: 'minted',
      role: 'approver',
    });
    const pending = await propose(t.adminToken);
    expect((await act(pending.id, 'approve', minted.body.token)).status).toBe(403);
  });

  it('refuses applyAt in the past or malformed, and over-long comments, writing nothing', async () => {
    const before = await t.dump();
    const past = await t.request<Problem>('PUT', STAGING, {
      token: editor,
      body: { ...staffConfig, applyAt: '2026-05-01T09:59:59Z' },
      headers: ANY_VERSION,
    });
    expect(past.status).toBe(400);
    expect(past.body.errors[0]?.path).toBe('applyAt');
    for (const applyAt of ['tomorrow', '2026-05-01 12:00', '2026-13-01T00:00:00Z']) {
      const malformed = await t.request<Problem>('POST', `${STAGING}/toggle`, {
        token: editor,
        body: { enabled: true, applyAt },
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body.errors[0]?.path).toBe('applyAt');
    }
    const long = await t.request<Problem>('PUT', PRODUCTION, {
      token: editor,
      body: { ...staffConfig, comment: 'x'.repeat(1001) },
      headers: ANY_VERSION,
    });
    expect(long.status).toBe(400);
    const invalid = await t.request<Problem>('PUT', PRODUCTION, {
      token: editor,
      body: { ...staffConfig, fallthrough: { variation: 'maybe' } },
      headers: ANY_VERSION,
    });
    expect(invalid.status).toBe(400);
    const badReview = await t.request<Problem>('POST', '/api/v1/change-requests/1/approve', {
      token: approver,
      raw: '{"comment":',
    });
    expect(badReview.status).toBe(400);
    expect(await t.dump()).toEqual(before);
  });
});

describe('scheduled changes', () => {
  let t: TestApp;
  let now: Date;
  let editor: string;
  let approver: string;
  const later = (minutes: number) => new Date(START.getTime() + minutes * 60_000).toISOString();

  beforeEach(async () => {
    now = START;
    ({ t, approver, editor } = await createReviewApp({ clock: () => now }));
  });
  afterEach(() => t.close());

  /** A scheduler of its own, as another replica would build it. */
  const scheduler = () =>
    createChangeScheduler({
      changeRequests: createChangeRequestService(t.deps),
      logger: t.deps.logger,
      isLeader: () => true,
    });
  const config = async (path: string) => (await t.request<Config>('GET', path, { token: t.adminToken })).body;

  it('schedules a write with applyAt where no approval is needed, and applies it when due', async () => {
    const scheduled = await t.request<ChangeRequest>('PUT', STAGING, {
      token: editor,
      body: { ...staffConfig, applyAt: '2026-05-01T12:30:00+02:00', comment: 'launch' },
      headers: ANY_VERSION,
    });
    expect(scheduled.status).toBe(202);
    expect(scheduled.body).toMatchObject({ state: 'scheduled', applyAt: later(30), baseVersion: 1 });
    const s = scheduler();
    expect(await s.tick()).toEqual([]);
    now = new Date(later(30));
    const applied = await s.tick();
    expect(applied.map((r) => [r.id, r.state, r.appliedAt])).toEqual([
      [scheduled.body.id, 'applied', later(30)],
    ]);
    expect(await config(STAGING)).toMatchObject({ version: 2, enabled: true });
    expect(await s.tick()).toEqual([]);
    const events = await t.request<{ items: AuditItem[] }>('GET', '/api/v1/audit?resource=new-checkout', {
      token: t.adminToken,
    });
    expect(events.body.items[0]).toMatchObject({
      action: 'flag.config.update',
      actor: { type: 'system', id: 'scheduler', name: 'scheduler' },
      onBehalfOf: { type: 'user', name: 'editor@example.com' },
      changeRequestId: String(scheduled.body.id),
      comment: 'launch',
    });
    const chain = await t.request<{ ok: boolean }>('GET', '/api/v1/audit/verify', { token: t.adminToken });
    expect(chain.body.ok).toBe(true);
  });

  it('makes a change scheduled without review wait for one when its environment starts requiring approval', async () => {
    const scheduled = await t.request<ChangeRequest>('PUT', STAGING, {
      token: editor,
      body: { ...staffConfig, applyAt: later(30) },
      headers: ANY_VERSION,
    });
    expect(scheduled.body.state).toBe('scheduled');
    const turnedOn = await t.request('PATCH', '/api/v1/environments/staging', {
      token: t.adminToken,
      body: { requireApproval: true },
    });
    expect(turnedOn.status).toBe(200);
    const waiting = await t.request<ChangeRequest>('GET', `/api/v1/change-requests/${scheduled.body.id}`, {
      token: editor,
    });
    expect(waiting.body.state).toBe('pending');
    now = new Date(later(30));
    expect(await scheduler().tick()).toEqual([]);
    expect(await config(STAGING)).toMatchObject({ version: 1, enabled: false });
    const approved = await t.request<ChangeRequest>(
      'POST',
      `/api/v1/change-requests/${scheduled.body.id}/approve`,
      {
        token: approver,
        body: { comment: 'reviewed after all' },
      },
    );
    expect(approved.body.state).toBe('applied');
    expect(await config(STAGING)).toMatchObject({ version: 2, enabled: true });
    const chain = await t.request<{ ok: boolean }>('GET', '/api/v1/audit/verify', { token: t.adminToken });
    expect(chain.body.ok).toBe(true);
  });

  it('schedules an approved production request, and lets the author or an admin cancel', async () => {
    const pending = await t.request<ChangeRequest>('POST', `${PRODUCTION}/toggle`, {
      token: editor,
      body: { enabled: true, applyAt: later(60) },
    });
    expect(pending.body.state).toBe('pending');
    const approved = await t.request<ChangeRequest>(
      'POST',
      `/api/v1/change-requests/${pending.body.id}/approve`,
      {
        token: approver,
      },
    );
    expect(approved.body).toMatchObject({ state: 'scheduled', appliedAt: null });
    expect(await config(PRODUCTION)).toMatchObject({ enabled: false });

    const other = await t.request<ChangeRequest>('POST', `${STAGING}/toggle`, {
      token: editor,
      body: { enabled: true, applyAt: later(60) },
    });
    expect(other.body.state).toBe('scheduled');
    const cancel = (id: number, token: string) =>
      t.request<ChangeRequest>('POST', `/api/v1/change-requests/${id}/cancel`, { token });
    expect((await cancel(other.body.id, approver)).status).toBe(403);
    expect((await cancel(other.body.id, editor)).body.state).toBe('cancelled');
    expect((await cancel(other.body.id, editor)).status).toBe(409);

    now = new Date(later(61));
    expect((await scheduler().tick()).map((r) => r.id)).toEqual([pending.body.id]);
    expect(await config(PRODUCTION)).toMatchObject({ enabled: true });
    expect(await config(STAGING)).toMatchObject({ enabled: false });
  });

  it('applies a due change once when two replicas pass at the same time', async () => {
    const scheduled = await t.request<ChangeRequest>('PUT', STAGING, {
      token: editor,
      body: { ...staffConfig, applyAt: later(5) },
      headers: ANY_VERSION,
    });
    now = new Date(later(5));
    const passes = await Promise.all([scheduler().tick(), scheduler().tick(), scheduler().tick()]);
    expect(passes.flat().map((r) => r.id)).toEqual([scheduled.body.id]);
    expect(await config(STAGING)).toMatchObject({ version: 2, enabled: true });
    const writes = await t.request<{ items: AuditItem[] }>(
      'GET',
      '/api/v1/audit?resource=new-checkout&action=flag.config.update',
      { token: t.adminToken },
    );
    expect(writes.body.items.map((e) => e.changeRequestId)).toEqual([String(scheduled.body.id)]);
  });

  it('moves a request out of a state once: a second move from the same state changes nothing', async () => {
    const scheduled = await t.request<ChangeRequest>('PUT', STAGING, {
      token: editor,
      body: { ...staffConfig, applyAt: later(5) },
      headers: ANY_VERSION,
    });
    const move = () =>
      t.database.transaction((tx) =>
        updateChangeRequestFrom(tx, scheduled.body.id, 'scheduled', {
          state: 'cancelled',
          updatedAt: later(1),
        }),
      );
    expect(await move()).toMatchObject({ id: scheduled.body.id, state: 'cancelled' });
    expect(await move()).toBeUndefined();
  });

  it('applies due changes on start only where this replica leads', async () => {
    const scheduled = await t.request<ChangeRequest>('PUT', STAGING, {
      token: editor,
      body: { ...staffConfig, applyAt: later(5) },
      headers: ANY_VERSION,
    });
    now = new Date(later(5));
    const state = async () =>
      (
        await t.request<ChangeRequest>('GET', `/api/v1/change-requests/${scheduled.body.id}`, {
          token: editor,
        })
      ).body.state;
    const changeRequests = createChangeRequestService(t.deps);
    const follower = createChangeScheduler({ changeRequests, logger: t.deps.logger, isLeader: () => false });
    await follower.start();
    expect(await state()).toBe('scheduled');
    await follower.stop();
    const leader = createChangeScheduler({ changeRequests, logger: t.deps.logger, isLeader: () => true });
    await leader.start();
    expect(await state()).toBe('applied');
    await leader.stop();
  });

  it('turns a scheduled change whose rule moved underneath it into a conflict', async () => {
    const scheduled = await t.request<ChangeRequest>('PUT', STAGING, {
      token: editor,
      body: { ...staffConfig, applyAt: later(10) },
      headers: ANY_VERSION,
    });
    const otherStaff = { ...staffConfig.rules[0], serve: { variation: 'off' } };
    const moved = await t.request('PUT', STAGING, {
      token: editor,
      body: { ...staffConfig, enabled: false, rules: [otherStaff] },
      headers: ANY_VERSION,
    });
    expect(moved.status).toBe(200);
    now = new Date(later(10));
    const [conflict] = await scheduler().tick();
    expect(conflict).toMatchObject({
      id: scheduled.body.id,
      state: 'conflict',
      conflicts: [{ path: 'rules.staff' }],
    });
    expect(await config(STAGING)).toMatchObject({ version: 2, enabled: false, rules: [otherStaff] });
  });

  it('applies a scheduled change to the config as it is when due, keeping what changed meanwhile', async () => {
    const scheduled = await t.request<ChangeRequest>('PUT', STAGING, {
      token: editor,
      body: { ...staffConfig, applyAt: later(10) },
      headers: ANY_VERSION,
    });
    const targets = [{ variation: 'on', keys: ['alice'] }];
    const meanwhile = await t.request('PUT', STAGING, {
      token: editor,
      body: { enabled: false, offVariation: 'off', targets, fallthrough: { variation: 'on' } },
      headers: ANY_VERSION,
    });
    expect(meanwhile.status).toBe(200);
    now = new Date(later(10));
    const [applied] = await scheduler().tick();
    expect(applied).toMatchObject({ id: scheduled.body.id, state: 'applied', conflicts: null });
    expect(await config(STAGING)).toMatchObject({
      version: 3,
      enabled: true,
      rules: staffConfig.rules,
      targets,
      fallthrough: staffConfig.fallthrough,
    });
  });
});
