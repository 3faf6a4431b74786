import {
  ConflictError,
  type FieldError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
} from '../../errors/index.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { personOf, type Reviewer, requireApprover, samePerson } from '../auth/four-eyes.js';
import { locateConfig } from '../flag-configs/apply-config.js';
import { findSegment } from '../flags/flags.store.js';
import { awaitsApproval, isActive, type ReleasePlan } from './release-plan.js';
import type { NewReleasePlan } from './release-schemas.js';
import {
  activePlan,
  advanceIfDue,
  advanceIn,
  auditPlan,
  describeStage,
  movePlan,
  rollbackIn,
} from './release-stages.js';
import { findLatestPlan, findPlanById, insertPlan, type LocatedPlanRow, planView } from './releases.store.js';

/** Release plans (rings): what people do with them, by the rules of DESIGN §4. */
export interface ReleaseService {
  create(actor: Actor, flagKey: string, env: string, input: NewReleasePlan): Promise<ReleasePlan>;
  /** The newest plan of the flag in the environment, whatever its state. */
  get(flagKey: string, env: string): Promise<ReleasePlan>;
  advance(actor: Actor, flagKey: string, env: string): Promise<ReleasePlan>;
  pause(actor: Actor, flagKey: string, env: string): Promise<ReleasePlan>;
  resume(actor: Actor, flagKey: string, env: string): Promise<ReleasePlan>;
  rollback(actor: Actor, flagKey: string, env: string, comment?: string): Promise<ReleasePlan>;
  /** Approves the next gated stage: an approver's call, never the plan creator's (four eyes). */
  approve(reviewer: Reviewer, flagKey: string, env: string, comment?: string): Promise<ReleasePlan>;
}

/**
 * Builds the release plan service. Stage changes are written straight to the flag config by the
 * release actor (the plan is what was approved), each in one write with its audit events, the
 * revision bump and the stream patch. The ticker (release-ticker.ts) moves plans on their own.
 *
 * @example
 * const releases = createReleaseService({ database, changes, clock, logger });
 * await releases.create(actor, 'new-checkout', 'production', { variation: 'on', stages });
 */
export function createReleaseService(deps: WriteDeps): ReleaseService {
  /** Pauses or resumes the active plan: `from` is the state it must be in. */
  const setRunning = (actor: Actor, flagKey: string, envKey: string, from: 'running' | 'paused') =>
    runWrite(deps, actor, async (w) => {
      const { located } = await activePlan(w, flagKey, envKey);
      const before = planView(located);
      if (before.state !== from) throw new ConflictError(`The release plan #${before.id} is ${before.state}`);
      const to = from === 'running' ? 'paused' : 'running';
      const after = planView(await movePlan(w, located, { state: to }));
      auditPlan(w, to === 'paused' ? 'release.pause' : 'release.resume', before, after);
      return after;
    });

  return {
    create(actor, flagKey, envKey, input) {
      return runWrite(deps, actor, async (w) => {
        const target = await locateConfig(w.tx, flagKey, envKey);
        const { flag, env, config } = target;
        if (flag.archived) throw new ConflictError(`Flag "${flagKey}" is archived`);
        const latest = await findLatestPlan(w.tx, flag.id, env.id);
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
        for (const [i, stage] of input.stages.entries()) {
          for (const [j, segment] of (stage.segments ?? []).entries()) {
            if (!(await findSegment(w.tx, segment))) {
              errors.push({ path: `stages[${i}].segments[${j}]`, message: `no segment "${segment}"` });
            }
          }
        }
        if (errors.length > 0) throw new ValidationError('The release plan is invalid', errors);
        // Where changes need approval, the plan is what gets approved: its first stage is gated.
        const stages = input.stages.map((stage, index) =>
          index === 0 && env.requireApproval && !stage.approval ? { ...stage, approval: true } : stage,
        );
        const row = await insertPlan(w.tx, {
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

    async get(flagKey, envKey) {
      const { flag, env } = await locateConfig(deps.database, flagKey, envKey);
      const located = await findLatestPlan(deps.database, flag.id, env.id);
      if (!located) throw new NotFoundError(`Flag "${flagKey}" has no release plan in "${envKey}"`);
      return planView(located);
    },

    advance(actor, flagKey, envKey) {
      return runWrite(deps, actor, async (w) => {
        const { target, located } = await activePlan(w, flagKey, envKey);
        return advanceIn(w, target, located, 'manual');
      });
    },

    pause: (actor, flagKey, envKey) => setRunning(actor, flagKey, envKey, 'running'),

    resume: (actor, flagKey, envKey) => setRunning(actor, flagKey, envKey, 'paused'),

    rollback(actor, flagKey, envKey, comment) {
      return runWrite(deps, actor, async (w) => {
        const { target, located } = await activePlan(w, flagKey, envKey);
        return rollbackIn(w, target, located, null, comment ?? 'rolled back by hand');
      });
    },

    async approve(reviewer, flagKey, envKey, comment) {
      requireApprover(reviewer.role, 'approve a release stage');
      const approved = await runWrite(deps, reviewer.actor, async (w) => {
        const { located } = await activePlan(w, flagKey, envKey);
        const before = planView(located);
        const creator = await personOf(w.tx, before.createdBy);
        if (samePerson(creator, await personOf(w.tx, reviewer.actor))) {
          throw new ForbiddenError("The plan's creator cannot approve its stages; ask another approver");
        }
        const next = before.currentStage + 1;
        if (!before.stages[next]?.approval) {
          throw new ConflictError(`${describeStage(before, next)} does not need an approval`);
        }
        if (!awaitsApproval(before, next)) {
          throw new ConflictError(`${describeStage(before, next)} is already approved`);
        }
        const approvals = [
          ...before.approvals,
          { stage: next, by: reviewer.actor, at: w.now, comment: comment ?? null },
        ];
        const after = planView(await movePlan(w, located, { approvals }));
        auditPlan(w, 'release.approve', before, after, comment);
        return after;
      });
      // An approval given after the hold time lets the plan move on at once, as the ticker would.
      if ((await advanceIfDue(deps, approved.id)) === null) return approved;
      const moved = await findPlanById(deps.database, approved.id);
      return moved ? planView(moved) : approved;
    },
  };
}
