import type { FlagConfig } from '@ringflag/sdk-node/engine';
import { and, asc, desc, eq, gte, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { fitsInteger } from '../../db/portable.js';
import type { releasePlans } from '../../db/schema.js';
import type { Actor } from '../audit/audit-event.js';
import type { ProjectScope } from '../projects/project-scope.js';
import type { GuardIncident, ReleasePlan, ReleaseState, StageApproval } from './release-plan.js';
import { nextAdvanceAt } from './release-plan.js';
import type { ReleaseGuard, ReleaseStage } from './release-schemas.js';

export type ReleasePlanRow = typeof releasePlans.$inferSelect;

/** A plan row with the keys of its flag and environment, and its project. */
export interface LocatedPlanRow {
  plan: ReleasePlanRow;
  flagKey: string;
  environmentKey: string;
  project: ProjectScope;
}

const ACTIVE: ReleaseState[] = ['running', 'paused'];

function selectLocated({ db, t }: Queryable) {
  return db
    .select({
      plan: t.releasePlans,
      flagKey: t.flags.key,
      environmentKey: t.environments.key,
      project: { id: t.projects.id, key: t.projects.key },
    })
    .from(t.releasePlans)
    .innerJoin(t.flags, eq(t.flags.id, t.releasePlans.flagId))
    .innerJoin(t.environments, eq(t.environments.id, t.releasePlans.environmentId))
    .innerJoin(t.projects, eq(t.projects.id, t.environments.projectId));
}

/** The newest plan of a flag in an environment, active or not. */
export async function findLatestPlan(
  q: Queryable,
  flagId: number,
  environmentId: number,
): Promise<LocatedPlanRow | undefined> {
  const { releasePlans: plans } = q.t;
  const [located] = await selectLocated(q)
    .where(and(eq(plans.flagId, flagId), eq(plans.environmentId, environmentId)))
    .orderBy(desc(plans.id))
    .limit(1);
  return located;
}

export async function findPlanById(q: Queryable, id: number): Promise<LocatedPlanRow | undefined> {
  if (!fitsInteger(id)) return undefined;
  const [located] = await selectLocated(q).where(eq(q.t.releasePlans.id, id)).limit(1);
  return located;
}

/** Every running or paused plan, oldest first: of one project, or of all when `projectId` is null. */
export async function listActivePlans(q: Queryable, projectId: number | null): Promise<LocatedPlanRow[]> {
  const { releasePlans: plans, environments } = q.t;
  return selectLocated(q)
    .where(
      and(
        inArray(plans.state, ACTIVE),
        projectId === null ? undefined : eq(environments.projectId, projectId),
      ),
    )
    .orderBy(asc(plans.id));
}

/** The active plans of one environment that carry a guard, oldest first. */
export async function listGuardedPlans(q: Queryable, environmentId: number): Promise<LocatedPlanRow[]> {
  const { releasePlans: plans } = q.t;
  return selectLocated(q)
    .where(and(eq(plans.environmentId, environmentId), inArray(plans.state, ACTIVE), isNotNull(plans.guard)))
    .orderBy(asc(plans.id));
}

export async function insertPlan(
  { db, t }: Queryable,
  values: typeof releasePlans.$inferInsert,
): Promise<ReleasePlanRow> {
  const [row] = await db.insert(t.releasePlans).values(values).returning();
  return row!;
}

/**
 * Updates a plan only if it is still as `from` was read (same state, stage, stage start and last
 * update): a compare-and-set. Returns the updated row, or undefined when another write changed the
 * plan first. On PostgreSQL the update waits for a concurrent one on the same row and then re-checks,
 * so a stage advance or a rollback happens once, whichever replica tries.
 */
export async function updatePlanFrom(
  { db, t }: Queryable,
  from: ReleasePlanRow,
  values: Partial<typeof releasePlans.$inferInsert>,
): Promise<ReleasePlanRow | undefined> {
  const plans = t.releasePlans;
  const [row] = await db
    .update(plans)
    .set(values)
    .where(
      and(
        eq(plans.id, from.id),
        eq(plans.state, from.state),
        eq(plans.currentStage, from.currentStage),
        eq(plans.stageStartedAt, from.stageStartedAt),
        eq(plans.updatedAt, from.updatedAt),
      ),
    )
    .returning();
  return row;
}

/** One attributed event count. */
export interface GuardEventCount {
  flagKey: string;
  variant: string;
  event: string;
  minute: number;
  count: number;
}

/** Orders counts by key, so that concurrent writers lock the rows they share in the same order. */
const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Adds attributed event counts to the per-minute totals (inside a transaction). */
export async function addGuardEventCounts(
  { db, t }: Queryable,
  environmentId: number,
  counts: GuardEventCount[],
): Promise<void> {
  const table = t.guardEventCounts;
  const keyed = counts.map((count) => ({
    count,
    key: [count.flagKey, count.event, count.variant, String(count.minute)].join('\u0000'),
  }));
  for (const { count } of keyed.sort(byKey)) {
    await db
      .insert(table)
      .values({ environmentId, ...count })
      .onConflictDoUpdate({
        target: [table.environmentId, table.flagKey, table.event, table.variant, table.minute],
        set: { count: sql`${table.count} + ${count.count}` },
      });
  }
}

/** One exposure count a guard trusts (see `guard_exposure_counts`). */
export interface GuardExposureCount {
  flagKey: string;
  variant: string;
  minute: number;
  count: number;
}

/** Adds trusted exposure counts to the per-minute totals (inside a transaction). */
export async function addGuardExposureCounts(
  { db, t }: Queryable,
  environmentId: number,
  counts: GuardExposureCount[],
): Promise<void> {
  const table = t.guardExposureCounts;
  const keyed = counts.map((count) => ({
    count,
    key: [count.flagKey, count.variant, String(count.minute)].join('\u0000'),
  }));
  for (const { count } of keyed.sort(byKey)) {
    await db
      .insert(table)
      .values({ environmentId, ...count })
      .onConflictDoUpdate({
        target: [table.environmentId, table.flagKey, table.variant, table.minute],
        set: { count: sql`${table.count} + ${count.count}` },
      });
  }
}

/** Trusted exposures of one variant of a flag from `fromMinute` (epoch minutes) on. */
export async function sumExposures(
  { db, t }: Queryable,
  environmentId: number,
  flagKey: string,
  variant: string,
  fromMinute: number,
): Promise<number> {
  const table = t.guardExposureCounts;
  const [row] = await db
    .select({ total: sql<number>`coalesce(sum(${table.count}), 0)`.mapWith(Number) })
    .from(table)
    .where(
      and(
        eq(table.environmentId, environmentId),
        eq(table.flagKey, flagKey),
        eq(table.variant, variant),
        gte(table.minute, fromMinute),
      ),
    );
  return row?.total ?? 0;
}

/** Events attributed to one variant of a flag from `fromMinute` (epoch minutes) on. */
export async function sumGuardEvents(
  { db, t }: Queryable,
  environmentId: number,
  flagKey: string,
  variant: string,
  event: string,
  fromMinute: number,
): Promise<number> {
  const table = t.guardEventCounts;
  const [row] = await db
    .select({ total: sql<number>`coalesce(sum(${table.count}), 0)`.mapWith(Number) })
    .from(table)
    .where(
      and(
        eq(table.environmentId, environmentId),
        eq(table.flagKey, flagKey),
        eq(table.variant, variant),
        eq(table.event, event),
        gte(table.minute, fromMinute),
      ),
    );
  return row?.total ?? 0;
}

/** The API view of a stored plan. */
export function planView({ plan, flagKey, environmentKey }: LocatedPlanRow): ReleasePlan {
  const view: Omit<ReleasePlan, 'nextAdvanceAt'> = {
    id: plan.id,
    flag: flagKey,
    environment: environmentKey,
    variation: plan.variation,
    state: plan.state,
    stages: plan.stages as ReleaseStage[],
    currentStage: plan.currentStage,
    stageStartedAt: plan.stageStartedAt,
    guard: (plan.guard as ReleaseGuard | null) ?? null,
    onTrip: plan.onTrip,
    before: (plan.prePlanConfig as FlagConfig | null) ?? null,
    approvals: plan.approvals as StageApproval[],
    incident: (plan.incident as GuardIncident | null) ?? null,
    createdBy: plan.createdBy as Actor,
    createdAt: plan.createdAt,
    updatedAt: plan.updatedAt,
    stageHistory: plan.stageHistory as ReleasePlan['stageHistory'],
  };
  const { stageHistory, ...rest } = view;
  return { ...rest, nextAdvanceAt: nextAdvanceAt(view), stageHistory };
}
