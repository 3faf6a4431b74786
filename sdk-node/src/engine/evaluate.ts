import { type Bucketing, contextBucket } from './bucket.js';
import type { CompiledFlag, CompiledServe } from './compile.js';
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
 * Evaluates every flag in the store for one context, or only those `include` accepts; `'clientSide'`
 * selects the flags client keys may see, as `(flag) => flag.clientSide` would, with the result's shape
 * prepared with the store. Malformed flags appear with an `ERROR` reason and a `null` value.
 *
 * @example
 * evaluateAll({ key: 'user-1' }, store, 'clientSide'); // { banner: { value: true, variant: 'on', reason } }
 */
export function evaluateAll(
  context: Context,
  store: FlagStore,
  include?: ((flag: CompiledFlag) => boolean) | 'clientSide',
): Record<string, EvaluationDetail<JsonValue | null>> {
  const ctx = asContext(context);
  if (typeof include === 'function') return evaluateIncluded(ctx, store, include);
  const selection = include === 'clientSide' ? store.clientSide : store.all;
  const flags = selection.flags;
  const results: EvaluationDetail<JsonValue | null>[] = new Array(flags.length);
  for (let i = 0; i < flags.length; i++) results[i] = detailOf(flags[i] as CompiledFlag, ctx, store);
  return selection.shape.build(results);
}

/** {@link evaluateAll} of the flags a function accepts: any subset, so the result is built key by key. */
function evaluateIncluded(
  ctx: Context,
  store: FlagStore,
  include: (flag: CompiledFlag) => boolean,
): Record<string, EvaluationDetail<JsonValue | null>> {
  const out: Record<string, EvaluationDetail<JsonValue | null>> = {};
  const keys = store.all.shape.keys;
  const flags = store.all.flags;
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i] as CompiledFlag;
    if (!include(flag)) continue;
    const key = keys[i] as string;
    const detail = detailOf(flag, ctx, store);
    // Assigning "__proto__" would set the prototype; it is an own property here as everywhere else.
    if (key === '__proto__')
      Object.defineProperty(out, key, {
        value: detail,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    else out[key] = detail;
  }
  return out;
}

/** One flag's entry in {@link evaluateAll}. */
function detailOf(flag: CompiledFlag, ctx: Context, store: FlagStore): EvaluationDetail<JsonValue | null> {
  if (flag.config === null) return errorDetail(null, 'MALFORMED_FLAG');
  try {
    return evaluateFlag(flag, ctx, store);
  } catch {
    return errorDetail(null, 'GENERAL');
  }
}

/**
 * Every flag's value for one context, by key, leaving out flags that cannot be evaluated (malformed,
 * or an evaluation error). What `allFlags` returns: one pass over the store, one object.
 *
 * @example
 * evaluateAllValues({ key: 'user-1' }, store); // { 'new-checkout': true, 'checkout-backend': 'blue' }
 */
export function evaluateAllValues(context: Context, store: FlagStore): Record<string, JsonValue> {
  const ctx = asContext(context);
  const flags = store.evaluable.flags;
  const values: (JsonValue | null)[] = new Array(flags.length);
  let failed: number[] | null = null;
  for (let i = 0; i < flags.length; i++) {
    try {
      values[i] = evaluateFlag(flags[i] as CompiledFlag, ctx, store).value;
    } catch {
      // Only a hostile context gets here; such a flag is left out, as a malformed one is.
      values[i] = null;
      if (failed === null) failed = [];
      failed.push(i);
    }
  }
  const shape = store.evaluable.shape;
  const out = shape.build(values);
  if (failed !== null) for (const i of failed) delete out[shape.keys[i] as string];
  return out as Record<string, JsonValue>;
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

// The hot path below is split into small functions on purpose: V8 inlines callees only within a
// bytecode budget per optimised function, and which callees got in used to vary from run to run.
// With the rare paths (prerequisites, targets, rollouts) out of line the common path fits, and the
// timings hold steady.

/** The evaluation proper, on a valid compiled flag; prerequisites recurse (cycles were removed). */
export function evaluateFlag(flag: CompiledFlag, context: Context, store: FlagStore): EvaluationDetail {
  if (flag.constant !== null) return flag.constant; // off, or the same for everyone
  if (flag.prerequisites.length > 0) {
    const failed = failedPrerequisite(flag, context, store);
    if (failed !== null) return failed;
  }
  if (flag.targets !== null) {
    const target = targetOf(flag.targets, context);
    if (target !== undefined) return target;
  }
  const rules = flag.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i] as (typeof rules)[number];
    if (rule.matches(context, store.segments)) return serve(rule.serve, context);
  }
  return serve(flag.fallthrough, context);
}

/** The result of the first prerequisite that is off or serves another variation, or `null`. */
function failedPrerequisite(flag: CompiledFlag, context: Context, store: FlagStore): EvaluationDetail | null {
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
  return null;
}

function targetOf(
  targets: ReadonlyMap<string, EvaluationDetail>,
  context: Context,
): EvaluationDetail | undefined {
  const key = context.key;
  return typeof key === 'string' ? targets.get(key) : undefined;
}

/** The result a rule or the fallthrough serves to a context: fixed, or by the context's bucket. */
function serve(served: CompiledServe, context: Context): EvaluationDetail {
  return served.fixed !== null ? served.fixed : serveRollout(served, context);
}

function serveRollout(served: CompiledServe, context: Context): EvaluationDetail {
  const bucket = contextBucket(served.bucketing as Bucketing, context);
  if (bucket < 0) return served.outside as EvaluationDetail;
  const upper = served.upper;
  for (let i = 0; i < upper.length; i++) {
    if (bucket < (upper[i] as number)) return served.results[i] as EvaluationDetail;
  }
  return served.results[upper.length] as EvaluationDetail;
}
