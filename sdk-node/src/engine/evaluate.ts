import type { CompiledFlag } from './compile.js';
import { type EvaluationDetail, errorDetail } from './result.js';
import type { Context, FlagKind, JsonValue } from './schema.js';
import type { FlagStore } from './store.js';

const EMPTY_CONTEXT: Context = Object.freeze({});

/**
 * Evaluates one flag for one context against a compiled store (DESIGN §3): off, prerequisites,
 * individual targets, rules in order, fallthrough. Never throws: a missing flag, a default of the wrong
 * type or a malformed config returns `defaultValue` with an `ERROR` reason.
 *
 * Pass `defaultValue` of the type you expect (`false`, `''`, `0`, an object); `null` accepts any kind.
 * On success the result is a frozen object shared between calls; nothing is allocated.
 *
 * @example
 * const { value, reason } = evaluate('new-checkout', { key: 'user-1' }, store, false);
 */
export function evaluate<T extends JsonValue | null>(
  flagKey: string,
  context: Context,
  store: FlagStore,
  defaultValue: T,
): EvaluationDetail<T> {
  const flag = store.flags.get(flagKey);
  if (flag === undefined) return errorDetail(defaultValue, 'FLAG_NOT_FOUND');
  if (flag.config === null) return errorDetail(defaultValue, 'MALFORMED_FLAG');
  if (defaultValue !== null && flag.kind !== kindOf(defaultValue))
    return errorDetail(defaultValue, 'WRONG_TYPE');
  try {
    return evaluateFlag(flag, asContext(context), store) as EvaluationDetail<T>;
  } catch {
    // Only a hostile context (an attribute getter that throws, a Proxy) gets here.
    return errorDetail(defaultValue, 'GENERAL');
  }
}

/**
 * Evaluates every flag in the store (optionally only those `include` accepts) for one context.
 * Malformed flags appear with an `ERROR` reason and a `null` value.
 */
export function evaluateAll(
  context: Context,
  store: FlagStore,
  include?: (flag: CompiledFlag) => boolean,
): Record<string, EvaluationDetail<JsonValue | null>> {
  const out: Record<string, EvaluationDetail<JsonValue | null>> = {};
  const ctx = asContext(context);
  for (const [key, flag] of store.flags) {
    if (include && !include(flag)) continue;
    if (flag.config === null) {
      out[key] = errorDetail(null, 'MALFORMED_FLAG');
      continue;
    }
    try {
      out[key] = evaluateFlag(flag, ctx, store);
    } catch {
      out[key] = errorDetail(null, 'GENERAL');
    }
  }
  return out;
}

/** The flag kind a default value asks for. */
export function kindOf(value: JsonValue): FlagKind {
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    default:
      return 'json';
  }
}

function asContext(context: unknown): Context {
  return typeof context === 'object' && context !== null && !Array.isArray(context)
    ? (context as Context)
    : EMPTY_CONTEXT;
}

/** The evaluation proper, on a valid compiled flag; prerequisites recurse (cycles were removed). */
export function evaluateFlag(flag: CompiledFlag, context: Context, store: FlagStore): EvaluationDetail {
  if (!flag.enabled) return flag.off;
  const prerequisites = flag.prerequisites;
  for (let i = 0; i < prerequisites.length; i++) {
    const prerequisite = prerequisites[i] as (typeof prerequisites)[number];
    const other = store.flags.get(prerequisite.key);
    if (
      other === undefined ||
      other.config === null ||
      !other.enabled ||
      evaluateFlag(other, context, store).variant !== prerequisite.variation
    ) {
      return prerequisite.failed;
    }
  }
  if (flag.targets !== null) {
    const key = context.key;
    if (typeof key === 'string') {
      const target = flag.targets.get(key);
      if (target !== undefined) return target;
    }
  }
  const rules = flag.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as (typeof rules)[number];
    if (rule.matches(context, store.segment)) return rule.serve(context);
  }
  return flag.fallthrough(context);
}
