import type { FlagConfig } from '@ringflag/sdk-node/engine';
import type { Actor } from '../audit/audit-event.js';
import type { ReleaseGuard, ReleaseOnTrip, ReleaseStage } from './release-schemas.js';

export type ReleaseState = 'running' | 'paused' | 'completed' | 'rolled_back';

/** An approval of a gated stage. */
export interface StageApproval {
  stage: number;
  by: Actor;
  at: string;
  comment: string | null;
}

/** What tripped a guard: the released variation's figures in the stage where it tripped. */
export interface GuardIncident {
  at: string;
  event: string;
  /** events / exposures. */
  rate: number;
  exposures: number;
  events: number;
  maxRate: number;
}

/**
 * A release plan as the API shows it.
 *
 * `currentStage` is the index of the stage in effect, or -1 while the first stage awaits its
 * approval. `nextAdvanceAt` is when the plan will advance on its own (null when it will not:
 * paused, finished, a stage without `holdMinutes`, or an approval still missing).
 * `stageHistory` (beyond the shared contract) records when each stage took effect.
 */
export interface ReleasePlan {
  id: number;
  flag: string;
  environment: string;
  variation: string;
  state: ReleaseState;
  stages: ReleaseStage[];
  currentStage: number;
  stageStartedAt: string;
  nextAdvanceAt: string | null;
  guard: ReleaseGuard | null;
  /** What a guard trip does: 'off' switches the flag off in the environment, 'revert' restores `before`. */
  onTrip: ReleaseOnTrip;
  /**
   * The flag's config in the environment before the plan started: what a rollback restores. Null for
   * plans created before plans kept it (their rollback serves the off variation to everyone).
   */
  before: FlagConfig | null;
  approvals: StageApproval[];
  incident: GuardIncident | null;
  createdBy: Actor;
  createdAt: string;
  updatedAt: string;
  stageHistory: { stage: number; startedAt: string }[];
}

/** A plan as starting or rolling it back answers: with what a person should know about the result. */
export interface ReleasePlanResult extends ReleasePlan {
  /** Where the flag serves the released variation outside the plan's control (empty when nowhere). */
  warnings: string[];
  /** What the action did to the flag, in words. */
  summary: string;
}

/** Whether a plan still drives its flag (and may be advanced, paused, rolled back). */
export function isActive(plan: Pick<ReleasePlan, 'state'>): boolean {
  return plan.state === 'running' || plan.state === 'paused';
}

/** Whether advancing into `stage` needs an approval that has not been given. */
export function awaitsApproval(plan: Pick<ReleasePlan, 'stages' | 'approvals'>, stage: number): boolean {
  const next = plan.stages[stage];
  return next?.approval === true && !plan.approvals.some((approval) => approval.stage === stage);
}

/**
 * When the plan advances on its own, or null. The next step after the last stage is completion.
 *
 * @example
 * nextAdvanceAt(plan); // '2025-01-01T01:00:00.000Z'
 */
export function nextAdvanceAt(
  plan: Pick<ReleasePlan, 'state' | 'stages' | 'currentStage' | 'stageStartedAt' | 'approvals'>,
): string | null {
  if (plan.state !== 'running') return null;
  const next = plan.currentStage + 1;
  if (awaitsApproval(plan, next)) return null;
  if (plan.currentStage < 0) return plan.stageStartedAt;
  const hold = plan.stages[plan.currentStage]?.holdMinutes;
  if (hold === undefined) return null;
  return new Date(Date.parse(plan.stageStartedAt) + hold * 60_000).toISOString();
}

/**
 * The index of the stage a plan waits to be approved before entering, or null: the plan is active and
 * its next stage needs an approval not given yet.
 */
export function stageAwaitingApproval(
  plan: Pick<ReleasePlan, 'state' | 'stages' | 'approvals' | 'currentStage'>,
): number | null {
  const next = plan.currentStage + 1;
  return isActive(plan) && awaitsApproval(plan, next) ? next : null;
}
