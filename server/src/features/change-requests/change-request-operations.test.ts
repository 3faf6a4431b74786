import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  configTables,
  createReviewApp,
  flagAudit,
  NEW_CHECKOUT_PRODUCTION as PRODUCTION,
  START,
} from '../../test-support/change-requests.js';
import { ANY_VERSION, type TestApp } from '../../test-support/test-app.js';
import type { ChangeRequest, ConfigChangeRequest } from './change-request.js';

type Problem = { status: number; detail: string; changeRequest?: ConfigChangeRequest };
type Config = { version: number; enabled: boolean; rules: { id: string }[]; fallthrough: unknown };
interface AuditItem {
  action: string;
  before: unknown;
  after: unknown;
  changeRequestId?: string;
}

const staff = {
  id: 'staff',
  clauses: [{ attribute: 'groups', op: 'in', values: ['staff'] }],
  serve: { variation: 'on' },
};
const fivePercent = {
  rollout: {
    salt: 'new-checkout',
    variations: [
      { variation: 'on', weight: 5000 },
      { variation: 'off', weight: 95000 },
    ],
  },
};
/** Production as a new flag has it: off, and serving on once turned on. */
const live = { enabled: false, offVariation: 'off', fallthrough: { variation: 'on' } };

describe('change requests hold operations', () => {
  let t: TestApp;
  let now: Date;
  let approver: string;
  let editor: string;

  beforeEach(async () => {
    now = START;
    ({ t, approver, editor } = await createReviewApp({ clock: () => now }));
  });
  afterEach(() => t.close());

  const config = async () => (await t.request<Config>('GET', PRODUCTION, { token: t.adminToken })).body;
  const get = async (id: number) =>
    (await t.request<ConfigChangeRequest>('GET', `/api/v1/change-requests/${id}`, { token: editor })).body;
  const put = (token: string, body: object) =>
    t.request<ConfigChangeRequest>('PUT', PRODUCTION, { token, body, headers: ANY_VERSION });
  const toggle = (token: string, enabled: boolean, extra: object = {}) =>
    t.request<ConfigChangeRequest>('POST', `${PRODUCTION}/toggle`, { token, body: { enabled, ...extra } });
  const approve = (id: number) =>
    t.request<ConfigChangeRequest & Problem>('POST', `/api/v1/change-requests/${id}/approve`, {
      token: approver,
    });
  const pending = async () =>
    (
      await t.request<{ items: ChangeRequest[] }>('GET', '/api/v1/change-requests?state=pending', {
        token: editor,
      })
    ).body.items;
  const audit = () => flagAudit<AuditItem>(t);

  it('launches with one request: saving targeting and turning on go into it, one approval applies both', async () => {
    const saved = await put(editor, { ...live, rules: [staff], fallthrough: fivePercent, comment: 'launch' });
    expect(saved.status).toBe(202);
    expect(saved.body).toMatchObject({ kind: 'config', state: 'pending', baseVersion: 1, conflicts: null });
    expect(saved.body.operations).toEqual([
      { op: 'set', field: 'fallthrough', before: { variation: 'on' }, after: fivePercent },
      { op: 'addRule', rule: staff, afterRule: null },
    ]);

    const on = await toggle(editor, true);
    expect(on.status).toBe(202);
    expect(on.headers.get('location')).toBe(`/api/v1/change-requests/${saved.body.id}`);
    expect(on.body).toMatchObject({ id: saved.body.id, kind: 'config', comment: 'launch' });
    expect(on.body.operations).toEqual([
      ...saved.body.operations,
      { op: 'set', field: 'enabled', before: false, after: true },
    ]);
    // The turn-on shows the new targeting being switched on.
    expect(on.body.proposed).toMatchObject({ enabled: true, rules: [staff], fallthrough: fivePercent });
    expect((await pending()).map((request) => request.id)).toEqual([saved.body.id]);
    expect((await audit())[0]).toMatchObject({
      action: 'change_request.update',
      changeRequestId: String(saved.body.id),
      before: saved.body.operations,
      after: on.body.operations,
    });
    expect(await config()).toMatchObject({ version: 1, enabled: false, rules: [] });

    const approved = await approve(saved.body.id);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'applied', operations: on.body.operations });
    expect(await config()).toMatchObject({
      version: 2,
      enabled: true,
      rules: [staff],
      fallthrough: fivePercent,
    });
    expect(approved.body.proposed).toEqual(await config());
  });

  it('keeps a toggle-only request a toggle, replaces an op on the same field or rule, and takes a later applyAt', async () => {
    const on = await toggle(editor, true, { applyAt: '2026-05-01T12:00:00Z' });
    expect(on.body).toMatchObject({ kind: 'toggle', applyAt: '2026-05-01T12:00:00.000Z' });
    const again = await toggle(editor, true);
    expect(again.body).toMatchObject({ id: on.body.id, kind: 'toggle', applyAt: '2026-05-01T12:00:00.000Z' });
    expect(again.body.operations).toEqual(on.body.operations);

    await put(editor, { ...live, rules: [staff] });
    const offStaff = { ...staff, serve: { variation: 'off' } };
    const replaced = await put(editor, { ...live, rules: [offStaff], applyAt: '2026-05-02T12:00:00Z' });
    expect(replaced.status).toBe(202);
    expect(replaced.body).toMatchObject({
      id: on.body.id,
      kind: 'config',
      applyAt: '2026-05-02T12:00:00.000Z',
    });
    expect(replaced.body.operations).toEqual([
      { op: 'set', field: 'enabled', before: false, after: true },
      { op: 'addRule', rule: offStaff, afterRule: null },
    ]);
    // Turning it off again drops the turn-on; the rule stays.
    const off = await toggle(editor, false);
    expect(off.status).toBe(202);
    expect(off.body).toMatchObject({ id: on.body.id, kind: 'config', state: 'pending' });
    expect(off.body.operations).toEqual([{ op: 'addRule', rule: offStaff, afterRule: null }]);
  });

  it('withdraws the request when nothing is left, audited', async () => {
    const on = await toggle(editor, true, { comment: 'go' });
    const off = await toggle(editor, false);
    expect(off.status).toBe(202);
    expect(off.headers.get('location')).toBe(`/api/v1/change-requests/${on.body.id}`);
    expect(off.body).toMatchObject({ id: on.body.id, state: 'withdrawn', operations: [] });
    expect(await pending()).toEqual([]);
    expect((await audit())[0]).toMatchObject({
      action: 'change_request.withdraw',
      changeRequestId: String(on.body.id),
      before: { state: 'pending', operations: on.body.operations },
      after: { state: 'withdrawn', operations: [] },
    });
    // With nothing pending, turning off what is off changes nothing.
    const again = await toggle(editor, false);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1, enabled: false });
    expect(await config()).toMatchObject({ version: 1, enabled: false });
  });

  it('opens a request per author: a token of the same person adds to theirs', async () => {
    const mine = await toggle(editor, true);
    const theirs = await toggle(t.adminToken, true);
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
    const token = await t.request<{ token: string }>('POST', '/api/v1/api-tokens', {
      token: t.adminToken,
      body: { name: 'admin pipeline', role: 'editor' },
    });
    const viaToken = await put(token.body.token, { ...live, rules: [staff] });
    expect(viaToken.body.id).toBe(theirs.body.id);
    expect((await pending()).map((request) => request.id).sort()).toEqual(
      [mine.body.id, theirs.body.id].sort(),
    );
  });

  it('applies after someone else changed an unrelated field, keeping their change', async () => {
    const rule = await put(editor, { ...live, rules: [staff] });
    const other = await put(t.adminToken, { ...live, fallthrough: fivePercent });
    expect((await approve(other.body.id)).body.state).toBe('applied');
    // What the reviewer sees is against what is live now.
    expect((await get(rule.body.id)).proposed).toMatchObject({
      version: 3,
      rules: [staff],
      fallthrough: fivePercent,
    });
    const approved = await approve(rule.body.id);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'applied', conflicts: null, conflict: null });
    expect(await config()).toMatchObject({ version: 3, rules: [staff], fallthrough: fivePercent });
  });

  it('conflicts, naming the field and changing nothing, when someone else changed the same field', async () => {
    const mine = await put(editor, { ...live, fallthrough: fivePercent });
    const other = await put(t.adminToken, { ...live, fallthrough: { variation: 'off' } });
    expect((await approve(other.body.id)).body.state).toBe('applied');
    const before = await configTables(t);
    const conflict = await approve(mine.body.id);
    expect(conflict.status).toBe(409);
    expect(conflict.body.changeRequest).toMatchObject({
      state: 'conflict',
      conflicts: [{ path: 'fallthrough', message: expect.any(String) }],
    });
    expect(conflict.body.changeRequest?.conflict).toContain('fallthrough');
    expect(conflict.body.detail).toContain('fallthrough');
    expect(await configTables(t)).toEqual(before);
    expect((await audit())[0]).toMatchObject({
      action: 'change_request.conflict',
      after: { state: 'conflict', conflicts: [{ path: 'fallthrough' }] },
    });
  });

  it('keeps the kill switch immediate during a pending request, which then applies by its operations', async () => {
    const launched = await toggle(t.adminToken, true);
    await approve(launched.body.id);
    // The editor's request turns it off and adds a rule (more than a kill switch: it waits).
    const request = await put(editor, { ...live, rules: [staff], fallthrough: fivePercent });
    expect(request.status).toBe(202);
    const killed = await toggle(editor, false, { comment: 'incident' });
    expect(killed.status).toBe(200);
    expect(killed.body).toMatchObject({ enabled: false, version: 3 });
    const untouched = await get(request.body.id);
    expect(untouched).toMatchObject({ state: 'pending', operations: request.body.operations });
    const approved = await approve(request.body.id);
    expect(approved.body.state).toBe('applied');
    expect(await config()).toMatchObject({
      version: 4,
      enabled: false,
      rules: [staff],
      fallthrough: fivePercent,
    });
  });

  it('treats a request stored as a snapshot as the operations its author made', async () => {
    const request = await put(editor, { ...live, rules: [staff] });
    // A request from before operations: the proposed config and base version only.
    await t.query('update change_requests set operations = null where id = $1', [request.body.id]);
    const other = await put(t.adminToken, { ...live, fallthrough: fivePercent });
    await approve(other.body.id);
    const legacy = await get(request.body.id);
    expect(legacy.operations).toEqual([{ op: 'addRule', rule: staff, afterRule: null }]);
    expect(legacy.proposed).toMatchObject({ rules: [staff], fallthrough: fivePercent });
    // A later write of its author adds to it, and stores the operations from then on.
    const merged = await toggle(editor, true);
    expect(merged.body.id).toBe(request.body.id);
    expect(merged.body.operations).toHaveLength(2);
    expect((await approve(request.body.id)).body.state).toBe('applied');
    expect(await config()).toMatchObject({ enabled: true, rules: [staff], fallthrough: fivePercent });
  });
});
