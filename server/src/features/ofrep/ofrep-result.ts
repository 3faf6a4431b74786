import { z } from '@hono/zod-openapi';
import {
  type CompiledFlag,
  type EvaluationDetail,
  type JsonValue,
  jsonValueSchema,
} from '@ringflag/sdk-node/engine';

/** OFREP's reasons (open-feature/protocol `service/openapi.yaml`, `evaluationSuccess.reason`). */
const ofrepReasonSchema = z.enum(['STATIC', 'TARGETING_MATCH', 'SPLIT', 'DISABLED', 'DEFAULT', 'UNKNOWN']);
export type OfrepReason = z.infer<typeof ofrepReasonSchema>;

/** OFREP's error codes (`evaluationFailure` and `flagNotFound`). */
const ofrepErrorCodeSchema = z.enum([
  'PARSE_ERROR',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
  'FLAG_NOT_FOUND',
]);
export type OfrepErrorCode = z.infer<typeof ofrepErrorCodeSchema>;

/** `evaluationSuccess`: one flag's value for the context. */
export const ofrepSuccessSchema = z
  .object({
    key: z.string(),
    value: jsonValueSchema,
    reason: ofrepReasonSchema,
    variant: z.string(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).openapi({
      description:
        'Primitive values only: `ruleId`, `ruleIndex`, `inRollout`, `prerequisiteKey` when they apply.',
    }),
  })
  .openapi('OfrepSuccess');
export type OfrepSuccess = z.infer<typeof ofrepSuccessSchema>;

/** `evaluationFailure` / `flagNotFound`. */
export const ofrepFailureSchema = z
  .object({
    key: z.string(),
    errorCode: ofrepErrorCodeSchema,
    errorDetails: z.string().optional(),
  })
  .openapi('OfrepFailure');
export type OfrepFailure = z.infer<typeof ofrepFailureSchema>;

/** A bulk request that could not be read: `bulkEvaluationFailure`. */
export const ofrepBulkFailureSchema = ofrepFailureSchema.omit({ key: true }).openapi('OfrepBulkFailure');

/** `bulkEvaluationSuccess`: every flag the key may see. */
export const ofrepBulkSuccessSchema = z
  .object({ flags: z.array(z.union([ofrepSuccessSchema, ofrepFailureSchema])) })
  .openapi('OfrepBulkSuccess');

/**
 * Maps our reason to OFREP's: `OFF` → `DISABLED`; served by a rollout → `SPLIT`; an individual target or
 * a rule → `TARGETING_MATCH`; a flag that serves one variation to everyone (no prerequisites, targets or
 * rules) → `STATIC`; anything else (a fallthrough past rules, a failed prerequisite, a context outside
 * a rollout) → `DEFAULT`.
 *
 * @example
 * ofrepReason(flag, { value: true, variant: 'on', reason: { kind: 'OFF' } }); // 'DISABLED'
 */
export function ofrepReason(flag: CompiledFlag, detail: EvaluationDetail<JsonValue | null>): OfrepReason {
  const reason = detail.reason;
  switch (reason.kind) {
    case 'OFF':
      return 'DISABLED';
    case 'TARGET_MATCH':
      return 'TARGETING_MATCH';
    case 'RULE_MATCH':
      return reason.inRollout === true ? 'SPLIT' : 'TARGETING_MATCH';
    case 'FALLTHROUGH':
      if (reason.inRollout === true) return 'SPLIT';
      return flag.constant !== null && reason.inRollout === undefined ? 'STATIC' : 'DEFAULT';
    default:
      return 'DEFAULT';
  }
}

/** The `metadata` of a success: where the value came from, in primitive values. */
export function ofrepMetadata(
  detail: EvaluationDetail<JsonValue | null>,
): Record<string, string | number | boolean> {
  const reason = detail.reason;
  switch (reason.kind) {
    case 'RULE_MATCH':
      return reason.inRollout === undefined
        ? { ruleId: reason.ruleId, ruleIndex: reason.ruleIndex }
        : { ruleId: reason.ruleId, ruleIndex: reason.ruleIndex, inRollout: reason.inRollout };
    case 'FALLTHROUGH':
      return reason.inRollout === undefined ? {} : { inRollout: reason.inRollout };
    case 'PREREQUISITE_FAILED':
      return reason.prerequisiteKey === undefined ? {} : { prerequisiteKey: reason.prerequisiteKey };
    default:
      return {};
  }
}

/**
 * One flag's result in OFREP form: a success, or a failure for a flag that cannot be evaluated
 * (a malformed config is `PARSE_ERROR`, as OpenFeature names errors in parsing a flag configuration).
 */
export function toOfrep(
  key: string,
  flag: CompiledFlag,
  detail: EvaluationDetail<JsonValue | null>,
): OfrepSuccess | OfrepFailure {
  if (detail.reason.kind === 'ERROR' || detail.variant === null) {
    const errorKind = detail.reason.kind === 'ERROR' ? detail.reason.errorKind : 'GENERAL';
    return errorKind === 'MALFORMED_FLAG'
      ? { key, errorCode: 'PARSE_ERROR', errorDetails: 'The flag configuration is malformed' }
      : { key, errorCode: 'GENERAL', errorDetails: `The flag could not be evaluated (${errorKind})` };
  }
  return {
    key,
    value: detail.value,
    reason: ofrepReason(flag, detail),
    variant: detail.variant,
    metadata: ofrepMetadata(detail),
  };
}
