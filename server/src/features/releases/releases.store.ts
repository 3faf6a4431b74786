import { and, desc, eq, gte, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.js';
import { environments, flags, guardEventCounts, guardExposureCounts, releasePlans } from '../../db/schema.js';
import type { Actor } from '../audit/audit-event.js';
import type { GuardIncident, ReleasePlan, ReleaseState, StageApproval } from './release-plan.js';
import { nextAdvanceAt } from './release-plan.js';
import type { ReleaseGuard, ReleaseStage } from './release-schemas.js';

export type ReleasePlanRow = typeof releasePlans.$inferSelect;

/** A plan row with the keys of its flag and environment. */
export interface LocatedPlanRow {
  plan: ReleasePlanRow;
  flagKey: string;
  environmentKey: string;
}

const ACTIVE: ReleaseState[] = ['running', 'paused'];

const located = {
  plan: releasePlans,
  flagKey: flags.key,
  environmentKey: environments.key,
};

function selectLocated(db: Queryable) {
  return db
    .select(located)
    .from(releasePlans)
    .innerJoin(flags, eq(flags.id, releasePlans.flagId))
    .innerJoin(environments, eq(environments.id, releasePlans.environmentId));
}

/** The newest plan of a flag in an environment, active or not. */
export function findLatestPlan(
  db: Queryable,
  flagId: number,
  environmentId: number,
): LocatedPlanRow | undefined {
  return selectLocated(db)
    .where(and(eq(releasePlans.flagId, flagId), eq(releasePlans.environmentId, environmentId)))
    .orderBy(desc(releasePlans.id))
    .limit(1)
    .get();
}

export function findPlanById(db: Queryable, id: number): LocatedPlanRow | undefined {
  return selectLocated(db).where(eq(releasePlans.id, id)).get();
}

/** Every running or paused plan, oldest first. */
export function listActivePlans(db: Queryable): LocatedPlanRow[] {
  return selectLocated(db).where(inArray(releasePlans.state, ACTIVE)).orderBy(releasePlans.id).all();
}

/** The active plans of one environment that carry a guard. */
export function listGuardedPlans(db: Queryable, environmentId: number): LocatedPlanRow[] {
  return selectLocated(db)
    .where(
      and(
        eq(releasePlans.environmentId, environmentId),
        inArray(releasePlans.state, ACTIVE),
        isNotNull(releasePlans.guard),
      ),
    )
    .all();
}

export function insertPlan(db: Queryable, values: typeof releasePlans.$inferInsert): ReleasePlanRow {
  return db.insert(releasePlans).values(values).returning().get();
}

export function updatePlan(
  db: Queryable,
  id: number,
  values: Partial<typeof releasePlans.$inferInsert>,
): ReleasePlanRow {
  return db.update(releasePlans).set(values).where(eq(releasePlans.id, id)).returning().get();
}

/** One attributed event count. */
export interface GuardEventCount {
  flagKey: string;
  variant: string;
  event: string;
  minute: number;
  count: number;
}

/** Adds attributed event counts to the per-minute totals. */
export function addGuardEventCounts(db: Queryable, environmentId: number, counts: GuardEventCount[]): void {
  for (const count of counts) {
    db.insert(guardEventCounts)
      .values({ environmentId, ...count })
      .onConflictDoUpdate({
        target: [
          guardEventCounts.environmentId,
          guardEventCounts.flagKey,
          guardEventCounts.event,
          guardEventCounts.variant,
          guardEventCounts.minute,
        ],
        set: { count: sql`${guardEventCounts.count} + excluded.count` },
      })
      .run();
  }
}

/** One exposure count a guard trusts (see `guard_exposure_counts`). */
export interface GuardExposureCount {
  flagKey: string;
  variant: string;
  minute: number;
  count: number;
}

/** Adds trusted exposure counts to the per-minute totals. */
export function addGuardExposureCounts(
  db: Queryable,
  environmentId: number,
  counts: GuardExposureCount[],
): void {
  for (const count of counts) {
    db.insert(guardExposureCounts)
      .values({ environmentId, ...count })
      .onConflictDoUpdate({
        target: [
          guardExposureCounts.environmentId,
          guardExposureCounts.flagKey,
          guardExposureCounts.variant,
          guardExposureCounts.minute,
        ],
        set: { count: sql`${guardExposureCounts.count} + excluded.count` },
      })
      .run();
  }
}

/** Trusted exposures of one variant of a flag from `fromMinute` (epoch minutes) on. */
export function sumExposures(
  db: Queryable,
  environmentId: number,
  flagKey: string,
  variant: string,
  fromMinute: number,
): number {
  const row = db
    .select({ total: sql<number | null>`sum(${guardExposureCounts.count})` })
    .from(guardExposureCounts)
    .where(
      and(
        eq(guardExposureCounts.environmentId, environmentId),
        eq(guardExposureCounts.flagKey, flagKey),
        eq(guardExposureCounts.variant, variant),
        gte(guardExposureCounts.minute, fromMinute),
      ),
    )
    .get();
  return row?.total ?? 0;
}

/** Events attributed to one variant of a flag from `fromMinute` (epoch minutes) on. */
export function sumGuardEvents(
  db: Queryable,
  environmentId: number,
  flagKey: string,
  variant: string,
  event: string,
  fromMinute: number,
): number {
  const row = db
    .select({ total: sql<number | null>`sum(${guardEventCounts.count})` })
    .from(guardEventCounts)
    .where(
      and(
        eq(guardEventCounts.environmentId, environmentId),
        eq(guardEventCounts.flagKey, flagKey),
        eq(guardEventCounts.variant, variant),
        eq(guardEventCounts.event, event),
        gte(guardEventCounts.minute, fromMinute),
      ),
    )
    .get();
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
