import { z } from '@hono/zod-openapi';
import { idSchema } from '@ringflag/sdk-node/engine';

/** Whether a percentage has at most three decimals (weights are thousandths of a percent). */
export function hasThreeDecimals(percentage: number): boolean {
  const scaled = percentage * 1000;
  return Math.abs(scaled - Math.round(scaled)) < 1e-6;
}

export const releaseStageSchema = z
  .object({
    name: z.string().min(1).max(64),
    /** Segments that get the variation from this stage on (a rule per stage). */
    segments: z.array(idSchema).min(1).max(20).optional(),
    /** Share of everyone else, 0–100 with up to three decimals. */
    percentage: z
      .number()
      .min(0)
      .max(100)
      .refine(hasThreeDecimals, { message: 'must have at most three decimals' }),
    /** Minutes the stage holds before advancing on its own; without it, the stage waits for a manual advance. */
    holdMinutes: z.number().min(0).max(525_600).optional(),
    /** Advancing INTO this stage needs an approver's approval (not the plan's creator). */
    approval: z.boolean().optional(),
  })
  .strict();

export const releaseGuardSchema = z
  .object({
    /** The tracked event to watch (`track(event, context)`). */
    event: z.string().min(1).max(128),
    /** Events per exposure of the released variation above which the plan rolls back (0–1; 0.05 = 5%). */
    maxRate: z.number().min(0).max(1),
    /** Exposures needed in the current stage before the guard may trip. */
    minExposures: z.number().int().min(1).max(1_000_000_000),
  })
  .strict();

/** What a guard trip does: switch the flag off in the environment (default) or restore the pre-plan config. */
export const releaseOnTripSchema = z.enum(['off', 'revert']);

/**
 * The body of `POST /api/v1/flags/{key}/environments/{env}/release`.
 *
 * @example
 * { "variation": "on", "stages": [{ "name": "staff", "segments": ["staff"], "percentage": 0, "holdMinutes": 60 },
 *   { "name": "canary", "percentage": 1, "holdMinutes": 60 }, { "name": "everyone", "percentage": 100 }],
 *   "guard": { "event": "checkout-error", "maxRate": 0.05, "minExposures": 100 }, "onTrip": "off" }
 */
export const newReleasePlanSchema = z
  .object({
    variation: idSchema,
    stages: z.array(releaseStageSchema).min(1).max(20),
    guard: releaseGuardSchema.optional(),
    /** What a guard trip does (default 'off': the kill switch; 'revert': the config before the plan). */
    onTrip: releaseOnTripSchema.optional(),
  })
  .strict()
  .superRefine((plan, ctx) => {
    plan.stages.forEach((stage, index) => {
      const previous = plan.stages[index - 1];
      if (previous && stage.percentage < previous.percentage) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', index, 'percentage'],
          message: `must not be below the previous stage's ${previous.percentage}%: percentages never decrease`,
        });
      }
    });
    const names = new Set<string>();
    plan.stages.forEach((stage, index) => {
      if (names.has(stage.name))
        ctx.addIssue({
          code: 'custom',
          path: ['stages', index, 'name'],
          message: 'is used by another stage',
        });
      names.add(stage.name);
    });
  });

export const approveReleaseSchema = z.object({ comment: z.string().max(1000).optional() }).strict();

export type ReleaseStage = z.infer<typeof releaseStageSchema>;
export type ReleaseGuard = z.infer<typeof releaseGuardSchema>;
export type ReleaseOnTrip = z.infer<typeof releaseOnTripSchema>;
export type NewReleasePlan = z.infer<typeof newReleasePlanSchema>;
