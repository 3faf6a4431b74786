import { z } from '@hono/zod-openapi';
import { type Agrees, listOf, orNull, timestampSchema } from '../../http/openapi-app.js';
import { actorSchema } from '../audit/audit-event.js';
import { flagConfigWireSchema } from '../flags/flag-schemas.js';
import type { ReleasePlan, ReleasePlanResult } from './release-plan.js';
import type { ReleaseApproval } from './release-plans.service.js';
import type { ReleasePreview } from './release-preview.js';
import { releaseGuardSchema, releaseOnTripSchema, releaseStageSchema } from './release-schemas.js';

/*
 * Release plans as the API shows them, for the OpenAPI document and the handlers' types. The types in
 * release-plan.ts and beside the service are what it builds; the checks at the end stop compiling when
 * the two part, so a field added there must be described here.
 */

const releaseStageWireSchema = releaseStageSchema.openapi('ReleaseStage');
const releaseGuardWireSchema = releaseGuardSchema.openapi('ReleaseGuard');

/** A release plan: the variation, its stages (rings), where it is, its guard and its history. */
export const releasePlanSchema = z
  .object({
    id: z.number().int(),
    flag: z.string(),
    environment: z.string(),
    variation: z.string(),
    state: z.enum(['running', 'paused', 'completed', 'rolled_back']),
    stages: z.array(releaseStageWireSchema),
    currentStage: z.number().int().openapi({
      description:
        'The index (0-based) of the stage in effect, or -1 while the first stage awaits its approval.',
    }),
    stageStartedAt: timestampSchema,
    nextAdvanceAt: timestampSchema.nullable().openapi({
      description:
        'When the plan will advance on its own; null when it will not (paused, finished, a stage without holdMinutes, or an approval still missing).',
    }),
    guard: orNull(releaseGuardWireSchema),
    onTrip: releaseOnTripSchema.openapi({
      description:
        "What a guard trip does: 'off' switches the flag off in the environment, 'revert' restores `before`.",
    }),
    before: orNull(flagConfigWireSchema).openapi({
      description:
        "The flag's config in the environment before the plan started: what a rollback restores. Null for plans older than that.",
    }),
    approvals: z.array(
      z.object({
        stage: z.number().int(),
        by: actorSchema,
        at: timestampSchema,
        comment: z.string().nullable(),
      }),
    ),
    incident: orNull(
      z
        .object({
          at: timestampSchema,
          event: z.string(),
          rate: z.number().openapi({ description: 'events / exposures.' }),
          exposures: z.number().int(),
          events: z.number().int(),
          maxRate: z.number(),
        })
        .openapi('GuardIncident'),
    ).openapi({
      description: "What tripped the guard: the released variation's figures in the stage where it tripped.",
    }),
    createdBy: actorSchema,
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
    stageHistory: z
      .array(z.object({ stage: z.number().int(), startedAt: timestampSchema }))
      .openapi({ description: 'When each stage took effect.' }),
  })
  .openapi('ReleasePlan');

/** A plan as starting or rolling it back answers: with what a person should know about the result. */
export const releasePlanResultSchema = releasePlanSchema
  .extend({
    warnings: z.array(z.string()).openapi({
      description:
        "Where the flag serves the released variation outside the plan's control (empty when nowhere).",
    }),
    summary: z.string().openapi({ description: 'What the action did to the flag, in words.' }),
  })
  .openapi('ReleasePlanResult');

/** What starting a plan would do (`POST …/release/preview`): nothing is written. */
export const releasePreviewSchema = z
  .object({
    warnings: z.array(z.string()).openapi({
      description:
        'What in the config today the plan does not control, or changes, that a person should know.',
    }),
    before: flagConfigWireSchema,
    stages: z.array(
      z.object({
        index: z.number().int().openapi({ description: '0-based, as everywhere on the wire.' }),
        name: z.string(),
        percentage: z.number(),
        segments: z.array(z.string()),
        holdMinutes: z.number().nullable(),
        approval: z.boolean().openapi({ description: 'Whether entering the stage needs an approval.' }),
        summary: z.string().openapi({ description: 'What the stage serves, in words.' }),
        config: flagConfigWireSchema,
      }),
    ),
  })
  .openapi('ReleasePreview');

/** A release stage awaiting an approval (`GET /api/v1/release-approvals`). */
export const releaseApprovalSchema = z
  .object({
    flag: z.string(),
    environment: z.string(),
    stage: z.number().int().openapi({ description: '0-based index of the stage awaiting approval.' }),
    stageName: z.string(),
    plan: releasePlanSchema,
    waitingSince: timestampSchema.openapi({
      description:
        "Since when the plan could move into the stage but for the approval: its current stage's start.",
    }),
  })
  .openapi('ReleaseApproval');

export const releaseApprovalListSchema = listOf(releaseApprovalSchema, 'ReleaseApprovalList');

true satisfies Agrees<z.infer<typeof releasePlanSchema>, ReleasePlan>;
true satisfies Agrees<z.infer<typeof releasePlanResultSchema>, ReleasePlanResult>;
true satisfies Agrees<z.infer<typeof releasePreviewSchema>, ReleasePreview>;
true satisfies Agrees<z.infer<typeof releaseApprovalSchema>, ReleaseApproval>;
