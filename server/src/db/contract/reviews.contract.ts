import { describe, expect } from 'vitest';
import { appendAuditEvents } from '../../features/audit/audit.service.js';
import type { ChangeRequestRow } from '../../features/change-requests/change-request.js';
import {
  findChangeRequest,
  findCreationBefore,
  insertChangeRequest,
  listChangeRequests,
  listDueChangeRequests,
  listOpenChangeRequests,
  listPendingConfigRequests,
  listUnreviewedScheduledIds,
  updateChangeRequestFrom,
} from '../../features/change-requests/change-requests.store.js';
import { DEFAULT_PROJECT, inProject } from '../../features/projects/project-scope.js';
import { insertProject } from '../../features/projects/projects.store.js';
import {
  addGuardEventCounts,
  addGuardExposureCounts,
  findLatestPlan,
  findPlanById,
  insertPlan,
  listActivePlans,
  listGuardedPlans,
  type ReleasePlanRow,
  sumExposures,
  sumGuardEvents,
  updatePlanFrom,
} from '../../features/releases/releases.store.js';
import { deleteSegment } from '../../features/segments/segments.store.js';
import type { Database } from '../client.js';
import {
  ACTOR,
  BIG,
  type CurrentRun,
  it,
  makeEnvironment,
  makeFlag,
  makeSegment,
  NESTED,
  T0,
  T1,
  T2,
  T3,
  UNICODE,
  write,
} from './support.js';

type NewRequest = Parameters<typeof insertChangeRequest>[1];

const request = (values: Partial<NewRequest> & Pick<NewRequest, 'kind' | 'state'>): NewRequest => ({
  proposed: { enabled: true },
  baseVersion: 1,
  author: ACTOR,
  createdAt: T0,
  updatedAt: T0,
  ...values,
});

type NewPlan = Parameters<typeof insertPlan>[1];

const plan = (flagId: number, environmentId: number, values: Partial<NewPlan> = {}): NewPlan => ({
  flagId,
  environmentId,
  variation: 'on',
  state: 'running',
  stages: [
    { percentage: 10, minutes: 60 },
    { percentage: 100, minutes: 0 },
  ],
  currentStage: 0,
  stageStartedAt: T0,
  stageHistory: [{ stage: 0, startedAt: T0 }],
  approvals: [],
  onTrip: 'off',
  prePlanConfig: null,
  createdBy: ACTOR,
  createdAt: T0,
  updatedAt: T0,
  ...values,
});

/**
 * Two writers try to move the same row out of the same state at once: on PostgreSQL from two handles
 * (replicas), on SQLite from one (its transactions take turns). Returns what each got.
 */
async function race<T>(
  dialect: 'sqlite' | 'postgres',
  database: Database,
  replica: Database,
  attempt: (handle: Database) => Promise<T>,
): Promise<T[]> {
  const handles =
    dialect === 'postgres' ? [database, replica, database, replica] : [database, database, database];
  return Promise.all(handles.map((handle) => attempt(handle)));
}

/** change-requests.store.ts and releases.store.ts: the rows that wait for reviews and time. */
export function reviewsContract(run: CurrentRun): void {
  describe('change requests', () => {
    it('round-trips a request with the keys of its flag, environment and segment', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const flag = await makeFlag(database, 'checkout');
      const values = request({
        flagId: flag.id,
        environmentId: env.id,
        kind: 'config',
        state: 'scheduled',
        proposed: { rules: [NESTED], name: UNICODE },
        operations: [
          { op: 'set', field: 'fallthrough', before: NESTED, after: { variation: UNICODE } },
          { op: 'moveRule', ruleId: 'a', afterRule: null },
        ],
        conflicts: [{ path: 'rules.a', message: UNICODE }],
        baseVersion: 4,
        authorUserId: 7,
        comment: UNICODE,
        applyAt: T2,
        reviewer: { type: 'token', id: '3', name: 'ci' },
        reviewComment: 'ok',
        reviewedAt: T1,
        updatedAt: T1,
      });
      const row = await write(database, (tx) => insertChangeRequest(tx, values));
      expect(row).toEqual({
        id: expect.any(Number),
        projectId: DEFAULT_PROJECT.id,
        segmentId: null,
        environments: [],
        appliedAt: null,
        conflict: null,
        revision: 1,
        ...values,
      });
      expect(JSON.stringify(row.proposed)).toBe(JSON.stringify(values.proposed));
      expect(JSON.stringify(row.operations)).toBe(JSON.stringify(values.operations));
      expect(await findChangeRequest(database, row.id)).toEqual({
        row,
        flag: 'checkout',
        environment: 'production',
        segment: null,
      });

      const segment = await makeSegment(database, 'beta');
      const global = await write(database, (tx) =>
        insertChangeRequest(
          tx,
          request({ segmentId: segment.id, kind: 'segment', state: 'pending', environments: ['production'] }),
        ),
      );
      expect(global.reviewer).toBeNull();
      expect(global.authorUserId).toBeNull();
      expect(global.operations).toBeNull();
      expect(global.conflicts).toBeNull();
      expect(await findChangeRequest(database, global.id)).toEqual({
        row: global,
        flag: null,
        environment: null,
        segment: 'beta',
      });
      expect(await findChangeRequest(database, global.id + 1000)).toBeUndefined();
      expect(await findChangeRequest(database, 2 ** 31)).toBeUndefined();
    });

    it('lists newest first, by state, kind, flag, segment and environment (its own or gating it)', async () => {
      const { database } = run();
      const prod = await makeEnvironment(database, 'prod');
      const production = await makeEnvironment(database, 'production');
      const flag = await makeFlag(database, 'checkout');
      const other = await makeFlag(database, 'search');
      const segment = await makeSegment(database, 'beta');
      const rows: ChangeRequestRow[] = [];
      for (const values of [
        request({ flagId: flag.id, environmentId: prod.id, kind: 'config', state: 'pending' }),
        request({ flagId: flag.id, environmentId: production.id, kind: 'toggle', state: 'applied' }),
        request({ flagId: other.id, kind: 'flag', state: 'pending', environments: ['production', UNICODE] }),
        request({ segmentId: segment.id, kind: 'segment', state: 'rejected', environments: ['prod'] }),
        request({ flagId: other.id, kind: 'archive', state: 'pending', environments: [] }),
      ]) {
        rows.push(await write(database, (tx) => insertChangeRequest(tx, values)));
      }
      const [a, b, c, d, e] = rows.map((row) => row.id) as [number, number, number, number, number];
      const ids = async (filter: Parameters<typeof listChangeRequests>[1], limit = 100) =>
        (await listChangeRequests(database, filter, limit)).map((record) => record.row.id);
      expect(await ids({})).toEqual([e, d, c, b, a]);
      expect(await ids({}, 2)).toEqual([e, d]);
      expect(await ids({ states: ['pending'] })).toEqual([e, c, a]);
      expect(await ids({ states: ['applied', 'rejected'] })).toEqual([d, b]);
      expect(await ids({ kinds: ['config', 'toggle'] })).toEqual([b, a]);
      expect(await ids({ flag: 'checkout' })).toEqual([b, a]);
      expect(await ids({ segment: 'beta' })).toEqual([d]);
      expect(await ids({ environment: 'production' })).toEqual([c, b]);
      expect(await ids({ environment: 'prod' })).toEqual([d, a]);
      expect(await ids({ environment: UNICODE })).toEqual([c]);
      expect(await ids({ environment: 'prod', states: ['pending'] })).toEqual([a]);
      const [first] = await listChangeRequests(database, { flag: 'search', kinds: ['flag'] }, 10);
      expect(first).toEqual({ row: rows[2], flag: 'search', environment: null, segment: null });
    });

    it('moves a request out of a state only from that state (compare-and-set), once when raced', async () => {
      const { dialect, database, replica } = run();
      const env = await makeEnvironment(database, 'production');
      const flag = await makeFlag(database, 'checkout');
      const row = await write(database, (tx) =>
        insertChangeRequest(
          tx,
          request({ flagId: flag.id, environmentId: env.id, kind: 'config', state: 'pending' }),
        ),
      );
      expect(
        await write(database, (tx) => updateChangeRequestFrom(tx, row.id, 'approved', { state: 'applied' })),
      ).toBeUndefined();
      expect(
        await write(database, (tx) =>
          updateChangeRequestFrom(tx, row.id, 'pending', { state: 'approved' }, row.revision + 1),
        ),
      ).toBeUndefined();
      expect((await findChangeRequest(database, row.id))?.row).toEqual(row);

      // Its author adding to it (a new revision) and a reviewer approving the revision they saw, at
      // once: one of them, never both.
      const other = await write(database, (tx) =>
        insertChangeRequest(
          tx,
          request({ flagId: flag.id, environmentId: env.id, kind: 'config', state: 'pending' }),
        ),
      );
      let turn = 0;
      const moves = await race(dialect, database, replica, (handle) => {
        const values =
          turn++ % 2 === 0
            ? { revision: other.revision + 1, comment: 'added' }
            : { state: 'approved' as const };
        return write(handle, (tx) =>
          updateChangeRequestFrom(tx, other.id, 'pending', values, other.revision),
        );
      });
      const won = moves.filter((move) => move !== undefined);
      expect(won).toHaveLength(1);
      expect((await findChangeRequest(database, other.id))?.row).toEqual(won[0]);

      const reviewer = { type: 'user' as const, id: '2', name: 'Bob' };
      const updated = await write(database, (tx) =>
        updateChangeRequestFrom(tx, row.id, 'pending', {
          state: 'scheduled',
          reviewer,
          reviewedAt: T1,
          updatedAt: T1,
        }),
      );
      expect(updated).toEqual({ ...row, state: 'scheduled', reviewer, reviewedAt: T1, updatedAt: T1 });

      const outcomes = await race(dialect, database, replica, (handle) =>
        write(handle, (tx) =>
          updateChangeRequestFrom(tx, row.id, 'scheduled', {
            state: 'applied',
            appliedAt: T2,
            updatedAt: T2,
          }),
        ),
      );
      expect(outcomes.filter((outcome) => outcome !== undefined)).toHaveLength(1);
      expect((await findChangeRequest(database, row.id))?.row).toMatchObject({
        state: 'applied',
        appliedAt: T2,
      });
    });

    it('finds the due scheduled requests by time, the unreviewed scheduled ones, and the open ones', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const other = await makeEnvironment(database, 'staging');
      const flag = await makeFlag(database, 'checkout');
      const reviewer = { type: 'user' as const, id: '2', name: 'Bob' };
      const at = (
        environmentId: number,
        state: NewRequest['state'],
        applyAt: string | null,
        reviewed = false,
      ) =>
        write(database, (tx) =>
          insertChangeRequest(
            tx,
            request({
              flagId: flag.id,
              environmentId,
              kind: 'config',
              state,
              applyAt,
              proposed: { state },
              ...(reviewed ? { reviewer } : {}),
            }),
          ),
        );
      const late = await at(env.id, 'scheduled', T2);
      const early = await at(env.id, 'scheduled', T1, true);
      const now = await at(other.id, 'scheduled', T2);
      const future = await at(env.id, 'scheduled', T3);
      const pending = await at(env.id, 'pending', T0);
      const approved = await at(env.id, 'approved', null);
      await at(env.id, 'applied', T0);
      await at(env.id, 'withdrawn', null);

      expect(await listDueChangeRequests(database, T2)).toEqual(
        [early, late, now].map((row) => ({ id: row.id, project: DEFAULT_PROJECT })),
      );
      expect(await listDueChangeRequests(database, T0)).toEqual([]);
      expect(await listUnreviewedScheduledIds(database, env.id)).toEqual([late.id, future.id]);
      expect(await listUnreviewedScheduledIds(database, other.id)).toEqual([now.id]);
      expect(await listOpenChangeRequests(database)).toEqual(
        [late, early, now, future, pending, approved].map((row) => ({
          id: row.id,
          kind: 'config',
          segmentId: null,
          environmentId: row.environmentId,
          proposed: row.proposed,
        })),
      );
    });

    it('finds the pending config and toggle requests of one flag in one environment, oldest first', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const staging = await makeEnvironment(database, 'staging');
      const flag = await makeFlag(database, 'checkout');
      const other = await makeFlag(database, 'search');
      const insert = (values: Partial<NewRequest> & Pick<NewRequest, 'kind' | 'state'>) =>
        write(database, (tx) => insertChangeRequest(tx, request(values)));
      const toggle = await insert({
        flagId: flag.id,
        environmentId: env.id,
        kind: 'toggle',
        state: 'pending',
      });
      const config = await insert({
        flagId: flag.id,
        environmentId: env.id,
        kind: 'config',
        state: 'pending',
        operations: [{ op: 'set', field: 'enabled', before: false, after: true }],
      });
      await insert({ flagId: flag.id, environmentId: env.id, kind: 'config', state: 'scheduled' });
      await insert({ flagId: flag.id, environmentId: env.id, kind: 'config', state: 'withdrawn' });
      await insert({ flagId: flag.id, environmentId: staging.id, kind: 'config', state: 'pending' });
      await insert({ flagId: other.id, environmentId: env.id, kind: 'config', state: 'pending' });
      await insert({ flagId: flag.id, kind: 'flag', state: 'pending', environments: ['production'] });
      const found = await listPendingConfigRequests(database, flag.id, env.id);
      expect(found).toEqual([
        { row: toggle, flag: 'checkout', environment: 'production', segment: null },
        { row: config, flag: 'checkout', environment: 'production', segment: null },
      ]);
      expect(await listPendingConfigRequests(database, other.id, staging.id)).toEqual([]);
    });

    it('finds what a flag change request was proposed against, in its audited creation', async () => {
      const { database } = run();
      const created = (
        id: string,
        key: string,
        action = 'change_request.create',
        before: unknown = NESTED,
      ) => ({
        at: T0,
        actor: ACTOR,
        action,
        resource: { type: 'flag' as const, key, environment: 'production' },
        before,
        after: { enabled: true },
        changeRequestId: id,
        project: DEFAULT_PROJECT.key,
      });
      await write(database, (tx) =>
        appendAuditEvents(tx, [
          created('7', 'checkout', 'change_request.approve', { state: 'pending' }),
          { ...created('7', 'checkout', 'change_request.create', 'other project'), project: 'p2' },
          created('7', 'checkout', 'change_request.create', { note: UNICODE, rules: [NESTED] }),
          created('8', 'checkout'),
          created('7', 'search', 'change_request.create', 'other flag'),
          created('9', 'checkout', 'change_request.create', null),
        ]),
      );
      expect(await findCreationBefore(database, 7, 'checkout')).toEqual({ note: UNICODE, rules: [NESTED] });
      expect(await findCreationBefore(database, 7, 'search')).toBe('other flag');
      expect(await findCreationBefore(database, 8, 'checkout')).toEqual(NESTED);
      expect(await findCreationBefore(database, 9, 'checkout')).toBeUndefined();
      expect(await findCreationBefore(database, 10, 'checkout')).toBeUndefined();
    });

    it('keeps a segment’s requests when the segment is deleted, without the segment', async () => {
      const { database } = run();
      const segment = await makeSegment(database, 'beta');
      const row = await write(database, (tx) =>
        insertChangeRequest(tx, request({ segmentId: segment.id, kind: 'segment', state: 'applied' })),
      );
      await write(database, (tx) => deleteSegment(tx, segment.id));
      expect(await findChangeRequest(database, row.id)).toEqual({
        row: { ...row, segmentId: null },
        flag: null,
        environment: null,
        segment: null,
      });
    });
  });

  describe('release plans', () => {
    it('round-trips a plan with its keys; finds a flag’s latest plan in an environment', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const staging = await makeEnvironment(database, 'staging');
      const flag = await makeFlag(database, 'checkout');
      const guard = { metric: 'errors', threshold: 0.05, nested: NESTED };
      const values = plan(flag.id, env.id, {
        state: 'completed',
        guard,
        incident: { reason: UNICODE },
        approvals: [{ stage: 1, by: ACTOR, at: T1 }],
        onTrip: 'revert',
        prePlanConfig: { enabled: true, rules: [{ id: 'staff', name: UNICODE }], nested: NESTED },
      });
      const first = await write(database, (tx) => insertPlan(tx, values));
      expect(first).toEqual({ id: expect.any(Number), ...values });
      expect(JSON.stringify(first.guard)).toBe(JSON.stringify(guard));
      expect(await findPlanById(database, first.id)).toEqual({
        plan: first,
        flagKey: 'checkout',
        environmentKey: 'production',
        project: DEFAULT_PROJECT,
      });
      const second = await write(database, (tx) => insertPlan(tx, plan(flag.id, env.id)));
      expect(second.guard).toBeNull();
      expect(second.incident).toBeNull();
      await write(database, (tx) => insertPlan(tx, plan(flag.id, staging.id)));
      expect((await findLatestPlan(database, flag.id, env.id))?.plan).toEqual(second);
      expect(await findLatestPlan(database, flag.id + 1000, env.id)).toBeUndefined();
      expect(await findPlanById(database, second.id + 1000)).toBeUndefined();
      expect(await findPlanById(database, 2 ** 31)).toBeUndefined();
    });

    it('lists the active plans of one project or all, oldest first, and one environment’s guarded ones', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const staging = await makeEnvironment(database, 'staging');
      const flag = await makeFlag(database, 'checkout');
      const guard = { metric: 'errors' };
      const insert = (environmentId: number, values: Partial<NewPlan>) =>
        write(database, (tx) => insertPlan(tx, plan(flag.id, environmentId, values)));
      const running = await insert(env.id, { state: 'running', guard });
      const paused = await insert(staging.id, { state: 'paused', guard });
      await insert(env.id, { state: 'completed', guard });
      await insert(env.id, { state: 'rolled_back', guard });
      const unguarded = await insert(env.id, { state: 'paused', guard: null });
      const p2 = await write(database, (tx) =>
        insertProject(tx, { key: 'p2', name: 'P2', createdAt: T0, updatedAt: T0 }),
      );
      const elsewhere = await inProject(p2, async () => {
        const p2Env = await makeEnvironment(database, 'production');
        const p2Flag = await makeFlag(database, 'checkout');
        return write(database, (tx) =>
          insertPlan(tx, plan(p2Flag.id, p2Env.id, { state: 'running', guard })),
        );
      });
      expect((await listActivePlans(database, DEFAULT_PROJECT.id)).map((p) => p.plan.id)).toEqual([
        running.id,
        paused.id,
        unguarded.id,
      ]);
      expect((await listActivePlans(database, DEFAULT_PROJECT.id))[1]).toEqual({
        plan: paused,
        flagKey: 'checkout',
        environmentKey: 'staging',
        project: DEFAULT_PROJECT,
      });
      expect((await listActivePlans(database, p2.id)).map((p) => p.plan.id)).toEqual([elsewhere.id]);
      expect((await listActivePlans(database, null)).map((p) => [p.plan.id, p.project])).toEqual([
        [running.id, DEFAULT_PROJECT],
        [paused.id, DEFAULT_PROJECT],
        [unguarded.id, DEFAULT_PROJECT],
        [elsewhere.id, { id: p2.id, key: 'p2' }],
      ]);
      expect((await listGuardedPlans(database, env.id)).map((p) => p.plan.id)).toEqual([running.id]);
      expect((await listGuardedPlans(database, staging.id)).map((p) => p.plan.id)).toEqual([paused.id]);
    });

    it('updates a plan only as it was read (compare-and-set), once when raced', async () => {
      const { dialect, database, replica } = run();
      const env = await makeEnvironment(database, 'production');
      const flag = await makeFlag(database, 'checkout');
      const read = await write(database, (tx) =>
        insertPlan(tx, plan(flag.id, env.id, { incident: { reason: 'x' } })),
      );
      const stale: ReleasePlanRow[] = [
        { ...read, state: 'paused' },
        { ...read, currentStage: 1 },
        { ...read, stageStartedAt: T1 },
        { ...read, updatedAt: T1 },
      ];
      for (const from of stale) {
        expect(
          await write(database, (tx) => updatePlanFrom(tx, from, { state: 'completed' })),
        ).toBeUndefined();
      }
      expect((await findPlanById(database, read.id))?.plan).toEqual(read);

      const advanced = await write(database, (tx) =>
        updatePlanFrom(tx, read, { currentStage: 1, stageStartedAt: T1, incident: null, updatedAt: T1 }),
      );
      expect(advanced).toEqual({
        ...read,
        currentStage: 1,
        stageStartedAt: T1,
        incident: null,
        updatedAt: T1,
      });
      expect(await write(database, (tx) => updatePlanFrom(tx, read, { state: 'completed' }))).toBeUndefined();

      const outcomes = await race(dialect, database, replica, (handle) =>
        write(handle, (tx) => updatePlanFrom(tx, advanced!, { state: 'rolled_back', updatedAt: T2 })),
      );
      expect(outcomes.filter((outcome) => outcome !== undefined)).toHaveLength(1);
      expect((await findPlanById(database, read.id))?.plan.state).toBe('rolled_back');
    });
  });

  describe('guard counts', () => {
    it('adds counts up per key, past 2^31, and sums them from a minute on', async () => {
      const { database } = run();
      const env = await makeEnvironment(database, 'production');
      const other = await makeEnvironment(database, 'staging');
      const report = async (environmentId: number, count: number) =>
        write(database, async (tx) => {
          await addGuardExposureCounts(tx, environmentId, [
            { flagKey: 'checkout', variant: 'on', minute: 100, count },
            { flagKey: 'checkout', variant: 'on', minute: 101, count: 1 },
            { flagKey: 'checkout', variant: 'off', minute: 100, count: 5 },
          ]);
          await addGuardEventCounts(tx, environmentId, [
            { flagKey: 'checkout', variant: 'on', event: 'error', minute: 100, count },
            { flagKey: 'checkout', variant: 'on', event: 'error', minute: 102, count: 2 },
            { flagKey: 'checkout', variant: 'on', event: 'buy', minute: 100, count: 7 },
          ]);
        });
      await report(env.id, BIG);
      await report(env.id, BIG);
      await report(other.id, 1);
      const exposures = await sumExposures(database, env.id, 'checkout', 'on', 100);
      expect(exposures).toBe(2 * BIG + 2);
      expect(typeof exposures).toBe('number');
      expect(await sumExposures(database, env.id, 'checkout', 'on', 101)).toBe(2);
      expect(await sumExposures(database, env.id, 'checkout', 'off', 0)).toBe(10);
      expect(await sumExposures(database, env.id, 'missing', 'on', 0)).toBe(0);
      expect(await sumGuardEvents(database, env.id, 'checkout', 'on', 'error', 100)).toBe(2 * BIG + 4);
      expect(await sumGuardEvents(database, env.id, 'checkout', 'on', 'error', 101)).toBe(4);
      expect(await sumGuardEvents(database, env.id, 'checkout', 'on', 'buy', 0)).toBe(14);
      expect(await sumGuardEvents(database, other.id, 'checkout', 'on', 'error', 0)).toBe(3);
      expect(await sumGuardEvents(database, env.id, 'checkout', 'off', 'error', 0)).toBe(0);
    });

    it('counts every concurrent report', async () => {
      const { dialect, database, replica } = run();
      const env = await makeEnvironment(database, 'production');
      const handles = dialect === 'postgres' ? [database, replica] : [database];
      const reports = handles.flatMap((handle) =>
        Array.from({ length: 6 }, () =>
          write(handle, async (tx) => {
            await addGuardExposureCounts(tx, env.id, [
              { flagKey: 'b', variant: 'on', minute: 1, count: 1 },
              { flagKey: 'a', variant: 'on', minute: 1, count: 2 },
            ]);
            await addGuardEventCounts(tx, env.id, [
              { flagKey: 'b', variant: 'on', event: 'e', minute: 1, count: 3 },
              { flagKey: 'a', variant: 'on', event: 'e', minute: 1, count: 1 },
            ]);
          }),
        ),
      );
      await Promise.all(reports);
      const n = reports.length;
      expect(await sumExposures(database, env.id, 'a', 'on', 0)).toBe(2 * n);
      expect(await sumExposures(database, env.id, 'b', 'on', 0)).toBe(n);
      expect(await sumGuardEvents(database, env.id, 'b', 'on', 'e', 0)).toBe(3 * n);
    });
  });
}
