import type { FlagConfig } from '@ringflag/sdk-node/engine';
import type { releasePlans } from '../../db/schema.js';
import { ConflictError, NotFoundError } from '../../errors/index.js';
import { runWrite, type Write, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { buildConfig, type Located, locateConfig, writeConfig } from '../flag-configs/apply-config.js';
import { composeConfig, type FlagConfigRow } from '../flags/flag-model.js';
import { compileRollback, compileStage } from './release-compiler.js';
import { awaitsApproval, isActive, nextAdvanceAt, type ReleasePlan } from './release-plan.js';
import {
  findLatestPlan,
  findPlanById,
  type LocatedPlanRow,
  planView,
  updatePlanFrom,
} from './releases.store.js';

// The stage machine of release plans (DESIGN §4): running ⇄ paused, then completed or rolled_back.
// Every move happens inside a write and is a compare-and-set on the plan row as it was read, so a
// plan moves once however many writers try (two replicas' passes, a person and the ticker).

/** The actor of what release plans do on their own: stage compilation, auto-advance, guard trips. */
export const RELEASE_ACTOR: Actor = { type: 'system', id: 'releases', name: 'release plans' };

/** A plan that another write changed after this one read it. */
export class PlanMovedError extends ConflictError {
  constructor(planId: number) {
    super(`The release plan #${planId} changed meanwhile; look at it again`);
  }
}

/** How a stage is named in messages and audit comments. */
export function describeStage(plan: ReleasePlan, index: number): string {
  const stage = plan.stages[index];
  return stage ? `stage ${index} "${stage.name}" (${stage.percentage}%)` : `stage ${index}`;
}

/** Records a plan's audit event (`release.*`), filed under its flag and environment. */
export function auditPlan(
  w: Write,
  action: string,
  before: ReleasePlan | null,
  after: ReleasePlan,
  comment?: string,
): void {
  w.audit({
    action,
    resource: { type: 'release', key: after.flag, environment: after.environment },
    before,
    after,
    ...(comment === undefined ? {} : { comment }),
  });
}

/**
 * Moves a plan on, as it was read (`located`), to `values`: the new located row. Throws
 * {@link PlanMovedError}, having written nothing, when another write changed the plan first.
 */
export async function movePlan(
  w: Write,
  located: LocatedPlanRow,
  values: Partial<typeof releasePlans.$inferInsert>,
): Promise<LocatedPlanRow> {
  const row = await updatePlanFrom(w.tx, located.plan, { ...values, updatedAt: w.now });
  if (!row) throw new PlanMovedError(located.plan.id);
  return { ...located, plan: row };
}

/** Writes a compiled config as the release actor, acting for the write's actor when a person asked. */
async function writeStage(w: Write, target: Located, next: FlagConfig, comment: string): Promise<void> {
  const config = await buildConfig(w.tx, target, next, 'The stage does not compile into a valid config');
  await writeConfig(w, target, config, {
    action: 'flag.config.update',
    comment,
    actor: RELEASE_ACTOR,
    ...(w.actor.id === RELEASE_ACTOR.id ? {} : { onBehalfOf: w.actor }),
  });
}

/** The active plan of a flag in an environment, and its flag's config there, inside a write. */
export async function activePlan(
  w: Write,
  flagKey: string,
  envKey: string,
): Promise<{ target: Located; located: LocatedPlanRow }> {
  const target = await locateConfig(w.tx, flagKey, envKey);
  const located = await findLatestPlan(w.tx, target.flag.id, target.env.id);
  if (!located) throw new NotFoundError(`Flag "${flagKey}" has no release plan in "${envKey}"`);
  if (!isActive(located.plan)) {
    throw new ConflictError(`The release plan #${located.plan.id} is ${located.plan.state}; start a new one`);
  }
  return { target, located };
}

/**
 * Moves a plan to its next stage, writing the stage's config, or completes it after the last; the
 * caller checked the plan is active. Throws {@link ConflictError} when the next stage awaits an
 * approval, {@link PlanMovedError} when another write moved the plan first.
 */
export async function advanceIn(
  w: Write,
  target: Located,
  located: LocatedPlanRow,
  how: 'manual' | 'auto',
): Promise<ReleasePlan> {
  const before = planView(located);
  const next = before.currentStage + 1;
  if (next >= before.stages.length) {
    const after = planView(await movePlan(w, located, { state: 'completed' }));
    auditPlan(w, 'release.complete', before, after, how === 'auto' ? 'completed on schedule' : 'completed');
    return after;
  }
  if (awaitsApproval(before, next)) {
    throw new ConflictError(
      `${describeStage(before, next)} needs an approval first (POST …/release/approve)`,
    );
  }
  const moved = await movePlan(w, located, {
    currentStage: next,
    stageStartedAt: w.now,
    stageHistory: [...before.stageHistory, { stage: next, startedAt: w.now }],
  });
  const compiled = compileStage(composeConfig(target.flag, target.config), before, next);
  // Entering the first stage switches the flag on; later stages leave a kill switch where it is.
  if (next === 0) compiled.enabled = true;
  await writeStage(w, target, compiled, `release plan #${before.id}: ${describeStage(before, next)}`);
  const after = planView(moved);
  auditPlan(
    w,
    'release.advance',
    before,
    after,
    `${how === 'auto' ? 'advanced on schedule' : 'advanced'} to ${describeStage(after, next)}`,
  );
  return after;
}

/**
 * Rolls a plan back: its rules go and everyone gets the off variation (a plan that never entered a
 * stage served nothing, so its flag's config stays). Throws {@link PlanMovedError} when another write
 * moved the plan first.
 */
export async function rollbackIn(
  w: Write,
  target: Located,
  located: LocatedPlanRow,
  incident: ReleasePlan['incident'],
  comment: string,
): Promise<ReleasePlan> {
  const before = planView(located);
  const moved = await movePlan(w, located, { state: 'rolled_back', incident });
  if (before.currentStage >= 0) {
    await writeStage(
      w,
      target,
      compileRollback(composeConfig(target.flag, target.config), before),
      `release plan #${before.id}: ${comment}`,
    );
  }
  const after = planView(moved);
  auditPlan(w, 'release.rollback', before, after, comment);
  return after;
}

/** Whether a running plan may advance on its own now. */
function isDue(plan: ReleasePlan, config: FlagConfigRow, now: Date): boolean {
  if (plan.state !== 'running' || (!config.enabled && plan.currentStage >= 0)) return false;
  const at = nextAdvanceAt(plan);
  return at !== null && Date.parse(at) <= now.getTime();
}

/**
 * Advances a plan, as {@link RELEASE_ACTOR}, if it is due (its hold is over, its next stage approved);
 * says what it did, or null when it was not due or another write moved it first.
 *
 * @example
 * await advanceIfDue(deps, plan.id); // 'advanced'
 */
export async function advanceIfDue(
  deps: WriteDeps,
  planId: number,
): Promise<'advanced' | 'completed' | null> {
  try {
    return await runWrite(deps, RELEASE_ACTOR, async (w) => {
      const located = await findPlanById(w.tx, planId);
      if (!located) return null;
      const target = await locateConfig(w.tx, located.flagKey, located.environmentKey);
      if (!isDue(planView(located), target.config, new Date(w.now))) return null;
      const after = await advanceIn(w, target, located, 'auto');
      return after.state === 'completed' ? 'completed' : 'advanced';
    });
  } catch (error) {
    if (error instanceof PlanMovedError) return null;
    throw error;
  }
}
