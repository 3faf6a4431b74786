import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../server.js';
import {
  createReviewApp,
  flagAudit,
  NEW_CHECKOUT_PRODUCTION as PRODUCTION,
  START,
} from '../../test-support/change-requests.js';
import { ADMIN, ANY_VERSION, type TestApp } from '../../test-support/test-app.js';
import { createTestDatabase } from '../../test-support/test-database.js';
import { loginAsAdmin } from '../../testing.js';
import type { ConfigChangeRequest } from './change-request.js';
import { updateChangeRequestFrom } from './change-requests.store.js';

type Problem = { status: number; detail: string; errors?: { path: string; message: string }[] };
type Answer = ConfigChangeRequest & Problem & { changeRequest?: ConfigChangeRequest };
type Config = { version: number; enabled: boolean; rules: { id: string }[]; prerequisites: unknown[] };
interface AuditItem {
  action: string;
  before: unknown;
  after: unknown;
  changeRequestId?: string;
}

const live = { enabled: false, offVariation: 'off', fallthrough: { variation: 'on' } };
const rule = (id: string, values = [id], extra: object = {}) => ({
  id,
  clauses: [{ attribute: 'groups', op: 'in', values }],
  serve: { variation: 'on' },
  ...extra,
});

describe('a change request approves what its reviewer saw', () => {
  let t: TestApp;
  let approver: string;
  let editor: string;

  beforeEach(async () => {
    ({ t, approver, editor } = await createReviewApp({ clock: () => START }));
  });
  afterEach(() => t.close());

  const config = async () => (await t.request<Config>('GET', PRODUCTION, { token: t.adminToken })).body;
  const get = (id: number) =>
    t.request<ConfigChangeRequest & Problem>('GET', `/api/v1/change-requests/${id}`, { token: editor });
  const put = (token: string, body: object) =>
    t.request<Answer>('PUT', PRODUCTION, { token, body, headers: ANY_VERSION });
  const toggle = (token: string, enabled: boolean, extra: object = {}) =>
    t.request<Answer>('POST', `${PRODUCTION}/toggle`, { token, body: { enabled, ...extra } });
  const decide = (id: number, action: 'approve' | 'reject', token: string, body?: object) =>
    t.request<Answer>('POST', `/api/v1/change-requests/${id}/${action}`, { token, body });
  const token = async (as: string, role: string) =>
    (
      await t.request<{ token: string }>('POST', '/api/v1/api-tokens', {
        token: as,
        body: { name: `${role} pipeline`, role },
      })
    ).body.token;
  const audit = () => flagAudit<AuditItem>(t);

  it('counts revisions, and refuses to approve or reject one the author changed since, changing nothing', async () => {
    const saved = await put(editor, { ...live, rules: [rule('staff')] });
    expect(saved.body.revision).toBe(1);
    // The reviewer loads revision 1; the author then adds turning it on.
    const seen = (await get(saved.body.id)).body;
    const grown = await toggle(editor, true);
    expect(grown.body).toMatchObject({ id: saved.body.id, revision: 2 });
    // The same write again changes nothing, and keeps the revision.
    expect((await toggle(editor, true)).body.revision).toBe(2);

    const before = await t.dump();
    for (const action of ['approve', 'reject'] as const) {
      const stale = await decide(seen.id, action, approver, { comment: 'ok', revision: seen.revision });
      expect(stale.status).toBe(409);
      expect(stale.headers.get('content-type')).toContain('application/problem+json');
      expect(stale.body.detail).toMatch(/changed since it was loaded.*revision 2, not 1/);
    }
    expect(await t.dump()).toEqual(before);
    expect((await decide(seen.id, 'approve', approver, { revision: 0 })).status).toBe(400);
    expect((await decide(seen.id, 'approve', approver, { revision: '2' })).status).toBe(400);

    // A later applyAt is a change the reviewer must see too.
    const later = await toggle(editor, true, { applyAt: '2026-05-02T10:00:00Z' });
    expect(later.body.revision).toBe(3);
    const approved = await decide(seen.id, 'approve', approver, { revision: 3 });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'scheduled', revision: 3 });
    // Scheduled: the author's next write opens a new request, the approved one stays as it was.
    const next = await put(editor, { ...live, fallthrough: { variation: 'off' } });
    expect(next.status).toBe(202);
    expect(next.body).toMatchObject({ state: 'pending', revision: 1 });
    expect(next.body.id).not.toBe(seen.id);
    expect((await get(seen.id)).body).toMatchObject({ state: 'scheduled', revision: 3 });
    expect((await get(seen.id)).body.operations).toEqual(later.body.operations);
  });

  it('never lets an approver who wrote a merged request approve it, through a token either', async () => {
    // The admin (an approver too) writes, and adds to it through a token of theirs.
    const author = t.adminToken;
    const pipeline = await token(author, 'editor');
    const opened = await put(author, { ...live, rules: [rule('staff')] });
    const merged = await toggle(pipeline, true);
    expect(merged.body).toMatchObject({ id: opened.body.id, revision: 2 });
    const ownApprover = await token(author, 'approver');
    const before = await t.dump();
    for (const as of [author, pipeline, ownApprover]) {
      const refused = await decide(opened.body.id, 'approve', as, { revision: 2 });
      expect(refused.status).toBe(403);
    }
    expect(await t.dump()).toEqual(before);
    const other = await decide(opened.body.id, 'approve', approver, { revision: 2 });
    expect(other.status).toBe(200);
    expect(await config()).toMatchObject({ enabled: true, rules: [{ id: 'staff' }] });
  });

  it('keeps someone else from adding to a request: their write opens their own', async () => {
    const mine = await put(editor, { ...live, rules: [rule('staff')] });
    const theirs = await toggle(approver, true);
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.body).toMatchObject({ revision: 1, author: { name: 'approver@example.com' } });
    expect(theirs.body.operations).toEqual([{ op: 'set', field: 'enabled', before: false, after: true }]);
    const untouched = (await get(mine.body.id)).body;
    expect(untouched).toMatchObject({ revision: 1, operations: mine.body.operations });
  });

  it('shows and applies the turn-on a reviewer approved, even after a kill switch', async () => {
    const request = await put(editor, { ...live, enabled: true, rules: [rule('staff')] });
    // Someone else's turn-on is approved, then an incident: the kill switch applies at once.
    const other = await toggle(t.adminToken, true);
    expect((await decide(other.body.id, 'approve', approver)).body.state).toBe('applied');
    const killed = await toggle(editor, false, { comment: 'incident' });
    expect(killed.status).toBe(200);
    expect(await config()).toMatchObject({ enabled: false });
    // What the reviewer sees still says "turn on", against the config as it is now (off).
    const seen = (await get(request.body.id)).body;
    expect(seen.operations).toContainEqual({ op: 'set', field: 'enabled', before: false, after: true });
    expect(seen).toMatchObject({
      state: 'pending',
      revision: 1,
      conflicts: null,
      proposed: { enabled: true },
    });
    const approved = await decide(request.body.id, 'approve', approver, { revision: seen.revision });
    expect(approved.body.state).toBe('applied');
    expect(await config()).toMatchObject({ enabled: true, rules: [{ id: 'staff' }] });
  });

  it('describes operations that no longer apply as conflicts, never a 500, and approves none of them', async () => {
    await t.request('POST', '/api/v1/flags', {
      token: t.adminToken,
      body: { key: 'payments', kind: 'boolean' },
    });
    await t.request('POST', '/api/v1/segments', {
      token: t.adminToken,
      body: { key: 'beta', name: 'Beta', included: ['u1'] },
    });
    const prerequisite = await put(editor, {
      ...live,
      prerequisites: [{ flag: 'payments', variation: 'on' }],
    });
    const inSegment = {
      id: 'beta',
      clauses: [{ op: 'inSegment', values: ['beta'] }],
      serve: { variation: 'on' },
    };
    const segmentRequest = await put(approver, { ...live, rules: [inSegment] });
    expect(segmentRequest.body.id).not.toBe(prerequisite.body.id);
    const removed = await put(t.adminToken, { ...live, rules: [rule('gone')] });
    await decide(removed.body.id, 'approve', approver);
    const changeGone = await put(editor, { ...live, rules: [rule('gone', ['other'])] });
    expect(changeGone.body.id).toBe(prerequisite.body.id);

    // The prerequisite flag is archived (approved), the segment deleted however it went, the rule removed.
    const archive = await t.request<Answer>('POST', '/api/v1/flags/payments/archive', { token: editor });
    if (archive.status === 202) await decide(archive.body.id, 'approve', approver);
    expect(
      (await t.request<{ archived: boolean }>('GET', '/api/v1/flags/payments', { token: editor })).body,
    ).toMatchObject({ archived: true });
    await t.query('delete from segments where key = $1', ['beta']);
    const gone = await put(t.adminToken, { ...live, rules: [] });
    expect((await decide(gone.body.id, 'approve', approver)).body.state).toBe('applied');

    const list = await t.request<{ items: ConfigChangeRequest[] }>(
      'GET',
      '/api/v1/change-requests?state=pending',
      {
        token: editor,
      },
    );
    expect(list.status).toBe(200);
    const shown = await get(prerequisite.body.id);
    expect(shown.status).toBe(200);
    expect(shown.body.state).toBe('pending');
    expect(shown.body.conflicts).toEqual(
      expect.arrayContaining([
        { path: 'rules.gone', message: 'removed since the request was made' },
        { path: 'prerequisites', message: 'prerequisites[0].flag: unknown flag "payments"' },
      ]),
    );
    const segmentShown = await get(segmentRequest.body.id);
    expect(segmentShown.status).toBe(200);
    expect(segmentShown.body.conflicts).toEqual([
      { path: 'rules.beta', message: 'clauses[0].values[0]: unknown segment "beta"' },
    ]);
    expect(list.body.items.find((item) => item.id === segmentRequest.body.id)?.conflicts).toEqual(
      segmentShown.body.conflicts,
    );

    const configBefore = await config();
    const moved = await decide(prerequisite.body.id, 'approve', approver);
    expect(moved.status).toBe(409);
    expect(moved.body.changeRequest).toMatchObject({
      state: 'conflict',
      conflicts: [{ path: 'rules.gone', message: 'removed since the request was made' }],
    });
    const invalid = await decide(segmentRequest.body.id, 'approve', t.adminToken);
    expect(invalid.status).toBe(409);
    expect(invalid.body.changeRequest).toMatchObject({
      state: 'conflict',
      conflicts: segmentShown.body.conflicts,
    });
    expect(invalid.body.detail).toMatch(/no longer valid: rules\.beta: .*unknown segment "beta"/);
    expect(await config()).toEqual(configBefore);
  });

  it('refuses a write that would make the merged request invalid, with field paths, changing nothing', async () => {
    const many = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => rule(`${prefix}${i}`));
    const first = await put(editor, { ...live, rules: many('a', 120) });
    expect(first.status).toBe(202);
    const before = await t.dump();
    // Each write alone is valid; together they are more rules than a config may hold.
    const second = await put(editor, { ...live, rules: many('b', 120) });
    expect(second.status).toBe(400);
    expect(second.body.detail).toMatch(/invalid config/);
    expect(second.body.errors?.map((e) => e.path)).toContain('rules');
    expect(await t.dump()).toEqual(before);
  });

  it('audits a merge with the operations before and after', async () => {
    const first = await put(editor, { ...live, rules: [rule('staff')] });
    const second = await toggle(editor, true);
    expect((await audit())[0]).toMatchObject({
      action: 'change_request.update',
      changeRequestId: String(first.body.id),
      before: first.body.operations,
      after: second.body.operations,
    });
  });

  it('changes a request only while it is pending at the revision read, on either database', async () => {
    const opened = await put(editor, { ...live, rules: [rule('staff')] });
    const id = opened.body.id;
    // Another write approves it while this one holds the revision it read (1).
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let approving: (() => void) | undefined;
    const approved = new Promise<void>((resolve) => {
      approving = resolve;
    });
    const approval = t.database.transaction(async (tx) => {
      const row = await updateChangeRequestFrom(tx, id, 'pending', { state: 'approved' }, 1);
      approving?.();
      await gate;
      return row;
    });
    await approved;
    const merge = t.database.transaction((tx) =>
      updateChangeRequestFrom(tx, id, 'pending', { operations: [], revision: 2 }, 1),
    );
    release();
    expect(await approval).toMatchObject({ state: 'approved', revision: 1 });
    expect(await merge).toBeUndefined();
    const [row] = await t.query<{ state: string; revision: number }>(
      'select state, revision from change_requests where id = $1',
      [id],
    );
    expect(row).toMatchObject({ state: 'approved', revision: 1 });
    // A stale revision moves nothing either.
    expect(
      await t.database.transaction((tx) =>
        updateChangeRequestFrom(tx, id, 'approved', { state: 'applied' }, 7),
      ),
    ).toBeUndefined();
  });
});

describe('change request size', () => {
  let t: TestApp;
  let editor: string;
  let approver: string;
  const LIMIT = 256 * 1024;

  beforeEach(async () => {
    ({ t, approver, editor } = await createReviewApp({ clock: () => START, bodyLimitBytes: LIMIT }));
  });
  afterEach(() => t.close());

  const put = (token: string, body: object) =>
    t.request<Answer>('PUT', PRODUCTION, { token, body, headers: ANY_VERSION });
  const decide = (id: number) =>
    t.request<Answer>('POST', `/api/v1/change-requests/${id}/approve`, { token: approver });
  /** About `kb` KB of distinct 1,000-character strings. */
  const strings = (tag: string, kb: number) =>
    Array.from({ length: kb }, (_, i) => `${tag}${i}-`.padEnd(1000, tag));
  const bigRule = (id: string, kb: number) => rule(id, strings(id, kb));
  const bigTargets = (tag: string, kb: number) => [{ variation: 'on', keys: strings(tag, kb) }];

  it('bounds what a pending request grows to by the body limit, write after write (413, nothing changed)', async () => {
    // Every write is under the limit; merged, the config would be twice as big.
    const first = await put(editor, { ...live, rules: [bigRule('r', 150)] });
    expect(first.status).toBe(202);
    const before = await t.dump();
    const second = await put(editor, { ...live, targets: bigTargets('t', 150) });
    expect(second.status).toBe(413);
    expect(second.body.detail).toMatch(/config of \d+ bytes, over the 262144-byte limit/);
    expect(await t.dump()).toEqual(before);
  });

  it('bounds the operations, whose before values come from configs live at different times', async () => {
    // Live: big targets (approved), which the editor's request clears.
    const targets = await put(t.adminToken, { ...live, targets: bigTargets('t', 230) });
    expect((await decide(targets.body.id)).body.state).toBe('applied');
    const mine = await put(editor, { ...live, targets: [] });
    expect(mine.status).toBe(202);
    // Live then: no targets, a big rule (approved); the editor's next write replaces that rule.
    const rules = await put(t.adminToken, { ...live, targets: [], rules: [bigRule('a', 230)] });
    expect((await decide(rules.body.id)).body.state).toBe('applied');
    const before = await t.dump();
    const replaced = await put(editor, { ...live, targets: [], rules: [bigRule('b', 230)] });
    expect(replaced.status).toBe(413);
    expect(replaced.body.detail).toMatch(/operations would take \d+ bytes/);
    expect(await t.dump()).toEqual(before);
  });
});

describe('approving while its author adds to the request, on a real server', () => {
  it('ends with the approval of what the reviewer saw and a new request, or a 409 and the addition in it', async () => {
    const database = await createTestDatabase();
    const server = await startServer({
      db: database.location,
      auditKeyFile: `${database.dir}/audit-signing.pem`,
      admin: ADMIN,
      logLevel: 'silent',
      print: () => {},
    });
    try {
      const call = async <T = Answer>(token: string, method: string, path: string, body?: unknown) => {
        const response = await fetch(`${server.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            ...(method === 'PUT' ? ANY_VERSION : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: response.status, body: (await response.json()) as T };
      };
      const admin = await loginAsAdmin(server.url, ADMIN.email, ADMIN.password);
      const user = async (role: string) => {
        const email = `${role}@example.com`;
        await call(admin, 'POST', '/api/v1/users', { email, password: 'password-123', role });
        return loginAsAdmin(server.url, email, 'password-123');
      };
      const editor = await user('editor');
      const approver = await user('approver');
      const outcomes: number[] = [];
      for (let round = 0; round < 6; round++) {
        const flag = `race-${round}`;
        const path = `/api/v1/flags/${flag}/environments/production`;
        expect((await call(admin, 'POST', '/api/v1/flags', { key: flag, kind: 'boolean' })).status).toBe(201);
        const opened = await call(editor, 'PUT', path, { ...live, rules: [rule('staff')] });
        expect(opened.status).toBe(202);
        const seen = (await call(editor, 'GET', `/api/v1/change-requests/${opened.body.id}`)).body;
        const [approval, addition] = await Promise.all([
          call(approver, 'POST', `/api/v1/change-requests/${seen.id}/approve`, { revision: seen.revision }),
          call(editor, 'POST', `${path}/toggle`, { enabled: true }),
        ]);
        outcomes.push(approval.status);
        expect(addition.status).toBe(202);
        const now = (await call(editor, 'GET', `/api/v1/change-requests/${seen.id}`)).body;
        const config = (await call<Config>(admin, 'GET', path)).body;
        if (approval.status === 200) {
          // Approved first: exactly what the reviewer saw applied; the addition is a request of its own.
          expect(approval.body).toMatchObject({ state: 'applied', revision: seen.revision });
          expect(approval.body.operations).toEqual(seen.operations);
          expect(now).toMatchObject({
            state: 'applied',
            revision: seen.revision,
            operations: seen.operations,
          });
          expect(addition.body.id).not.toBe(seen.id);
          expect(addition.body).toMatchObject({ state: 'pending', revision: 1 });
          expect(config).toMatchObject({ version: 2, enabled: false, rules: [{ id: 'staff' }] });
        } else {
          // Added to first: the approval of the revision seen is refused, and nothing applied.
          expect(approval.status).toBe(409);
          expect(approval.body.detail).toMatch(/changed since it was loaded/);
          expect(addition.body).toMatchObject({ id: seen.id, revision: seen.revision + 1 });
          expect(now).toMatchObject({ state: 'pending', revision: seen.revision + 1 });
          expect(now.operations).toContainEqual({ op: 'set', field: 'enabled', before: false, after: true });
          expect(config).toMatchObject({ version: 1, enabled: false, rules: [] });
        }
      }
      expect(outcomes.every((status) => status === 200 || status === 409)).toBe(true);
    } finally {
      await server.close();
      await database.drop();
    }
  });
});
