import { z } from '@hono/zod-openapi';
import {
  type ErrorKind,
  type EvaluationDetail,
  type EvaluationReason,
  type JsonValue,
  jsonValueSchema,
} from '@ringflag/sdk-node/engine';
import type { Agrees } from '../../http/openapi-app.js';

/*
 * The engine's evaluation results (engine/result.ts, whose types are the source) as schemas for the
 * OpenAPI document; the checks at the end fail to compile when the two part.
 */

const errorKindSchema = z
  .enum(['FLAG_NOT_FOUND', 'WRONG_TYPE', 'MALFORMED_FLAG', 'CLIENT_NOT_READY', 'GENERAL'])
  .openapi('ErrorKind');

/** Why a context got its value, by `kind`. */
export const evaluationReasonSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('OFF') }),
    z.object({ kind: z.literal('TARGET_MATCH') }),
    z.object({
      kind: z.literal('RULE_MATCH'),
      ruleId: z.string(),
      ruleIndex: z.number().int(),
      inRollout: z.boolean().optional(),
    }),
    z.object({
      kind: z.literal('PREREQUISITE_FAILED'),
      prerequisiteKey: z.string().optional().openapi({
        description: 'The prerequisite that failed; left out where the caller may not see that flag.',
      }),
    }),
    z.object({ kind: z.literal('FALLTHROUGH'), inRollout: z.boolean().optional() }),
    z.object({ kind: z.literal('ERROR'), errorKind: errorKindSchema }),
  ])
  .openapi('EvaluationReason');

/** One flag's value for a context, the variation that produced it (null on error) and why. */
export const evaluationResultSchema = z
  .object({
    /** The flag's value (any JSON); the default (null here) when it could not be evaluated. */
    value: jsonValueSchema,
    variant: z.string().nullable(),
    reason: evaluationReasonSchema,
  })
  .openapi('EvaluationResult');

/** An admin evaluation's result: the SDK's, with the matched rule's name beside the reason. */
export const adminEvaluationResultSchema = evaluationResultSchema
  .extend({
    ruleName: z.string().optional().openapi({
      description: 'For a RULE_MATCH whose rule has a name: that name (the reason carries its id).',
    }),
  })
  .openapi('AdminEvaluationResult');

/** `POST /api/v1/environments/{env}/evaluate`: every flag asked for, evaluated with the SDK engine. */
export const evaluationSchema = z
  .object({
    environment: z.string(),
    revision: z.number().int().openapi({ description: "The environment's revision evaluated." }),
    results: z.record(z.string(), adminEvaluationResultSchema).openapi({ description: 'Per flag key.' }),
  })
  .openapi('Evaluation');

/** `POST /client/v1/evaluate` and a browser stream's `put`: the clientSide flags for one context. */
export const clientEvaluationSchema = z
  .object({
    revision: z.number().int(),
    flags: z.record(z.string(), evaluationResultSchema).openapi({ description: 'Per flag key.' }),
  })
  .openapi('ClientEvaluation');

true satisfies Agrees<z.infer<typeof errorKindSchema>, ErrorKind>;
true satisfies Agrees<z.infer<typeof evaluationReasonSchema>, EvaluationReason>;
true satisfies Agrees<z.infer<typeof evaluationResultSchema>, EvaluationDetail<JsonValue | null>>;
