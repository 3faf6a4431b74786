import type { FlagConfig } from '@ringflag/sdk-node/engine';
import type { AppDeps } from '../../app-env.js';
import { runWrite, type Write } from '../../db/unit-of-work.js';
import {
  ConflictError,
  type FieldError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../errors/index.js';
import type { Actor } from '../audit/audit-event.js';
import { personOf, type Reviewer, requireApprover, samePerson } from '../auth/four-eyes.js';
import { buildConfig, type Located, locateConfig, writeConfig } from '../flag-configs/apply-config.js';
import { composeConfig, type FlagConfigRow } from '../flags/flag-model.js';
import { findSegment } from '../flags/flags.store.js';
import { guardTrip } from './guard.js';
import { flushGuardCounts } from './guard-ingest.js';
import { compileRollback, compileStage } from './release-compiler.js';
import { awaitsApproval, isActive, nextAdvanceAt, type ReleasePlan } from './release-plan.js';
import type { NewReleasePlan } from './release-schemas.js';
import {
  findLatestPlan,
  findPlanById,
  insertPlan,
  type LocatedPlanRow,
  listActivePlans,
  planView,
  sumExposures,
  sumGuardEvents,
  updatePlan,
} from './releases.store.js';

/** The actor of what release plans do on their own: stage compilation, auto-advance, guard trips. */
export const RELEASE_ACTOR: Actor = { type: 'system', id: 'releases', name: 'release plans' };

const MINUTE_MS = 60_000;

/** What one {@link ReleaseService.tick} did. */
export interface TickResult {
  advanced: number[];
  completed: number[];
  rolledBack: number[];
}

/** Release plans (rings) and their guards: the rules of DESIGN §4. */
export interface ReleaseService {
  create(actor: Actor, flagKey: string, env: string, input: NewReleasePlan): ReleasePlan;
  /** The newest plan of the flag in the environment, whatever its state. */
  get(flagKey: string, env: string): ReleasePlan;
  advance(actor: Actor, flagKey: string, env: string): ReleasePlan;
  pause(actor: Actor, flagKey: string, env: string): ReleasePlan;
  resume(actor: Actor, flagKey: string, env: string): ReleasePlan;
  rollback(actor: Actor, flagKey: string, env: string, comment?: string): ReleasePlan;
  /** Approves the next gated stage: an approver's call, never the plan creator's (four eyes). */
  approve(reviewer: Reviewer, flagKey: string, env: string, comment?: string): ReleasePlan;
  /** Checks the guard of one active plan now; rolls it back when it trips. */
  checkGuard(planId: number): ReleasePlan | null;
  /** Checks every active plan: guards first, then auto-advance where due. */
  tick(): TickResult;
}

const describeStage = (plan: ReleasePlan, index: number) => {
  const stage = plan.stages[index];
  return stage ? `stage ${index} "${stage.name}" (${stage.percentage}%)` : `stage ${index}`;
};

/**
 * Builds the release service. Stage changes are written straight to the flag config by
 * {@link RELEASE_ACTOR} (the plan is what was approved), each in one transaction with its audit
 * events, the revision bump and the stream patch.
 *
 * @example
 * const releases = createReleaseService(deps);
 * releases.create(actor, 'new-checkout', 'production', { variation: 'on', stages });
 * releases.tick();
 */
export function createReleaseService(deps: AppDeps): ReleaseService {
  /** Writes a compiled config as the release actor, acting for the write's actor when a person asked. */
  function writeStage(w: Write, target: Located, next: FlagConfig, comment: string): void {
    const config = buildConfig(w.tx, target, next, 'The stage does not compile into a valid config');
    writeConfig(w, target, config, {
      action: 'flag.config.update',
      comment,
      actor: RELEASE_ACTOR,
      ...(w.actor.id === RELEASE_ACTOR.id ? {} : { onBehalfOf: w.actor }),
    });
  }

  function auditPlan(
    w: Write,
    action: string,
    before: ReleasePlan | null,
    after: ReleasePlan,
    comment?: string,
  ) {
    w.audit({
      action,
      resource: { type: 'release', key: after.flag, environment: after.environment },
      before,
      after,
      ...(comment === undefined ? {} : { comment }),
    });
  }

  /** The active plan of a flag in an environment, inside a write. */
  function activePlan(
    w: Write,
    flagKey: string,
    envKey: string,
  ): { target: Located; located: LocatedPlanRow } {
    const target = locateConfig(w.tx, flagKey, envKey);
    const located = findLatestPlan(w.tx, target.flag.id, target.env.id);
    if (!located) throw new NotFoundError(`Flag "${flagKey}" has no release plan in "${envKey}"`);
    if (!isActive(located.plan)) {
      throw new ConflictError(
        `The release plan #${located.plan.id} is ${located.plan.state}; start a new one`,
      );
    }
    return { target, located };
  }

  /** Moves a plan to its next stage (or completes it after the last); the caller checked the gates. */
  function advanceIn(
    w: Write,
    target: Located,
    located: LocatedPlanRow,
    how: 'manual' | 'auto',
  ): ReleasePlan {
    const before = planView(located);
    const next = before.currentStage + 1;
    if (next >= before.stages.length) {
      const row = updatePlan(w.tx, before.id, { state: 'completed', updatedAt: w.now });
      const after = planView({ ...located, plan: row });
      auditPlan(
        w,
        'release.complete',
        before,
        after,
        `${how === 'auto' ? 'completed on schedule' : 'completed'}`,
      );
      return after;
    }
    if (awaitsApproval(before, next)) {
      throw new ConflictError(
        `${describeStage(before, next)} needs an approval first (POST …/release/approve)`,
      );
    }
    const compiled = compileStage(composeConfig(target.flag, target.config), before, next);
    // Entering the first stage switches the flag on; later stages leave a kill switch where it is.
    if (next === 0) compiled.enabled = true;
    writeStage(w, target, compiled, `release plan #${before.id}: ${describeStage(before, next)}`);
    const row = updatePlan(w.tx, before.id, {
      currentStage: next,
      stageStartedAt: w.now,
      stageHistory: [...before.stageHistory, { stage: next, startedAt: w.now }],
      updatedAt: w.now,
    });
    const after = planView({ ...located, plan: row });
    auditPlan(
      w,
      'release.advance',
      before,
      after,
      `${how === 'auto' ? 'advanced on schedule' : 'advanced'} to ${describeStage(after, next)}`,
    );
    return after;
  }

  function rollbackIn(
    w: Write,
    target: Located,
    located: LocatedPlanRow,
    incident: ReleasePlan['incident'],
    comment: string,
  ): ReleasePlan {
    const before = planView(located);
    // A plan that never entered a stage has served nothing: its flag's config stays as it is.
    if (before.currentStage >= 0) {
      writeStage(
        w,
        target,
        compileRollback(composeConfig(target.flag, target.config), before),
        `release plan #${before.id}: ${comment}`,
      );
    }
    const row = updatePlan(w.tx, before.id, { state: 'rolled_back', incident, updatedAt: w.now });
    const after = planView({ ...located, plan: row });
    auditPlan(w, 'release.rollback', before, after, comment);
    return after;
  }

  /** The released variation's figures since the plan's current stage started. */
  function figuresOf(located: LocatedPlanRow) {
    const { plan } = located;
    const guard = planView(located).guard;
    if (!guard) return null;
    const fromMinute = Math.floor(Date.parse(plan.stageStartedAt) / MINUTE_MS);
    flushGuardCounts(deps);
    return {
      guard,
      exposures: sumExposures(deps.db, plan.environmentId, located.flagKey, plan.variation, fromMinute),
      events: sumGuardEvents(
        deps.db,
        plan.environmentId,
        located.flagKey,
        plan.variation,
        guard.event,
        fromMinute,
      ),
    };
  }

  function checkGuard(planId: number): ReleasePlan | null {
    const located = findPlanById(deps.db, planId);
    if (!located || !isActive(located.plan) || located.plan.currentStage < 0) return null;
    const figures = figuresOf(located);
    if (!figures) return null;
    const trip = guardTrip(figures.guard, figures);
    if (!trip) return null;
    return runWrite(deps, RELEASE_ACTOR, (w) => {
      const fresh = findPlanById(w.tx, planId);
      if (!fresh || !isActive(fresh.plan) || fresh.plan.stageStartedAt !== located.plan.stageStartedAt)
        return null;
      const target = locateConfig(w.tx, fresh.flagKey, fresh.environmentKey);
      const incident = { at: w.now, ...trip };
      const comment =
        `guard tripped: ${trip.events} "${trip.event}" events over ${trip.exposures} exposures of ` +
        `"${fresh.plan.variation}" = rate ${trip.rate.toFixed(4)} > maxRate ${trip.maxRate}; rolled back`;
      return rollbackIn(w, target, fresh, incident, comment);
    });
  }

  /** Whether a running plan may advance on its own now. */
  function isDue(plan: ReleasePlan, config: FlagConfigRow, now: Date): boolean {
    if (plan.state !== 'running' || (!config.enabled && plan.currentStage >= 0)) return false;
    const at = nextAdvanceAt(plan);
    return at !== null && Date.parse(at) <= now.getTime();
  }

  function advanceIfDue(planId: number): 'advanced' | 'completed' | null {
    return runWrite(deps, RELEASE_ACTOR, (w) => {
      const located = findPlanById(w.tx, planId);
      if (!located) return null;
      const target = locateConfig(w.tx, located.flagKey, located.environmentKey);
      if (!isDue(planView(located), target.config, new Date(w.now))) return null;
      return advanceIn(w, target, located, 'auto').state === 'completed' ? 'completed' : 'advanced';
    });
  }

  return {
    create(actor, flagKey, envKey, input) {
      return runWrite(deps, actor, (w) => {
        const target = locateConfig(w.tx, flagKey, envKey);
        const { flag, env, config } = target;
        if (flag.archived) throw new ConflictError(`Flag "${flagKey}" is archived`);
        const latest = findLatestPlan(w.tx, flag.id, env.id);
        if (latest && isActive(latest.plan)) {
          throw new ConflictError(
            `Flag "${flagKey}" already has an active release plan (#${latest.plan.id}, ${latest.plan.state}) in "${envKey}"`,
          );
        }
        const errors: FieldError[] = [];
        const variations = (flag.variations as { id: string }[]).map((variation) => variation.id);
        if (!variations.includes(input.variation)) {
          errors.push({
            path: 'variation',
            message: `is not a variation of "${flagKey}" (${variations.join(', ')})`,
          });
        } else if (input.variation === config.offVariation) {
          errors.push({
            path: 'variation',
            message: `is the off variation in "${envKey}"; release another one`,
          });
        }
        input.stages.forEach((stage, i) => {
          stage.segments?.forEach((segment, j) => {
            if (!findSegment(w.tx, segment))
              errors.push({ path: `stages[${i}].segments[${j}]`, message: `no segment "${segment}"` });
          });
        });
        if (errors.length > 0) throw new ValidationError('The release plan is invalid', errors);
        // Where changes need approval, the plan is what gets approved: its first stage is gated.
        const stages = input.stages.map((stage, index) =>
          index === 0 && env.requireApproval && !stage.approval ? { ...stage, approval: true } : stage,
        );
        const row = insertPlan(w.tx, {
          flagId: flag.id,
          environmentId: env.id,
          variation: input.variation,
          state: 'running',
          stages,
          currentStage: -1,
          stageStartedAt: w.now,
          stageHistory: [],
          guard: input.guard ?? null,
          approvals: [],
          incident: null,
          createdBy: actor,
          createdAt: w.now,
          updatedAt: w.now,
        });
        const located: LocatedPlanRow = { plan: row, flagKey: flag.key, environmentKey: env.key };
        const created = planView(located);
        auditPlan(w, 'release.create', null, created);
        if (stages[0]?.approval) return created;
        return advanceIn(w, target, located, 'manual');
      });
    },

    get(flagKey, envKey) {
      const { flag, env } = locateConfig(deps.db, flagKey, envKey);
      const located = findLatestPlan(deps.db, flag.id, env.id);
      if (!located) throw new NotFoundError(`Flag "${flagKey}" has no release plan in "${envKey}"`);
      return planView(located);
    },

    advance(actor, flagKey, envKey) {
      return runWrite(deps, actor, (w) => {
        const { target, located } = activePlan(w, flagKey, envKey);
        return advanceIn(w, target, located, 'manual');
      });
    },

    pause(actor, flagKey, envKey) {
      return runWrite(deps, actor, (w) => {
        const { located } = activePlan(w, flagKey, envKey);
        const before = planView(located);
        if (before.state !== 'running')
          throw new ConflictError(`The release plan #${before.id} is ${before.state}`);
        const after = planView({
          ...located,
          plan: updatePlan(w.tx, before.id, { state: 'paused', updatedAt: w.now }),
        });
        auditPlan(w, 'release.pause', before, after);
        return after;
      });
    },

    resume(actor, flagKey, envKey) {
      return runWrite(deps, actor, (w) => {
        const { located } = activePlan(w, flagKey, envKey);
        const before = planView(located);
        if (before.state !== 'paused')
          throw new ConflictError(`The release plan #${before.id} is ${before.state}`);
        const after = planView({
          ...located,
          plan: updatePlan(w.tx, before.id, { state: 'running', updatedAt: w.now }),
        });
        auditPlan(w, 'release.resume', before, after);
        return after;
      });
    },

    rollback(actor, flagKey, envKey, comment) {
      return runWrite(deps, actor, (w) => {
        const { target, located } = activePlan(w, flagKey, envKey);
        return rollbackIn(w, target, located, null, comment ?? 'rolled back by hand');
      });
    },

    approve(reviewer, flagKey, envKey, comment) {
      requireApprover(reviewer.role, 'approve a release stage');
      const approved = runWrite(deps, reviewer.actor, (w) => {
        const { located } = activePlan(w, flagKey, envKey);
        const before = planView(located);
        if (samePerson(personOf(w.tx, before.createdBy), personOf(w.tx, reviewer.actor))) {
          throw new ForbiddenError("The plan's creator cannot approve its stages; ask another approver");
        }
        const next = before.currentStage + 1;
        if (!before.stages[next]?.approval) {
          throw new ConflictError(`${describeStage(before, next)} does not need an approval`);
        }
        if (!awaitsApproval(before, next))
          throw new ConflictError(`${describeStage(before, next)} is already approved`);
        const approvals = [
          ...before.approvals,
          { stage: next, by: reviewer.actor, at: w.now, comment: comment ?? null },
        ];
        const after = planView({
          ...located,
          plan: updatePlan(w.tx, before.id, { approvals, updatedAt: w.now }),
        });
        auditPlan(w, 'release.approve', before, after, comment);
        return after;
      });
      // An approval given after the hold time lets the plan move on at once, as the ticker would.
      if (advanceIfDue(approved.id) === null) return approved;
      return planView(findPlanById(deps.db, approved.id) as LocatedPlanRow);
    },

    checkGuard,

    tick() {
      const result: TickResult = { advanced: [], completed: [], rolledBack: [] };
      for (const located of listActivePlans(deps.db)) {
        const id = located.plan.id;
        try {
          if (checkGuard(id)) {
            result.rolledBack.push(id);
            continue;
          }
          const outcome = advanceIfDue(id);
          if (outcome === 'advanced') result.advanced.push(id);
          if (outcome === 'completed') result.completed.push(id);
        } catch (error) {
          // One broken plan (a segment deleted under it) must not stop the others.
          deps.logger.error('release plan tick failed', { plan: id, error: String(error) });
        }
      }
      return result;
    },
  };
}
