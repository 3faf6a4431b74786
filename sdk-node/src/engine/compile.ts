import { type Bucketing, compileBucketing } from './bucket.js';
import { type CompiledSegment, type ContextMatcher, compileClauses } from './clauses.js';
import type { EvaluationDetail } from './result.js';
import type { FlagConfig, FlagKind, JsonValue, Serve } from './schema.js';
import { type ValidationError, validateFlagConfig, validateSegment } from './validate.js';

export type { CompiledSegment } from './clauses.js';

/**
 * What a rule or the fallthrough serves, compiled: a fixed result, or a rollout over consecutive
 * bucket ranges. Results are precomputed and frozen; one object shape for both kinds.
 */
export interface CompiledServe {
  /** The result when one variation is served; `null` for a rollout. */
  readonly fixed: EvaluationDetail | null;
  readonly bucketing: Bucketing | null;
  /** Exclusive upper bucket of every variation's range but the last, in the listed order. */
  readonly upper: readonly number[];
  /** The result of each variation with a non-zero weight, in the listed order. */
  readonly results: readonly EvaluationDetail[];
  /** What a context without the bucketing attribute gets (`offVariation`, `inRollout: false`). */
  readonly outside: EvaluationDetail | null;
}

export interface CompiledRule {
  /** The rule's clauses compiled into one matcher: all must match. */
  readonly matches: ContextMatcher;
  readonly serve: CompiledServe;
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
  /**
   * The result when it does not depend on the context (the flag is off, or it has no prerequisites,
   * targets or rules and serves one variation to everyone), else `null`.
   */
  readonly constant: EvaluationDetail | null;
  readonly prerequisites: readonly CompiledPrerequisite[];
  readonly targets: ReadonlyMap<string, EvaluationDetail> | null;
  readonly rules: readonly CompiledRule[];
  readonly fallthrough: CompiledServe;
  /** Keys of the segments its clauses name, to know which flags a segment change affects. */
  readonly segmentKeys: ReadonlySet<string>;
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
      matches: compileClauses(rule.clauses),
      serve: compileServe(config, rule.serve, variationValue, (inRollout) =>
        inRollout === undefined ? base : { ...base, inRollout },
      ),
    };
  });

  const fallthrough = compileServe(config, config.fallthrough, variationValue, (inRollout) =>
    inRollout === undefined ? { kind: 'FALLTHROUGH' } : { kind: 'FALLTHROUGH', inRollout },
  );

  const everyoneAlike =
    prerequisites.length === 0 && targets === null && rules.length === 0 ? fallthrough.fixed : null;
  return {
    key: config.key,
    kind: config.kind,
    version: config.version,
    enabled: config.enabled,
    clientSide: config.clientSide,
    config,
    errors: [],
    off,
    constant: config.enabled ? everyoneAlike : off,
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
): CompiledServe {
  if ('variation' in serve)
    return fixedServe(detail(variationValue(serve.variation), serve.variation, reason()));
  const { rollout } = serve;
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
  upper.pop(); // the last range runs to the end
  return {
    fixed: null,
    bucketing: compileBucketing(rollout.salt ?? config.key, rollout.bucketBy ?? 'key'),
    upper,
    results,
    outside: detail(variationValue(config.offVariation), config.offVariation, reason(false)),
  };
}

function fixedServe(result: EvaluationDetail): CompiledServe {
  return { fixed: result, bucketing: null, upper: [], results: [], outside: null };
}

const MALFORMED_KINDS: readonly FlagKind[] = ['boolean', 'string', 'number', 'json'];

function malformedFlag(input: unknown, errors: readonly ValidationError[]): CompiledFlag {
  const record = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const kind = MALFORMED_KINDS.find((k) => k === record.kind) ?? 'json';
  return {
    key: typeof record.key === 'string' ? record.key : '',
    kind,
    version: typeof record.version === 'number' ? record.version : 0,
    enabled: false,
    clientSide: record.clientSide === true,
    config: null,
    errors,
    off: MALFORMED,
    constant: MALFORMED,
    prerequisites: [],
    targets: null,
    rules: [],
    fallthrough: fixedServe(MALFORMED),
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
    return {
      key: typeof key === 'string' ? key : '',
      segment: null,
      excluded: new Set(),
      included: new Set(),
      rules: [],
    };
  }
  const segment = validated.value;
  return {
    key: segment.key,
    segment,
    excluded: new Set(segment.excluded),
    included: new Set(segment.included),
    rules: segment.rules.map((rule) => compileClauses(rule.clauses)),
  };
}
