import type { Queryable } from '../../db/client.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import { locateConfig } from '../flag-configs/apply-config.js';
import { inProject } from '../projects/project-scope.js';
import { type GuardFigures, guardTrip } from './guard.js';
import { GuardExposureBuffer } from './guard-exposures.js';
import { isActive, type ReleasePlan } from './release-plan.js';
import type { ReleaseGuard } from './release-schemas.js';
import { PlanMovedError, RELEASE_ACTOR, rollbackIn } from './release-stages.js';
import {
  findPlanById,
  type LocatedPlanRow,
  planView,
  sumExposures,
  sumGuardEvents,
} from './releases.store.js';

const MINUTE_MS = 60_000;

/**
 * A plan's guard and the released variation's figures since its current stage started, as stored
 * now (null when the plan has no guard).
 *
 * @example
 * await guardFigures(database, located); // { guard, exposures: 200, events: 12 }
 */
export async function guardFigures(
  q: Queryable,
  located: LocatedPlanRow,
): Promise<(GuardFigures & { guard: ReleaseGuard }) | null> {
  const { plan, flagKey } = located;
  const guard = planView(located).guard;
  if (!guard) return null;
  const fromMinute = Math.floor(Date.parse(plan.stageStartedAt) / MINUTE_MS);
  return {
    guard,
    exposures: await sumExposures(q, plan.environmentId, flagKey, plan.variation, fromMinute),
    events: await sumGuardEvents(q, plan.environmentId, flagKey, plan.variation, guard.event, fromMinute),
  };
}

/** A replica's release guards: what they counted but have not written yet, and their check. */
export interface GuardChecker {
  /** This replica's pending exposures: the intake adds to them, a check writes them first. */
  readonly exposures: GuardExposureBuffer;
  /**
   * Checks the guard of one active plan now, after writing this replica's pending exposures; when it
   * trips, rolls the plan back as {@link RELEASE_ACTOR} (by default switching the flag off there). Returns the rolled-back plan, or null
   * (no guard, no trip, or another write moved the plan first).
   */
  checkGuard(planId: number): Promise<ReleasePlan | null>;
}

/**
 * Builds a replica's guard checker (one per process: it holds the replica's pending exposures).
 *
 * @example
 * const guards = createGuardChecker({ database, changes, clock, logger });
 * await guards.checkGuard(plan.id); // null, or the plan rolled back
 */
export function createGuardChecker(deps: WriteDeps): GuardChecker {
  const exposures = new GuardExposureBuffer(deps.database);
  return {
    exposures,
    async checkGuard(planId) {
      const located = await findPlanById(deps.database, planId);
      if (!located || !isActive(located.plan) || located.plan.currentStage < 0 || !located.plan.guard) {
        return null;
      }
      await exposures.flush();
      const figures = await guardFigures(deps.database, located);
      if (!figures) return null;
      const trip = guardTrip(figures.guard, figures);
      if (!trip) return null;
      try {
        // A guard is checked by jobs and by SDK intake, outside any request: it acts in its plan's project.
        return await inProject(located.project, () =>
          runWrite(deps, RELEASE_ACTOR, async (w) => {
            const fresh = await findPlanById(w.tx, planId);
            // Only the stage whose figures tripped is rolled back.
            if (
              !fresh ||
              !isActive(fresh.plan) ||
              fresh.plan.stageStartedAt !== located.plan.stageStartedAt
            ) {
              return null;
            }
            const target = await locateConfig(w.tx, fresh.flagKey, fresh.environmentKey);
            return rollbackIn(w, target, fresh, { kind: 'trip', incident: { at: w.now, ...trip } });
          }),
        );
      } catch (error) {
        if (error instanceof PlanMovedError) return null;
        throw error;
      }
    },
  };
}
