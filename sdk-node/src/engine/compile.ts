import { compileBucketer } from './bucket.js';
import { allOf, type ContextMatcher, compileClause, type SegmentLookup } from './clauses.js';
import type { EvaluationDetail } from './result.js';
import type { Context, FlagConfig, FlagKind, JsonValue, Segment, Serve } from './schema.js';
import { type ValidationError, validateFlagConfig, validateSegment } from './validate.js';

/** Picks what a rule or the fallthrough serves to a context; results are precomputed and frozen. */
type Server = (context: Context) => EvaluationDetail;

interface CompiledRule {
  readonly matches: ContextMatcher;
  readonly serve: Server;
}

interface CompiledPrerequisite {
  readonly key: string;
  readonly variation: string;
  readonly failed: EvaluationDetail;
}

/** A flag config compiled for evaluation: sets for key lists, built matchers, rollout ranges. */
export interface CompiledFlag {
  readonly key: string;
  readonly kind: FlagKind;
  readonly version: number;
  readonly enabled: boolean;
  readonly clientSide: boolean;
  /** The config as validated, or `null` when it is malformed. */
  readonly config: FlagConfig | null;
  /** Why the config is malformed; empty when it is not. */
  readonly errors: readonly ValidationError[];
  readonly off: EvaluationDetail;
  readonly prerequisites: readonly CompiledPrerequisite[];
  readonly targets: ReadonlyMap<string, EvaluationDetail> | null;
  readonly rules: readonly CompiledRule[];
  readonly fallthrough: Server;
  /** Keys of the segments its clauses name, to know which flags a segment change affects. */
  readonly segmentKeys: ReadonlySet<string>;
}

/** A segment compiled into one matcher: excluded keys, then included keys, then rules (ORed). */
export interface CompiledSegment {
  readonly key: string;
  readonly segment: Segment | null;
  readonly matches: ContextMatcher;
}

function detail(value: JsonValue, variant: string, reason: EvaluationDetail['reason']): EvaluationDetail {
  return Object.freeze({ value, variant, reason: Object.freeze(reason) });
}

/**
 * Compiles one flag config; a config that fails validation compiles to a flag that always answers
 * the caller's default with `MALFORMED_FLAG`. Never throws.
 */
export function compileFlag(input: unknown): CompiledFlag {
  const validated = validateFlagConfig(input);
  if (!validated.ok) return malformedFlag(input, validated.errors);
  const config = validated.value;
  const byId = new Map(config.variations.map((v) => [v.id, v.value] as const));
  const variationValue = (id: string) => byId.get(id) as JsonValue;
  const off = detail(variationValue(config.offVariation), config.offVariation, { kind: 'OFF' });

  const prerequisites = config.prerequisites.map((p) => ({
    key: p.flag,
    variation: p.variation,
    failed: detail(off.value, config.offVariation, { kind: 'PREREQUISITE_FAILED', prerequisiteKey: p.flag }),
  }));

  let targets: Map<string, EvaluationDetail> | null = null;
  for (const target of config.targets) {
    if (target.keys.length === 0) continue;
    targets ??= new Map();
    const result = detail(variationValue(target.variation), target.variation, { kind: 'TARGET_MATCH' });
    for (const key of target.keys) if (!targets.has(key)) targets.set(key, result);
  }

  const segmentKeys = new Set<string>();
  const rules = config.rules.map((rule, ruleIndex): CompiledRule => {
    for (const clause of rule.clauses) {
      if (clause.op === 'inSegment') for (const v of clause.values) segmentKeys.add(String(v));
    }
    const base = { kind: 'RULE_MATCH', ruleId: rule.id, ruleIndex } as const;
    return {
      matches: allOf(rule.clauses.map(compileClause)),
      serve: compileServe(config, rule.serve, variationValue, (inRollout) =>
        inRollout === undefined ? base : { ...base, inRollout },
      ),
    };
  });

  const fallthrough = compileServe(config, config.fallthrough, variationValue, (inRollout) =>
    inRollout === undefined ? { kind: 'FALLTHROUGH' } : { kind: 'FALLTHROUGH', inRollout },
  );

  return {
    key: config.key,
    kind: config.kind,
    version: config.version,
    enabled: config.enabled,
    clientSide: config.clientSide,
    config,
    errors: [],
    off,
    prerequisites,
    targets,
    rules,
    fallthrough,
    segmentKeys,
  };
}

function compileServe(
  config: FlagConfig,
  serve: Serve,
  variationValue: (id: string) => JsonValue,
  reason: (inRollout?: boolean) => EvaluationDetail['reason'],
): Server {
  if ('variation' in serve) {
    const fixed = detail(variationValue(serve.variation), serve.variation, reason());
    return () => fixed;
  }
  const { rollout } = serve;
  const bucketOf = compileBucketer(rollout.salt ?? config.key, rollout.bucketBy ?? 'key');
  const outside = detail(variationValue(config.offVariation), config.offVariation, reason(false));
  // Consecutive ranges in the listed order; zero-weight variations get an empty range.
  const upper: number[] = [];
  const results: EvaluationDetail[] = [];
  let sum = 0;
  for (const weighted of rollout.variations) {
    if (weighted.weight === 0) continue;
    sum += weighted.weight;
    upper.push(sum);
    results.push(detail(variationValue(weighted.variation), weighted.variation, reason(true)));
  }
  const last = results[results.length - 1] as EvaluationDetail;
  if (results.length === 1) {
    return (context) => (bucketOf(context) < 0 ? outside : last);
  }
  const n = results.length - 1;
  return (context) => {
    const bucket = bucketOf(context);
    if (bucket < 0) return outside;
    for (let i = 0; i < n; i++) if (bucket < (upper[i] as number)) return results[i] as EvaluationDetail;
    return last;
  };
}

const MALFORMED_KINDS: readonly FlagKind[] = ['boolean', 'string', 'number', 'json'];

function malformedFlag(input: unknown, errors: readonly ValidationError[]): CompiledFlag {
  const record = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const kind = MALFORMED_KINDS.find((k) => k === record.kind) ?? 'json';
  const never: Server = () => MALFORMED;
  return {
    key: typeof record.key === 'string' ? record.key : '',
    kind,
    version: typeof record.version === 'number' ? record.version : 0,
    enabled: false,
    clientSide: record.clientSide === true,
    config: null,
    errors,
    off: MALFORMED,
    prerequisites: [],
    targets: null,
    rules: [],
    fallthrough: never,
    segmentKeys: new Set(),
  };
}

/** Marks a compiled flag as malformed for a reason found outside its own config (a cycle). */
export function asMalformed(flag: CompiledFlag, message: string): CompiledFlag {
  return malformedFlag(flag.config ?? { key: flag.key, kind: flag.kind }, [
    { path: 'prerequisites', message },
  ]);
}

/** Placeholder result of a malformed flag; the evaluator replaces its value with the caller's default. */
export const MALFORMED: EvaluationDetail = detail(null, '', { kind: 'ERROR', errorKind: 'MALFORMED_FLAG' });

/** Compiles a segment; a malformed one matches nobody. */
export function compileSegment(input: unknown): CompiledSegment {
  const validated = validateSegment(input);
  if (!validated.ok) {
    const key = typeof input === 'object' && input !== null ? (input as { key?: unknown }).key : undefined;
    return { key: typeof key === 'string' ? key : '', segment: null, matches: () => false };
  }
  const segment = validated.value;
  const excluded = new Set(segment.excluded);
  const included = new Set(segment.included);
  const rules = segment.rules.map((rule) => allOf(rule.clauses.map(compileClause)));
  const matches: ContextMatcher = (context: Context, segments: SegmentLookup) => {
    const key = context.key;
    if (typeof key === 'string') {
      if (excluded.has(key)) return false;
      if (included.has(key)) return true;
    }
    for (let i = 0; i < rules.length; i++) if ((rules[i] as ContextMatcher)(context, segments)) return true;
    return false;
  };
  return { key: segment.key, segment, matches };
}
