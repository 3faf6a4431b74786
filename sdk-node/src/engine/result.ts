import type { JsonValue } from './schema.js';

/** Why an evaluation returned the caller's default value. */
export type ErrorKind =
  /** No flag with that key in the environment (or it is archived). */
  | 'FLAG_NOT_FOUND'
  /** The flag's kind does not match the type of the default value asked for. */
  | 'WRONG_TYPE'
  /** The flag's config does not pass validation (or sits in a prerequisite cycle). */
  | 'MALFORMED_FLAG'
  /** The SDK has no flag data yet. */
  | 'CLIENT_NOT_READY'
  /** Anything else, such as a context whose attributes throw when read. */
  | 'GENERAL';

/**
 * Why a context got its value (DESIGN §3). A discriminated union on `kind`.
 *
 * @example
 * if (detail.reason.kind === 'RULE_MATCH') console.log(detail.reason.ruleId);
 */
export type EvaluationReason =
  | { readonly kind: 'OFF' }
  | { readonly kind: 'TARGET_MATCH' }
  | {
      readonly kind: 'RULE_MATCH';
      readonly ruleId: string;
      readonly ruleIndex: number;
      readonly inRollout?: boolean;
    }
  | {
      readonly kind: 'PREREQUISITE_FAILED';
      /** The prerequisite that failed; left out where the caller may not see that flag (client keys). */
      readonly prerequisiteKey?: string;
    }
  | { readonly kind: 'FALLTHROUGH'; readonly inRollout?: boolean }
  | { readonly kind: 'ERROR'; readonly errorKind: ErrorKind };

export type ReasonKind = EvaluationReason['kind'];

/**
 * The outcome of one evaluation: the value, the variation id that produced it (`null` on error) and
 * the reason. Results are frozen and may be shared between calls.
 */
export interface EvaluationDetail<T = JsonValue> {
  readonly value: T;
  readonly variant: string | null;
  readonly reason: EvaluationReason;
}

/** Builds the result of a failed evaluation: the default value with an error reason. */
export function errorDetail<T>(value: T, errorKind: ErrorKind): EvaluationDetail<T> {
  return { value, variant: null, reason: { kind: 'ERROR', errorKind } };
}
