import type { Queryable } from '../../db/client.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors/index.js';
import { runWrite, type WriteDeps } from '../../write/unit-of-work.js';
import type { Actor } from '../audit/audit-event.js';
import { personOf, type Reviewer, requireApprover, samePerson } from '../auth/four-eyes.js';
import { type Located, locateConfig } from '../flag-configs/apply-config.js';
import { composeConfig } from '../flags/flag-model.js';
import { projectInScope } from '../projects/project-scope.js';
import { compileStage } from './release-compiler.js';
import {
  awaitsApproval,
  isActive,
  type ReleasePlan,
  type ReleasePlanResult,
  stageAwaitingApproval,
} from './release-plan.js';
import {
  checkNewPlan,
  gatedStages,
  previewPlan,
  type ReleasePreview,
  startWarnings,
} from './release-preview.js';
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
import {
  findLatestPlan,
  findPlanById,
  insertPlan,
  type LocatedPlanRow,
  listActivePlans,
  planView,
} from './releases.store.js';

/** A release stage awaiting an approval (`GET /api/v1/release-approvals`). */
export interface ReleaseApproval {
  flag: string;
  environment: string;
  /** 0-based index of the stage awaiting approval. */
  stage: number;
  stageName: string;
  plan: ReleasePlan;
  /** Since when the plan could move into the stage but for the approval: its current stage's start. */
  waitingSince: string;
}

/** Release plans (rings): what people do with them, by the rules of DESIGN §4. */
export interface ReleaseService {
  /** Starts a plan; answers it with warnings about what the flag already serves (see `startWarnings`). */
  create(actor: Actor, flagKey: string, env: string, input: NewReleasePlan): Promise<ReleasePlanResult>;
  /** What starting the plan would do, stage by stage, with the same checks and warnings; writes nothing. */
  preview(flagKey: string, env: string, input: NewReleasePlan): Promise<ReleasePreview>;
  /** The newest plan of the flag in the environment, whatever its state. */
  get(flagKey: string, env: string): Promise<ReleasePlan>;
  advance(actor: Actor, flagKey: string, env: string): Promise<ReleasePlan>;
  pause(actor: Actor, flagKey: string, env: string): Promise<ReleasePlan>;
  resume(actor: Actor, flagKey: string, env: string): Promise<ReleasePlan>;
  /** Rolls back, restoring the config from before the plan; warns when that config serves the variation. */
  rollback(actor: Actor, flagKey: string, env: string, comment?: string): Promise<ReleasePlanResult>;
  /** Approves the next gated stage: an approver's call, never the plan creator's (four eyes). */
  approve(reviewer: Reviewer, flagKey: string, env: string, comment?: string): Promise<ReleasePlan>;
  /** Active plans whose next stage awaits an approval, oldest plan first. */
  approvals(): Promise<ReleaseApproval[]>;
}

/** Refuses a plan on an archived flag, or where the flag already has an active plan. */
async function refuseSecondPlan(q: Queryable, { flag, env }: Located): Promise<void> {
  if (flag.archived) throw new ConflictError(`Flag "${flag.key}" is archived`);
  const latest = await findLatestPlan(q, flag.id, env.id);
  if (latest && isActive(latest.plan)) {
    throw new ConflictError(
      `Flag "${flag.key}" already has an active release plan (#${latest.plan.id}, ${latest.plan.state}) in "${env.key}"`,
    );
  }
}

/** The config of a plan's first stage on the flag's config now (switched on, as entering it does). */
function compileFirst({ flag, config }: Located, plan: ReleasePlan) {
  return { ...compileStage(composeConfig(flag, config), plan, 0), enabled: true };
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
        await refuseSecondPlan(w.tx, target);
        await checkNewPlan(w.tx, target, input);
        // Where changes need approval, the plan is what gets approved: its first stage is gated.
        const stages = gatedStages(input.stages, env.requireApproval);
        const before = composeConfig(flag, config);
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
          onTrip: input.onTrip ?? 'off',
          prePlanConfig: before,
          approvals: [],
          incident: null,
          createdBy: actor,
          createdAt: w.now,
          updatedAt: w.now,
        });
        const located: LocatedPlanRow = {
          plan: row,
          flagKey: flag.key,
          environmentKey: env.key,
          project: projectInScope(),
        };
        const created = planView(located);
        auditPlan(w, 'release.create', null, created);
        const warnings = startWarnings(before, created, compileFirst(target, created));
        if (stages[0]?.approval) {
          return { ...created, warnings, summary: `${describeStage(created, 0)} waits for an approval` };
        }
        const started = await advanceIn(w, target, located, 'manual');
        return { ...started, warnings, summary: `started ${describeStage(started, 0)}` };
      });
    },

    async preview(flagKey, envKey, input) {
      const target = await locateConfig(deps.database, flagKey, envKey);
      await refuseSecondPlan(deps.database, target);
      return previewPlan(deps.database, target, input);
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
        return rollbackIn(w, target, located, {
          kind: 'manual',
          ...(comment === undefined ? {} : { comment }),
        });
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

    async approvals() {
      const out: ReleaseApproval[] = [];
      for (const located of await listActivePlans(deps.database, projectInScope().id)) {
        const plan = planView(located);
        const stage = stageAwaitingApproval(plan);
        const awaited = stage === null ? undefined : plan.stages[stage];
        if (stage === null || !awaited) continue;
        out.push({
          flag: plan.flag,
          environment: plan.environment,
          stage,
          stageName: awaited.name,
          plan,
          waitingSince: plan.stageStartedAt,
        });
      }
      return out;
    },
  };
}
