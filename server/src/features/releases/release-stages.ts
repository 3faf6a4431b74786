import type { FlagConfig } from '@ringflag/sdk-node/engine';
import type { releasePlans } from '../../db/schema.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors/index.js';
import { runWrite, type Write, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { buildConfig, type Located, locateConfig, writeConfig } from '../flag-configs/apply-config.js';
import { composeConfig, type FlagConfigRow } from '../flags/flag-model.js';
import { rateText } from './guard.js';
import { compileRestore, compileRollback, compileStage, servesVariation } from './release-compiler.js';
import {
  awaitsApproval,
  type GuardIncident,
  isActive,
  nextAdvanceAt,
  type ReleasePlan,
  type ReleasePlanResult,
} from './release-plan.js';
import type { ReleaseStage } from './release-schemas.js';
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

/**
 * How a stage is named in messages and audit comments: numbered from 1.
 *
 * @example
 * describeStage(plan, 1); // 'stage 2 of 5: canary (1%)'
 */
export function describeStage(plan: { stages: readonly ReleaseStage[] }, index: number): string {
  const stage = plan.stages[index];
  const where = `stage ${index + 1} of ${plan.stages.length}`;
  return stage ? `${where}: ${stage.name} (${stage.percentage}%)` : where;
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
  const current = composeConfig(target.flag, target.config);
  const moved = await movePlan(w, located, {
    currentStage: next,
    stageStartedAt: w.now,
    stageHistory: [...before.stageHistory, { stage: next, startedAt: w.now }],
    // The config just before the plan first writes it is what a rollback restores.
    ...(next === 0 ? { prePlanConfig: current } : {}),
  });
  const compiled = compileStage(current, before, next);
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

/** Why a plan is rolled back: a person (with their comment), or its guard (with the figures). */
export type RollbackCause = { kind: 'manual'; comment?: string } | { kind: 'trip'; incident: GuardIncident };

/** The config a rollback writes, what it did in words, and what a person should know about it. */
interface RollbackOutcome {
  config: FlagConfig | null;
  summary: string;
  warnings: string[];
}

/** Whether two configs differ in what a plan never writes (rules aside from its rings, targets, …). */
function changedMeanwhile(restored: FlagConfig, before: FlagConfig): boolean {
  const kept = (config: FlagConfig) =>
    JSON.stringify([config.offVariation, config.prerequisites, config.targets, config.rules]);
  return kept(restored) !== kept(before);
}

/**
 * The restore of the config before the plan (see `compileRestore`), built and checked against what
 * exists now, or null when it no longer makes a valid config (a variation or segment it names is
 * gone).
 */
async function restoreOutcome(
  w: Write,
  target: Located,
  plan: ReleasePlan & { before: FlagConfig },
  current: FlagConfig,
): Promise<RollbackOutcome | null> {
  let config: FlagConfig;
  try {
    config = await buildConfig(w.tx, target, compileRestore(current, plan.before, plan));
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
  const notes = [`restored the config from before the plan started (version ${plan.before.version})`];
  if (changedMeanwhile(config, plan.before)) notes.push('kept the changes others made since then');
  if (plan.before.enabled && !current.enabled)
    notes.push('the flag stays off: it was switched off meanwhile');
  const warnings = servesVariation(config, plan.variation).map(
    (where) => `The restored config still serves "${plan.variation}": ${where}.`,
  );
  return { config, summary: notes.join('; '), warnings };
}

/**
 * What rolling a plan back writes. A guard trip is an incident: with `onTrip: 'off'` the flag is
 * switched off in the environment (everyone gets the off variation; the targeting stays as it was,
 * for diagnosis); with `'revert'` the config before the plan comes back. A manual rollback restores
 * the config before the plan. Plans without a kept config (created before plans kept one) lose their
 * rules and serve the off variation to everyone else. A plan that never entered a stage wrote
 * nothing, so nothing changes.
 */
async function rollbackOutcome(
  w: Write,
  target: Located,
  plan: ReleasePlan,
  cause: RollbackCause,
): Promise<RollbackOutcome> {
  const current = composeConfig(target.flag, target.config);
  const off = (why = ''): RollbackOutcome => ({
    config: { ...current, enabled: false },
    summary:
      `${why}switched the flag off in "${plan.environment}": everyone gets "${current.offVariation}"; ` +
      'its rules, rollout and targets stay as they were, for diagnosis',
    warnings: [],
  });
  if (plan.currentStage < 0) {
    return {
      config: null,
      summary: 'the plan never entered a stage; the config was not changed',
      warnings: [],
    };
  }
  if (cause.kind === 'trip' && plan.onTrip === 'off') return off();
  if (plan.before !== null) {
    const restored = await restoreOutcome(w, target, { ...plan, before: plan.before }, current);
    if (restored) return restored;
    if (cause.kind === 'trip') return off('the config before the plan is no longer valid, so ');
  } else if (cause.kind === 'trip') {
    return off();
  }
  const fallback: RollbackOutcome = {
    config: compileRollback(current, plan),
    summary: "removed the plan's rules; everyone else gets the off variation",
    warnings: [],
  };
  if (plan.before !== null) {
    fallback.warnings.push(
      'The config from before the plan could not be restored (a variation or segment it names is gone); ' +
        "the plan's rules were removed and everyone else gets the off variation instead.",
    );
  }
  return fallback;
}

/** A guard incident in words, for audit comments. */
function incidentText(incident: GuardIncident, variation: string): string {
  return (
    `guard tripped: ${incident.events} "${incident.event}" events over ${incident.exposures} exposures of ` +
    `"${variation}" = ${rateText(incident.rate)} > max ${rateText(incident.maxRate)}`
  );
}

/**
 * Rolls a plan back (see `rollbackOutcome` for what it writes), audited with what it did. Throws
 * {@link PlanMovedError} when another write moved the plan first.
 */
export async function rollbackIn(
  w: Write,
  target: Located,
  located: LocatedPlanRow,
  cause: RollbackCause,
): Promise<ReleasePlanResult> {
  const before = planView(located);
  const incident = cause.kind === 'trip' ? cause.incident : null;
  const moved = await movePlan(w, located, { state: 'rolled_back', incident });
  const outcome = await rollbackOutcome(w, target, before, cause);
  const why =
    cause.kind === 'trip'
      ? incidentText(cause.incident, before.variation)
      : (cause.comment ?? 'rolled back by hand');
  const comment = [`${why}; ${outcome.summary}`, ...outcome.warnings].join(' ');
  if (outcome.config) await writeStage(w, target, outcome.config, `release plan #${before.id}: ${comment}`);
  const after = planView(moved);
  auditPlan(w, 'release.rollback', before, after, comment);
  return { ...after, warnings: outcome.warnings, summary: outcome.summary };
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
